//! yarn.lock of yarn berry (2+): YAML with a `__metadata` entry.
//!
//! 1. `__metadata.version` must be one this reads (3 to 10; yarn 4 writes 8 and 10).
//! 2. Each other top-level key lists descriptors; `resolution` is the locator
//!    `name@<protocol>:<reference>` that decides the package:
//!    - `npm:<version>` — a registry package (the key's descriptor name differs when aliased);
//!    - `workspace:<path>` — a workspace project (listed in `workspaces`; `.` is the root);
//!    - `patch:<inner>#…` — a patched package: the original (`inner`, usually `npm:`) is what
//!      can be verified; the patched archive's checksum is not kept;
//!    - `link:`/`portal:` — a symlinked directory; `file:` — a local folder or tarball;
//!      `exec:` — a local generator script; git URLs (`#commit=`) — git; other URLs — tarballs.
//! 3. `checksum` is yarn's hash of its own zip archive, not of the npm tarball: it goes to
//!    `checksum`, never to `integrity`. yarn berry lockfiles record no SRI and no dev flags.

use super::{
    check_entries, is_git, source_of, split_at_version, yaml, Format, LockedPackage, Parsed, Source,
};
use crate::error::{Error, Result};
use serde_json::Value;

/// `__metadata.version`s read.
const VERSIONS: std::ops::RangeInclusive<u64> = 3..=10;

/// Whether yarn.lock text is berry's (a top-level `__metadata` key).
pub(super) fn is_berry(text: &str) -> bool {
    text.starts_with("__metadata:")
        || text.contains("\n__metadata:")
        || text.contains("\n\"__metadata\":")
}

/// Text as YAML: a number stays its digits.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn parse(text: &str, what: &str) -> Result<Parsed> {
    let docs = yaml::documents(text, what)?;
    let [doc] = docs.as_slice() else {
        return Err(Error::json(
            what,
            format!("a yarn.lock is one YAML document, not {}", docs.len()),
        ));
    };
    let map = doc
        .as_object()
        .ok_or_else(|| Error::json(what, "not a YAML mapping"))?;
    check_entries(map.len(), what)?;
    let version = map
        .get("__metadata")
        .and_then(|m| m.get("version"))
        .and_then(text_of)
        .ok_or_else(|| Error::json(what, "no __metadata.version"))?;
    match version.parse::<u64>() {
        Ok(v) if VERSIONS.contains(&v) => {}
        _ => {
            return Err(Error::json(
                what,
                format!(
                    "yarn lockfile version {version:?} is not one prov-native reads ({}-{})",
                    VERSIONS.start(),
                    VERSIONS.end()
                ),
            ))
        }
    }
    let mut out = Vec::new();
    let mut workspaces = Vec::new();
    // Each entry's value (for its dependencies) and the root workspace's.
    let mut entries: Vec<&Value> = Vec::new();
    let mut root: Option<&Value> = None;
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (key, e) in map {
        if key == "__metadata" {
            continue;
        }
        let resolution = e
            .get("resolution")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::json(what, format!("entry {key:?} has no resolution")))?;
        let (rname, reference) = split_at_version(resolution)
            .ok_or_else(|| Error::json(what, format!("bad resolution {resolution:?}")))?;
        let version = e.get("version").and_then(text_of).unwrap_or_else(|| {
            reference
                .strip_prefix("npm:")
                .unwrap_or(reference)
                .to_string()
        });
        let install = key
            .split(',')
            .map(str::trim)
            .filter_map(|d| split_at_version(d).map(|(n, _)| n))
            .find(|n| *n != rname);
        let mut checksum = e.get("checksum").and_then(text_of);
        let mut resolved = resolution.to_string();
        let (name, source) = if let Some(v) = reference.strip_prefix("npm:") {
            // Only an exact version is a resolved registry package.
            if v.is_empty() {
                return Err(Error::json(what, format!("bad resolution {resolution:?}")));
            }
            (rname.to_string(), Source::Registry)
        } else if let Some(ws) = reference.strip_prefix("workspace:") {
            if ws != "." {
                workspaces.push(ws.to_string());
            } else {
                root = Some(e);
            }
            continue;
        } else if let Some(inner) = reference.strip_prefix("patch:") {
            // Verified as the original it patches: same locator, no archive checksum.
            checksum = None;
            let inner = inner.split('#').next().unwrap_or(inner);
            let inner = inner
                .replace("%3A", ":")
                .replace("%40", "@")
                .replace("%2F", "/");
            resolved.clone_from(&inner);
            match split_at_version(&inner) {
                Some((n, r)) if r.starts_with("npm:") => (n.to_string(), Source::Registry),
                Some((n, r)) => (n.to_string(), reference_source(r, n)),
                None => (
                    rname.to_string(),
                    Source::File {
                        path: inner.clone(),
                    },
                ),
            }
        } else {
            (rname.to_string(), reference_source(reference, rname))
        };
        let mut p = LockedPackage::new(&name, &version, source);
        p.alias = install.map(str::to_string).filter(|n| *n != name);
        p.checksum = checksum;
        p.resolved = Some(resolved);
        p.paths.push(key.clone());
        for d in key.split(',') {
            index.entry(d.trim()).or_insert(out.len());
        }
        entries.push(e);
        out.push(p);
    }
    // The edges: a dependency `name: range` is the entry whose key lists `name@range` (yarn
    // writes registry ranges as `npm:range` in both places). Optional dependencies are in
    // `dependencies`, marked in `dependenciesMeta`; peer dependencies are ranges the parent
    // satisfies, not entries, and are not edges here.
    let mut deps = super::graph::RawDeps::new(true);
    let mut want = String::new();
    let mut resolve = |e: &Value, add: &mut dyn FnMut(usize, super::graph::DepKind)| {
        let Some(Value::Object(ds)) = e.get("dependencies") else {
            return;
        };
        for (n, r) in ds {
            let Some(r) = text_of(r) else { continue };
            let optional = e
                .get("dependenciesMeta")
                .and_then(|m| m.get(n))
                .and_then(|m| m.get("optional"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let kind = if optional {
                super::graph::DepKind::Optional
            } else {
                super::graph::DepKind::Prod
            };
            want.clear();
            want.push_str(n);
            want.push('@');
            want.push_str(&r);
            let hit = index.get(want.as_str()).copied().or_else(|| {
                want.truncate(n.len() + 1);
                want.push_str("npm:");
                want.push_str(&r);
                index.get(want.as_str()).copied()
            });
            if let Some(t) = hit {
                add(t, kind);
            }
        }
    };
    for (i, e) in entries.iter().enumerate() {
        resolve(e, &mut |t, k| deps.edge(i, t, k));
    }
    if let Some(r) = root {
        resolve(r, &mut |t, k| deps.root(t, k));
    }
    Ok(Parsed {
        format: Format::YarnBerry,
        lockfile_version: version,
        packages: out,
        workspaces,
        deps,
    })
}

/// The source of a non-`npm:` berry reference.
fn reference_source(reference: &str, name: &str) -> Source {
    // Berry appends `::hash=…&locator=…` to local references.
    let r = reference.split("::").next().unwrap_or(reference);
    if let Some(p) = r.strip_prefix("link:").or(r.strip_prefix("portal:")) {
        return Source::Link {
            path: p.split('#').next().unwrap_or(p).into(),
        };
    }
    if let Some(p) = r.strip_prefix("file:").or(r.strip_prefix("exec:")) {
        return Source::File {
            path: p.split('#').next().unwrap_or(p).into(),
        };
    }
    if is_git(r) {
        return Source::Git { url: r.into() };
    }
    source_of(r, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(
            reference_source(
                "file:./localdir#./localdir::hash=b78209&locator=proj%40workspace%3A.",
                "localdir"
            ),
            Source::File {
                path: "./localdir".into()
            }
        );
        assert!(matches!(
            reference_source("https://github.com/o/r.git#commit=0123abc", "r"),
            Source::Git { .. }
        ));
        assert!(matches!(
            reference_source("portal:../x::locator=a%40workspace%3A.", "x"),
            Source::Link { .. }
        ));
        assert!(matches!(
            reference_source("https://example.com/x-1.0.0.tgz", "x"),
            Source::Tarball { .. }
        ));
    }
}
