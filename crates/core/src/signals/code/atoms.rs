//! What a text contains: one pass of an Aho-Corasick automaton over the atoms (code tokens,
//! checked case-sensitively and at an identifier boundary; hosts, names and shell words,
//! ASCII case-insensitively), plus the `eval(atob(…))`-style nesting regex. The result is a
//! file's [`Facts`], which the rules read.

use super::re;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use once_cell::sync::Lazy;
use regex::Regex;
use std::collections::BTreeMap;

/// Atom categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Cat {
    Cp,
    Net,
    Env,
    CredEnv,
    CredFile,
    Home,
    FsRead,
    WebStrong,
    WebWeak,
    Sink,
    StrongSink,
    Decipher,
    Marker,
    Truffle,
    GhApi,
    GhWorkflow,
    NpmPublish,
    NpmSearch,
    Wallet,
    Hook,
    Geo,
    FsWrite,
    DirWalk,
    Rotation,
    /// `Buffer.from(`: decoding when `'base64'`/`'hex'` follows within the call.
    DecodeCall,
    Decode,
}

struct Atom {
    pat: &'static str,
    cat: Cat,
    /// Sub-kind (credential kind) or display label.
    label: &'static str,
}

const fn a(pat: &'static str, cat: Cat, label: &'static str) -> Atom {
    Atom { pat, cat, label }
}

/// Case-sensitive atoms (code tokens).
static CS_ATOMS: &[Atom] = &[
    a("child_process", Cat::Cp, "child_process"),
    a("spawn_sync", Cat::Cp, "spawn_sync"),
    a("Bun.spawn", Cat::Cp, "Bun.spawn"),
    a("shelljs", Cat::Cp, "shelljs"),
    a("cross-spawn", Cat::Cp, "cross-spawn"),
    a("'http'", Cat::Net, "http"),
    a("\"http\"", Cat::Net, "http"),
    a("'https'", Cat::Net, "https"),
    a("\"https\"", Cat::Net, "https"),
    a("'node:http", Cat::Net, "http"),
    a("\"node:http", Cat::Net, "http"),
    a("'net'", Cat::Net, "net"),
    a("\"net\"", Cat::Net, "net"),
    a("'node:net'", Cat::Net, "net"),
    a("\"node:net\"", Cat::Net, "net"),
    a("'dgram'", Cat::Net, "dgram"),
    a("\"dgram\"", Cat::Net, "dgram"),
    a("http.request", Cat::Net, "http.request"),
    a("https.request", Cat::Net, "https.request"),
    a("http.get(", Cat::Net, "http.get"),
    a("https.get(", Cat::Net, "https.get"),
    a("fetch(", Cat::Net, "fetch"),
    a("XMLHttpRequest", Cat::Net, "XMLHttpRequest"),
    a("WebSocket", Cat::Net, "WebSocket"),
    a("axios", Cat::Net, "axios"),
    a("node-fetch", Cat::Net, "node-fetch"),
    a("undici", Cat::Net, "undici"),
    a("dns.resolve", Cat::Net, "dns"),
    a("dns.lookup", Cat::Net, "dns"),
    a("net.connect", Cat::Net, "net.connect"),
    a("createConnection", Cat::Net, "net.connect"),
    a("process.env", Cat::Env, "process.env"),
    a("process[\"env\"]", Cat::Env, "process.env"),
    a("process['env']", Cat::Env, "process.env"),
    a("Bun.env", Cat::Env, "Bun.env"),
    a("NPM_TOKEN", Cat::CredEnv, "NPM_TOKEN"),
    a("NODE_AUTH_TOKEN", Cat::CredEnv, "NODE_AUTH_TOKEN"),
    a("GITHUB_TOKEN", Cat::CredEnv, "GITHUB_TOKEN"),
    a("GH_TOKEN", Cat::CredEnv, "GH_TOKEN"),
    a("GITLAB_TOKEN", Cat::CredEnv, "GITLAB_TOKEN"),
    a("AWS_ACCESS_KEY_ID", Cat::CredEnv, "AWS_ACCESS_KEY_ID"),
    a(
        "AWS_SECRET_ACCESS_KEY",
        Cat::CredEnv,
        "AWS_SECRET_ACCESS_KEY",
    ),
    a("AWS_SESSION_TOKEN", Cat::CredEnv, "AWS_SESSION_TOKEN"),
    a("AZURE_CLIENT_SECRET", Cat::CredEnv, "AZURE_CLIENT_SECRET"),
    a(
        "GOOGLE_APPLICATION_CREDENTIALS",
        Cat::CredEnv,
        "GOOGLE_APPLICATION_CREDENTIALS",
    ),
    a("CIRCLE_TOKEN", Cat::CredEnv, "CIRCLE_TOKEN"),
    a(
        "ACTIONS_RUNTIME_TOKEN",
        Cat::CredEnv,
        "ACTIONS_RUNTIME_TOKEN",
    ),
    a("homedir", Cat::Home, "homedir"),
    a("USERPROFILE", Cat::Home, "USERPROFILE"),
    a("env.HOME", Cat::Home, "HOME"),
    a("$HOME", Cat::Home, "HOME"),
    a("~/", Cat::Home, "~"),
    a("readFileSync", Cat::FsRead, "readFileSync"),
    a("readFile(", Cat::FsRead, "readFile"),
    a("createReadStream", Cat::FsRead, "createReadStream"),
    a("Bun.file(", Cat::FsRead, "Bun.file"),
    a("cat ", Cat::FsRead, "cat"),
    a("eval(", Cat::Sink, "eval"),
    a("eval.call(", Cat::Sink, "eval"),
    a("new Function(", Cat::Sink, "new Function"),
    a("runInThisContext", Cat::Sink, "vm"),
    a("runInNewContext", Cat::Sink, "vm"),
    a("runInContext", Cat::Sink, "vm"),
    a("new vm.Script", Cat::Sink, "vm"),
    a("_compile(", Cat::StrongSink, "_compile"),
    a("module.constructor", Cat::StrongSink, "module.constructor"),
    a("createDecipher", Cat::Decipher, "createDecipher"),
    a("Buffer.from(", Cat::DecodeCall, "Buffer.from"),
    a("new Buffer(", Cat::DecodeCall, "Buffer.from"),
    a("atob(", Cat::Decode, "atob"),
    a("fromCharCode", Cat::Decode, "fromCharCode"),
    a("unescape(", Cat::Decode, "unescape"),
    a("window.ethereum", Cat::Wallet, "window.ethereum"),
    a("ethereum.request", Cat::Wallet, "ethereum.request"),
    a("eth_sendTransaction", Cat::Wallet, "eth_sendTransaction"),
    a("eth_requestAccounts", Cat::Wallet, "eth_requestAccounts"),
    a(
        "signAndSendTransaction",
        Cat::Wallet,
        "signAndSendTransaction",
    ),
    a("window.solana", Cat::Wallet, "window.solana"),
    a(
        "XMLHttpRequest.prototype.open",
        Cat::Hook,
        "XMLHttpRequest.prototype.open",
    ),
    a(
        "XMLHttpRequest.prototype.send",
        Cat::Hook,
        "XMLHttpRequest.prototype.send",
    ),
    a("window.fetch=", Cat::Hook, "window.fetch ="),
    a("window.fetch =", Cat::Hook, "window.fetch ="),
    a("globalThis.fetch=", Cat::Hook, "globalThis.fetch ="),
    a("globalThis.fetch =", Cat::Hook, "globalThis.fetch ="),
    a("writeFileSync", Cat::FsWrite, "writeFileSync"),
    a("writeFile(", Cat::FsWrite, "writeFile"),
    a("appendFileSync", Cat::FsWrite, "appendFileSync"),
    a("rmSync", Cat::FsWrite, "rmSync"),
    a("unlinkSync", Cat::FsWrite, "unlinkSync"),
    a("rm -rf", Cat::FsWrite, "rm -rf"),
    a("readdirSync", Cat::DirWalk, "readdirSync"),
    a("readdir(", Cat::DirWalk, "readdir"),
    a("opendirSync", Cat::DirWalk, "opendirSync"),
    a("while(!![])", Cat::Rotation, "while(!![])"),
    a("while (!![])", Cat::Rotation, "while(!![])"),
    a("['push'](_0x", Cat::Rotation, "['push'](_0x"),
    a("[\"push\"](_0x", Cat::Rotation, "['push'](_0x"),
];

/// Case-insensitive atoms (hosts, names, shell words).
static CI_ATOMS: &[Atom] = &[
    a("curl ", Cat::Net, "curl"),
    a("wget ", Cat::Net, "wget"),
    a("invoke-webrequest", Cat::Net, "Invoke-WebRequest"),
    a("invoke-restmethod", Cat::Net, "Invoke-RestMethod"),
    a("/dev/tcp/", Cat::Net, "/dev/tcp"),
    a(".npmrc", Cat::CredFile, "npmrc"),
    a(".ssh/", Cat::CredFile, "ssh"),
    a("/.ssh", Cat::CredFile, "ssh"),
    a("'.ssh'", Cat::CredFile, "ssh"),
    a("\".ssh\"", Cat::CredFile, "ssh"),
    a("id_rsa", Cat::CredFile, "ssh"),
    a("id_ed25519", Cat::CredFile, "ssh"),
    a("id_ecdsa", Cat::CredFile, "ssh"),
    a(".aws/credentials", Cat::CredFile, "aws"),
    a("'.aws'", Cat::CredFile, "aws"),
    a("\".aws\"", Cat::CredFile, "aws"),
    a("application_default_credentials", Cat::CredFile, "gcloud"),
    a(".config/gcloud", Cat::CredFile, "gcloud"),
    a(".azure/", Cat::CredFile, "azure"),
    a("msal_token_cache", Cat::CredFile, "azure"),
    a(".docker/config.json", Cat::CredFile, "docker"),
    a(".kube/config", Cat::CredFile, "kube"),
    a(".git-credentials", Cat::CredFile, "git-credentials"),
    a("login data", Cat::CredFile, "browser logins"),
    a("wallet.dat", Cat::CredFile, "wallet"),
    a("nkbihfbeogaeaoehlefnkodbefgpgknn", Cat::CredFile, "wallet"),
    a("solana/id.json", Cat::CredFile, "wallet"),
    a("169.254.169.254", Cat::CredFile, "cloud metadata"),
    a("metadata.google.internal", Cat::CredFile, "cloud metadata"),
    a("/proc/self/environ", Cat::CredFile, "environ"),
    a("webhook.site", Cat::WebStrong, "webhook.site"),
    a("pipedream.net", Cat::WebStrong, "pipedream"),
    a("requestbin", Cat::WebStrong, "requestbin"),
    a("burpcollaborator", Cat::WebStrong, "burpcollaborator"),
    a("oastify.com", Cat::WebStrong, "oastify"),
    a("interact.sh", Cat::WebStrong, "interact.sh"),
    a(".oast.", Cat::WebStrong, "oast"),
    a("canarytokens", Cat::WebStrong, "canarytokens"),
    a("beeceptor.com", Cat::WebStrong, "beeceptor"),
    a("requestcatcher.com", Cat::WebStrong, "requestcatcher"),
    a("hookbin.com", Cat::WebStrong, "hookbin"),
    a("dnslog.cn", Cat::WebStrong, "dnslog"),
    a("ceye.io", Cat::WebStrong, "ceye"),
    a("discord.com/api/webhooks", Cat::WebWeak, "discord webhook"),
    a(
        "discordapp.com/api/webhooks",
        Cat::WebWeak,
        "discord webhook",
    ),
    a("hooks.slack.com", Cat::WebWeak, "slack webhook"),
    a("api.telegram.org/bot", Cat::WebWeak, "telegram bot"),
    a("ngrok.io", Cat::WebWeak, "ngrok"),
    a("ngrok-free.app", Cat::WebWeak, "ngrok"),
    a("trycloudflare.com", Cat::WebWeak, "trycloudflare"),
    a("shai-hulud", Cat::Marker, "shai-hulud"),
    a("shai_hulud", Cat::Marker, "shai-hulud"),
    a("shaihulud", Cat::Marker, "shai-hulud"),
    a("sha1-hulud", Cat::Marker, "sha1-hulud"),
    a("sha1hulud", Cat::Marker, "sha1-hulud"),
    a("trufflesecrets", Cat::Marker, "truffleSecrets"),
    a("setup_bun.js", Cat::Marker, "setup_bun.js"),
    a("bun_environment.js", Cat::Marker, "bun_environment.js"),
    a("trufflehog", Cat::Truffle, "trufflehog"),
    a("api.github.com", Cat::GhApi, "api.github.com"),
    a(".github/workflows", Cat::GhWorkflow, ".github/workflows"),
    a("npm publish", Cat::NpmPublish, "npm publish"),
    a("/-/whoami", Cat::NpmPublish, "/-/whoami"),
    a("npm whoami", Cat::NpmPublish, "npm whoami"),
    a("/-/v1/search", Cat::NpmSearch, "/-/v1/search"),
    a("maintainer:", Cat::NpmSearch, "maintainer:"),
    a("ipgeolocation.io", Cat::Geo, "ipgeolocation.io"),
    a("ipapi.co", Cat::Geo, "ipapi.co"),
    a("ip-api.com", Cat::Geo, "ip-api.com"),
    a("ipinfo.io", Cat::Geo, "ipinfo.io"),
    a("geolocation-db.com", Cat::Geo, "geolocation-db.com"),
    a("freegeoip", Cat::Geo, "freegeoip"),
    a("ipwho.is", Cat::Geo, "ipwho.is"),
    a("ipwhois.app", Cat::Geo, "ipwhois.app"),
];

/// One automaton for both tables (ASCII case-insensitive); case-sensitive atoms are checked
/// byte for byte after a match. Pattern ids: `CS_ATOMS` first, then `CI_ATOMS`.
pub(super) static AC: Lazy<Option<AhoCorasick>> = Lazy::new(|| {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .ascii_case_insensitive(true)
        .prefilter(false)
        .build(CS_ATOMS.iter().chain(CI_ATOMS).map(|a| a.pat))
        .ok()
});

/// A sink applied directly to a decoder.
pub(super) static NESTED_RE: Lazy<Option<Regex>> = Lazy::new(|| {
    re(
        r#"(?-u)(?:\beval|new Function|_compile|runIn\w*Context)\s*\(\s*(?:atob|Buffer\.from|new Buffer|unescape|decodeURIComponent|String\.fromCharCode)\s*\("#,
    )
});

/// Positions kept per category and per credential kind.
const MAX_POSITIONS: usize = 512;

#[derive(Debug, Clone)]
struct Hit {
    pos: usize,
    count: usize,
}

/// What one file contains.
#[derive(Default)]
pub(super) struct Facts {
    /// (category, label) → first position and count.
    hits: BTreeMap<(Cat, &'static str), Hit>,
    /// Positions per category (capped), for proximity checks.
    pub pos: BTreeMap<Cat, Vec<usize>>,
    /// Positions per credential kind.
    pub cred_pos: BTreeMap<&'static str, Vec<usize>>,
    pub hex_ids: usize,
    pub hex_ids_distinct: usize,
    pub x_escapes: usize,
    pub long_line: Option<(usize, usize)>,
    pub entropy_token: Option<(usize, f64)>,
    pub nested: Option<usize>,
}

impl Facts {
    pub(super) fn has(&self, c: Cat) -> bool {
        self.pos.get(&c).is_some_and(|v| !v.is_empty())
    }
    pub(super) fn labels(&self, c: Cat) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .hits
            .keys()
            .filter(|(cat, _)| *cat == c)
            .map(|(_, l)| *l)
            .collect();
        v.dedup();
        v
    }
    pub(super) fn first(&self, c: Cat) -> Option<usize> {
        self.hits
            .iter()
            .filter(|((cat, _), _)| *cat == c)
            .map(|(_, h)| h.pos)
            .min()
    }
    fn add(&mut self, cat: Cat, label: &'static str, pos: usize) {
        let h = self
            .hits
            .entry((cat, label))
            .or_insert(Hit { pos, count: 0 });
        h.count += 1;
        h.pos = h.pos.min(pos);
        let v = self.pos.entry(cat).or_default();
        if v.len() < MAX_POSITIONS {
            v.push(pos);
        }
        if cat == Cat::CredFile {
            let v = self.cred_pos.entry(label).or_default();
            if v.len() < MAX_POSITIONS {
                v.push(pos);
            }
        }
    }
}

pub(super) fn near(a: &[usize], b: &[usize], d: usize) -> Option<usize> {
    a.iter()
        .copied()
        .find(|&x| b.iter().any(|&y| x.abs_diff(y) <= d))
}

pub(super) fn atoms(f: &mut Facts, text: &str, offset: usize) {
    if let Some(ac) = &*AC {
        for m in ac.find_iter(text) {
            let id = m.pattern().as_usize();
            let at = if id < CS_ATOMS.len() {
                CS_ATOMS
                    .get(id)
                    .filter(|a| text.get(m.range()) == Some(a.pat))
            } else {
                CI_ATOMS.get(id - CS_ATOMS.len())
            };
            // `_eval(`, `prefetch(`, `MY_NPM_TOKEN`: part of another identifier.
            let at = at.filter(|a| {
                !starts_ident(a.pat.as_bytes().first())
                    || !m
                        .start()
                        .checked_sub(1)
                        .is_some_and(|i| starts_ident(text.as_bytes().get(i)))
            });
            if let Some(at) = at {
                if at.cat == Cat::DecodeCall {
                    if decodes_encoding(text, m.end()) {
                        f.add(Cat::Decode, at.label, offset + m.start());
                    }
                    continue;
                }
                f.add(at.cat, at.label, offset + m.start());
                if at.cat == Cat::Hook {
                    // `XMLHttpRequest.prototype.open` hides the shorter `XMLHttpRequest`.
                    f.add(Cat::Net, "XMLHttpRequest", offset + m.start());
                }
            }
        }
    }
    if f.nested.is_none() {
        if let Some(r) = &*NESTED_RE {
            f.nested = r.find(text).map(|m| offset + m.start());
        }
    }
}

fn starts_ident(b: Option<&u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$')
}

/// Whether the call whose arguments start at `from` names `base64` or `hex` (quoted) before its
/// closing parenthesis, within 300 bytes.
fn decodes_encoding(text: &str, from: usize) -> bool {
    let b = text.as_bytes();
    let end = (from + 300).min(b.len());
    let args = b.get(from..end).unwrap_or(&[]);
    let args = args.split(|c| *c == b')').next().unwrap_or(args);
    args.windows(6).any(|w| w == b"base64")
        || args
            .windows(5)
            .any(|w| matches!(w, b"'hex'" | b"\"hex\"" | b"`hex`"))
}
