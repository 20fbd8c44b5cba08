//! Static signals in an npm package. Package code is never executed: everything here reads
//! manifests and text.
//!
//! - **Install scripts**: [`install_scripts`] lists the hooks npm runs (`preinstall`/`install`/
//!   `postinstall`, plus the `install: node-gyp rebuild` it implies for a `binding.gyp`). Whether
//!   a hook is *new* is the policy's `installScripts` rule (`policy::evaluate`), the only place
//!   that compares hooks between versions.
//! - **Manifest confusion** (`manifest-confusion`): the registry's version manifest against the
//!   tarball's `package.json` for name, version, scripts, dependencies and bin, after undoing
//!   what npm itself changes at publish (see [`manifest_confusion`]).
//! - **Suspicious code** (`code.*`), [`scan_code`]:
//!   1. Install-script targets (files named by the hook commands, and the command text itself),
//!      then entry points (`main`, `bin`, `exports`, `module`, `browser`), then everything
//!      reachable from them by relative `require`/`import` (install targets also reach files
//!      named in string literals, e.g. `spawn('node', ['payload.js'])`), then the other kept files.
//!   2. For each file, in that order, within a 64 MiB total budget: one pass of a single
//!      Aho-Corasick automaton (ASCII case-insensitive; code atoms re-checked case-sensitively and
//!      at an identifier boundary, so `_eval(` is not `eval(`) over the text and over the
//!      printable text decoded from its base64/hex/`\xNN` string literals (at most 500 literals,
//!      256 KiB), one regex for `eval(atob(…))`-style nesting, and the obfuscation metrics.
//!   3. Rules turn what was found in one file into findings; the severity depends on the file's
//!      context. The hook command text is scanned too, as a shell script in install context.
//!
//! "Network" is `require('http'|'https'|'net'|'dgram')`, `fetch(`, `XMLHttpRequest`, `WebSocket`,
//! `axios`, `undici`, `dns.*`, `curl`/`wget`, …; "process" is `child_process`, `Bun.spawn`,
//! `shelljs`, `cross-spawn` or a shell script; "token variables" are `NPM_TOKEN`,
//! `NODE_AUTH_TOKEN`, `GITHUB_TOKEN`, `GH_TOKEN`, `GITLAB_TOKEN`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AZURE_CLIENT_SECRET`,
//! `GOOGLE_APPLICATION_CREDENTIALS`, `CIRCLE_TOKEN`, `ACTIONS_RUNTIME_TOKEN`. Severity columns:
//! install target / entry point (or reached from one) / other file.
//!
//! | rule | trigger (same file) | install | entry | other |
//! |---|---|---|---|---|
//! | `code.shai-hulud` | a marker: `shai-hulud`, `sha1-hulud`, `truffleSecrets`, `setup_bun.js`, `bun_environment.js` | error | error | error |
//! | | `trufflehog` + (`api.github.com` or `npm publish`/`/-/whoami` or an exfiltration host or a token variable) | error | error | error |
//! | | `npm publish`/`whoami` + `/-/v1/search`/`maintainer:` + (`NPM_TOKEN` or `.npmrc`) (worm) | error | error | error |
//! | | `.github/workflows` + `api.github.com` + `GITHUB_TOKEN`/`GH_TOKEN` | error | warning | warning |
//! | `code.webhook-exfiltration` | capture host (`webhook.site`, `pipedream.net`, `requestbin`, `burpcollaborator`, `oastify.com`, `interact.sh`, `.oast.`, `canarytokens`, `beeceptor.com`, `requestcatcher.com`, `hookbin.com`, `dnslog.cn`, `ceye.io`) + network or process | error | error | error |
//! | | capture host alone | warning | warning | warning |
//! | | chat/tunnel webhook (`discord(app).com/api/webhooks`, `hooks.slack.com`, `api.telegram.org/bot`, ngrok, `trycloudflare.com`) + network/process + credential access | error | warning | info |
//! | | chat/tunnel webhook alone | warning | – | – |
//! | `code.credential-read` | a credential location (`.npmrc`, `.ssh`/`id_rsa`/`id_ed25519`, `.aws`, gcloud, azure, `.docker/config.json`, `.kube/config`, `.git-credentials`, browser `Login Data`, wallets, `169.254.169.254`/`metadata.google.internal`, `/proc/self/environ`) + network/process: ≥ 2 locations read (`readFile…`/`createReadStream`/`cat` within 256 B) or ≥ 3 kinds (token variables count as one) | error | error | warning |
//! | | … one location read | error | warning | info |
//! | | … named only | error | info | info |
//! | `code.child-process-network-env` | process + network + token variables | error | warning | info |
//! | | process + network + `process.env` | warning | info | – |
//! | `code.eval-decoded` | `eval(`/`new Function(`/`vm.runIn*`/`_compile(`/`module.constructor` within 2 KiB of decoding (`Buffer.from(…, 'base64'|'hex')`, `atob(`, `fromCharCode`, `unescape(`, `createDecipher`), or nested (`eval(atob(`), or `_compile`/`module.constructor` + `createDecipher` anywhere | error | error | warning |
//! | `code.obfuscation` | strong: ≥ 30 `_0x…` identifiers (≥ 5 distinct), or string-array rotation (`while(!![])`, `['push'](_0x`) with ≥ 5 | error | error | warning |
//! | | weak: two of ≥ 200 `\xNN` escapes, a ≥ 5,000-byte line with < 3 % blanks (not `*.min.js`), a ≥ 200-byte token of ≥ 5 bits/byte entropy (not after `base64,`) | warning | info | info |
//! | `code.wallet-drainer` | wallet atoms (`window.ethereum`, `ethereum.request`, `eth_sendTransaction`, `eth_requestAccounts`, `signAndSendTransaction`, `window.solana`) + (`fetch`/`XMLHttpRequest.prototype` hooks or strong obfuscation) | error | error | warning |
//! | `code.geo-sabotage` | geo-IP service (`ipgeolocation.io`, `ipapi.co`, `ip-api.com`, `ipinfo.io`, …) + file writes/deletes + directory walking | error | error | warning |
//! | `code.unread` | an install-script target or entry point (or a file either reaches) that was not read as text: over the per-file cap or the text budget, binary (a NUL byte), a binary file type (`node x.png`), or over the scan budget. A `.node` native addon loaded as an entry point is not code the scan can read: listed, not a finding. `*.json` is data (Node parses it, never runs it) | error | warning | – |
//!
//! Two signals say what the scan did not do, never that code is clean: `code.budget` (info:
//! other files left unscanned once the package's scan budget was spent) and `code.reach` (a
//! file that install scripts or entry points run names more than [`MAX_SPECIFIERS`] distinct
//! files: the rest were not followed; a warning).
//!
//! Each finding names its file and carries a one-line excerpt (`decoded: …` when the atom was in
//! decoded text). One finding per rule and file.
//!
//! What runs what ([`Contexts`]) is worked out once per package and shared by [`scan_code_in`]
//! and [`unread_files_in`].

use crate::npm::tarball::{
    entry_points, normalize_rel, resolve_candidates, script_paths, Package, INSTALL_HOOKS,
};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use once_cell::sync::Lazy;
use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

/// What was seen, as typed data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Signal {
    /// The registry manifest and the tarball's package.json disagree.
    ManifestMismatch {
        field: String,
        registry: String,
        tarball: String,
    },
    /// A static code pattern.
    SuspiciousCode {
        file: String,
        rule: String,
        excerpt: String,
    },
}

/// One finding: plain data for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable id: `manifest-confusion`, `code.…`.
    pub rule: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// What was seen, for a person.
    pub evidence: String,
    /// The file, for code findings (`package.json#scripts.<hook>` for a hook's command text).
    pub file: Option<String>,
    /// The same, as data.
    pub signal: Signal,
}

// ---------------------------------------------------------------------------------------------
// Install scripts
// ---------------------------------------------------------------------------------------------

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn scripts_of(m: &Value) -> Option<&Map<String, Value>> {
    m.get("scripts").and_then(Value::as_object)
}

fn script<'a>(m: &'a Value, hook: &str) -> Option<&'a str> {
    scripts_of(m)?
        .get(hook)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// The install hooks a manifest makes npm run: `(hook, command)`. With `has_binding_gyp` and
/// neither `install` nor `preinstall` (and no `gypfile: false`), npm runs `node-gyp rebuild`.
pub fn install_scripts(manifest: &Value, has_binding_gyp: bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = INSTALL_HOOKS
        .iter()
        .filter_map(|h| script(manifest, h).map(|c| (h.to_string(), c.to_string())))
        .collect();
    if has_binding_gyp
        && script(manifest, "install").is_none()
        && script(manifest, "preinstall").is_none()
        && manifest.get("gypfile") != Some(&Value::Bool(false))
    {
        out.push(("install".into(), "node-gyp rebuild".into()));
    }
    out
}

fn pkg_name(m: &Value) -> &str {
    m.get("name").and_then(Value::as_str).unwrap_or("")
}

/// A packument version manifest is abbreviated ("corgi") when it has neither `_id` nor `scripts`:
/// then only `hasInstallScript` tells about hooks.
pub fn is_abbreviated(m: &Value) -> bool {
    m.get("_id").is_none() && m.get("scripts").is_none()
}

// ---------------------------------------------------------------------------------------------
// Manifest confusion
// ---------------------------------------------------------------------------------------------

/// Compare the registry's manifest for a version with the `package.json` in its tarball.
///
/// Fields: `name`, `version`, `scripts`, `dependencies`, `bin`. Not flagged, because npm does it
/// at publish: the registry's extra fields (`_id`, `dist`, `gitHead`, `_npmUser`, …); `v`/`=`
/// prefixes, blanks and build metadata in `version`; `optionalDependencies` merged into
/// `dependencies`; non-string scripts and dependencies dropped; `bin` as a string turned into
/// `{<unscoped name>: path}`, bin paths and names normalised (`./`, `..`, slashes), `bin` filled
/// from `directories.bin`; `install: node-gyp rebuild` added when a `*.gyp` file exists and
/// `start: node server.js` when `server.js` exists (without the file list these two are trusted;
/// [`manifest_confusion_package`] checks them). An abbreviated (corgi) manifest has no scripts:
/// its `hasInstallScript` is compared with the tarball's hooks.
///
/// Severity: `error`, except scripts other than the install hooks (`warning`).
pub fn manifest_confusion(registry_manifest: &Value, tarball_manifest: &Value) -> Vec<Finding> {
    confusion(registry_manifest, tarball_manifest, None)
}

/// [`manifest_confusion`] that also checks npm's file-based additions against the tarball.
pub fn manifest_confusion_package(registry_manifest: &Value, pkg: &Package) -> Vec<Finding> {
    confusion(registry_manifest, &pkg.manifest, Some(pkg))
}

fn mismatch(field: &str, severity: &str, registry: String, tarball: String) -> Finding {
    Finding {
        rule: "manifest-confusion".into(),
        severity: severity.into(),
        evidence: format!(
            "{field}: registry {} / tarball {}",
            clip(&registry, 300),
            clip(&tarball, 300)
        ),
        file: Some("package.json".into()),
        signal: Signal::ManifestMismatch {
            field: field.into(),
            registry,
            tarball,
        },
    }
}

fn clean_version(v: &str) -> &str {
    let v = v.trim().trim_start_matches(['=', 'v']).trim();
    v.split('+').next().unwrap_or(v)
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| {
                    v.as_str()
                        .map(|s| (k.trim().to_string(), s.trim().to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn deps(m: &Value) -> BTreeMap<String, String> {
    let mut d = string_map(m.get("dependencies"));
    // npm copies optionalDependencies into dependencies.
    d.extend(string_map(m.get("optionalDependencies")));
    d
}

/// npm-normalize-package-bin: `{basename(name): path without leading /}`, bad entries dropped.
fn bin(m: &Value) -> BTreeMap<String, String> {
    let raw: Vec<(String, String)> = match m.get("bin") {
        Some(Value::String(s)) => {
            let n = pkg_name(m);
            vec![(n.rsplit('/').next().unwrap_or(n).to_string(), s.clone())]
        }
        Some(Value::Object(o)) => o
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .filter_map(|(k, v)| {
            let k = posix_join_root(&k);
            let base = k.rsplit('/').next().unwrap_or("").to_string();
            let target = posix_join_root(&v);
            (!base.is_empty() && !target.is_empty()).then_some((base, target))
        })
        .collect()
}

/// `path.join('/', p).slice(1)`: `..` cannot climb above the root.
fn posix_join_root(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

fn show_map(m: &BTreeMap<String, String>) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

fn map_diff(r: &BTreeMap<String, String>, t: &BTreeMap<String, String>) -> (String, String) {
    let mut rs = BTreeMap::new();
    let mut ts = BTreeMap::new();
    for k in r.keys().chain(t.keys()) {
        if r.get(k) != t.get(k) {
            if let Some(v) = r.get(k) {
                rs.insert(k.clone(), v.clone());
            }
            if let Some(v) = t.get(k) {
                ts.insert(k.clone(), v.clone());
            }
        }
    }
    (show_map(&rs), show_map(&ts))
}

fn confusion(reg: &Value, tar: &Value, pkg: Option<&Package>) -> Vec<Finding> {
    let mut out = Vec::new();
    if !reg.is_object() || !tar.is_object() {
        return out;
    }
    // name, version
    for field in ["name", "version"] {
        let (Some(r), t) = (reg.get(field).and_then(Value::as_str), tar.get(field)) else {
            continue;
        };
        let t_str = t.and_then(Value::as_str).unwrap_or("");
        let same = if field == "version" {
            clean_version(r) == clean_version(t_str)
        } else {
            r.trim() == t_str.trim()
        };
        if !same {
            out.push(mismatch(
                field,
                "error",
                r.to_string(),
                t.map(Value::to_string)
                    .unwrap_or_else(|| "(missing)".into()),
            ));
        }
    }
    // scripts
    let has_gyp = pkg.map(|p| p.has_gyp_file);
    let has_server = pkg.map(|p| p.has_file("server.js"));
    let t_hooks = install_scripts(tar, pkg.is_some_and(|p| p.has_binding_gyp));
    if is_abbreviated(reg) {
        let flag = reg.get("hasInstallScript") == Some(&Value::Bool(true));
        if !t_hooks.is_empty() && !flag {
            out.push(mismatch(
                "scripts",
                "error",
                "hasInstallScript absent".into(),
                show_map(&t_hooks.iter().cloned().collect()),
            ));
        } else if t_hooks.is_empty()
            && flag
            && has_gyp != Some(true)
            && tar.get("gypfile").is_none()
        {
            out.push(mismatch(
                "scripts",
                "warning",
                "hasInstallScript: true".into(),
                "no install hooks".into(),
            ));
        }
    } else {
        let t_scripts = string_map(tar.get("scripts"));
        let mut r_scripts = string_map(reg.get("scripts"));
        if !t_scripts.contains_key("install")
            && !t_scripts.contains_key("preinstall")
            && tar.get("gypfile") != Some(&Value::Bool(false))
            && has_gyp != Some(false)
            && r_scripts.get("install").map(|s| squash(s)).as_deref() == Some("node-gyp rebuild")
        {
            r_scripts.remove("install");
        }
        if !t_scripts.contains_key("start")
            && has_server != Some(false)
            && r_scripts.get("start").map(|s| squash(s)).as_deref() == Some("node server.js")
        {
            r_scripts.remove("start");
        }
        let (hr, ht): (BTreeMap<_, _>, BTreeMap<_, _>) = (
            r_scripts
                .iter()
                .filter(|(k, _)| INSTALL_HOOKS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            t_scripts
                .iter()
                .filter(|(k, _)| INSTALL_HOOKS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        if hr != ht {
            let (a, b) = map_diff(&hr, &ht);
            out.push(mismatch("scripts", "error", a, b));
        }
        let or: BTreeMap<_, _> = r_scripts
            .into_iter()
            .filter(|(k, _)| !INSTALL_HOOKS.contains(&k.as_str()))
            .collect();
        let ot: BTreeMap<_, _> = t_scripts
            .into_iter()
            .filter(|(k, _)| !INSTALL_HOOKS.contains(&k.as_str()))
            .collect();
        if or != ot {
            let (a, b) = map_diff(&or, &ot);
            out.push(mismatch("scripts", "warning", a, b));
        }
    }
    // dependencies
    let (dr, dt) = (deps(reg), deps(tar));
    if dr != dt {
        let (a, b) = map_diff(&dr, &dt);
        out.push(mismatch("dependencies", "error", a, b));
    }
    // bin
    let br = bin(reg);
    let mut bt = bin(tar);
    let dir_bin = tar
        .pointer("/directories/bin")
        .and_then(Value::as_str)
        .and_then(normalize_rel);
    if bt.is_empty() {
        if let Some(dir) = dir_bin {
            match pkg {
                // npm fills bin from the files in directories.bin.
                Some(p) => {
                    let prefix = format!("{dir}/");
                    for f in &p.files {
                        if let Some(rest) = f.path.strip_prefix(&prefix) {
                            if !rest.contains('/') && !rest.starts_with('.') {
                                bt.insert(rest.to_string(), f.path.clone());
                            }
                        }
                    }
                }
                None => bt = br.clone(),
            }
        }
    }
    if br != bt {
        let (a, b) = map_diff(&br, &bt);
        out.push(mismatch("bin", "error", a, b));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Suspicious code
// ---------------------------------------------------------------------------------------------

/// Where a file stands: what runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ctx {
    Install,
    Entry,
    Other,
}

impl Ctx {
    fn label(self) -> &'static str {
        match self {
            Ctx::Install => "install-script target",
            Ctx::Entry => "entry point",
            Ctx::Other => "file not reached from an entry point",
        }
    }
}

/// Atom categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cat {
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
static AC: Lazy<Option<AhoCorasick>> = Lazy::new(|| {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .ascii_case_insensitive(true)
        .prefilter(false)
        .build(CS_ATOMS.iter().chain(CI_ATOMS).map(|a| a.pat))
        .ok()
});

fn re(p: &str) -> Option<Regex> {
    Regex::new(p).ok()
}

/// A sink applied directly to a decoder.
static NESTED_RE: Lazy<Option<Regex>> = Lazy::new(|| {
    re(
        r#"(?-u)(?:\beval|new Function|_compile|runIn\w*Context)\s*\(\s*(?:atob|Buffer\.from|new Buffer|unescape|decodeURIComponent|String\.fromCharCode)\s*\("#,
    )
});
static HEXID_RE: Lazy<Option<Regex>> = Lazy::new(|| re(r"(?-u)\b_0x[0-9a-fA-F]{3,6}\b"));
static XESC_RE: Lazy<Option<Regex>> = Lazy::new(|| re(r"(?-u)\\x[0-9a-fA-F]{2}"));
/// Relative module specifiers.
static REQ_RE: Lazy<Option<Regex>> = Lazy::new(|| {
    re(
        r#"(?-u)(?:require\s*\(|import\s*\(|\bfrom|\bimport)\s*['"](\.{1,2}/(?u:[^'"\n]){1,200})['"]"#,
    )
});
/// String literals naming a script file (install targets only).
static FILE_LIT_RE: Lazy<Option<Regex>> =
    Lazy::new(|| re(r#"(?-u)['"`]([\w./@-]{1,200}\.(?:js|cjs|mjs|sh))['"`]"#));
/// Encoded string literals worth decoding.
static B64_LIT_RE: Lazy<Option<Regex>> =
    Lazy::new(|| re(r#"(?-u)['"`]([A-Za-z0-9+/]{16,}={0,2})['"`]"#));
static HEX_LIT_RE: Lazy<Option<Regex>> = Lazy::new(|| re(r#"(?-u)['"`]([0-9a-fA-F]{16,})['"`]"#));
static XSTR_RE: Lazy<Option<Regex>> = Lazy::new(|| re(r"(?-u)(?:\\x[0-9a-fA-F]{2}){8,}"));

/// Total bytes of text the code scan reads (original and decoded).
const SCAN_BUDGET: usize = 64 * 1024 * 1024;
const MAX_DECODED: usize = 256 * 1024;
const MAX_LITERALS: usize = 500;
const MAX_POSITIONS: usize = 512;
/// Specifiers followed per file (each kind): a file that names more is reported (`code.reach`).
const MAX_SPECIFIERS: usize = 500;
const PROXIMITY: usize = 2048;

#[derive(Debug, Clone)]
struct Hit {
    pos: usize,
    count: usize,
}

/// What one file contains.
#[derive(Default)]
struct Facts {
    /// (category, label) → first position and count.
    hits: BTreeMap<(Cat, &'static str), Hit>,
    /// Positions per category (capped), for proximity checks.
    pos: BTreeMap<Cat, Vec<usize>>,
    /// Positions per credential kind.
    cred_pos: BTreeMap<&'static str, Vec<usize>>,
    hex_ids: usize,
    hex_ids_distinct: usize,
    x_escapes: usize,
    long_line: Option<(usize, usize)>,
    entropy_token: Option<(usize, f64)>,
    nested: Option<usize>,
}

impl Facts {
    fn has(&self, c: Cat) -> bool {
        self.pos.get(&c).is_some_and(|v| !v.is_empty())
    }
    fn labels(&self, c: Cat) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .hits
            .keys()
            .filter(|(cat, _)| *cat == c)
            .map(|(_, l)| *l)
            .collect();
        v.dedup();
        v
    }
    fn first(&self, c: Cat) -> Option<usize> {
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

fn near(a: &[usize], b: &[usize], d: usize) -> Option<usize> {
    a.iter()
        .copied()
        .find(|&x| b.iter().any(|&y| x.abs_diff(y) <= d))
}

fn atoms(f: &mut Facts, text: &str, offset: usize) {
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

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex_decode(s: &[u8]) -> Option<Vec<u8>> {
    s.chunks(2)
        .map(|p| match p {
            [h, l] => Some(hex_val(*h)? << 4 | hex_val(*l)?),
            _ => None,
        })
        .collect()
}

fn printable(b: &[u8]) -> bool {
    b.len() >= 8
        && b.iter()
            .filter(|c| (0x20..0x7f).contains(*c) || matches!(c, b'\n' | b'\r' | b'\t'))
            .count()
            * 100
            >= b.len() * 95
}

/// Printable text decoded from base64, hex and `\xNN` string literals.
fn decoded_literals(text: &str) -> String {
    let mut out = String::new();
    let push = |bytes: Option<Vec<u8>>, out: &mut String| {
        if let Some(b) = bytes.filter(|b| printable(b)) {
            if out.len() + b.len() < MAX_DECODED {
                out.push_str(&String::from_utf8_lossy(&b));
                out.push('\n');
            }
        }
    };
    if let Some(r) = &*B64_LIT_RE {
        for c in r.captures_iter(text).take(MAX_LITERALS) {
            let Some(m) = c.get(1) else { continue };
            let s = m.as_str();
            if s.len() > 65_536 {
                continue;
            }
            // Plain words and identifiers are not base64 payloads.
            if s.bytes().all(|b| b.is_ascii_alphabetic())
                || s.bytes().all(|b| b.is_ascii_hexdigit())
            {
                continue;
            }
            push(b64_decode(s), &mut out);
        }
    }
    if let Some(r) = &*HEX_LIT_RE {
        for c in r.captures_iter(text).take(MAX_LITERALS) {
            if let Some(m) = c.get(1).filter(|m| m.len() % 2 == 0 && m.len() <= 65_536) {
                push(hex_decode(m.as_str().as_bytes()), &mut out);
            }
        }
    }
    if let Some(r) = &*XSTR_RE {
        for m in r
            .find_iter(text)
            .take(MAX_LITERALS)
            .filter(|m| m.len() <= 4 * 65_536)
        {
            let b: Vec<u8> = m
                .as_str()
                .as_bytes()
                .chunks(4)
                .filter_map(|c| hex_decode(c.get(2..4)?))
                .flatten()
                .collect();
            push(Some(b), &mut out);
        }
    }
    out
}

fn entropy(b: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for &c in b {
        counts[c as usize] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn obfuscation_metrics(f: &mut Facts, path: &str, text: &str) {
    if let Some(r) = &*HEXID_RE {
        let mut distinct = BTreeSet::new();
        for m in r.find_iter(text).take(100_000) {
            f.hex_ids += 1;
            if distinct.len() < 1000 {
                distinct.insert(m.as_str());
            }
        }
        f.hex_ids_distinct = distinct.len();
    }
    if let Some(r) = &*XESC_RE {
        f.x_escapes = r.find_iter(text).take(100_000).count();
    }
    // Long lines, and in lines of 200+ bytes the high-entropy tokens (runs of base64-alphabet
    // bytes, data: URIs skipped).
    let minified_ok = path.ends_with(".min.js");
    let mut off = 0usize;
    let mut checked = 0usize;
    for line in text.split('\n') {
        let len = line.len();
        if len >= 5000 && !minified_ok {
            let blanks = line.bytes().filter(|b| *b == b' ' || *b == b'\t').count();
            if blanks * 100 < len * 3 && f.long_line.is_none_or(|(_, l)| len > l) {
                f.long_line = Some((off, len));
            }
        }
        if len >= 200 && checked < 200 {
            let b = line.as_bytes();
            let mut run = 0usize;
            for (i, &c) in b.iter().chain(std::iter::once(&b' ')).enumerate() {
                if TOKEN_BYTE[c as usize] {
                    run += 1;
                    continue;
                }
                if run >= 200 && checked < 200 {
                    checked += 1;
                    let start = i - run;
                    let before = &b[start.saturating_sub(48)..start];
                    if !before.windows(7).any(|w| w == b"base64,") {
                        let h = entropy(&b[start..(start + 4096).min(i)]);
                        if h >= 5.0 && f.entropy_token.is_none_or(|(_, e)| h > e) {
                            f.entropy_token = Some((off + start, h));
                        }
                    }
                }
                run = 0;
            }
        }
        off += len + 1;
    }
}

/// Bytes of base64 and base64url.
static TOKEN_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'_' | b'-');
        i += 1;
    }
    t
};

/// One line of context around `pos` in `text` (or in `decoded` past its end).
fn excerpt(text: &str, decoded: &str, pos: usize) -> String {
    let (src, pos, tag) = if pos >= text.len() {
        (decoded, pos.saturating_sub(text.len() + 1), "decoded: ")
    } else {
        (text, pos, "")
    };
    let mut s = pos.saturating_sub(60).min(src.len());
    while !src.is_char_boundary(s) {
        s -= 1;
    }
    let mut e = (pos + 100).min(src.len());
    while !src.is_char_boundary(e) {
        e += 1;
    }
    let one: String = src[s..e]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "{tag}{}",
        one.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn dir_of(p: &str) -> &str {
    p.rsplit_once('/').map_or("", |(d, _)| d)
}

/// What runs what in one package: the context of every file an install hook or an entry point
/// runs or reaches, split into files whose text was kept (scanned) and files that were not
/// read (`code.unread`). Built once per package ([`Contexts::of`]).
pub struct Contexts {
    /// Kept texts with their context.
    read: BTreeMap<String, Ctx>,
    /// Files install hooks or entry points run (or reach) whose text was not kept.
    unread: BTreeMap<String, Ctx>,
    /// Files with more than [`MAX_SPECIFIERS`] specifiers, and their context: what they name
    /// past that was not followed.
    capped: Vec<(String, Ctx)>,
}

impl Contexts {
    /// Steps:
    /// 1. Install-hook words (`node ./x.js`) are install targets; `main`, `bin`, `exports`,
    ///    `module`, `browser` entry points. Each resolves as Node would (as is, `.js`, `.cjs`,
    ///    `.mjs`, a directory's package.json `main`, `/index.*`) against the package's files —
    ///    all of them, not only kept texts, so an extensionless or binary-named file Node
    ///    would run is not skipped for a later candidate.
    /// 2. From each kept text, relative `require`/`import` specifiers (and, from install
    ///    targets, string literals naming script files) reach more files, in the same context
    ///    (install wins over entry), at most [`MAX_SPECIFIERS`] of each kind per file. A file
    ///    is queued again only with a better context, so the walk is linear in the files.
    /// 3. A file reached that was not read goes to the unread list with its context.
    pub fn of(pkg: &Package) -> Self {
        let files = pkg.file_index();
        // As Node resolves a path: the file, with an extension, then a directory's
        // package.json `main`, then its index. Memoised: a file may name one path many times.
        let memo: std::cell::RefCell<HashMap<String, Option<String>>> = Default::default();
        let resolve = |p: &str| -> Option<String> {
            if let Some(r) = memo.borrow().get(p) {
                return r.clone();
            }
            let found = |c: &String| files.contains_key(c.as_str());
            let cands = resolve_candidates(p);
            let r = cands[..4]
                .iter()
                .find(|c| found(c))
                .cloned()
                .or_else(|| {
                    let pj = format!("{p}/package.json");
                    let Some(t) = pkg.texts.get(&pj) else {
                        // There but not read: what it names is unknown, so it is what is
                        // reached (and reported unread).
                        return files.contains_key(pj.as_str()).then_some(pj);
                    };
                    let main = serde_json::from_str::<Value>(t)
                        .ok()?
                        .get("main")?
                        .as_str()
                        .map(str::to_string)?;
                    let inner = normalize_rel(&format!("{p}/{main}"))?;
                    resolve_candidates(&inner).into_iter().find(|c| found(c))
                })
                .or_else(|| cands[4..].iter().find(|c| found(c)).cloned());
            memo.borrow_mut().insert(p.to_string(), r.clone());
            r
        };
        let mut read: BTreeMap<String, Ctx> = BTreeMap::new();
        let mut unread: BTreeMap<String, Ctx> = BTreeMap::new();
        // The best context each file is queued with: a file is queued again only with a
        // better one, so the walk visits each file at most once per context.
        let mut queued: HashMap<String, Ctx> = HashMap::new();
        let mut queue: VecDeque<(String, Ctx)> = VecDeque::new();
        fn push(
            queued: &mut HashMap<String, Ctx>,
            queue: &mut VecDeque<(String, Ctx)>,
            f: String,
            c: Ctx,
        ) {
            if queued.get(&f).is_none_or(|old| *old > c) {
                queued.insert(f.clone(), c);
                queue.push_back((f, c));
            }
        }
        // 1.
        for p in script_paths(&pkg.manifest) {
            if let Some(f) = resolve(&p) {
                push(&mut queued, &mut queue, f, Ctx::Install);
            }
        }
        for p in entry_points(&pkg.manifest) {
            if let Some(f) = resolve(&p) {
                push(&mut queued, &mut queue, f, Ctx::Entry);
            }
        }
        // 2.
        let mut capped: Vec<(String, Ctx)> = Vec::new();
        while let Some((file, c)) = queue.pop_front() {
            if queued.get(&file).is_some_and(|best| *best < c) {
                continue;
            }
            let Some(text) = pkg.texts.get(&file) else {
                // 3.
                let old = unread.entry(file).or_insert(c);
                *old = (*old).min(c);
                continue;
            };
            if read.get(&file).is_some_and(|old| *old <= c) {
                continue;
            }
            read.insert(file.clone(), c);
            let dir = dir_of(&file);
            let mut specs: Vec<String> = Vec::new();
            let (reqs, mut cut) = distinct_captures(&REQ_RE, text);
            specs.extend(
                reqs.iter()
                    .filter_map(|m| normalize_rel(&format!("{dir}/{m}"))),
            );
            if c == Ctx::Install {
                let (lits, lits_cut) = distinct_captures(&FILE_LIT_RE, text);
                cut |= lits_cut;
                for m in lits {
                    specs.extend(normalize_rel(&format!("{dir}/{m}")));
                    specs.extend(normalize_rel(m));
                }
            }
            if cut && !capped.iter().any(|(f, _)| *f == file) {
                capped.push((file.clone(), c));
            }
            for s in specs {
                if let Some(f) = resolve(&s) {
                    let seen = read.get(&f).or_else(|| unread.get(&f));
                    if seen.is_none_or(|old| *old > c) {
                        push(&mut queued, &mut queue, f, c);
                    }
                }
            }
        }
        Self {
            read,
            unread,
            capped,
        }
    }

    fn of_file(&self, path: &str) -> Ctx {
        self.read.get(path).copied().unwrap_or(Ctx::Other)
    }
}

/// The distinct first captures of `re` in `text`, at most [`MAX_SPECIFIERS`] (repeating one
/// cannot push another past the cap), and whether more were cut off.
fn distinct_captures<'t>(re: &Lazy<Option<Regex>>, text: &'t str) -> (Vec<&'t str>, bool) {
    let Some(r) = &**re else {
        return (Vec::new(), false);
    };
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for m in r.captures_iter(text).filter_map(|c| c.get(1)) {
        if !seen.insert(m.as_str()) {
            continue;
        }
        if seen.len() > MAX_SPECIFIERS {
            return (out, true);
        }
        out.push(m.as_str());
    }
    (out, false)
}

/// Severity one step lower.
fn lower(s: &'static str) -> &'static str {
    match s {
        "error" => "warning",
        _ => "info",
    }
}

struct Ruled {
    rule: &'static str,
    severity: &'static str,
    evidence: String,
    pos: usize,
}

fn list(v: &[&str]) -> String {
    v.join(", ")
}

/// Rules over one file's facts.
fn rules(f: &Facts, ctx: Ctx, shell: bool) -> Vec<Ruled> {
    let mut out = Vec::new();
    let by_ctx = |install: &'static str, entry: &'static str| match ctx {
        Ctx::Install => install,
        Ctx::Entry => entry,
        Ctx::Other => lower(entry),
    };
    let cp = shell || f.has(Cat::Cp);
    let net = f.has(Cat::Net);
    let cred_env = f.labels(Cat::CredEnv);
    let cred_kinds = f.labels(Cat::CredFile);
    let web_strong = f.has(Cat::WebStrong);
    let web_weak = f.has(Cat::WebWeak);
    let first = |c: Cat| f.first(c).unwrap_or(0);

    // code.shai-hulud
    if f.has(Cat::Marker) {
        out.push(Ruled {
            rule: "code.shai-hulud",
            severity: "error",
            evidence: format!("Shai-Hulud marker: {}", list(&f.labels(Cat::Marker))),
            pos: first(Cat::Marker),
        });
    } else if f.has(Cat::Truffle)
        && (f.has(Cat::GhApi)
            || f.has(Cat::NpmPublish)
            || web_strong
            || web_weak
            || !cred_env.is_empty())
    {
        let mut with = f.labels(Cat::GhApi);
        with.extend(f.labels(Cat::NpmPublish));
        with.extend(f.labels(Cat::WebStrong));
        with.extend(f.labels(Cat::WebWeak));
        with.extend(cred_env.iter().copied());
        out.push(Ruled {
            rule: "code.shai-hulud",
            severity: "error",
            evidence: format!("runs TruffleHog secret scanning with {}", list(&with)),
            pos: first(Cat::Truffle),
        });
    } else if f.has(Cat::NpmPublish)
        && f.has(Cat::NpmSearch)
        && (cred_env.contains(&"NPM_TOKEN") || cred_kinds.contains(&"npmrc"))
    {
        out.push(Ruled {
            rule: "code.shai-hulud",
            severity: "error",
            evidence: format!(
                "self-propagation: {} + {} with npm credentials",
                list(&f.labels(Cat::NpmPublish)),
                list(&f.labels(Cat::NpmSearch))
            ),
            pos: first(Cat::NpmPublish),
        });
    } else if f.has(Cat::GhWorkflow)
        && f.has(Cat::GhApi)
        && (cred_env.contains(&"GITHUB_TOKEN") || cred_env.contains(&"GH_TOKEN"))
    {
        out.push(Ruled {
            rule: "code.shai-hulud",
            severity: if ctx == Ctx::Install {
                "error"
            } else {
                "warning"
            },
            evidence: "writes .github/workflows through api.github.com with a GitHub token".into(),
            pos: first(Cat::GhWorkflow),
        });
    }

    // code.webhook-exfiltration
    if web_strong {
        let sev = if net || cp { "error" } else { "warning" };
        out.push(Ruled {
            rule: "code.webhook-exfiltration",
            severity: sev,
            evidence: format!(
                "request-capture host {}{}",
                list(&f.labels(Cat::WebStrong)),
                if net || cp {
                    " with network access"
                } else {
                    ""
                }
            ),
            pos: first(Cat::WebStrong),
        });
    } else if web_weak && (net || cp) && (!cred_env.is_empty() || !cred_kinds.is_empty()) {
        out.push(Ruled {
            rule: "code.webhook-exfiltration",
            severity: by_ctx("error", "warning"),
            evidence: format!(
                "{} with credential access ({})",
                list(&f.labels(Cat::WebWeak)),
                list(&[cred_env.clone(), cred_kinds.clone()].concat())
            ),
            pos: first(Cat::WebWeak),
        });
    } else if web_weak && ctx == Ctx::Install {
        out.push(Ruled {
            rule: "code.webhook-exfiltration",
            severity: "warning",
            evidence: format!(
                "{} in an install-script target",
                list(&f.labels(Cat::WebWeak))
            ),
            pos: first(Cat::WebWeak),
        });
    }

    // code.credential-read
    let exfil = net || cp || web_strong || web_weak;
    let mut kinds = cred_kinds.clone();
    if !cred_env.is_empty() {
        kinds.push("token variables");
    }
    if !kinds.is_empty() && exfil {
        let reads = f.pos.get(&Cat::FsRead).map(Vec::as_slice).unwrap_or(&[]);
        let read_kinds: Vec<&str> = f
            .cred_pos
            .iter()
            .filter(|(_, p)| near(p, reads, 256).is_some())
            .map(|(k, _)| *k)
            .collect();
        let sev = if read_kinds.len() >= 2 || kinds.len() >= 3 {
            by_ctx("error", "error")
        } else if !read_kinds.is_empty() {
            by_ctx("error", "warning")
        } else {
            by_ctx("error", "info")
        };
        // Token variables alone are the child-process rule's business.
        if !cred_kinds.is_empty() {
            out.push(Ruled {
                rule: "code.credential-read",
                severity: sev,
                evidence: format!(
                    "credential locations {}{}{} with {}",
                    list(&cred_kinds),
                    if cred_env.is_empty() {
                        String::new()
                    } else {
                        format!(", token variables {}", list(&cred_env))
                    },
                    if read_kinds.is_empty() {
                        String::new()
                    } else {
                        format!(" (read: {})", list(&read_kinds))
                    },
                    if net {
                        "network access"
                    } else {
                        "process execution"
                    }
                ),
                pos: f.first(Cat::CredFile).unwrap_or(0),
            });
        }
    }

    // code.child-process-network-env
    if cp && net {
        if !cred_env.is_empty() {
            out.push(Ruled {
                rule: "code.child-process-network-env",
                severity: by_ctx("error", "warning"),
                evidence: format!(
                    "child process + network ({}) + token variables {}",
                    list(&f.labels(Cat::Net)),
                    list(&cred_env)
                ),
                pos: first(Cat::CredEnv),
            });
        } else if f.has(Cat::Env) && ctx != Ctx::Other {
            out.push(Ruled {
                rule: "code.child-process-network-env",
                severity: if ctx == Ctx::Install {
                    "warning"
                } else {
                    "info"
                },
                evidence: format!(
                    "child process + network ({}) + process.env",
                    list(&f.labels(Cat::Net))
                ),
                pos: f.first(Cat::Cp).unwrap_or(0),
            });
        }
    }

    // code.eval-decoded
    let sinks: Vec<usize> = [Cat::Sink, Cat::StrongSink]
        .iter()
        .flat_map(|c| f.pos.get(c).cloned().unwrap_or_default())
        .collect();
    let decodes: Vec<usize> = [Cat::Decode, Cat::Decipher]
        .iter()
        .flat_map(|c| f.pos.get(c).cloned().unwrap_or_default())
        .collect();
    let eval_at = f
        .nested
        .or_else(|| near(&sinks, &decodes, PROXIMITY))
        .or_else(|| {
            (f.has(Cat::StrongSink) && f.has(Cat::Decipher)).then(|| first(Cat::StrongSink))
        });
    if let Some(pos) = eval_at {
        let mut what = f.labels(Cat::Sink);
        what.extend(f.labels(Cat::StrongSink));
        let mut from = f.labels(Cat::Decipher);
        if f.has(Cat::Decode) {
            from.push("base64/hex decoding");
        }
        out.push(Ruled {
            rule: "code.eval-decoded",
            severity: by_ctx("error", "error"),
            evidence: format!(
                "dynamic code ({}) from decoded data ({})",
                list(&what),
                list(&from)
            ),
            pos,
        });
    }

    // code.obfuscation
    let strong =
        (f.hex_ids >= 30 && f.hex_ids_distinct >= 5) || (f.has(Cat::Rotation) && f.hex_ids >= 5);
    let mut weak = Vec::new();
    if f.x_escapes >= 200 {
        weak.push(format!("{} \\x escapes", f.x_escapes));
    }
    if let Some((_, len)) = f.long_line {
        weak.push(format!("a {len}-character line with almost no blanks"));
    }
    if let Some((_, h)) = f.entropy_token {
        weak.push(format!("a high-entropy token ({h:.2} bits/char)"));
    }
    if strong {
        let mut ev = format!(
            "{} _0x identifiers ({} distinct)",
            f.hex_ids, f.hex_ids_distinct
        );
        if f.has(Cat::Rotation) {
            ev.push_str(", string-array rotation");
        }
        for w in &weak {
            ev.push_str(", ");
            ev.push_str(w);
        }
        out.push(Ruled {
            rule: "code.obfuscation",
            severity: by_ctx("error", "error"),
            evidence: ev,
            pos: f.long_line.map(|(p, _)| p).unwrap_or(0),
        });
    } else if weak.len() >= 2 {
        out.push(Ruled {
            rule: "code.obfuscation",
            severity: by_ctx("warning", "info"),
            evidence: weak.join(", "),
            pos: f
                .long_line
                .map(|(p, _)| p)
                .or(f.entropy_token.map(|(p, _)| p))
                .unwrap_or(0),
        });
    }

    // code.wallet-drainer
    if f.has(Cat::Wallet) && (f.has(Cat::Hook) || strong) {
        out.push(Ruled {
            rule: "code.wallet-drainer",
            severity: by_ctx("error", "error"),
            evidence: format!(
                "wallet access ({}) with {}",
                list(&f.labels(Cat::Wallet)),
                if f.has(Cat::Hook) {
                    list(&f.labels(Cat::Hook))
                } else {
                    "obfuscation".into()
                }
            ),
            pos: first(Cat::Wallet),
        });
    }

    // code.geo-sabotage
    if f.has(Cat::Geo) && f.has(Cat::FsWrite) && f.has(Cat::DirWalk) {
        out.push(Ruled {
            rule: "code.geo-sabotage",
            severity: by_ctx("error", "error"),
            evidence: format!(
                "geo-IP lookup ({}) + directory walk + file writes/deletes ({})",
                list(&f.labels(Cat::Geo)),
                list(&f.labels(Cat::FsWrite))
            ),
            pos: first(Cat::Geo),
        });
    }
    out
}

/// Static code scan of a package (see the module docs for the steps, rules and triggers).
pub fn scan_code(pkg: &Package) -> Vec<Finding> {
    scan_code_in(pkg, &Contexts::of(pkg))
}

/// `code.unread` for one file an install hook or entry point runs.
fn unread_finding(path: &str, size: u64, c: Ctx, why: &str) -> Finding {
    Finding {
        rule: "code.unread".into(),
        severity: if c == Ctx::Install {
            "error"
        } else {
            "warning"
        }
        .into(),
        evidence: format!(
            "{} {path} ({size} bytes) was not read, {why}: its code was not scanned",
            c.label()
        ),
        file: Some(path.to_string()),
        signal: Signal::SuspiciousCode {
            file: path.to_string(),
            rule: "code.unread".into(),
            excerpt: String::new(),
        },
    }
}

/// [`scan_code`] with the package's [`Contexts`] already worked out.
pub fn scan_code_in(pkg: &Package, cx: &Contexts) -> Vec<Finding> {
    // 1. What runs what.
    // Nested package.json files are kept to resolve directories; they are data, not code.
    let mut files: Vec<(&String, &String, Ctx)> = pkg
        .texts
        .iter()
        .filter(|(p, _)| !p.ends_with("/package.json"))
        .map(|(p, t)| (p, t, cx.of_file(p)))
        .collect();
    files.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(b.0)));

    let mut out: Vec<(Ctx, Finding)> = Vec::new();
    let mut budget = SCAN_BUDGET;
    let mut one = |name: &str, text: &str, c: Ctx, shell: bool, out: &mut Vec<(Ctx, Finding)>| {
        if text.len() > budget {
            return false;
        }
        budget -= text.len();
        let mut f = Facts::default();
        atoms(&mut f, text, 0);
        let decoded = decoded_literals(text);
        budget = budget.saturating_sub(decoded.len());
        atoms(&mut f, &decoded, text.len() + 1);
        obfuscation_metrics(&mut f, name, text);
        for r in rules(&f, c, shell) {
            let ex = excerpt(text, &decoded, r.pos);
            out.push((
                c,
                Finding {
                    rule: r.rule.into(),
                    severity: r.severity.into(),
                    evidence: format!("{} ({})", r.evidence, c.label()),
                    file: Some(name.to_string()),
                    signal: Signal::SuspiciousCode {
                        file: name.to_string(),
                        rule: r.rule.into(),
                        excerpt: ex,
                    },
                },
            ));
        }
        true
    };
    // 2-3. Hook commands, then files by context (install targets and entry points first, so
    // the budget is spent on them before anything else).
    for (hook, command) in install_scripts(&pkg.manifest, false) {
        // The command text itself runs in a shell.
        one(
            &format!("package.json#scripts.{hook}"),
            &command,
            Ctx::Install,
            true,
            &mut out,
        );
    }
    let mut skipped = 0usize;
    for (p, t, c) in files {
        let shell = p.ends_with(".sh");
        if one(p, t, c, shell, &mut out) {
            continue;
        }
        if c == Ctx::Other {
            skipped += 1;
        } else {
            // Code that runs, hidden from the scan by what came before it: a finding.
            let why = format!("the package's scan budget of {SCAN_BUDGET} bytes was spent");
            out.push((c, unread_finding(p, t.len() as u64, c, &why)));
        }
    }
    for (file, c) in &cx.capped {
        out.push((
            *c,
            Finding {
                rule: "code.reach".into(),
                severity: "warning".into(),
                evidence: format!(
                    "{file} ({}) names more than {MAX_SPECIFIERS} files: the rest were not followed, so what they run was scanned as other files",
                    c.label()
                ),
                file: Some(file.clone()),
                signal: Signal::SuspiciousCode {
                    file: file.clone(),
                    rule: "code.reach".into(),
                    excerpt: String::new(),
                },
            },
        ));
    }
    if skipped > 0 {
        out.push((
            Ctx::Other,
            Finding {
                rule: "code.budget".into(),
                severity: "info".into(),
                evidence: format!(
                    "{skipped} files not scanned: scan budget of {SCAN_BUDGET} bytes spent"
                ),
                file: None,
                signal: Signal::SuspiciousCode {
                    file: String::new(),
                    rule: "code.budget".into(),
                    excerpt: String::new(),
                },
            },
        ));
    }
    let rank = |s: &str| match s {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    };
    out.sort_by(|a, b| {
        rank(&a.1.severity)
            .cmp(&rank(&b.1.severity))
            .then(a.0.cmp(&b.0))
            .then_with(|| a.1.file.cmp(&b.1.file))
            .then_with(|| a.1.rule.cmp(&b.1.rule))
    });
    let mut seen = BTreeSet::new();
    out.into_iter()
        .map(|(_, f)| f)
        .filter(|f| seen.insert((f.rule.clone(), f.file.clone())))
        .collect()
}

/// Files of the package whose text was not kept, so the code scan never saw them.
///
/// An install-script target or an entry point (or a file one of them reaches) among them is a
/// `code.unread` finding naming the file, its size and why — whatever the reason: over the
/// per-file cap, over the text budget, binary, or a binary file type named as code
/// (`node x.png` runs it as JavaScript). Severity `error` for install context, `warning` for
/// entry points. Not findings: a `.node` entry point (a native addon: listed, as it cannot be
/// scanned), `*.json` (data, parsed by Node, never run). Other files the reader tried and did not
/// keep come back as `path (reason)` strings for the caller's "not checked" list.
///
/// Works from [`Package::files`] (each file carries its own reason), so the capped anomaly
/// list cannot hide one.
pub fn unread_files(pkg: &Package) -> (Vec<Finding>, Vec<String>) {
    unread_files_in(pkg, &Contexts::of(pkg))
}

/// [`unread_files`] with the package's [`Contexts`] already worked out.
pub fn unread_files_in(pkg: &Package, cx: &Contexts) -> (Vec<Finding>, Vec<String>) {
    let ext = |p: &str| {
        let name = p.rsplit('/').next().unwrap_or(p);
        name.rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default()
    };
    let mut findings = Vec::new();
    let mut others = Vec::new();
    for f in pkg.files.iter().filter(|f| !f.text) {
        let Some(&c) = cx.unread.get(&f.path) else {
            if let Some(r) = f.unread {
                others.push(format!("{} ({r})", f.path));
            }
            continue;
        };
        let e = ext(&f.path);
        // JSON is data, except a nested package.json that was not read: it names the file a
        // directory runs.
        if f.path == "package.json" || (e == "json" && !f.path.ends_with("/package.json")) {
            continue;
        }
        if e == "node" && c == Ctx::Entry {
            others.push(format!("{} (native addon)", f.path));
            continue;
        }
        let why = match f.unread {
            Some("too-large-to-read") => "over the per-file read cap".to_string(),
            Some("text-budget") => "over the package's text budget".to_string(),
            Some("binary") => "it looks binary (a NUL byte in its first 8 KiB)".to_string(),
            Some("binary-extension") => {
                format!("its extension (.{e}) is a binary file type, but it is run as code")
            }
            _ => "it is not a file type the reader keeps".to_string(),
        };
        findings.push(unread_finding(&f.path, f.size, c, &why));
    }
    (findings, others)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn automata_and_regexes_build() {
        assert!(AC.is_some());
        for r in [
            &NESTED_RE,
            &HEXID_RE,
            &XESC_RE,
            &REQ_RE,
            &FILE_LIT_RE,
            &B64_LIT_RE,
            &HEX_LIT_RE,
            &XSTR_RE,
        ] {
            assert!(r.is_some());
        }
    }

    #[test]
    fn install_scripts_and_gyp() {
        let m = json!({"scripts": {"postinstall": "node x.js", "test": "tap"}});
        assert_eq!(
            install_scripts(&m, false),
            vec![("postinstall".to_string(), "node x.js".to_string())]
        );
        assert_eq!(
            install_scripts(&json!({}), true),
            vec![("install".to_string(), "node-gyp rebuild".to_string())]
        );
        assert!(install_scripts(&json!({"gypfile": false}), true).is_empty());
        assert_eq!(
            install_scripts(&json!({"scripts": {"preinstall": "x"}}), true).len(),
            1
        );
    }

    #[test]
    fn confusion_normalisation() {
        let tar = json!({"name": "@s/tool", "version": "v1.0.0", "bin": "./cli.js",
            "dependencies": {"a": "^1"}, "optionalDependencies": {"b": "^2"}});
        let reg = json!({"_id": "@s/tool@1.0.0", "name": "@s/tool", "version": "1.0.0", "gitHead": "x",
            "dist": {}, "bin": {"tool": "cli.js"}, "scripts": {"install": "node-gyp rebuild"},
            "dependencies": {"a": "^1", "b": "^2"}, "optionalDependencies": {"b": "^2"}});
        assert_eq!(manifest_confusion(&reg, &tar), vec![]);
        let evil = json!({"name": "@s/tool", "version": "1.0.0", "bin": "./cli.js",
            "scripts": {"preinstall": "node x.js"}, "dependencies": {"a": "^1", "b": "^2"}});
        let f = manifest_confusion(&reg, &evil);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, "error");
        // Each field on its own.
        let base = json!({"_id": "p@1.0.0", "name": "p", "version": "1.0.0", "scripts": {}, "dependencies": {"a": "1"}, "bin": {"p": "b.js"}});
        for (field, t) in [
            (
                "name",
                json!({"name": "q", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": {"p": "b.js"}}),
            ),
            (
                "version",
                json!({"name": "p", "version": "1.0.1", "dependencies": {"a": "1"}, "bin": "b.js"}),
            ),
            (
                "dependencies",
                json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "2"}, "bin": "b.js"}),
            ),
            (
                "bin",
                json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": "c.js"}),
            ),
            (
                "scripts",
                json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": "b.js", "scripts": {"install": "x"}}),
            ),
        ] {
            let f = manifest_confusion(&base, &t);
            let fields: Vec<_> = f
                .iter()
                .map(|f| match &f.signal {
                    Signal::ManifestMismatch { field, .. } => field.as_str(),
                    _ => "",
                })
                .collect();
            assert_eq!(fields, vec![field], "{f:?}");
        }
        // Abbreviated manifest without hasInstallScript vs a tarball with a hook.
        let corgi = json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": {"p": "b.js"}});
        let t = json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": "b.js", "scripts": {"postinstall": "node x"}});
        assert_eq!(manifest_confusion(&corgi, &t).len(), 1);
    }

    #[test]
    fn decoding() {
        assert_eq!(
            b64_decode("aGVsbG8gd29ybGQ=").as_deref(),
            Some(&b"hello world"[..])
        );
        assert_eq!(hex_decode(b"68656c6c6f").as_deref(), Some(&b"hello"[..]));
        let d = decoded_literals(
            r#"var u = "aHR0cHM6Ly93ZWJob29rLnNpdGUveA==", h = '2e2f746573742f64617461';"#,
        );
        assert!(
            d.contains("https://webhook.site/x") && d.contains("./test/data"),
            "{d}"
        );
    }

    #[test]
    fn excerpt_is_char_safe() {
        let t = "é".repeat(200);
        let e = excerpt(&t, "", 101);
        assert!(!e.is_empty());
    }
}
