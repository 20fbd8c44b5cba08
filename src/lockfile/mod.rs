//! Lockfiles of every package manager, read into one model.
//!
//! | format | file | parser |
//! |---|---|---|
//! | npm v1, v2, v3 | `package-lock.json`, `npm-shrinkwrap.json` | `serde_json` (`npm.rs`) |
//! | yarn classic (v1) | `yarn.lock` | a line parser (`yarn.rs`): the format is not YAML and no maintained crate reads it |
//! | yarn berry | `yarn.lock` with `__metadata` | `serde_yaml_ng` (`yarn.rs`) |
//! | pnpm 5.4, 6, 9 | `pnpm-lock.yaml`, one or two YAML documents | `serde_yaml_ng` (`pnpm.rs`) |
//! | bun | `bun.lock` (JSON with trailing commas) | `json5` (`bun.rs`) |
//! | none | `node_modules/**/package.json` | `node_modules.rs` |
//!
//! `serde_yaml_ng` is the maintained fork of the deprecated `serde_yaml` and reads multi-document
//! streams (pnpm's two-document lockfile); `json5` accepts bun's trailing commas.
//!
//! Every registry package is listed once per `(name, version, source)` with all the places it
//! is installed; workspace projects are listed in `workspaces`, not as packages.

mod bun;
mod node_modules;
mod npm;
mod pnpm;
mod yarn;

use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest lockfile read.
pub const MAX_LOCKFILE_BYTES: u64 = 256 * 1024 * 1024;

/// Which lockfile format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    NpmV1,
    NpmV2,
    NpmV3,
    YarnClassic,
    YarnBerry,
    Pnpm,
    Bun,
    NodeModules,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::NpmV1 => "npm-v1",
            Format::NpmV2 => "npm-v2",
            Format::NpmV3 => "npm-v3",
            Format::YarnClassic => "yarn-classic",
            Format::YarnBerry => "yarn-berry",
            Format::Pnpm => "pnpm",
            Format::Bun => "bun",
            Format::NodeModules => "node_modules",
        })
    }
}

/// Where a package comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Source {
    Registry,
    Git { url: String },
    File { path: String },
    Tarball { url: String },
    Workspace { path: String },
    Link { path: String },
}

/// One package version in the tree.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockedPackage {
    /// The real package name (an `npm:` alias resolved).
    pub name: String,
    pub version: String,
    /// The name it is installed under, when aliased.
    pub alias: Option<String>,
    /// SRI as the lockfile gives it.
    pub integrity: Option<String>,
    /// A lockfile checksum that is not an SRI of the tarball (yarn berry).
    pub checksum: Option<String>,
    pub resolved: Option<String>,
    pub source: Source,
    pub dev: bool,
    pub optional: bool,
    pub bundled: bool,
    pub has_install_script: Option<bool>,
    /// Where it is installed (npm) or its lockfile key(s).
    pub paths: Vec<String>,
}

impl LockedPackage {
    fn new(name: &str, version: &str, source: Source) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            alias: None,
            integrity: None,
            checksum: None,
            resolved: None,
            source,
            dev: false,
            optional: false,
            bundled: false,
            has_install_script: None,
            paths: Vec::new(),
        }
    }
}

/// A parsed tree.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lockfile {
    pub format: Format,
    pub path: PathBuf,
    pub packages: Vec<LockedPackage>,
    /// Workspace project directories, relative to the lockfile (the root is not listed).
    pub workspaces: Vec<String>,
}

/// The lockfile in `dir`, by npm's precedence, then pnpm, yarn, bun.
pub fn find(dir: &Path) -> Option<PathBuf> {
    [
        "npm-shrinkwrap.json",
        "package-lock.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        "bun.lock",
    ]
    .iter()
    .map(|f| dir.join(f))
    .find(|p| p.is_file())
}

/// Read and parse a lockfile.
pub fn parse_file(path: &Path) -> Result<Lockfile> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_LOCKFILE_BYTES {
        return Err(Error::TooLarge(format!(
            "{}: {} bytes is over the {MAX_LOCKFILE_BYTES}-byte lockfile limit",
            path.display(),
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut l = parse_str(name, &text)?;
    l.path = path.to_path_buf();
    Ok(l)
}

/// Parse lockfile text; `file_name` picks the format (`bun.lockb` is refused: binary).
pub fn parse_str(file_name: &str, text: &str) -> Result<Lockfile> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (format, packages, workspaces) = match file_name {
        "package-lock.json" | "npm-shrinkwrap.json" => npm::parse(text, file_name)?,
        "pnpm-lock.yaml" => pnpm::parse(text, file_name)?,
        "yarn.lock" => yarn::parse(text, file_name)?,
        "bun.lock" => bun::parse(text, file_name)?,
        "bun.lockb" => {
            return Err(Error::InvalidArg(
                "bun.lockb is binary: run `bun install --save-text-lockfile` to write bun.lock"
                    .into(),
            ))
        }
        other => {
            return Err(Error::InvalidArg(format!(
                "{other:?} is not a lockfile name prov-native reads"
            )))
        }
    };
    Ok(Lockfile {
        format,
        path: PathBuf::from(file_name),
        packages: dedupe(packages),
        workspaces,
    })
}

/// Read `node_modules` when there is no lockfile.
pub fn walk_node_modules(dir: &Path) -> Result<Lockfile> {
    let packages = node_modules::walk(dir)?;
    Ok(Lockfile {
        format: Format::NodeModules,
        path: dir.join("node_modules"),
        packages: dedupe(packages),
        workspaces: Vec::new(),
    })
}

/// One entry per (name, version, source): paths merged; dev/optional only if every
/// occurrence is.
fn dedupe(pkgs: Vec<LockedPackage>) -> Vec<LockedPackage> {
    let mut map: BTreeMap<(String, String, Source), LockedPackage> = BTreeMap::new();
    for p in pkgs {
        let key = (p.name.clone(), p.version.clone(), p.source.clone());
        match map.get_mut(&key) {
            None => {
                map.insert(key, p);
            }
            Some(e) => {
                e.paths.extend(p.paths);
                e.dev &= p.dev;
                e.optional &= p.optional;
                e.bundled &= p.bundled;
                e.integrity = e.integrity.take().or(p.integrity);
                e.checksum = e.checksum.take().or(p.checksum);
                e.resolved = e.resolved.take().or(p.resolved);
                e.alias = e.alias.take().or(p.alias);
                e.has_install_script = e.has_install_script.or(p.has_install_script);
            }
        }
    }
    map.into_values().collect()
}

/// Split `name@range` (scoped names keep their leading `@`).
pub fn split_at_version_pub(spec: &str) -> Option<(&str, &str)> {
    split_at_version(spec)
}

/// Split `name@range` (scoped names keep their leading `@`).
pub(crate) fn split_at_version(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

/// Classify a URL or spec that is not a plain registry version.
pub(crate) fn source_of(resolved: &str, name: &str) -> Source {
    let r = resolved.trim();
    if r.starts_with("git+")
        || r.starts_with("git://")
        || r.starts_with("git@")
        || r.starts_with("github:")
        || r.starts_with("gitlab:")
        || r.starts_with("bitbucket:")
        || r.contains("codeload.github.com")
    {
        return Source::Git { url: r.into() };
    }
    if let Some(p) = r.strip_prefix("file:") {
        return Source::File { path: p.into() };
    }
    if let Some(p) = r.strip_prefix("link:") {
        return Source::Link { path: p.into() };
    }
    if r.starts_with("http://") || r.starts_with("https://") {
        // Registry tarballs live at `<registry>/<name>/-/<file>.tgz`.
        let base = name.rsplit('/').next().unwrap_or(name);
        let plain = r.split(['#', '?']).next().unwrap_or(r);
        let at_registry_path = plain.contains(&format!("/{name}/-/"))
            || plain.contains(&format!("/{}/-/", name.replace('/', "%2f")))
            || plain.contains(&format!("/{}/-/", name.replace('/', "%2F")));
        if at_registry_path
            && plain
                .rsplit('/')
                .next()
                .is_some_and(|f| f.starts_with(base))
        {
            return Source::Registry;
        }
        return Source::Tarball { url: r.into() };
    }
    Source::File { path: r.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(
            source_of("http://127.0.0.1:1/@a/b/-/b-1.0.0.tgz", "@a/b"),
            Source::Registry
        );
        assert_eq!(
            source_of("https://r.example/@a%2fb/-/b-1.0.0.tgz", "@a/b"),
            Source::Registry
        );
        assert!(matches!(
            source_of("https://cdn.example/x.tgz", "x"),
            Source::Tarball { .. }
        ));
        assert!(matches!(
            source_of("git+ssh://git@github.com/a/b.git#abc", "b"),
            Source::Git { .. }
        ));
        assert!(matches!(source_of("file:../x", "x"), Source::File { .. }));
        assert_eq!(split_at_version("@a/b@^1"), Some(("@a/b", "^1")));
        assert_eq!(split_at_version("a@npm:b@1"), Some(("a", "npm:b@1")));
    }
}
