use super::*;
use std::collections::BTreeSet;

fn data(rel: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/data")
        .join(rel)
}

fn bom_of(rel: &str, file: &str) -> (Lockfile, String, Root) {
    let dir = data(rel);
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let lock = crate::lockfile::parse_text(&dir.join(file), &text).unwrap();
    let m: Option<Value> = std::fs::read(dir.join("package.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    (lock, text, Root::from_manifest(m.as_ref(), "x"))
}

/// The component set (real name@version) equals the bom-refs npm 11's `npm sbom --package-lock-only` lists (the lists in
/// testdata/data/sbom-npm11, made with npm 11.19.1; see the README there).
#[test]
fn component_sets_equal_npm_sbom() {
    for (rel, list) in [
        ("lockfiles/npm-v3/uptime-kuma", "npm-v3_uptime-kuma"),
        ("lockfiles/npm-v3/jellyfin-web", "npm-v3_jellyfin-web"),
        ("lockfiles/npm-v2/uptime-kuma", "npm-v2_uptime-kuma"),
        ("lockfiles/npm-v1/uptime-kuma", "npm-v1_uptime-kuma"),
    ] {
        let (lock, text, root) = bom_of(rel, "package-lock.json");
        let bom = build(&lock, Some(&text), root, None);
        let ours: BTreeSet<String> = bom
            .components
            .iter()
            // npm's bom-refs: the real package's name@version (an alias such as
            // `wrap-ansi-cjs` for `npm:wrap-ansi@7.0.0` is listed under `wrap-ansi@7.0.0`).
            .map(|c| format!("{}@{}", c.pkg.name, c.pkg.version))
            .collect();
        let want: BTreeSet<String> =
            std::fs::read_to_string(data(&format!("sbom-npm11/{list}.txt")))
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
        let missing: Vec<_> = want.difference(&ours).take(10).collect();
        let extra: Vec<_> = ours.difference(&want).take(10).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{rel}: missing {missing:?}, extra {extra:?}"
        );
        // bom-refs unique, in both formats.
        let refs: BTreeSet<&str> = bom.components.iter().map(|c| c.bom_ref.as_str()).collect();
        assert_eq!(refs.len(), bom.components.len(), "{rel}");
        let spdx = render(
            &bom,
            &Options {
                format: Format::Spdx,
                reproducible: true,
            },
        );
        let ids: BTreeSet<&str> = spdx["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["SPDXID"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), bom.components.len() + 1, "{rel}");
    }
}

#[test]
fn every_format_renders_and_reproducible_is_stable() {
    for (rel, file) in [
        ("lockfiles/yarn-v1/excalidraw", "yarn.lock"),
        ("lockfiles/yarn-berry/prettier", "yarn.lock"),
        ("lockfiles/pnpm-v9/vue-core", "pnpm-lock.yaml"),
        ("lockfiles/bun/hono", "bun.lock"),
        (
            "lockfiles/npm-v2/cyclonedx-demo-package-integrity",
            "package-lock.json",
        ),
    ] {
        let (lock, text, root) = bom_of(rel, file);
        let bom = build(&lock, Some(&text), root, None);
        assert!(!bom.components.is_empty(), "{rel}");
        for format in [Format::CycloneDx, Format::Spdx] {
            let o = Options {
                format,
                reproducible: true,
            };
            assert_eq!(render(&bom, &o), render(&bom, &o), "{rel}");
        }
        let cdx = render(
            &bom,
            &Options {
                format: Format::CycloneDx,
                reproducible: true,
            },
        );
        assert!(cdx.get("serialNumber").is_none() && cdx["metadata"].get("timestamp").is_none());
    }
}

#[test]
fn hashes_and_graph_from_an_npm_lockfile() {
    let (lock, text, root) = bom_of(
        "lockfiles/npm-v2/cyclonedx-demo-package-integrity",
        "package-lock.json",
    );
    let bom = build(&lock, Some(&text), root, None);
    let cdx = render(
        &bom,
        &Options {
            format: Format::CycloneDx,
            reproducible: false,
        },
    );
    assert!(cdx["serialNumber"]
        .as_str()
        .unwrap()
        .starts_with("urn:uuid:"));
    let algs: BTreeSet<String> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["hashes"].as_array().cloned().unwrap_or_default())
        .map(|h| h["alg"].as_str().unwrap().to_string())
        .collect();
    assert!(
        algs.contains("SHA-1") && algs.contains("SHA-384"),
        "{algs:?}"
    );
    let (lock, text, root) = bom_of("lockfiles/npm-v3/uptime-kuma", "package-lock.json");
    let root_ref = root.bom_ref();
    let bom = build(&lock, Some(&text), root, None);
    assert!(bom.graph_complete);
    let direct = &bom.edges[&root_ref];
    assert!(
        direct
            .iter()
            .any(|(r, k)| r.starts_with("express@") && *k == "prod"),
        "{direct:?}"
    );
    assert!(direct.iter().any(|(_, k)| *k == "dev"));
}

#[test]
fn purls() {
    let mut p = LockedPackage::new("@scope/a", "1.0.0", Source::Registry);
    assert_eq!(purl(&p), "pkg:npm/%40scope/a@1.0.0");
    p.source = Source::Git {
        url: "git+ssh://git@github.com/o/r.git#abc".into(),
    };
    assert!(purl(&p).starts_with("pkg:npm/%40scope/a@1.0.0?vcs_url=git%2Bssh"));
}
