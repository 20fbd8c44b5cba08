//! Suspicious code (`code.*`), read statically: package code is never executed, the scan
//! reads text. [`scan_code`]:
//! 1. Install-script targets (files named by the hook commands, and the command text itself),
//!    then entry points (`main`, `bin`, `exports`, `module`, `browser`), then everything
//!    reachable from them by relative `require`/`import` (install targets also reach files
//!    named in string literals, e.g. `spawn('node', ['payload.js'])`), then the other kept files.
//! 2. For each file, in that order, within a 64 MiB total budget: one pass of a single
//!    Aho-Corasick automaton (ASCII case-insensitive; code atoms re-checked case-sensitively and
//!    at an identifier boundary, so `_eval(` is not `eval(`) over the text and over the
//!    printable text decoded from its base64/hex/`\xNN` string literals (at most 500 literals,
//!    256 KiB), one regex for `eval(atob(…))`-style nesting, and the obfuscation metrics.
//! 3. Rules turn what was found in one file into findings; the severity depends on the file's
//!    context. The hook command text is scanned too, as a shell script in install context.
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
//! file that install scripts or entry points run names more than `MAX_SPECIFIERS` (500) distinct
//! files: the rest were not followed; a warning).
//!
//! Each finding names its file and carries a one-line excerpt (`decoded: …` when the atom was in
//! decoded text). One finding per rule and file.
//!
//! What runs what ([`Contexts`]) is worked out once per package and shared by [`scan_code_in`]
//! and [`unread_files_in`].
//!
//! Layout: `reach` works out what runs what, `atoms` and `decode` what a file contains (with
//! the `obfuscation` metrics), `rules` what that adds up to; this module runs them over a
//! package within the budget and orders the findings.

mod atoms;
mod decode;
mod obfuscation;
mod reach;
mod rules;

pub use reach::Contexts;

use super::manifest::install_scripts;
use super::{Finding, Signal};
use crate::npm::tarball::Package;
use reach::{Ctx, MAX_SPECIFIERS};
use regex::Regex;
use std::collections::BTreeSet;

fn re(p: &str) -> Option<Regex> {
    Regex::new(p).ok()
}

/// Total bytes of text the code scan reads (original and decoded).
const SCAN_BUDGET: usize = 64 * 1024 * 1024;

/// Static code scan of a package (see the module docs for the steps, rules and triggers).
pub fn scan_code(pkg: &Package) -> Vec<Finding> {
    scan_code_in(pkg, &Contexts::of(pkg))
}

/// A `code.*` finding about `file` (none: about the package).
fn finding(
    rule: &str,
    severity: &str,
    evidence: String,
    file: Option<&str>,
    excerpt: String,
) -> Finding {
    Finding {
        rule: rule.into(),
        severity: severity.into(),
        evidence,
        file: file.map(str::to_string),
        signal: Signal::SuspiciousCode {
            file: file.unwrap_or_default().to_string(),
            rule: rule.into(),
            excerpt,
        },
    }
}

/// `code.unread` for one file an install hook or entry point runs.
fn unread_finding(path: &str, size: u64, c: Ctx, why: &str) -> Finding {
    finding(
        "code.unread",
        if c == Ctx::Install {
            "error"
        } else {
            "warning"
        },
        format!(
            "{} {path} ({size} bytes) was not read, {why}: its code was not scanned",
            c.label()
        ),
        Some(path),
        String::new(),
    )
}

/// The findings of a package's files so far, each with its file's context, and the budget
/// left.
struct Scan {
    budget: usize,
    out: Vec<(Ctx, Finding)>,
}

impl Scan {
    /// Step 2 for one text: its atoms, those of the literals it decodes, its obfuscation
    /// metrics, then the rules. `false` when the budget is spent (the text is not scanned).
    fn file(&mut self, name: &str, text: &str, c: Ctx, shell: bool) -> bool {
        if text.len() > self.budget {
            return false;
        }
        self.budget -= text.len();
        let mut f = atoms::Facts::default();
        atoms::atoms(&mut f, text, 0);
        let decoded = decode::decoded_literals(text);
        self.budget = self.budget.saturating_sub(decoded.len());
        atoms::atoms(&mut f, &decoded, text.len() + 1);
        obfuscation::obfuscation_metrics(&mut f, name, text);
        for r in rules::rules(&f, c, shell) {
            let ex = excerpt(text, &decoded, r.pos);
            self.out.push((
                c,
                finding(
                    r.rule,
                    r.severity,
                    format!("{} ({})", r.evidence, c.label()),
                    Some(name),
                    ex,
                ),
            ));
        }
        true
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

    let mut scan = Scan {
        budget: SCAN_BUDGET,
        out: Vec::new(),
    };
    // 2-3. Hook commands, then files by context (install targets and entry points first, so
    // the budget is spent on them before anything else).
    for (hook, command) in install_scripts(&pkg.manifest, false) {
        // The command text itself runs in a shell.
        scan.file(
            &format!("package.json#scripts.{hook}"),
            &command,
            Ctx::Install,
            true,
        );
    }
    let mut skipped = 0usize;
    for (p, t, c) in files {
        let shell = p.ends_with(".sh");
        if scan.file(p, t, c, shell) {
            continue;
        }
        if c == Ctx::Other {
            skipped += 1;
        } else {
            // Code that runs, hidden from the scan by what came before it: a finding.
            let why = format!("the package's scan budget of {SCAN_BUDGET} bytes was spent");
            scan.out
                .push((c, unread_finding(p, t.len() as u64, c, &why)));
        }
    }
    let mut out = scan.out;
    for (file, c) in &cx.capped {
        out.push((
            *c,
            finding(
                "code.reach",
                "warning",
                format!(
                    "{file} ({}) names more than {MAX_SPECIFIERS} files: the rest were not followed, so what they run was scanned as other files",
                    c.label()
                ),
                Some(file),
                String::new(),
            ),
        ));
    }
    if skipped > 0 {
        out.push((
            Ctx::Other,
            finding(
                "code.budget",
                "info",
                format!("{skipped} files not scanned: scan budget of {SCAN_BUDGET} bytes spent"),
                None,
                String::new(),
            ),
        ));
    }
    ranked(out)
}

/// By severity, then context, file and rule; one finding per rule and file.
fn ranked(mut out: Vec<(Ctx, Finding)>) -> Vec<Finding> {
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

#[cfg(test)]
mod tests {
    use super::atoms::{AC, NESTED_RE};
    use super::decode::{B64_LIT_RE, HEX_LIT_RE, XSTR_RE};
    use super::obfuscation::{HEXID_RE, XESC_RE};
    use super::reach::{FILE_LIT_RE, REQ_RE};
    use super::*;

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
    fn excerpt_is_char_safe() {
        let t = "é".repeat(200);
        let e = excerpt(&t, "", 101);
        assert!(!e.is_empty());
    }
}
