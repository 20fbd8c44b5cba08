//! bun.lock (text; JSON with trailing commas), lockfileVersion 0, 1 and 2.
//!
//! 1. `workspaces` maps a project directory (`""` is the root) to its name and dependency
//!    maps; the directories other than the root are listed in `workspaces`.
//! 2. `packages` maps an install key — `a`, `@s/a`, `parent/a`, `<workspace name>/a` — to an
//!    array whose first element is `name@reference`:
//!    - `["a@1.2.3", "<registry tarball URL or empty>", {meta}, "sha512-…"]` — registry;
//!    - `["a@<url|file:…|./x.tgz|git…|github:…|link:…>", {meta}, "<integrity or commit>"]`;
//!    - `["a@workspace:<dir>"]` — a workspace project, not a package.
//! 3. `dev`/`optional` come from the graph (bun.lock records neither): roots are the
//!    workspaces' dependency maps; a package's dependency `d` resolves like node's lookup,
//!    `<key>/d`, then the parent keys', then `d`.

use super::{
    check_entries, graph, is_git, is_version, last_name, registry_tarball_version, set_flags,
    source_of, split_at_version, Format, LockedPackage, Parsed, Source,
};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(super) fn parse(text: &str, what: &str) -> Result<Parsed> {
    let opts = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_extended_string_escapes: false,
        allow_non_finite_numbers: false,
    };
    let doc: Value = jsonc_parser::parse_to_serde_value(text, &opts)
        .map_err(|e| Error::json(what, e.to_string()))?;
    let version = match doc.get("lockfileVersion") {
        Some(v) => match v.as_u64() {
            Some(n @ 0..=2) => n,
            _ => {
                return Err(Error::json(
                    what,
                    format!("lockfileVersion {v} is not one prov-native reads (0, 1, 2)"),
                ))
            }
        },
        None => return Err(Error::json(what, "no lockfileVersion")),
    };
    let empty = Map::new();
    let ws = match doc.get("workspaces") {
        None => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(Error::json(what, "\"workspaces\" is not an object")),
    };
    let pkgs = doc
        .get("packages")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::json(what, "no \"packages\" object"))?;
    check_entries(pkgs.len(), what)?;

    let mut out = Vec::new();
    let mut metas: Vec<(&str, Option<&Value>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (key, e) in pkgs {
        let arr = e
            .as_array()
            .ok_or_else(|| Error::json(what, format!("packages[{key:?}] is not an array")))?;
        let ident = arr
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| Error::json(what, format!("packages[{key:?}] has no identifier")))?;
        let (name, reference) = split_at_version(ident)
            .ok_or_else(|| Error::json(what, format!("bad identifier {ident:?}")))?;
        if reference.starts_with("workspace:") {
            continue;
        }
        let at = |i: usize| arr.get(i).and_then(Value::as_str).filter(|s| !s.is_empty());
        let mut p;
        let meta;
        if is_version(reference) {
            p = LockedPackage::new(name, reference, Source::Registry);
            p.resolved = at(1).map(str::to_string);
            p.integrity = at(3).map(str::to_string);
            meta = arr.get(2);
        } else {
            let source = if let Some(l) = reference.strip_prefix("link:") {
                Source::Link { path: l.into() }
            } else if let Some(f) = reference.strip_prefix("file:") {
                Source::File { path: f.into() }
            } else if ["./", "../", "/"].iter().any(|x| reference.starts_with(x)) {
                Source::File {
                    path: reference.into(),
                }
            } else if is_git(reference) {
                Source::Git {
                    url: reference.into(),
                }
            } else if reference.starts_with("http://") || reference.starts_with("https://") {
                source_of(reference, name)
            } else {
                Source::Tarball {
                    url: reference.into(),
                }
            };
            meta = arr.get(1);
            let version = match &source {
                Source::Registry => registry_tarball_version(reference, name),
                _ => None,
            }
            .or_else(|| {
                meta.and_then(|m| m.get("version"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| reference.to_string());
            let tarball = matches!(
                source,
                Source::Registry | Source::Tarball { .. } | Source::File { .. }
            );
            p = LockedPackage::new(name, &version, source);
            p.resolved = Some(reference.to_string());
            if tarball {
                p.integrity = at(2).map(str::to_string);
            }
        }
        let install = last_name(key);
        if install != name {
            p.alias = Some(install.to_string());
        }
        p.bundled = meta
            .and_then(|m| m.get("bundled"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        p.paths.push(key.clone());
        index.insert(key.as_str(), out.len());
        metas.push((key.as_str(), meta));
        out.push(p);
    }

    // The graph.
    let resolve = |scope: &str, dep: &str| -> Option<usize> {
        let mut scope = scope;
        loop {
            if scope.is_empty() {
                return index.get(dep).copied();
            }
            if let Some(&i) = index.get(format!("{scope}/{dep}").as_str()) {
                return Some(i);
            }
            let cut = scope.len().saturating_sub(last_name(scope).len() + 1);
            scope = &scope[..cut];
        }
    };
    let deps = |m: &Value, field: &str| -> Vec<String> {
        m.get(field)
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut g = graph::Graph::new(out.len());
    let mut edges = graph::RawDeps::new(true);
    for (dir, w) in ws {
        let scope = if dir.is_empty() {
            ""
        } else {
            w.get("name").and_then(Value::as_str).unwrap_or("")
        };
        for (field, kind, dk) in [
            ("dependencies", graph::Root::Prod, graph::DepKind::Prod),
            ("peerDependencies", graph::Root::Prod, graph::DepKind::Peer),
            (
                "optionalDependencies",
                graph::Root::Optional,
                graph::DepKind::Optional,
            ),
            ("devDependencies", graph::Root::Dev, graph::DepKind::Dev),
        ] {
            for d in deps(w, field) {
                if let Some(t) = resolve(scope, &d) {
                    g.root(t, kind);
                    if dir.is_empty() {
                        edges.root(t, dk);
                    }
                }
            }
        }
    }
    for (i, (key, meta)) in metas.iter().enumerate() {
        let Some(m) = meta else { continue };
        let optional_peers: Vec<&str> = m
            .get("optionalPeers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (field, optional, dk) in [
            ("dependencies", false, graph::DepKind::Prod),
            ("peerDependencies", false, graph::DepKind::Peer),
            ("optionalDependencies", true, graph::DepKind::Optional),
        ] {
            for d in deps(m, field) {
                let optional = optional || optional_peers.contains(&d.as_str());
                if let Some(t) = resolve(key, &d) {
                    g.edge(i, t, optional);
                    edges.edge(i, t, dk);
                }
            }
        }
    }
    for (p, m) in out.iter_mut().zip(g.masks()) {
        set_flags(p, m);
    }
    Ok(Parsed {
        format: Format::Bun,
        lockfile_version: version.to_string(),
        packages: out,
        workspaces: ws.keys().filter(|k| !k.is_empty()).cloned().collect(),
        deps: edges,
    })
}
