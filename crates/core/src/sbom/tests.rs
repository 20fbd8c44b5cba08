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
    let bom = build(&lock, Some(&text), root, None);
    assert!(bom.graph_complete);
    let direct: Vec<(&str, &str)> = bom
        .root_edges
        .iter()
        .map(|(c, k)| (bom.components[*c].bom_ref.as_str(), *k))
        .collect();
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

/// Every lockfile format the audit reads, with the file name.
const ALL_FORMATS: [(&str, &str); 11] = [
    ("lockfiles/npm-v1/uptime-kuma", "package-lock.json"),
    ("lockfiles/npm-v2/uptime-kuma", "package-lock.json"),
    ("lockfiles/npm-v3/uptime-kuma", "package-lock.json"),
    ("lockfiles/npm-v3/jellyfin-web", "package-lock.json"),
    ("lockfiles/pnpm-v5.4/vue-core", "pnpm-lock.yaml"),
    ("lockfiles/pnpm-v6/vue-core", "pnpm-lock.yaml"),
    ("lockfiles/pnpm-v9/vue-core", "pnpm-lock.yaml"),
    ("lockfiles/pnpm-v9-multidoc/vue-core", "pnpm-lock.yaml"),
    ("lockfiles/yarn-v1/excalidraw", "yarn.lock"),
    ("lockfiles/yarn-berry/prettier", "yarn.lock"),
    ("lockfiles/bun/hono", "bun.lock"),
];

/// On every real lockfile: a graph; every CycloneDX `ref`/`dependsOn` is a component bom-ref
/// (or the root's); every SPDX DEPENDS_ON / *_DEPENDENCY_OF end is a package; the root
/// depends on each dependency its package.json names, with the kind of the field naming it.
#[test]
fn every_format_has_a_dependency_graph() {
    for (rel, file) in ALL_FORMATS {
        let (lock, text, root) = bom_of(rel, file);
        assert!(lock.dependencies.recorded, "{rel}");
        let direct = root.direct.clone();
        assert!(!direct.is_empty(), "{rel}");
        let root_ref = root.bom_ref();
        let bom = build(&lock, Some(&text), root, None);
        let edges: usize = bom.edges.iter().map(Vec::len).sum();
        assert!(edges > bom.components.len() / 2, "{rel}: {edges} edges");
        let cdx = render(
            &bom,
            &Options {
                format: Format::CycloneDx,
                reproducible: true,
            },
        );
        let props = cdx["metadata"]["properties"].to_string();
        assert!(props.contains("\"complete\"") && !props.contains("components only"));
        let refs: BTreeSet<&str> = cdx["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        let deps = cdx["dependencies"].as_array().unwrap();
        assert_eq!(
            deps.len(),
            refs.len() + 1,
            "{rel}: one entry per component and root"
        );
        let mut targets = 0;
        for d in deps {
            let r = d["ref"].as_str().unwrap();
            assert!(r == root_ref || refs.contains(r), "{rel}: ref {r}");
            for t in d["dependsOn"].as_array().unwrap() {
                assert!(refs.contains(t.as_str().unwrap()), "{rel}: {r} -> {t}");
                targets += 1;
            }
        }
        assert_eq!(targets, edges + bom.root_edges.len(), "{rel}");
        // The root's edges: every manifest dependency, with its kind.
        let on_root: Vec<(&str, &str)> = bom
            .root_edges
            .iter()
            .map(|(c, k)| {
                let p = bom.components[*c].pkg;
                (p.alias.as_deref().unwrap_or(&p.name), *k)
            })
            .collect();
        for (n, _, kind) in &direct {
            assert!(
                on_root.contains(&(n.as_str(), kind.as_str())),
                "{rel}: root -> {n} ({})",
                kind.as_str()
            );
        }
        assert_eq!(on_root.len(), direct.len(), "{rel}");
        // SPDX: every relationship end is the document, the root or a package.
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
        let rels = spdx["relationships"].as_array().unwrap();
        let mut dev = 0;
        for r in rels {
            let t = r["relationshipType"].as_str().unwrap();
            if t == "DESCRIBES" {
                continue;
            }
            dev += usize::from(t == "DEV_DEPENDENCY_OF");
            for end in ["spdxElementId", "relatedSpdxElement"] {
                assert!(ids.contains(r[end].as_str().unwrap()), "{rel}: {r}");
            }
        }
        assert_eq!(rels.len(), 1 + edges + bom.root_edges.len(), "{rel}");
        let want_dev = direct.iter().filter(|d| d.2 == DepKind::Dev).count();
        assert_eq!(dev, want_dev, "{rel}: DEV_DEPENDENCY_OF");
    }
}

/// The bom-refs the component installed at `path` depends on.
fn on<'a>(bom: &'a Bom, path: &str) -> BTreeSet<&'a str> {
    let i = bom
        .components
        .iter()
        .position(|c| c.path == path)
        .unwrap_or_else(|| panic!("no component at {path}"));
    bom.edges[i]
        .iter()
        .map(|(t, _)| bom.components[*t].bom_ref.as_str())
        .collect()
}

/// Edges checked against what the lockfiles say (read by hand): each one resolves to the
/// exact install location the package manager uses, not merely a package of that name.
#[test]
fn edges_match_the_lockfiles() {
    let check = |rel: &str, file: &str, from: &str, to: &[&str], not: &[&str]| {
        let (lock, text, root) = bom_of(rel, file);
        let bom = build(&lock, Some(&text), root, None);
        let got = on(&bom, from);
        for t in to {
            assert!(got.contains(t), "{rel}: {from} -> {t}; got {got:?}");
        }
        for t in not {
            assert!(!got.contains(t), "{rel}: {from} -/-> {t}");
        }
    };
    // npm v3: @babel/code-frame has its own js-tokens 4.0.0 nested; the top level has 9.0.1.
    check(
        "lockfiles/npm-v3/uptime-kuma",
        "package-lock.json",
        "node_modules/@babel/code-frame",
        &["js-tokens@4.0.0|node_modules/@babel/code-frame/node_modules/js-tokens"],
        &["js-tokens@9.0.1|node_modules/js-tokens"],
    );
    // npm v3: @azure/identity's open is its nested 10.2.0 (top level: 8.4.2).
    check(
        "lockfiles/npm-v3/uptime-kuma",
        "package-lock.json",
        "node_modules/@azure/identity",
        &["open@10.2.0|node_modules/@azure/identity/node_modules/open"],
        &["open@8.4.2|node_modules/open"],
    );
    // npm v1 (`requires`): @ampproject/remapping's @jridgewell/gen-mapping is its nested
    // 0.1.1 (top level 0.3.2).
    check(
        "lockfiles/npm-v1/uptime-kuma",
        "package-lock.json",
        "node_modules/@ampproject/remapping",
        &["@jridgewell/gen-mapping@0.1.1|node_modules/@ampproject/remapping/node_modules/@jridgewell/gen-mapping"],
        &["@jridgewell/gen-mapping@0.3.2|node_modules/@jridgewell/gen-mapping"],
    );
    // pnpm 5.4: `vite: 4.3.1` is the key without a peer suffix, not `_ghge…`.
    check(
        "lockfiles/pnpm-v5.4/vue-core",
        "pnpm-lock.yaml",
        "/@vitejs/plugin-vue/4.1.0_rtyzn4r64umhqupmzv45cij2se",
        &["vite@4.3.1|/vite/4.3.1"],
        &["vite@4.3.1|/vite/4.3.1_ghge5pqdvzsmxto52quo4r2say"],
    );
    // pnpm 6: the peer-suffixed vite snapshot.
    check(
        "lockfiles/pnpm-v6/vue-core",
        "pnpm-lock.yaml",
        "/@vitejs/plugin-vue@5.0.4(vite@5.2.7)(vue@packages+vue)",
        &["vite@5.2.7|/vite@5.2.7(@types/node@20.12.5)(terser@5.30.1)"],
        &[],
    );
    // pnpm 9: of the two vite@8.2.0 snapshots, the one named.
    check(
        "lockfiles/pnpm-v9/vue-core",
        "pnpm-lock.yaml",
        "@vitejs/plugin-vue@6.0.8(vite@8.2.0)(vue@packages+vue)",
        &[
            "vite@8.2.0|vite@8.2.0(@types/node@24.13.3)(esbuild@0.28.1)(sass@1.102.0)(yaml@2.9.0)",
            "@rolldown/pluginutils@1.0.1|@rolldown/pluginutils@1.0.1",
        ],
        &[],
    );
    // pnpm 9, two documents: likewise of the two vite@8.0.9 snapshots.
    check(
        "lockfiles/pnpm-v9-multidoc/vue-core",
        "pnpm-lock.yaml",
        "@vitejs/plugin-vue@6.0.6(vite@8.0.9)(vue@packages+vue)",
        &[
            "vite@8.0.9|vite@8.0.9(@types/node@24.12.2)(esbuild@0.28.0)(sass@1.99.0)(yaml@2.8.2)",
            "@rolldown/pluginutils@1.0.0-rc.13|@rolldown/pluginutils@1.0.0-rc.13",
        ],
        &[],
    );
    // yarn classic: `@babel/highlight "^7.10.4"` is the entry listing that descriptor.
    check(
        "lockfiles/yarn-v1/excalidraw",
        "yarn.lock",
        "@babel/code-frame@7.12.11",
        &["@babel/highlight@7.25.9|@babel/highlight@^7.10.4"],
        &[],
    );
    // yarn berry: js-tokens `npm:^10.0.0` is 10.0.0, not the `npm:^4.0.0` entry.
    check(
        "lockfiles/yarn-berry/prettier",
        "yarn.lock",
        "@babel/code-frame@npm:8.0.0",
        &[
            "js-tokens@10.0.0|js-tokens@npm:^10.0.0",
            "@babel/helper-validator-identifier@8.0.4|@babel/helper-validator-identifier@npm:^8.0.0, @babel/helper-validator-identifier@npm:^8.0.4",
        ],
        &["js-tokens@4.0.0|js-tokens@npm:^4.0.0"],
    );
    // bun: @babel/code-frame's picocolors is its own key `@babel/code-frame/picocolors`.
    check(
        "lockfiles/bun/hono",
        "bun.lock",
        "@babel/code-frame",
        &["picocolors@1.1.0|@babel/code-frame/picocolors"],
        &[],
    );
}

/// A tree read from node_modules (npm's nested layout) resolves as Node does.
#[test]
fn node_modules_edges() {
    let dir = std::env::temp_dir().join(format!("prov-sbom-nm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pj = |rel: &str, body: &str| {
        let p = dir.join(rel).join("package.json");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    pj(
        "",
        r#"{"name":"app","version":"1.0.0","dependencies":{"a":"^1"},"devDependencies":{"c":"^1"}}"#,
    );
    pj(
        "node_modules/a",
        r#"{"name":"a","version":"1.0.0","dependencies":{"b":"^2","c":"^1"}}"#,
    );
    pj(
        "node_modules/a/node_modules/b",
        r#"{"name":"b","version":"2.0.0","dependencies":{"c":"^1"}}"#,
    );
    pj("node_modules/b", r#"{"name":"b","version":"1.0.0"}"#);
    pj("node_modules/c", r#"{"name":"c","version":"1.0.0"}"#);
    let lock = crate::lockfile::walk_node_modules(&dir).unwrap();
    let m: Value =
        serde_json::from_slice(&std::fs::read(dir.join("package.json")).unwrap()).unwrap();
    let bom = build(&lock, None, Root::from_manifest(Some(&m), "app"), None);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        on(&bom, "node_modules/a"),
        BTreeSet::from([
            "b@2.0.0|node_modules/a/node_modules/b",
            "c@1.0.0|node_modules/c"
        ])
    );
    assert_eq!(
        on(&bom, "node_modules/a/node_modules/b"),
        BTreeSet::from(["c@1.0.0|node_modules/c"])
    );
    let root: Vec<(&str, &str)> = bom
        .root_edges
        .iter()
        .map(|(c, k)| (bom.components[*c].bom_ref.as_str(), *k))
        .collect();
    assert_eq!(
        root,
        [
            ("a@1.0.0|node_modules/a", "prod"),
            ("c@1.0.0|node_modules/c", "dev")
        ]
    );
}
