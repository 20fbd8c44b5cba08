//! package-lock.json / npm-shrinkwrap.json / node_modules/.package-lock.json, lockfileVersion
//! 1, 2 and 3.
//!
//! v2/v3 read the flat `packages` map keyed by install path:
//! 1. `""` is the root; its `workspaces` globs say which other keys without `node_modules/`
//!    are workspace projects (listed in `workspaces`, not as packages);
//! 2. a key without `node_modules/` that is not a workspace is a local directory (`file:` with
//!    `install-links=false`): it is reported through the `link: true` entry that points at it,
//!    as `Source::Link`;
//! 3. every other key is an install location; `name` (an alias's real name), `version`,
//!    `resolved`, `integrity`, `dev`/`optional`/`devOptional`, `inBundle`, `hasInstallScript`
//!    are taken as npm wrote them; `resolved` decides the source (absent: the registry, as
//!    npm writes it with `omit-lockfile-registry-resolved`).
//!
//! v1 walks the nested `dependencies` tree, where `version` may hold an alias
//! (`npm:real@1.0.0`), a git URL, a `file:` path or a tarball URL.

use super::{
    check_entries, is_version, last_name, registry_tarball_version, source_of, Format,
    LockedPackage, Parsed, Source,
};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Deepest v1 `dependencies` nesting (serde_json stops at 128 JSON levels anyway).
const MAX_V1_DEPTH: usize = 64;

pub(super) fn parse(text: &str, what: &str) -> Result<Parsed> {
    let doc: Value = serde_json::from_str(text).map_err(|e| Error::json(what, e))?;
    let obj = doc
        .as_object()
        .ok_or_else(|| Error::json(what, "a package-lock is a JSON object"))?;
    let version = match obj.get("lockfileVersion") {
        Some(v) => v.as_u64().ok_or_else(|| {
            Error::json(
                what,
                format!("lockfileVersion {v} is not a number npm writes"),
            )
        })?,
        None => return Err(Error::json(what, "no lockfileVersion")),
    };
    let format = match version {
        1 => Format::NpmV1,
        2 => Format::NpmV2,
        3 => Format::NpmV3,
        n => {
            return Err(Error::json(
                what,
                format!("lockfileVersion {n} is not one prov-native reads (npm writes 1, 2 and 3)"),
            ))
        }
    };
    let (packages, workspaces) = match obj.get("packages") {
        Some(p) if version >= 2 => {
            let p = p
                .as_object()
                .ok_or_else(|| Error::json(what, "\"packages\" is not an object"))?;
            v2(p, what)?
        }
        None if version == 3 => {
            return Err(Error::json(what, "lockfileVersion 3 without \"packages\""))
        }
        _ => {
            let mut out = Vec::new();
            if let Some(d) = obj.get("dependencies") {
                let d = d
                    .as_object()
                    .ok_or_else(|| Error::json(what, "\"dependencies\" is not an object"))?;
                v1(d, "node_modules", &mut out, 0, what)?;
            }
            (out, Vec::new())
        }
    };
    Ok(Parsed {
        format,
        lockfile_version: version.to_string(),
        packages,
        workspaces,
    })
}

fn flag(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// The root's `workspaces`: an array of globs or `{ "packages": [...] }`.
fn workspace_globs(root: Option<&Value>) -> Vec<String> {
    let w = root.and_then(|r| r.get("workspaces"));
    let arr = w
        .and_then(Value::as_array)
        .or_else(|| w.and_then(|w| w.get("packages")).and_then(Value::as_array));
    arr.map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

fn v2(packages: &Map<String, Value>, what: &str) -> Result<(Vec<LockedPackage>, Vec<String>)> {
    check_entries(packages.len(), what)?;
    let globs = workspace_globs(packages.get(""));
    let is_workspace = |key: &str| {
        let mut hit = false;
        for g in &globs {
            if let Some(neg) = g.strip_prefix('!') {
                if glob_match(neg, key) {
                    hit = false;
                }
            } else if glob_match(g, key) {
                hit = true;
            }
        }
        hit
    };
    let link_targets: HashSet<&str> = packages
        .values()
        .filter(|e| flag(e, "link"))
        .filter_map(|e| e.get("resolved").and_then(Value::as_str))
        .collect();
    let mut out = Vec::new();
    let mut workspaces = Vec::new();
    for (key, e) in packages {
        if key.is_empty() {
            continue;
        }
        if !e.is_object() {
            return Err(Error::json(
                what,
                format!("packages[{key:?}] is not an object"),
            ));
        }
        let installed_at = key
            .rfind("node_modules/")
            .filter(|&i| i == 0 || key[..i].ends_with('/'))
            .map(|i| &key[i + "node_modules/".len()..]);
        let Some(install_name) = installed_at else {
            if is_workspace(key) {
                workspaces.push(key.clone());
            } else if !link_targets.contains(key.as_str()) {
                // A local directory nothing links to: report it where it is.
                let name = s(e, "name").unwrap_or_else(|| last_name(key).to_string());
                let mut p = LockedPackage::new(
                    &name,
                    &s(e, "version").unwrap_or_default(),
                    Source::Link { path: key.clone() },
                );
                p.paths.push(key.clone());
                out.push(p);
            }
            continue;
        };
        let install_name = last_name(install_name);
        if flag(e, "link") {
            let target = s(e, "resolved").unwrap_or_default();
            if is_workspace(&target) && !target.contains("node_modules/") {
                continue;
            }
            let t = packages.get(&target);
            let name = t
                .and_then(|t| s(t, "name"))
                .unwrap_or_else(|| install_name.to_string());
            let version = t.and_then(|t| s(t, "version")).unwrap_or_default();
            let mut p = LockedPackage::new(&name, &version, Source::Link { path: target });
            if name != install_name {
                p.alias = Some(install_name.to_string());
            }
            flags(&mut p, e);
            p.paths.push(key.clone());
            out.push(p);
            continue;
        }
        let name = s(e, "name").unwrap_or_else(|| install_name.to_string());
        let mut version = s(e, "version").unwrap_or_default();
        let resolved = s(e, "resolved");
        let source = match &resolved {
            Some(r) => source_of(r, &name),
            None => Source::Registry,
        };
        if source == Source::Registry && !is_version(&version) {
            if let Some(v) = resolved
                .as_deref()
                .and_then(|r| registry_tarball_version(r, &name))
            {
                version = v;
            }
        }
        let mut p = LockedPackage::new(&name, &version, source);
        if name != install_name {
            p.alias = Some(install_name.to_string());
        }
        p.integrity = s(e, "integrity");
        p.resolved = resolved;
        flags(&mut p, e);
        p.bundled = flag(e, "inBundle");
        p.has_install_script = e.get("hasInstallScript").and_then(Value::as_bool);
        p.paths.push(key.clone());
        out.push(p);
    }
    Ok((out, workspaces))
}

fn flags(p: &mut LockedPackage, e: &Value) {
    p.dev = flag(e, "dev");
    p.optional = flag(e, "optional");
    p.dev_optional = flag(e, "devOptional");
}

fn v1(
    deps: &Map<String, Value>,
    prefix: &str,
    out: &mut Vec<LockedPackage>,
    depth: usize,
    what: &str,
) -> Result<()> {
    if depth > MAX_V1_DEPTH {
        return Err(Error::TooLarge(format!(
            "{what}: dependencies nest deeper than {MAX_V1_DEPTH}"
        )));
    }
    check_entries(out.len() + deps.len(), what)?;
    for (install_name, e) in deps {
        if !e.is_object() {
            return Err(Error::json(
                what,
                format!("dependencies[{install_name:?}] is not an object"),
            ));
        }
        let path = format!("{prefix}/{install_name}");
        let version = s(e, "version").unwrap_or_default();
        let resolved = s(e, "resolved");
        let integrity = s(e, "integrity");
        let (name, mut version, source) = if let Some(alias) = version.strip_prefix("npm:") {
            match super::split_at_version(alias) {
                Some((n, v)) => {
                    let src = resolved
                        .as_deref()
                        .map_or(Source::Registry, |r| source_of(r, n));
                    (n.to_string(), v.to_string(), src)
                }
                None => (install_name.clone(), version.clone(), Source::Registry),
            }
        } else if is_version(&version) {
            let src = resolved
                .as_deref()
                .map_or(Source::Registry, |r| source_of(r, install_name));
            (install_name.clone(), version.clone(), src)
        } else if let Some(p) = version.strip_prefix("file:") {
            // npm 6 symlinks `file:` directories and unpacks `file:` tarballs.
            let tarball =
                integrity.is_some() || [".tgz", ".tar.gz", ".tar"].iter().any(|x| p.ends_with(x));
            let src = if tarball {
                Source::File { path: p.into() }
            } else {
                Source::Link { path: p.into() }
            };
            (install_name.clone(), version.clone(), src)
        } else {
            // A git URL or a tarball URL in `version`.
            let src = source_of(&version, install_name);
            (install_name.clone(), version.clone(), src)
        };
        if source == Source::Registry && !is_version(&version) {
            let url = resolved.as_deref().unwrap_or(&version);
            if let Some(v) = registry_tarball_version(url, &name) {
                version = v;
            }
        }
        let mut p = LockedPackage::new(&name, &version, source);
        if name != *install_name {
            p.alias = Some(install_name.clone());
        }
        p.integrity = integrity;
        p.resolved = resolved;
        p.dev = flag(e, "dev");
        p.optional = flag(e, "optional");
        p.bundled = flag(e, "bundled");
        p.paths.push(path.clone());
        out.push(p);
        if let Some(nested) = e.get("dependencies") {
            let nested = nested.as_object().ok_or_else(|| {
                Error::json(what, format!("{path}: \"dependencies\" is not an object"))
            })?;
            v1(
                nested,
                &format!("{path}/node_modules"),
                out,
                depth + 1,
                what,
            )?;
        }
    }
    Ok(())
}

/// npm workspace globs: `*` and `?` within a path segment, `**` for any number of segments;
/// a leading `./` and trailing `/` are ignored.
pub(super) fn glob_match(pattern: &str, path: &str) -> bool {
    let norm = |s: &str| -> String {
        let s = s.trim();
        let s = s.strip_prefix("./").unwrap_or(s);
        s.trim_end_matches('/').to_string()
    };
    let (pattern, path) = (norm(pattern), norm(path));
    if pattern.len() > 1024 || path.len() > 4096 {
        return false;
    }
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    // dp[j]: pat[..i] matches segs[..j].
    let mut dp = vec![false; segs.len() + 1];
    dp[0] = true;
    for p in &pat {
        let mut next = vec![false; segs.len() + 1];
        if *p == "**" {
            let mut any = false;
            for j in 0..=segs.len() {
                any |= dp[j];
                next[j] = any;
            }
        } else {
            for j in 1..=segs.len() {
                next[j] = dp[j - 1] && segment_match(p, segs[j - 1]);
            }
        }
        dp = next;
    }
    dp[segs.len()]
}

fn segment_match(p: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (p.chars().collect(), s.chars().collect());
    let mut dp = vec![false; s.len() + 1];
    dp[0] = true;
    for &c in &p {
        let mut next = vec![false; s.len() + 1];
        if c == '*' {
            let mut any = false;
            for j in 0..=s.len() {
                any |= dp[j];
                next[j] = any;
            }
        } else {
            for j in 1..=s.len() {
                next[j] = dp[j - 1] && (c == '?' || c == s[j - 1]);
            }
        }
        dp = next;
    }
    dp[s.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("packages/*", "packages/a"));
        assert!(glob_match("./packages/*/", "packages/a"));
        assert!(!glob_match("packages/*", "packages/a/b"));
        assert!(glob_match("packages/**", "packages/a/b"));
        assert!(glob_match("apps/**/web", "apps/web"));
        assert!(glob_match("docs", "docs"));
        assert!(glob_match("pkg-?", "pkg-1"));
        assert!(!glob_match("packages/*", "other/a"));
        assert!(glob_match("packages/a*z", "packages/abcz"));
    }

    #[test]
    fn unknown_versions_and_shapes() {
        for (text, want) in [
            (
                r#"{"lockfileVersion": 4, "packages": {}}"#,
                "lockfileVersion 4",
            ),
            (r#"{"lockfileVersion": "3"}"#, "not a number"),
            (r#"{"packages": {}}"#, "no lockfileVersion"),
            (r#"{"lockfileVersion": 3}"#, "without"),
            (
                r#"{"lockfileVersion": 3, "packages": {"node_modules/a": 1}}"#,
                "not an object",
            ),
            (
                r#"{"lockfileVersion": 1, "dependencies": {"a": {"dependencies": 5}}}"#,
                "not an object",
            ),
        ] {
            let e = parse(text, "t").err().unwrap();
            assert_eq!(e.code(), "ERR_PROV_JSON");
            assert!(e.to_string().contains(want), "{e}");
        }
    }
}
