//! pnpm-lock.yaml, lockfileVersion 5.4, 6 and 9, one YAML document or two (pnpm writes a
//! first document for `packageManagerDependencies`; the lockfile proper is the one with
//! `importers` or `packages`).
//!
//! Package keys: 5.x `/name/1.2.3_peer@1`, 6.x `/name@1.2.3(peer@1)`, 9.x `name@1.2.3` (peer
//! variants under `snapshots`). `resolution` is `{integrity}` (registry), `{tarball}`,
//! `{type: git, repo, commit}` or `{directory}`.

use super::{split_at_version, Format, LockedPackage, Source};
use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::Value;

type Parsed = (Format, Vec<LockedPackage>, Vec<String>);

pub(super) fn parse(text: &str, file: &str) -> Result<Parsed> {
    let mut docs = Vec::new();
    for d in serde_yaml_ng::Deserializer::from_str(text) {
        let v = Value::deserialize(d).map_err(|e| Error::json(file, e))?;
        docs.push(v);
    }
    let doc = docs
        .iter()
        .rev()
        .find(|d| d.get("importers").is_some() || d.get("packages").is_some())
        .or(docs.last())
        .ok_or_else(|| Error::json(file, "empty"))?;
    let lv = match doc.get("lockfileVersion") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(Error::json(file, "no lockfileVersion")),
    };
    let major: u32 = lv
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| Error::json(file, format!("lockfileVersion {lv:?}")))?;
    if !(5..=9).contains(&major) {
        return Err(Error::json(
            file,
            format!("lockfileVersion {lv} is not one prov-native knows (5.x, 6.x, 9.x)"),
        ));
    }
    let workspaces = doc
        .get("importers")
        .and_then(Value::as_object)
        .map(|m| m.keys().filter(|k| k.as_str() != ".").cloned().collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    if let Some(pkgs) = doc.get("packages").and_then(Value::as_object) {
        for (key, e) in pkgs {
            out.push(entry(key, e, major, file)?);
        }
    }
    Ok((Format::Pnpm, out, workspaces))
}

/// Name and version from a package key.
fn key_name_version(key: &str, major: u32) -> Option<(String, String)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    if major < 6 {
        // `name/1.2.3_peer` or `@scope/name/1.2.3_peer`
        let (name, ver) = k.rsplit_once('/')?;
        let ver = ver.split('_').next().unwrap_or(ver);
        return Some((name.to_string(), ver.to_string()));
    }
    let k = k.split('(').next().unwrap_or(k);
    let (name, ver) = split_at_version(k)?;
    Some((name.to_string(), ver.to_string()))
}

fn entry(key: &str, e: &Value, major: u32, file: &str) -> Result<LockedPackage> {
    let (kname, kver) = key_name_version(key, major)
        .ok_or_else(|| Error::json(file, format!("package key {key:?}")))?;
    let name = e
        .get("name")
        .and_then(Value::as_str)
        .map_or(kname.clone(), str::to_string);
    let version = e
        .get("version")
        .and_then(Value::as_str)
        .map_or(kver.clone(), str::to_string);
    let res = e.get("resolution");
    let integrity = res
        .and_then(|r| r.get("integrity"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let tarball = res
        .and_then(|r| r.get("tarball"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let source = if res.and_then(|r| r.get("type")).and_then(Value::as_str) == Some("git") {
        let repo = res
            .and_then(|r| r.get("repo"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let commit = res
            .and_then(|r| r.get("commit"))
            .and_then(Value::as_str)
            .unwrap_or("");
        Source::Git {
            url: format!("{repo}#{commit}"),
        }
    } else if let Some(d) = res.and_then(|r| r.get("directory")).and_then(Value::as_str) {
        Source::File { path: d.into() }
    } else if let Some(t) = &tarball {
        if t.starts_with("file:") {
            Source::File {
                path: t.trim_start_matches("file:").into(),
            }
        } else if integrity.is_some() && nodejs_semver::Version::parse(&kver).is_ok() {
            // A registry package from a non-default registry: pnpm records its tarball URL.
            super::source_of(t, &name)
        } else {
            Source::Tarball { url: t.clone() }
        }
    } else if nodejs_semver::Version::parse(&version).is_ok() {
        Source::Registry
    } else {
        super::source_of(&kver, &name)
    };
    let mut p = LockedPackage::new(&name, &version, source);
    p.integrity = integrity;
    p.resolved = tarball;
    p.dev = e.get("dev").and_then(Value::as_bool).unwrap_or(false);
    p.optional = e.get("optional").and_then(Value::as_bool).unwrap_or(false);
    p.has_install_script = e.get("requiresBuild").and_then(Value::as_bool);
    p.paths.push(key.to_string());
    Ok(p)
}
