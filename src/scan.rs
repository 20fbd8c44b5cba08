//! Static signals in a package's tarball. Package code is never executed.
//!
//! - **Manifest confusion**: the registry's version manifest against the `package.json` in
//!   the tarball (name, version, scripts, dependencies, bin). What npm itself changes is not
//!   flagged: the registry adds `install: node-gyp rebuild` for a package with `binding.gyp`
//!   and normalises `bin` strings and `./` prefixes.
//! - **Suspicious code**, in install-script targets and entry points first (then other
//!   scripts): each rule below names the exact patterns it looks for.
//!
//! | rule | triggers |
//! |---|---|
//! | `code.shai-hulud` | `trufflehog`, `shai-hulud`, `setup_bun.js` / `bun_environment.js` run by an install script, GitHub workflow files written from code |
//! | `code.webhook-exfiltration` | requests to `webhook.site`, Discord webhooks, `pipedream.net`, `requestbin`, `oast.*`/`interact.sh`/`burpcollaborator` |
//! | `code.eval-decoded` | `eval` / `new Function` / `_compile` / `vm.run*` in a file that decodes base64 or hex (`Buffer.from(…, 'base64'|'hex')`, `atob`) or decrypts (`createDecipher`) |
//! | `code.credential-read` | reads of `.npmrc`, `.ssh/`, `id_rsa`, `.aws/credentials`, `.git-credentials`, `.docker/config.json`, or token variables (`NPM_TOKEN`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, …), with network access in the same file |
//! | `code.child-process-network-env` | `child_process` and network access and `process.env` in one file |
//! | `code.wallet-drainer` | `window.ethereum` / wallet RPC names with `fetch`/`XMLHttpRequest` hooks |
//! | `code.obfuscation` | ≥ 20 `_0x…` identifiers, or a line over 10,000 characters with almost no spaces outside `.min.js` files |
//!
//! Findings in an install-script target are errors; in other files, warnings (except the
//! `shai-hulud`, webhook and eval-decoded rules, always errors).

use crate::tarball::Package;
use once_cell::sync::Lazy;
use regex::Regex;
use serde::Serialize;
use serde_json::Value;

/// One signal.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Signal {
    pub rule: String,
    /// `error` or `warn`.
    pub severity: &'static str,
    pub file: Option<String>,
    pub evidence: String,
}

/// A field where the registry manifest and the tarball's package.json disagree.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mismatch {
    pub field: String,
    pub registry: String,
    pub tarball: String,
}

fn norm_path(p: &str) -> String {
    p.trim_start_matches("./").to_string()
}

fn bin_map(m: &Value) -> Value {
    match m.get("bin") {
        Some(Value::String(s)) => {
            let name = m
                .get("name")
                .and_then(Value::as_str)
                .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
                .unwrap_or_default();
            serde_json::json!({ name: norm_path(s) })
        }
        Some(Value::Object(o)) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Value::String(norm_path(v.as_str().unwrap_or(""))),
                    )
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn scripts(m: &Value, has_binding_gyp: bool) -> Value {
    let mut s = m
        .get("scripts")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // The registry (npm publish) adds this for packages with binding.gyp.
    if has_binding_gyp && s.get("install").and_then(Value::as_str) == Some("node-gyp rebuild") {
        s.remove("install");
    }
    // Only the fields that run on install or are run by users matter here.
    s.retain(|k, _| {
        matches!(
            k.as_str(),
            "preinstall" | "install" | "postinstall" | "prepare"
        )
    });
    Value::Object(s)
}

fn deps(m: &Value, key: &str) -> Value {
    m.get(key)
        .cloned()
        .filter(|v| !v.is_null())
        .unwrap_or(Value::Object(Default::default()))
}

/// Compare the registry's manifest for a version with the tarball's package.json.
pub fn manifest_confusion(registry: &Value, pkg: &Package) -> Vec<Mismatch> {
    let tarball = &pkg.manifest;
    let gyp = pkg.files.contains_key("binding.gyp");
    let mut out = Vec::new();
    let mut cmp = |field: &str, a: Value, b: Value| {
        if a != b {
            out.push(Mismatch {
                field: field.into(),
                registry: a.to_string(),
                tarball: b.to_string(),
            });
        }
    };
    cmp(
        "name",
        registry.get("name").cloned().unwrap_or_default(),
        tarball.get("name").cloned().unwrap_or_default(),
    );
    cmp(
        "version",
        registry.get("version").cloned().unwrap_or_default(),
        tarball.get("version").cloned().unwrap_or_default(),
    );
    cmp("scripts", scripts(registry, gyp), scripts(tarball, gyp));
    for k in ["dependencies", "optionalDependencies", "peerDependencies"] {
        cmp(k, deps(registry, k), deps(tarball, k));
    }
    cmp("bin", bin_map(registry), bin_map(tarball));
    out
}

struct Rule {
    id: &'static str,
    always_error: bool,
    test: fn(&str) -> Option<String>,
}

// Patterns are constants (a unit test checks they compile); an invalid one would match nothing.
macro_rules! lazy_re {
    ($name:ident, $pat:expr) => {
        static $name: Lazy<Option<Regex>> = Lazy::new(|| Regex::new($pat).ok());
    };
}

fn is_match(r: &Lazy<Option<Regex>>, t: &str) -> bool {
    r.as_ref().is_some_and(|r| r.is_match(t))
}

lazy_re!(
    SHAI,
    r"(?i)trufflehog|shai-hulud|bun_environment\.js|setup_bun\.js|\.github/workflows/[\w.-]*\.ya?ml"
);
lazy_re!(
    WEBHOOK,
    r"(?i)webhook\.site|discord(?:app)?\.com/api/webhooks|pipedream\.net|requestbin|\boast\.(?:fun|me|pro|live|site|online)|interact\.sh|burpcollaborator"
);
lazy_re!(
    EVAL,
    r"\beval\s*\(|new\s+Function\s*\(|\._compile\s*\(|vm\.run(?:InNewContext|InThisContext|InContext)\s*\("
);
lazy_re!(
    DECODE,
    r#"Buffer\.from\([^)]*['"](?:base64|hex)['"]|\batob\s*\(|createDecipher(?:iv)?\s*\("#
);
lazy_re!(
    CRED,
    r#"\.npmrc|\.ssh/|id_rsa|\.aws/credentials|\.git-credentials|\.docker/config\.json|NPM_TOKEN|GITHUB_TOKEN|GH_TOKEN|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|GOOGLE_APPLICATION_CREDENTIALS"#
);
lazy_re!(CHILD, r#"child_process|\bexecSync\s*\(|\bspawnSync\s*\("#);
lazy_re!(
    NET,
    r#"require\(\s*['"](?:node:)?(?:https?|net|dns|tls|dgram)['"]\s*\)|\bfetch\s*\(|XMLHttpRequest|axios|\.request\s*\("#
);
lazy_re!(ENV, r"process\.env");
lazy_re!(
    WALLET,
    r"window\.ethereum|eth_sendTransaction|solana|phantom|\bweb3\b"
);
lazy_re!(
    HOOK,
    r"XMLHttpRequest\.prototype|window\.fetch\s*=|\bfetch\s*=\s*"
);
lazy_re!(HEXID, r"\b_0x[0-9a-f]{4,6}\b");

fn first(r: &Lazy<Option<Regex>>, t: &str) -> Option<String> {
    r.as_ref()?.find(t).map(|m| {
        let s = m.start().saturating_sub(40);
        let e = (m.end() + 40).min(t.len());
        let (mut s, mut e) = (s, e);
        while !t.is_char_boundary(s) {
            s -= 1;
        }
        while !t.is_char_boundary(e) {
            e += 1;
        }
        t[s..e].replace(['\n', '\r'], " ")
    })
}

const RULES: &[Rule] = &[
    Rule {
        id: "code.shai-hulud",
        always_error: true,
        test: |t| first(&SHAI, t),
    },
    Rule {
        id: "code.webhook-exfiltration",
        always_error: true,
        test: |t| first(&WEBHOOK, t),
    },
    Rule {
        id: "code.eval-decoded",
        always_error: true,
        test: |t| {
            let e = first(&EVAL, t)?;
            let d = first(&DECODE, t)?;
            Some(format!("{e} … {d}"))
        },
    },
    Rule {
        id: "code.credential-read",
        always_error: false,
        test: |t| {
            let c = first(&CRED, t)?;
            is_match(&NET, t).then_some(c)
        },
    },
    Rule {
        id: "code.child-process-network-env",
        always_error: false,
        test: |t| {
            let c = first(&CHILD, t)?;
            (is_match(&NET, t) && is_match(&ENV, t)).then_some(c)
        },
    },
    Rule {
        id: "code.wallet-drainer",
        always_error: false,
        test: |t| {
            let w = first(&WALLET, t)?;
            is_match(&HOOK, t).then_some(w)
        },
    },
];

fn obfuscated(path: &str, t: &str) -> Option<String> {
    let ids = HEXID
        .as_ref()
        .map_or(0, |r| r.find_iter(t).take(20).count());
    if ids >= 20 {
        return Some(format!("{ids}+ _0x… identifiers"));
    }
    if path.ends_with(".min.js") {
        return None;
    }
    t.lines()
        .find(|l| l.len() > 10_000 && l.bytes().filter(|b| *b == b' ').count() * 100 < l.len())
        .map(|l| format!("a {}-character line with almost no spaces", l.len()))
}

/// Files an install script runs (`node x.js`, `sh x.sh`, `bun x.js`).
pub fn install_targets(manifest: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for h in ["preinstall", "install", "postinstall"] {
        if let Some(cmd) = manifest
            .pointer(&format!("/scripts/{h}"))
            .and_then(Value::as_str)
        {
            for w in cmd.split(|c: char| c.is_whitespace() || c == '&' || c == ';' || c == '|') {
                let w = norm_path(w);
                if w.ends_with(".js")
                    || w.ends_with(".cjs")
                    || w.ends_with(".mjs")
                    || w.ends_with(".sh")
                {
                    out.push(w);
                }
            }
        }
    }
    out
}

/// Scan the package's text files. Install-script targets and entry points are scanned first;
/// at most `max_files` files in all.
pub fn scan_code(pkg: &Package, max_files: usize) -> Vec<Signal> {
    let targets = install_targets(&pkg.manifest);
    let mut order: Vec<&String> = Vec::new();
    for t in &targets {
        if let Some((k, _)) = pkg.texts.get_key_value(t) {
            order.push(k);
        }
    }
    for key in ["main", "module"] {
        if let Some(m) = pkg.manifest.get(key).and_then(Value::as_str) {
            let m = norm_path(m);
            for cand in [m.clone(), format!("{m}.js"), format!("{m}/index.js")] {
                if let Some((k, _)) = pkg.texts.get_key_value(&cand) {
                    order.push(k);
                }
            }
        }
    }
    for k in pkg.texts.keys() {
        if !k.ends_with(".json") {
            order.push(k);
        }
    }
    let mut seen = std::collections::HashSet::new();
    order.retain(|k| seen.insert(k.as_str()));
    let mut out = Vec::new();
    for path in order.into_iter().take(max_files) {
        let Some(text) = pkg.texts.get(path) else {
            continue;
        };
        let in_install = targets.iter().any(|t| t == path);
        for r in RULES {
            if let Some(ev) = (r.test)(text) {
                out.push(Signal {
                    rule: r.id.into(),
                    severity: if r.always_error || in_install {
                        "error"
                    } else {
                        "warn"
                    },
                    file: Some(path.clone()),
                    evidence: ev,
                });
            }
        }
        if let Some(ev) = obfuscated(path, text) {
            out.push(Signal {
                rule: "code.obfuscation".into(),
                severity: if in_install { "error" } else { "warn" },
                file: Some(path.clone()),
                evidence: ev,
            });
        }
    }
    // The install scripts themselves (shell one-liners).
    for h in ["preinstall", "install", "postinstall"] {
        if let Some(cmd) = pkg
            .manifest
            .pointer(&format!("/scripts/{h}"))
            .and_then(Value::as_str)
        {
            for r in RULES.iter().take(3) {
                if let Some(ev) = (r.test)(cmd) {
                    out.push(Signal {
                        rule: r.id.into(),
                        severity: "error",
                        file: Some(format!("package.json scripts.{h}")),
                        evidence: ev,
                    });
                }
            }
            if (cmd.contains("curl") || cmd.contains("wget"))
                && (cmd.contains("| sh") || cmd.contains("| bash"))
            {
                out.push(Signal {
                    rule: "code.remote-shell".into(),
                    severity: "error",
                    file: Some(format!("package.json scripts.{h}")),
                    evidence: cmd.to_string(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        for r in [
            &SHAI, &WEBHOOK, &EVAL, &DECODE, &CRED, &CHILD, &NET, &ENV, &WALLET, &HOOK, &HEXID,
        ] {
            assert!(r.is_some());
        }
    }
}
