//! What a package's `package.json` says, read statically:
//!
//! - **Install scripts**: [`install_scripts`] lists the hooks npm runs (`preinstall`/`install`/
//!   `postinstall`, plus the `install: node-gyp rebuild` it implies for a `binding.gyp`). Whether
//!   a hook is *new* is the policy's `installScripts` rule (`policy::evaluate`), the only place
//!   that compares hooks between versions.
//! - **Manifest confusion** (`manifest-confusion`): the registry's version manifest against the
//!   tarball's `package.json` for name, version, scripts, dependencies and bin, after undoing
//!   what npm itself changes at publish (see [`manifest_confusion`]).

use super::{Finding, Signal};
use crate::npm::tarball::{normalize_rel, Package, INSTALL_HOOKS};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn scripts_of(m: &Value) -> Option<&Map<String, Value>> {
    m.get("scripts").and_then(Value::as_object)
}

fn script<'a>(m: &'a Value, hook: &str) -> Option<&'a str> {
    scripts_of(m)?
        .get(hook)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// The install hooks a manifest makes npm run: `(hook, command)`. With `has_binding_gyp` and
/// neither `install` nor `preinstall` (and no `gypfile: false`), npm runs `node-gyp rebuild`.
pub fn install_scripts(manifest: &Value, has_binding_gyp: bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = INSTALL_HOOKS
        .iter()
        .filter_map(|h| script(manifest, h).map(|c| (h.to_string(), c.to_string())))
        .collect();
    if has_binding_gyp
        && script(manifest, "install").is_none()
        && script(manifest, "preinstall").is_none()
        && manifest.get("gypfile") != Some(&Value::Bool(false))
    {
        out.push(("install".into(), "node-gyp rebuild".into()));
    }
    out
}

fn pkg_name(m: &Value) -> &str {
    m.get("name").and_then(Value::as_str).unwrap_or("")
}

/// A packument version manifest is abbreviated ("corgi") when it has neither `_id` nor `scripts`:
/// then only `hasInstallScript` tells about hooks.
pub fn is_abbreviated(m: &Value) -> bool {
    m.get("_id").is_none() && m.get("scripts").is_none()
}

/// Compare the registry's manifest for a version with the `package.json` in its tarball.
///
/// Fields: `name`, `version`, `scripts`, `dependencies`, `bin`. Not flagged, because npm does it
/// at publish: the registry's extra fields (`_id`, `dist`, `gitHead`, `_npmUser`, …); `v`/`=`
/// prefixes, blanks and build metadata in `version`; `optionalDependencies` merged into
/// `dependencies`; non-string scripts and dependencies dropped; `bin` as a string turned into
/// `{<unscoped name>: path}`, bin paths and names normalised (`./`, `..`, slashes), `bin` filled
/// from `directories.bin`; `install: node-gyp rebuild` added when a `*.gyp` file exists and
/// `start: node server.js` when `server.js` exists (without the file list these two are trusted;
/// [`manifest_confusion_package`] checks them). An abbreviated (corgi) manifest has no scripts:
/// its `hasInstallScript` is compared with the tarball's hooks.
///
/// Severity: `error`, except scripts other than the install hooks (`warning`).
pub fn manifest_confusion(registry_manifest: &Value, tarball_manifest: &Value) -> Vec<Finding> {
    confusion(registry_manifest, tarball_manifest, None)
}

/// [`manifest_confusion`] that also checks npm's file-based additions against the tarball.
pub fn manifest_confusion_package(registry_manifest: &Value, pkg: &Package) -> Vec<Finding> {
    confusion(registry_manifest, &pkg.manifest, Some(pkg))
}

fn mismatch(field: &str, severity: &str, registry: String, tarball: String) -> Finding {
    Finding {
        rule: "manifest-confusion".into(),
        severity: severity.into(),
        evidence: format!(
            "{field}: registry {} / tarball {}",
            clip(&registry, 300),
            clip(&tarball, 300)
        ),
        file: Some("package.json".into()),
        signal: Signal::ManifestMismatch {
            field: field.into(),
            registry,
            tarball,
        },
    }
}

fn clean_version(v: &str) -> &str {
    let v = v.trim().trim_start_matches(['=', 'v']).trim();
    v.split('+').next().unwrap_or(v)
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| {
                    v.as_str()
                        .map(|s| (k.trim().to_string(), s.trim().to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn deps(m: &Value) -> BTreeMap<String, String> {
    let mut d = string_map(m.get("dependencies"));
    // npm copies optionalDependencies into dependencies.
    d.extend(string_map(m.get("optionalDependencies")));
    d
}

/// npm-normalize-package-bin: `{basename(name): path without leading /}`, bad entries dropped.
fn bin(m: &Value) -> BTreeMap<String, String> {
    let raw: Vec<(String, String)> = match m.get("bin") {
        Some(Value::String(s)) => {
            let n = pkg_name(m);
            vec![(n.rsplit('/').next().unwrap_or(n).to_string(), s.clone())]
        }
        Some(Value::Object(o)) => o
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .filter_map(|(k, v)| {
            let k = posix_join_root(&k);
            let base = k.rsplit('/').next().unwrap_or("").to_string();
            let target = posix_join_root(&v);
            (!base.is_empty() && !target.is_empty()).then_some((base, target))
        })
        .collect()
}

/// `path.join('/', p).slice(1)`: `..` cannot climb above the root.
fn posix_join_root(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

fn show_map(m: &BTreeMap<String, String>) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

fn map_diff(r: &BTreeMap<String, String>, t: &BTreeMap<String, String>) -> (String, String) {
    let mut rs = BTreeMap::new();
    let mut ts = BTreeMap::new();
    for k in r.keys().chain(t.keys()) {
        if r.get(k) != t.get(k) {
            if let Some(v) = r.get(k) {
                rs.insert(k.clone(), v.clone());
            }
            if let Some(v) = t.get(k) {
                ts.insert(k.clone(), v.clone());
            }
        }
    }
    (show_map(&rs), show_map(&ts))
}

fn confusion(reg: &Value, tar: &Value, pkg: Option<&Package>) -> Vec<Finding> {
    let mut out = Vec::new();
    if !reg.is_object() || !tar.is_object() {
        return out;
    }
    // name, version
    for field in ["name", "version"] {
        let (Some(r), t) = (reg.get(field).and_then(Value::as_str), tar.get(field)) else {
            continue;
        };
        let t_str = t.and_then(Value::as_str).unwrap_or("");
        let same = if field == "version" {
            clean_version(r) == clean_version(t_str)
        } else {
            r.trim() == t_str.trim()
        };
        if !same {
            out.push(mismatch(
                field,
                "error",
                r.to_string(),
                t.map(Value::to_string)
                    .unwrap_or_else(|| "(missing)".into()),
            ));
        }
    }
    scripts(reg, tar, pkg, &mut out);
    // dependencies
    let (dr, dt) = (deps(reg), deps(tar));
    if dr != dt {
        let (a, b) = map_diff(&dr, &dt);
        out.push(mismatch("dependencies", "error", a, b));
    }
    // bin
    let br = bin(reg);
    let mut bt = bin(tar);
    let dir_bin = tar
        .pointer("/directories/bin")
        .and_then(Value::as_str)
        .and_then(normalize_rel);
    if bt.is_empty() {
        if let Some(dir) = dir_bin {
            match pkg {
                // npm fills bin from the files in directories.bin.
                Some(p) => {
                    let prefix = format!("{dir}/");
                    for f in &p.files {
                        if let Some(rest) = f.path.strip_prefix(&prefix) {
                            if !rest.contains('/') && !rest.starts_with('.') {
                                bt.insert(rest.to_string(), f.path.clone());
                            }
                        }
                    }
                }
                None => bt = br.clone(),
            }
        }
    }
    if br != bt {
        let (a, b) = map_diff(&br, &bt);
        out.push(mismatch("bin", "error", a, b));
    }
    out
}

/// The scripts: install hooks (`error`) and the others (`warning`), after npm's own additions
/// (`install: node-gyp rebuild`, `start: node server.js`); for an abbreviated manifest, its
/// `hasInstallScript` against the tarball's hooks.
fn scripts(reg: &Value, tar: &Value, pkg: Option<&Package>, out: &mut Vec<Finding>) {
    let has_gyp = pkg.map(|p| p.has_gyp_file);
    let has_server = pkg.map(|p| p.has_file("server.js"));
    let t_hooks = install_scripts(tar, pkg.is_some_and(|p| p.has_binding_gyp));
    if is_abbreviated(reg) {
        let flag = reg.get("hasInstallScript") == Some(&Value::Bool(true));
        if !t_hooks.is_empty() && !flag {
            out.push(mismatch(
                "scripts",
                "error",
                "hasInstallScript absent".into(),
                show_map(&t_hooks.iter().cloned().collect()),
            ));
        } else if t_hooks.is_empty()
            && flag
            && has_gyp != Some(true)
            && tar.get("gypfile").is_none()
        {
            out.push(mismatch(
                "scripts",
                "warning",
                "hasInstallScript: true".into(),
                "no install hooks".into(),
            ));
        }
    } else {
        let t_scripts = string_map(tar.get("scripts"));
        let mut r_scripts = string_map(reg.get("scripts"));
        if !t_scripts.contains_key("install")
            && !t_scripts.contains_key("preinstall")
            && tar.get("gypfile") != Some(&Value::Bool(false))
            && has_gyp != Some(false)
            && r_scripts.get("install").map(|s| squash(s)).as_deref() == Some("node-gyp rebuild")
        {
            r_scripts.remove("install");
        }
        if !t_scripts.contains_key("start")
            && has_server != Some(false)
            && r_scripts.get("start").map(|s| squash(s)).as_deref() == Some("node server.js")
        {
            r_scripts.remove("start");
        }
        let (hr, ht): (BTreeMap<_, _>, BTreeMap<_, _>) = (
            r_scripts
                .iter()
                .filter(|(k, _)| INSTALL_HOOKS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            t_scripts
                .iter()
                .filter(|(k, _)| INSTALL_HOOKS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        if hr != ht {
            let (a, b) = map_diff(&hr, &ht);
            out.push(mismatch("scripts", "error", a, b));
        }
        let or: BTreeMap<_, _> = r_scripts
            .into_iter()
            .filter(|(k, _)| !INSTALL_HOOKS.contains(&k.as_str()))
            .collect();
        let ot: BTreeMap<_, _> = t_scripts
            .into_iter()
            .filter(|(k, _)| !INSTALL_HOOKS.contains(&k.as_str()))
            .collect();
        if or != ot {
            let (a, b) = map_diff(&or, &ot);
            out.push(mismatch("scripts", "warning", a, b));
        }
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn install_scripts_and_gyp() {
        let m = json!({"scripts": {"postinstall": "node x.js", "test": "tap"}});
        assert_eq!(
            install_scripts(&m, false),
            vec![("postinstall".to_string(), "node x.js".to_string())]
        );
        assert_eq!(
            install_scripts(&json!({}), true),
            vec![("install".to_string(), "node-gyp rebuild".to_string())]
        );
        assert!(install_scripts(&json!({"gypfile": false}), true).is_empty());
        assert_eq!(
            install_scripts(&json!({"scripts": {"preinstall": "x"}}), true).len(),
            1
        );
    }

    #[test]
    fn confusion_normalisation() {
        let tar = json!({"name": "@s/tool", "version": "v1.0.0", "bin": "./cli.js",
            "dependencies": {"a": "^1"}, "optionalDependencies": {"b": "^2"}});
        let reg = json!({"_id": "@s/tool@1.0.0", "name": "@s/tool", "version": "1.0.0", "gitHead": "x",
            "dist": {}, "bin": {"tool": "cli.js"}, "scripts": {"install": "node-gyp rebuild"},
            "dependencies": {"a": "^1", "b": "^2"}, "optionalDependencies": {"b": "^2"}});
        assert_eq!(manifest_confusion(&reg, &tar), vec![]);
        let evil = json!({"name": "@s/tool", "version": "1.0.0", "bin": "./cli.js",
            "scripts": {"preinstall": "node x.js"}, "dependencies": {"a": "^1", "b": "^2"}});
        let f = manifest_confusion(&reg, &evil);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, "error");
        // Each field on its own.
        let base = json!({"_id": "p@1.0.0", "name": "p", "version": "1.0.0", "scripts": {}, "dependencies": {"a": "1"}, "bin": {"p": "b.js"}});
        for (field, t) in [
            (
                "name",
                json!({"name": "q", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": {"p": "b.js"}}),
            ),
            (
                "version",
                json!({"name": "p", "version": "1.0.1", "dependencies": {"a": "1"}, "bin": "b.js"}),
            ),
            (
                "dependencies",
                json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "2"}, "bin": "b.js"}),
            ),
            (
                "bin",
                json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": "c.js"}),
            ),
            (
                "scripts",
                json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": "b.js", "scripts": {"install": "x"}}),
            ),
        ] {
            let f = manifest_confusion(&base, &t);
            let fields: Vec<_> = f
                .iter()
                .map(|f| match &f.signal {
                    Signal::ManifestMismatch { field, .. } => field.as_str(),
                    _ => "",
                })
                .collect();
            assert_eq!(fields, vec![field], "{f:?}");
        }
        // Abbreviated manifest without hasInstallScript vs a tarball with a hook.
        let corgi = json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": {"p": "b.js"}});
        let t = json!({"name": "p", "version": "1.0.0", "dependencies": {"a": "1"}, "bin": "b.js", "scripts": {"postinstall": "node x"}});
        assert_eq!(manifest_confusion(&corgi, &t).len(), 1);
    }
}
