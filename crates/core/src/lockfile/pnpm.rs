//! pnpm-lock.yaml, lockfileVersion 5.x, 6.x and 9.x.
//!
//! 1. The file is one YAML document, or two: pnpm 10.2x+ writes the "env lockfile" (its own
//!    `packageManagerDependencies`/`configDependencies`) first and the project's lockfile
//!    second, and reads only the second (`extractMainDocument` in `@pnpm/lockfile.fs`). So does
//!    this; the env document's packages are pnpm itself, not the project's tree.
//! 2. Package keys: 5.x `/name/1.2.3_peer@1`, 6.x `/name@1.2.3(peer@1)`, 9.x `name@1.2.3` in
//!    `packages` with the peer variants under `snapshots`; non-registry keys carry `name` and
//!    `version` fields. One entry per key (9.x: per snapshot), merged to name@version later.
//! 3. `resolution` decides the source: `{integrity}` registry, `{tarball}` (a registry URL, a
//!    git host's tarball, `file:` or another URL), `{type: git, repo, commit}`,
//!    `{type: directory}`.
//! 4. `dev`/`optional`: from the graph (importers' `dependencies`, `optionalDependencies`,
//!    `devDependencies`, then each package's `dependencies`/`optionalDependencies`), which is
//!    what `pnpm install --prod` installs (`filterLockfileByImporters`); 9.x records no `dev`
//!    at all. A package the graph does not reach keeps the lockfile's own flags.
//! 5. Aliases come from the edges: a dependency named `a` that resolves to package `b`.

use super::{
    check_entries, graph, is_version, registry_tarball_version, set_flags, source_of,
    split_at_version, yaml, Format, LockedPackage, Parsed, Source,
};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ver {
    V5,
    V6,
    V9,
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn obj<'a>(v: &'a Value, k: &str, what: &str) -> Result<Option<&'a Map<String, Value>>> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(Error::json(what, format!("\"{k}\" is not a mapping"))),
    }
}

pub(super) fn parse(text: &str, what: &str) -> Result<Parsed> {
    let docs = yaml::documents(text, what)?;
    let doc = match docs.as_slice() {
        [d] | [_, d] => d,
        [] => return Err(Error::json(what, "empty")),
        d => {
            return Err(Error::json(
                what,
                format!(
                    "{} YAML documents; pnpm writes one, or two (pnpm's own, then the project's)",
                    d.len()
                ),
            ))
        }
    };
    if !doc.is_object() {
        return Err(Error::json(what, "not a YAML mapping"));
    }
    let lv = doc
        .get("lockfileVersion")
        .and_then(text_of)
        .ok_or_else(|| Error::json(what, "no lockfileVersion"))?;
    let ver = match lv.split('.').next() {
        Some("5") => Ver::V5,
        Some("6") => Ver::V6,
        Some("9") => Ver::V9,
        _ => {
            return Err(Error::json(
                what,
                format!("lockfileVersion {lv:?} is not one prov-native reads (5.x, 6.x, 9.x)"),
            ))
        }
    };
    // Single-project 5.x/6.x lockfiles keep the root's dependencies at the top level.
    let importers: Vec<(&str, &Value)> = match obj(doc, "importers", what)? {
        Some(m) => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        None => vec![(".", doc)],
    };
    let workspaces: Vec<String> = importers
        .iter()
        .filter(|(k, _)| *k != ".")
        .map(|(k, _)| k.to_string())
        .collect();
    let empty = Map::new();
    let packages = obj(doc, "packages", what)?.unwrap_or(&empty);
    let snapshots = obj(doc, "snapshots", what)?.unwrap_or(&empty);
    check_entries(packages.len() + snapshots.len(), what)?;

    // 1. Nodes: one per snapshot (9.x) or package key, each with its package entry.
    let mut nodes: Vec<(&str, &str, &Value, &Value)> = Vec::new(); // key, package key, entry, snapshot
    if ver == Ver::V9 {
        let mut has_snapshot = std::collections::HashSet::new();
        for (k, snap) in snapshots {
            let pk = strip_peers(k);
            let entry = packages.get(pk).ok_or_else(|| {
                Error::json(what, format!("snapshot {k:?} has no package {pk:?}"))
            })?;
            has_snapshot.insert(pk);
            nodes.push((k, pk, entry, snap));
        }
        for (k, entry) in packages {
            if !has_snapshot.contains(k.as_str()) {
                nodes.push((k, k, entry, entry));
            }
        }
    } else {
        for (k, entry) in packages {
            nodes.push((k, k, entry, entry));
        }
    }
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.0, i)).collect();
    let pkg_index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.1, i)).collect();
    let resolve = |dep: &str, r: &str| -> Option<usize> {
        let key = ref_to_key(r, dep, ver)?;
        index
            .get(key.as_str())
            .or_else(|| pkg_index.get(strip_peers(&key)))
            .copied()
    };

    // 2. Packages.
    let mut out = Vec::with_capacity(nodes.len());
    for (key, pk, entry, snap) in &nodes {
        if !entry.is_object() {
            return Err(Error::json(
                what,
                format!("packages[{pk:?}] is not a mapping"),
            ));
        }
        let (kname, kref) =
            key_name_ref(pk, ver).unwrap_or_else(|| (String::new(), pk.to_string()));
        let name = entry.get("name").and_then(text_of).unwrap_or(kname);
        let version = entry
            .get("version")
            .and_then(text_of)
            .unwrap_or_else(|| kref.clone());
        let res = entry.get("resolution");
        let field = |k: &str| res.and_then(|r| r.get(k)).and_then(Value::as_str);
        let integrity = field("integrity").map(str::to_string);
        let tarball = field("tarball").map(str::to_string);
        let source = if field("type") == Some("git") {
            Source::Git {
                url: format!(
                    "{}#{}",
                    field("repo").unwrap_or(""),
                    field("commit").unwrap_or("")
                ),
            }
        } else if let Some(d) = field("directory") {
            Source::File { path: d.into() }
        } else if let Some(t) = &tarball {
            match t.strip_prefix("file:") {
                Some(p) => Source::File { path: p.into() },
                None => source_of(t, &name),
            }
        } else if integrity.is_some() && is_version(&version) {
            Source::Registry
        } else {
            // No resolution pnpm's registry would serve (e.g. `runtime:` Node.js binaries).
            Source::Tarball {
                url: key.to_string(),
            }
        };
        let version = match (&source, &tarball) {
            (Source::Registry, Some(t)) if !is_version(&version) => {
                registry_tarball_version(t, &name).unwrap_or(version)
            }
            _ => version,
        };
        let mut p = LockedPackage::new(&name, &version, source);
        p.integrity = integrity;
        p.resolved = tarball;
        p.dev = entry.get("dev").and_then(Value::as_bool).unwrap_or(false);
        p.optional = snap
            .get("optional")
            .or_else(|| entry.get("optional"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        p.has_install_script = entry.get("requiresBuild").and_then(Value::as_bool);
        p.paths.push(key.to_string());
        out.push(p);
    }

    // 3. The graph: flags and aliases.
    let mut g = graph::Graph::new(nodes.len());
    let mut deps = graph::RawDeps::new(true);
    let mut aliases: Vec<Option<String>> = vec![None; nodes.len()];
    let mut note = |dep: &str, t: usize, out: &[LockedPackage]| {
        if let Some(p) = out.get(t) {
            if p.name.is_empty() || p.name != dep {
                aliases[t].get_or_insert_with(|| dep.to_string());
            }
        }
    };
    for (dir, imp) in &importers {
        for (field, kind, dk) in [
            ("dependencies", graph::Root::Prod, graph::DepKind::Prod),
            (
                "optionalDependencies",
                graph::Root::Optional,
                graph::DepKind::Optional,
            ),
            ("devDependencies", graph::Root::Dev, graph::DepKind::Dev),
        ] {
            for (dep, v) in obj(imp, field, what)?.into_iter().flatten() {
                let r = match v {
                    Value::Object(_) => v.get("version").and_then(text_of),
                    other => text_of(other),
                };
                if let Some(t) = r.and_then(|r| resolve(dep, &r)) {
                    g.root(t, kind);
                    if *dir == "." {
                        deps.root(t, dk);
                    }
                    note(dep, t, &out);
                }
            }
        }
    }
    for (i, (_, _, _, snap)) in nodes.iter().enumerate() {
        for (field, optional) in [("dependencies", false), ("optionalDependencies", true)] {
            let kind = if optional {
                graph::DepKind::Optional
            } else {
                graph::DepKind::Prod
            };
            for (dep, v) in obj(snap, field, what)?.into_iter().flatten() {
                if let Some(t) = text_of(v).and_then(|r| resolve(dep, &r)) {
                    g.edge(i, t, optional);
                    deps.edge(i, t, kind);
                    note(dep, t, &out);
                }
            }
        }
    }
    for ((p, m), a) in out.iter_mut().zip(g.masks()).zip(aliases) {
        if m != 0 {
            set_flags(p, m);
        }
        if p.name.is_empty() {
            p.name = a.unwrap_or_default();
        } else {
            p.alias = a;
        }
    }
    Ok(Parsed {
        format: Format::Pnpm,
        lockfile_version: lv,
        packages: out,
        workspaces,
        deps,
    })
}

/// A 6.x/9.x key without its peer/patch suffix: `a@1.0.0(b@2)(patch_hash=…)` → `a@1.0.0`.
fn strip_peers(key: &str) -> &str {
    let at = key.get(1..).and_then(|k| k.find('@')).map_or(0, |i| i + 1);
    match key[at..].find('(') {
        Some(i) => &key[..at + i],
        None => key,
    }
}

/// Name and version (or reference) from a package key, for registry-shaped keys.
fn key_name_ref(key: &str, ver: Ver) -> Option<(String, String)> {
    match ver {
        Ver::V9 => {
            let (n, r) = split_at_version(strip_peers(key))?;
            Some((n.to_string(), r.to_string()))
        }
        Ver::V6 => {
            let k = key.strip_prefix('/')?;
            let (n, r) = split_at_version(strip_peers(k))?;
            is_version(r).then(|| (n.to_string(), r.to_string()))
        }
        Ver::V5 => {
            let k = key.strip_prefix('/')?;
            let mut parts = k.splitn(3, '/');
            let first = parts.next()?;
            let (name, ver) = if first.starts_with('@') {
                let second = parts.next()?;
                (format!("{first}/{second}"), parts.next()?)
            } else {
                (first.to_string(), parts.next()?)
            };
            let ver = ver.split('_').next().unwrap_or(ver);
            is_version(ver).then(|| (name, ver.to_string()))
        }
    }
}

/// The key a dependency reference points at (pnpm's `refToRelative` per lockfile version);
/// `None` for `link:` (workspace projects and linked directories are not packages here).
fn ref_to_key(r: &str, dep: &str, ver: Ver) -> Option<String> {
    if r.starts_with("link:") {
        return None;
    }
    Some(match ver {
        Ver::V9 => {
            if r.starts_with('@') {
                return Some(r.to_string());
            }
            match r.find('@') {
                None => format!("{dep}@{r}"),
                Some(at) => {
                    let before = |c: char| r.find(c).is_none_or(|i| at < i);
                    if before(':') && before('(') {
                        r.to_string()
                    } else {
                        format!("{dep}@{r}")
                    }
                }
            }
        }
        Ver::V6 => {
            if r.starts_with('/') || r.starts_with("file:") {
                r.to_string()
            } else {
                let head = r.split('(').next().unwrap_or(r);
                if head.contains('/') {
                    r.to_string()
                } else {
                    format!("/{dep}@{r}")
                }
            }
        }
        Ver::V5 => {
            if r.starts_with('/') || r.starts_with("file:") || r.contains('/') {
                r.to_string()
            } else {
                format!("/{dep}/{r}")
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(strip_peers("a@1.0.0(b@2)(c@3)"), "a@1.0.0");
        assert_eq!(strip_peers("@s/a@1.0.0(b@2)"), "@s/a@1.0.0");
        assert_eq!(strip_peers("/@s/a@1.0.0(b@2)"), "/@s/a@1.0.0");
        assert_eq!(
            key_name_ref("/@babel/core/7.21.3_x@1", Ver::V5),
            Some(("@babel/core".into(), "7.21.3".into()))
        );
        assert_eq!(
            key_name_ref("/a/1.0.0", Ver::V5),
            Some(("a".into(), "1.0.0".into()))
        );
        assert_eq!(key_name_ref("github.com/o/r/abc", Ver::V5), None);
        assert_eq!(
            key_name_ref("/@s/a@1.0.0(b@2)", Ver::V6),
            Some(("@s/a".into(), "1.0.0".into()))
        );
        assert_eq!(
            ref_to_key("1.0.0(b@2)", "a", Ver::V9).unwrap(),
            "a@1.0.0(b@2)"
        );
        assert_eq!(
            ref_to_key("string-width@4.2.3", "sw", Ver::V9).unwrap(),
            "string-width@4.2.3"
        );
        assert_eq!(
            ref_to_key("@s/b@1.0.0", "x", Ver::V9).unwrap(),
            "@s/b@1.0.0"
        );
        assert_eq!(ref_to_key("file:x", "x", Ver::V9).unwrap(), "x@file:x");
        assert_eq!(
            ref_to_key("git+file:///r.git#abc", "g", Ver::V9).unwrap(),
            "g@git+file:///r.git#abc"
        );
        assert_eq!(ref_to_key("link:../x", "x", Ver::V9), None);
        assert_eq!(
            ref_to_key("1.0.0(b@2)", "a", Ver::V6).unwrap(),
            "/a@1.0.0(b@2)"
        );
        assert_eq!(ref_to_key("/b@1.0.0", "a", Ver::V6).unwrap(), "/b@1.0.0");
        assert_eq!(ref_to_key("file:x", "x", Ver::V6).unwrap(), "file:x");
        assert_eq!(
            ref_to_key("1.0.0_b@2", "a", Ver::V5).unwrap(),
            "/a/1.0.0_b@2"
        );
        assert_eq!(ref_to_key("/b/1.0.0", "a", Ver::V5).unwrap(), "/b/1.0.0");
    }
}
