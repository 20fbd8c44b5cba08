//! bun.lock (text; JSON with trailing commas). `packages` maps an install name to
//! `["name@version", "<registry or empty>", {meta}, "sha512-…"]` for registry packages, and to
//! `["name@<git|github|file|workspace|https…>", …]` otherwise.

use super::{split_at_version, Format, LockedPackage, Source};
use crate::error::{Error, Result};
use serde_json::Value;

type Parsed = (Format, Vec<LockedPackage>, Vec<String>);

pub(super) fn parse(text: &str, file: &str) -> Result<Parsed> {
    let doc: Value = json5::from_str(text).map_err(|e| Error::json(file, e))?;
    match doc.get("lockfileVersion").and_then(Value::as_u64) {
        Some(0 | 1) => {}
        Some(n) => {
            return Err(Error::json(
                file,
                format!("lockfileVersion {n} is not one prov-native knows (0, 1)"),
            ))
        }
        None => return Err(Error::json(file, "no lockfileVersion")),
    }
    let workspaces = doc
        .get("workspaces")
        .and_then(Value::as_object)
        .map(|m| m.keys().filter(|k| !k.is_empty()).cloned().collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    let pkgs = doc
        .get("packages")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::json(file, "no \"packages\""))?;
    for (key, e) in pkgs {
        let arr = e
            .as_array()
            .ok_or_else(|| Error::json(file, format!("packages[{key:?}] is not an array")))?;
        let ident = arr
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| Error::json(file, format!("packages[{key:?}] has no identifier")))?;
        let (name, reference) = split_at_version(ident)
            .ok_or_else(|| Error::json(file, format!("bad identifier {ident:?}")))?;
        let source = if reference.starts_with("workspace:") {
            continue;
        } else if nodejs_semver::Version::parse(reference).is_ok() {
            Source::Registry
        } else {
            super::source_of(reference, name)
        };
        let mut p = LockedPackage::new(name, reference, source.clone());
        if source == Source::Registry {
            p.integrity = arr.get(3).and_then(Value::as_str).map(str::to_string);
            p.resolved = arr
                .get(1)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            if let Some(meta) = arr.get(2) {
                p.optional = meta
                    .get("optional")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                p.bundled = meta
                    .get("bundled")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            }
        } else {
            p.resolved = Some(reference.to_string());
            p.version = arr
                .get(2)
                .and_then(|m| m.get("version"))
                .and_then(Value::as_str)
                .map_or(reference.to_string(), str::to_string);
        }
        // The install name is the last `/`-separated part of the key that is a package name
        // (`a/node_modules`-free keys: `a`, `@s/a`, `parent/@s/a`).
        let install_name = install_name(key);
        if install_name != name {
            p.alias = Some(install_name.to_string());
        }
        p.paths.push(key.clone());
        out.push(p);
    }
    Ok((Format::Bun, out, workspaces))
}

fn install_name(key: &str) -> &str {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        [.., scope, n] if scope.starts_with('@') => {
            let start = key.len() - scope.len() - n.len() - 1;
            &key[start..]
        }
        [.., n] => n,
        [] => key,
    }
}
