//! Every lockfile format, on the real lockfiles in ../shared/data/lockfiles.
//!
//! How the expected counts were established (independently of this parser):
//! - npm v2/v3: `packages` keys under `node_modules/` that are not `link: true` = install
//!   locations (jellyfin-web: 1,846, the count in the data README; uptime-kuma v3: 1,307;
//!   v2: 1,451); distinct (name, version) counted by a separate Python script over the same
//!   file. npm v1: the recursive `dependencies` tree (1,438 installs, 1,206 distinct).
//! - yarn classic: 1,444 entry blocks; 3 are `npm:` aliases of versions that have their own
//!   block (`string-width-cjs` etc.), so 1,441 distinct name@version.
//! - yarn berry: 1,051 non-workspace entries; 2 are `patch:` entries of registry packages
//!   (fsevents, typescript) whose originals are verified, so 1,049.
//! - pnpm: `packages` keys of the lockfile document (peer-suffixed 5.x keys collapse to 755
//!   distinct); the multi-document file's second document.
//! - bun: `packages` entries (1,152 install entries, 1,012 distinct name@version).
//!   Python: PyYAML for YAML, json after stripping trailing commas for bun.

use prov_native::lockfile::{self, Format, LockedPackage, Source};
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/lockfiles")
        .join(rel);
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

fn find<'a>(l: &'a lockfile::Lockfile, name: &str, version: &str) -> &'a LockedPackage {
    l.packages
        .iter()
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name}@{version} not in {}", l.path.display()))
}

fn installs(l: &lockfile::Lockfile) -> usize {
    l.packages.iter().map(|p| p.paths.len()).sum()
}

#[test]
fn counts_match_the_package_managers() {
    for (rel, format, distinct, install_count, workspaces) in [
        ("npm-v1/uptime-kuma", Format::NpmV1, 1206, 1438, 0),
        ("npm-v2/uptime-kuma", Format::NpmV2, 1220, 1451, 0),
        (
            "npm-v2/cyclonedx-demo-package-integrity",
            Format::NpmV2,
            5,
            5,
            0,
        ),
        ("npm-v3/uptime-kuma", Format::NpmV3, 1199, 1307, 0),
        ("npm-v3/jellyfin-web", Format::NpmV3, 1630, 1846, 0),
        ("yarn-v1/excalidraw", Format::YarnClassic, 1441, 1444, 0),
        ("yarn-berry/prettier", Format::YarnBerry, 1049, 1051, 0),
        ("pnpm-v5.4/vue-core", Format::Pnpm, 755, 756, 17),
        ("pnpm-v6/vue-core", Format::Pnpm, 730, 730, 16),
        ("pnpm-v9/vue-core", Format::Pnpm, 620, 620, 17),
        ("pnpm-v9-multidoc/vue-core", Format::Pnpm, 700, 700, 17),
        ("bun/hono", Format::Bun, 1012, 1152, 0),
    ] {
        let dir = data(rel);
        let path = lockfile::find(&dir).unwrap();
        let l = lockfile::parse_file(&path).unwrap();
        assert_eq!(l.format, format, "{rel}");
        assert_eq!(l.packages.len(), distinct, "{rel}: distinct name@version");
        assert_eq!(
            installs(&l),
            install_count,
            "{rel}: install locations / entries"
        );
        assert_eq!(l.workspaces.len(), workspaces, "{rel}: workspaces");
    }
}

#[test]
fn spot_entries() {
    let l = lockfile::parse_file(&data("npm-v3/jellyfin-web/package-lock.json")).unwrap();
    let sw = l
        .packages
        .iter()
        .find(|p| p.alias.as_deref() == Some("string-width-cjs"))
        .unwrap();
    assert_eq!(
        (sw.name.as_str(), sw.version.as_str()),
        ("string-width", "4.2.3")
    );
    assert!(sw
        .paths
        .contains(&"node_modules/string-width-cjs".to_string()));
    let sdk = find(&l, "@jellyfin/sdk", "0.0.0-unstable.202607220710");
    assert_eq!(sdk.source, Source::Registry);
    assert!(sdk
        .integrity
        .as_deref()
        .unwrap()
        .starts_with("sha512-5gwbKhre"));
    let cl = find(&l, "classlist.js", "1.2.20180112");
    assert!(matches!(&cl.source, Source::Tarball { url } if url.contains("github.com/eligrey")));

    let l = lockfile::parse_file(&data(
        "npm-v2/cyclonedx-demo-package-integrity/package-lock.json",
    ))
    .unwrap();
    let algos: Vec<&str> = l
        .packages
        .iter()
        .filter_map(|p| p.integrity.as_deref()?.split('-').next())
        .collect();
    assert!(
        algos.contains(&"sha1") && algos.contains(&"sha512"),
        "{algos:?}"
    );

    let l = lockfile::parse_file(&data("yarn-berry/prettier/yarn.lock")).unwrap();
    let ts = find(&l, "typescript", "6.0.3");
    assert!(ts.integrity.is_none(), "berry checksums are not SRIs");
    assert!(ts.checksum.as_deref().unwrap().starts_with("10/"));

    let l = lockfile::parse_file(&data("bun/hono/bun.lock")).unwrap();
    let z = find(&l, "zod-package-json", "1.2.0");
    assert!(z
        .integrity
        .as_deref()
        .unwrap()
        .starts_with("sha512-tamtgPM3"));

    let l = lockfile::parse_file(&data("pnpm-v5.4/vue-core/pnpm-lock.yaml")).unwrap();
    assert!(
        l.packages.iter().all(|p| !p.version.contains('_')),
        "peer suffixes stripped"
    );
    let rem = find(&l, "@ampproject/remapping", "2.2.0");
    assert!(rem.dev);
}

#[test]
fn git_file_and_alias_dependencies_are_classified() {
    // synthetic: npm v3 lockfile with the dependency forms of
    // pm-configs/CycloneDX__cyclonedx-node-npm/demo/{deps-from-git,local-dependencies,alternative-package-registry}
    let text = r#"{"lockfileVersion": 3, "packages": {
      "": {"name": "x"},
      "node_modules/from-git": {"version": "1.0.0", "resolved": "git+ssh://git@github.com/a/b.git#0123456789abcdef0123456789abcdef01234567"},
      "node_modules/from-github": {"version": "2.0.0", "resolved": "git+https://github.com/a/c.git#abc"},
      "node_modules/local": {"resolved": "../local", "link": true},
      "node_modules/@act/act": {"name": "@jsr/act__act", "version": "0.1.3", "resolved": "https://npm.jsr.example/~/11/@jsr/act__act/0.1.3.tgz", "integrity": "sha512-AAAA"},
      "node_modules/remote": {"version": "1.0.0", "resolved": "https://cdn.example/remote-1.0.0.tgz", "integrity": "sha512-BBBB"}
    }}"#;
    let l = lockfile::parse_str("package-lock.json", text).unwrap();
    let by = |n: &str| l.packages.iter().find(|p| p.name == n).unwrap();
    assert!(matches!(by("from-git").source, Source::Git { .. }));
    assert!(matches!(by("from-github").source, Source::Git { .. }));
    assert!(matches!(by("local").source, Source::Link { .. }));
    assert!(matches!(by("remote").source, Source::Tarball { .. }));
    let act = by("@jsr/act__act");
    assert_eq!(act.alias.as_deref(), Some("@act/act"));

    // synthetic yarn classic with git and file entries
    let y = "# yarn lockfile v1\n\n\"a@github:o/a\":\n  version \"1.0.0\"\n  resolved \"https://codeload.github.com/o/a/tar.gz/abc\"\n\nb@file:../b:\n  version \"0.0.1\"\n  resolved \"file:../b\"\n";
    let l = lockfile::parse_str("yarn.lock", y).unwrap();
    assert!(matches!(l.packages[0].source, Source::Git { .. }));
    assert!(matches!(l.packages[1].source, Source::File { .. }));
}

#[test]
fn malformed_lockfiles_are_coded_errors() {
    for (file, text) in [
        (
            "package-lock.json",
            "{\"lockfileVersion\": 3, \"packages\": {",
        ),
        (
            "package-lock.json",
            "{\"lockfileVersion\": 9, \"packages\": {}}",
        ),
        ("package-lock.json", "[]"),
        (
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\npackages:\n  a@1: [\n",
        ),
        ("pnpm-lock.yaml", "lockfileVersion: '42.0'\n"),
        (
            "yarn.lock",
            "# yarn lockfile v1\n\nfoo@^1:\n  resolved \"x\"\n",
        ),
        (
            "yarn.lock",
            "__metadata:\n  version: 10\n\"a@npm:1\":\n  version: 1\n",
        ),
        ("yarn.lock", "something else entirely"),
        (
            "bun.lock",
            "{\"lockfileVersion\": 1, \"packages\": {\"a\": 5}}",
        ),
        ("bun.lock", "{\"lockfileVersion\": 7}"),
        ("bun.lockb", "\u{0}\u{1}"),
        ("random.txt", "{}"),
    ] {
        let e = lockfile::parse_str(file, text).expect_err(text);
        assert!(e.code().starts_with("ERR_PROV_"), "{file}: {e}");
    }
}

#[test]
fn truncated_real_lockfiles_never_panic() {
    for rel in [
        "npm-v3/uptime-kuma/package-lock.json",
        "yarn-v1/excalidraw/yarn.lock",
        "yarn-berry/prettier/yarn.lock",
        "pnpm-v9/vue-core/pnpm-lock.yaml",
        "bun/hono/bun.lock",
    ] {
        let text = std::fs::read_to_string(data(rel)).unwrap();
        let name = rel.rsplit('/').next().unwrap();
        for cut in [1, 100, text.len() / 3, text.len() / 2, text.len() - 7] {
            let mut end = cut;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            // An error or a (shorter) result; never a panic.
            let _ = lockfile::parse_str(name, &text[..end]);
        }
    }
}

#[test]
fn node_modules_walk() {
    // synthetic node_modules tree
    let dir = std::env::temp_dir().join(format!("pn-nm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let w = |p: &str, v: &str| {
        let f = dir.join(p).join("package.json");
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, v).unwrap();
    };
    w(
        "node_modules/a",
        r#"{"name":"a","version":"1.0.0","scripts":{"postinstall":"x"}}"#,
    );
    w("node_modules/@s/b", r#"{"name":"@s/b","version":"2.0.0"}"#);
    w(
        "node_modules/a/node_modules/c",
        r#"{"name":"c","version":"3.0.0"}"#,
    );
    w("node_modules/alias", r#"{"name":"real","version":"1.0.0"}"#);
    let l = lockfile::walk_node_modules(&dir).unwrap();
    assert_eq!(l.format, Format::NodeModules);
    let names: Vec<_> = l
        .packages
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(names, ["@s/b@2.0.0", "a@1.0.0", "c@3.0.0", "real@1.0.0"]);
    assert_eq!(l.packages[1].has_install_script, Some(true));
    assert_eq!(l.packages[3].alias.as_deref(), Some("alias"));
    let _ = std::fs::remove_dir_all(&dir);
}
