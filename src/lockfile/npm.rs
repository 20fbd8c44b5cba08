//! package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2 and 3.
//!
//! v2/v3: the flat `packages` map keyed by install path (`node_modules/a/node_modules/b`);
//! `""` is the root, keys without `node_modules/` are workspace projects, `link: true`
//! entries point at them. v1: the nested `dependencies` tree, where `version` may hold an
//! alias (`npm:real@1.0.0`), a git URL or a `file:` path.

use super::{source_of, Format, LockedPackage, Source};
use crate::error::{Error, Result};
use serde_json::{Map, Value};

type Parsed = (Format, Vec<LockedPackage>, Vec<String>);

pub(super) fn parse(text: &str, file: &str) -> Result<Parsed> {
    let doc: Value = serde_json::from_str(text).map_err(|e| Error::json(file, e))?;
    let version = doc
        .get("lockfileVersion")
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::json(file, "no lockfileVersion"))?;
    match version {
        1 => {
            let deps = doc.get("dependencies").and_then(Value::as_object);
            let mut out = Vec::new();
            if let Some(d) = deps {
                v1(d, "node_modules", &mut out, 0)?;
            }
            Ok((Format::NpmV1, out, Vec::new()))
        }
        2 | 3 => {
            let packages = doc
                .get("packages")
                .and_then(Value::as_object)
                .ok_or_else(|| Error::json(file, "lockfileVersion 2/3 without \"packages\""))?;
            let (pkgs, ws) = v2(packages);
            Ok((
                if version == 2 {
                    Format::NpmV2
                } else {
                    Format::NpmV3
                },
                pkgs,
                ws,
            ))
        }
        n => Err(Error::json(
            file,
            format!("lockfileVersion {n} is not one prov-native knows (1, 2, 3)"),
        )),
    }
}

fn flag(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// The last `node_modules/<name>` of an install path.
fn name_from_path(key: &str) -> Option<&str> {
    let i = key.rfind("node_modules/")?;
    Some(&key[i + "node_modules/".len()..])
}

fn v2(packages: &Map<String, Value>) -> (Vec<LockedPackage>, Vec<String>) {
    let mut out = Vec::new();
    let mut workspaces = Vec::new();
    for (key, e) in packages {
        if key.is_empty() {
            continue;
        }
        let Some(install_name) = name_from_path(key) else {
            // A workspace project directory.
            workspaces.push(key.clone());
            continue;
        };
        if flag(e, "link") {
            // A symlink: to a workspace project (listed above) or a local directory.
            let target = s(e, "resolved").unwrap_or_default();
            if !packages.contains_key(&target) || target.contains("node_modules/") {
                let mut p = LockedPackage::new(install_name, "", Source::Link { path: target });
                p.paths.push(key.clone());
                out.push(p);
            }
            continue;
        }
        let name = s(e, "name").unwrap_or_else(|| install_name.to_string());
        let version = s(e, "version").unwrap_or_default();
        let resolved = s(e, "resolved");
        let source = match &resolved {
            Some(r) => source_of(r, &name),
            None => Source::Registry,
        };
        let mut p = LockedPackage::new(&name, &version, source);
        if name != install_name {
            p.alias = Some(install_name.to_string());
        }
        p.integrity = s(e, "integrity");
        p.resolved = resolved;
        p.dev = flag(e, "dev") || flag(e, "devOptional");
        p.optional = flag(e, "optional") || flag(e, "devOptional");
        p.bundled = flag(e, "inBundle");
        p.has_install_script = e.get("hasInstallScript").and_then(Value::as_bool);
        p.paths.push(key.clone());
        out.push(p);
    }
    (out, workspaces)
}

fn v1(
    deps: &Map<String, Value>,
    prefix: &str,
    out: &mut Vec<LockedPackage>,
    depth: usize,
) -> Result<()> {
    if depth > 256 {
        return Err(Error::TooLarge(
            "lockfile dependencies nest deeper than 256".into(),
        ));
    }
    for (install_name, e) in deps {
        let path = format!("{prefix}/{install_name}");
        let version = s(e, "version").unwrap_or_default();
        let resolved = s(e, "resolved");
        let (name, version, source) = if let Some(alias) = version.strip_prefix("npm:") {
            match super::split_at_version(alias) {
                Some((n, v)) => (n.to_string(), v.to_string(), Source::Registry),
                None => (install_name.clone(), version.clone(), Source::Registry),
            }
        } else if nodejs_semver::Version::parse(&version).is_ok() {
            let src = match &resolved {
                Some(r) => source_of(r, install_name),
                None => Source::Registry,
            };
            (install_name.clone(), version.clone(), src)
        } else {
            // git URL, file: path or tarball URL in `version`.
            (
                install_name.clone(),
                version.clone(),
                source_of(&version, install_name),
            )
        };
        let mut p = LockedPackage::new(&name, &version, source);
        if name != *install_name {
            p.alias = Some(install_name.clone());
        }
        p.integrity = s(e, "integrity");
        p.resolved = resolved;
        p.dev = flag(e, "dev");
        p.optional = flag(e, "optional");
        p.bundled = flag(e, "bundled");
        p.paths.push(path.clone());
        out.push(p);
        if let Some(nested) = e.get("dependencies").and_then(Value::as_object) {
            v1(nested, &format!("{path}/node_modules"), out, depth + 1)?;
        }
    }
    Ok(())
}
