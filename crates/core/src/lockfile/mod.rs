//! Lockfiles of every package manager, read into one model.
//!
//! | format | file | parsed with |
//! |---|---|---|
//! | npm v1, v2, v3 | `package-lock.json`, `npm-shrinkwrap.json`, `node_modules/.package-lock.json` | `serde_json` (`npm.rs`) |
//! | yarn classic (v1) | `yarn.lock` | a port of yarn's own tokenizer and parser (`yarn_classic.rs`) |
//! | yarn berry (v2+) | `yarn.lock` with `__metadata` | `saphyr-parser` (`yarn_berry.rs`, `yaml.rs`) |
//! | pnpm 5.x, 6.x, 9.x | `pnpm-lock.yaml`, one YAML document or two | `saphyr-parser` (`pnpm.rs`, `yaml.rs`) |
//! | bun | `bun.lock` (JSONC: trailing commas) | `jsonc-parser` (`bun.rs`) |
//! | none | `node_modules/**/package.json` | `serde_json` (`node_modules.rs`) |
//!
//! Why these crates (measured on the real lockfiles in `testdata/data/lockfiles`, release build,
//! 2 cores; inputs are untrusted, so hostile inputs were measured too):
//! - YAML: `saphyr-parser` 0.3 events, built into values by `yaml.rs` with a depth bound.
//!   On the 205 KB two-document pnpm lockfile: saphyr-parser events 10.6 ms, `yaml-rust2` 10 ms,
//!   `saphyr` 15 ms, `serde_yaml_ng` 16 ms, `serde_norway` 21 ms, `serde-saphyr` 22 ms. Hostile:
//!   `serde_yaml_ng`/`serde_norway` (libyaml ports; `serde_yaml` itself is deprecated) take time
//!   quadratic in flow nesting (`[[[…` 32k deep, 64 KB: 4.7 s); `yaml-rust2` expands alias
//!   bombs (9 GB after 60 s, stopped); `yaml-rust2` and `saphyr`'s tree loader overflow the stack on deep
//!   block nesting (abort — would take Node down); `serde-saphyr` is safe but needs Rust 1.89
//!   (this crate says 1.86) and is the slowest. saphyr-parser's iterative event stream handled
//!   all of these; the builder refuses aliases and nesting over 64.
//! - JSONC: `jsonc-parser` (dprint) with only comments and trailing commas allowed, which is
//!   what bun writes: 2.1 ms on the 258 KB bun.lock, against 3.7 ms for `json5` 1.x and 82 ms
//!   for `json5` 0.4; `json5` 1.x aborts on 200k-deep nesting (stack overflow), `jsonc-parser`
//!   stops at its nesting limit.
//! - yarn classic: `yarn-lock-parser` (kept, nom based) reads lines heuristically (no string
//!   escapes, `checksum` folded into `integrity`, `expect`/`unreachable!` in library code), so
//!   `yarn_classic.rs` ports yarn's own tokenizer/parser (~200 lines) instead, stricter than yarn
//!   where yarn silently stops reading.
//!
//! Every package is listed once per `(name, version, source)` and artifact (occurrences that
//! claim different integrities stay apart) with all the places it is installed; workspace
//! projects are listed in `workspaces`, not as packages. Every format also keeps its
//! dependency edges ([`Dependencies`], in `graph.rs`): parsers record them between their own
//! entries by index, resolved as that package manager resolves (see each file), and merging
//! maps them onto (package, install location) pairs. Bounds: the text
//! is at most [`MAX_LOCKFILE_BYTES`], at most [`MAX_ENTRIES`] entries, nesting is bounded in
//! every parser; nothing here panics on input.

mod bun;
mod graph;
mod node_modules;
mod npm;
mod pnpm;
mod yaml;
mod yarn_berry;
mod yarn_classic;

pub use graph::{DepKind, Dependencies, Node};

use crate::error::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Largest lockfile read (bytes).
pub const MAX_LOCKFILE_BYTES: u64 = 256 * 1024 * 1024;

/// Most package entries (install locations / lockfile keys) in one lockfile.
pub const MAX_ENTRIES: usize = 1_000_000;

/// Lockfile names [`find`] looks for, in order of precedence.
pub const LOCKFILE_NAMES: [&str; 5] = [
    "npm-shrinkwrap.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
];

/// Which lockfile format. Serialised as its [`Display`](std::fmt::Display) form (`"npm-v3"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "npm-v1")]
    NpmV1,
    #[serde(rename = "npm-v2")]
    NpmV2,
    #[serde(rename = "npm-v3")]
    NpmV3,
    #[serde(rename = "yarn-classic")]
    YarnClassic,
    #[serde(rename = "yarn-berry")]
    YarnBerry,
    /// Any pnpm lockfile; [`Lockfile::lockfile_version`] says which (`"5.4"`, `"6.0"`, `"9.0"`).
    #[serde(rename = "pnpm")]
    Pnpm,
    #[serde(rename = "bun")]
    Bun,
    #[serde(rename = "node_modules")]
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

/// Where a package comes from. Only `Registry` packages can be verified against a registry;
/// the others are reported as not verifiable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Source {
    /// A registry package (the default or a scoped/alternative registry).
    Registry,
    /// A git repository (also git-hosted tarballs such as codeload.github.com).
    Git { url: String },
    /// A local tarball or directory copied in (`file:`).
    File { path: String },
    /// A tarball at a URL that is not a registry's tarball of this name and version.
    Tarball { url: String },
    /// A workspace project of this repository. The parsers list workspace projects in
    /// [`Lockfile::workspaces`] instead; this is for callers that mix both.
    Workspace { path: String },
    /// A symlink to a local directory (`link:`, npm `install-links=false`, `portal:`).
    Link { path: String },
}

/// One package version in the tree.
///
/// The flags follow npm's meaning: `dev` — needed only for development (left out by
/// `--omit=dev`/`--prod`); `optional` — reached only through optional dependencies (left out by
/// `--omit=optional`; both `dev` and `optional` = an optional dependency of a dev dependency);
/// `dev_optional` — npm's `devOptional`: left out only when both are omitted. All three false:
/// always installed. yarn lockfiles record none of this, so their packages are all "always".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockedPackage {
    /// The real package name (an `npm:` alias resolved).
    pub name: String,
    /// The exact version; for non-registry sources, the version the lockfile records if any,
    /// else the reference (`file:…`, a URL).
    pub version: String,
    /// The name it is installed under, when aliased.
    pub alias: Option<String>,
    /// SRI exactly as the lockfile gives it (yarn classic: when an entry has no `integrity`,
    /// the `#<sha1>` of its `resolved` URL, as `sha1-<base64>`).
    pub integrity: Option<String>,
    /// A lockfile checksum that is not an SRI of the npm tarball (yarn berry: a hash of yarn's
    /// zip archive, `<cacheKey>/<sha512 hex>`).
    pub checksum: Option<String>,
    /// The tarball URL or reference the lockfile records.
    pub resolved: Option<String>,
    pub source: Source,
    pub dev: bool,
    pub optional: bool,
    pub dev_optional: bool,
    /// Shipped inside its parent's tarball (`bundleDependencies`), not fetched by itself.
    pub bundled: bool,
    /// npm v2/v3 `hasInstallScript`, pnpm 5/6 `requiresBuild`, node_modules scripts; `None`
    /// when the lockfile does not say.
    pub has_install_script: Option<bool>,
    /// Where it is installed (npm: `node_modules/a/node_modules/b`; others: the lockfile keys).
    pub paths: Vec<String>,
}

impl LockedPackage {
    pub(crate) fn new(name: &str, version: &str, source: Source) -> Self {
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
            dev_optional: false,
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
    /// The version the file declares: npm `1`/`2`/`3`, yarn classic `1`, yarn berry's
    /// `__metadata.version`, pnpm `5.4`/`6.0`/`9.0`, bun `0`/`1`/`2`; empty for node_modules.
    pub lockfile_version: String,
    pub path: PathBuf,
    /// Sorted by name, version, source.
    pub packages: Vec<LockedPackage>,
    /// Workspace project directories, relative to the lockfile (the root is not listed; yarn
    /// classic lockfiles do not record workspaces).
    pub workspaces: Vec<String>,
    /// The dependency edges between install locations (not serialised: indices into
    /// `packages`).
    #[serde(skip)]
    pub dependencies: Dependencies,
}

impl Lockfile {
    /// The install location the root project's dependency `name` (at manifest range `range`)
    /// resolves to, for lockfiles that do not record the root's dependencies: npm v1 and
    /// node_modules trees by Node's lookup (`node_modules/<name>`), yarn classic and berry by
    /// the descriptor `name@range` (berry also `name@npm:range`) in an entry's key.
    pub fn direct(&self, name: &str, range: &str) -> Option<Node> {
        let yarn = matches!(self.format, Format::YarnClassic | Format::YarnBerry);
        let want = [
            format!("node_modules/{name}"),
            format!("{name}@{range}"),
            format!("{name}@npm:{range}"),
        ];
        for (i, p) in self.packages.iter().enumerate() {
            for (j, path) in p.paths.iter().enumerate() {
                let hit = if yarn {
                    path.split(',')
                        .map(|d| d.trim().trim_matches('"'))
                        .any(|d| d == want[1] || d == want[2])
                } else {
                    *path == want[0]
                };
                if hit {
                    return Some(Node {
                        package: i as u32,
                        path: j as u32,
                    });
                }
            }
        }
        None
    }
}

/// What a format parser hands back before merging.
struct Parsed {
    format: Format,
    lockfile_version: String,
    packages: Vec<LockedPackage>,
    workspaces: Vec<String>,
    deps: graph::RawDeps,
}

/// The lockfile in `dir`, by npm's precedence (`npm-shrinkwrap.json`, `package-lock.json`), then
/// `pnpm-lock.yaml`, `yarn.lock`, `bun.lock`. (`bun.lockb` is binary and not looked for;
/// [`parse_file`] refuses it with an explanation.) Whatever is at the first of these names
/// counts, a regular file or not: one that cannot be read (a FIFO, a directory) is an error
/// when it is read, never passed over for the next name.
pub fn find(dir: &Path) -> Option<PathBuf> {
    LOCKFILE_NAMES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| exists(p))
}

/// Something is at `p` (a dangling symlink too).
pub(crate) fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

/// Read and parse a lockfile; the format comes from the file name, else from the content.
pub fn parse_file(path: &Path) -> Result<Lockfile> {
    parse_text(path, &read_text(path)?)
}

/// A lockfile's text, within [`MAX_LOCKFILE_BYTES`]; `bun.lockb` is refused (binary).
pub fn read_text(path: &Path) -> Result<String> {
    if path.file_name().and_then(|n| n.to_str()) == Some("bun.lockb") {
        return Err(bun_lockb());
    }
    let bytes = crate::files::read_capped(path, MAX_LOCKFILE_BYTES)?;
    String::from_utf8(bytes).map_err(|e| Error::io(path, e))
}

/// Parse the text [`read_text`] read from `path`.
pub fn parse_text(path: &Path, text: &str) -> Result<Lockfile> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut l = parse_named(name, &path.display().to_string(), text)?;
    l.path = path.to_path_buf();
    Ok(l)
}

/// Parse lockfile text. `file_name` (a base name or path) picks the format; an unknown name
/// falls back to recognising the content. `bun.lockb` is refused (binary).
pub fn parse_str(file_name: &str, text: &str) -> Result<Lockfile> {
    parse_named(file_name, file_name, text)
}

fn parse_named(file_name: &str, what: &str, text: &str) -> Result<Lockfile> {
    if text.len() as u64 > MAX_LOCKFILE_BYTES {
        return Err(too_large(what, text.len() as u64));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let kind = match base {
        "package-lock.json" | "npm-shrinkwrap.json" | ".package-lock.json" => Kind::Npm,
        "pnpm-lock.yaml" | ".pnpm-lock.yaml" | "lock.yaml" => Kind::Pnpm,
        "yarn.lock" => Kind::Yarn,
        "bun.lock" => Kind::Bun,
        "bun.lockb" => return Err(bun_lockb()),
        _ => sniff(text).ok_or_else(|| {
            Error::InvalidArg(format!(
                "{what:?} is neither a lockfile name prov-native knows ({}, bun.lockb) nor \
                 recognisable lockfile content",
                LOCKFILE_NAMES.join(", ")
            ))
        })?,
    };
    let p = match kind {
        Kind::Npm => npm::parse(text, what)?,
        Kind::Pnpm => pnpm::parse(text, what)?,
        Kind::Yarn => {
            if yarn_berry::is_berry(text) {
                yarn_berry::parse(text, what)?
            } else {
                yarn_classic::parse(text, what)?
            }
        }
        Kind::Bun => bun::parse(text, what)?,
    };
    let (packages, map) = dedupe_mapped(p.packages);
    Ok(Lockfile {
        format: p.format,
        lockfile_version: p.lockfile_version,
        path: PathBuf::from(file_name),
        packages,
        workspaces: p.workspaces,
        dependencies: p.deps.resolve(&map),
    })
}

#[derive(Clone, Copy)]
enum Kind {
    Npm,
    Pnpm,
    Yarn,
    Bun,
}

/// Recognise a lockfile by its first significant text.
fn sniff(text: &str) -> Option<Kind> {
    let t = text.trim_start();
    if t.starts_with('{') {
        // bun.lock has a `workspaces` object and usually trailing commas; npm has neither.
        let mut end = t.len().min(4096);
        while !t.is_char_boundary(end) {
            end -= 1;
        }
        let head = &t[..end];
        return Some(
            if head.contains("\"workspaces\": {") && head.contains("configVersion")
                || head.contains(",\n  }")
                || head.contains(",\n    }")
            {
                Kind::Bun
            } else {
                Kind::Npm
            },
        );
    }
    if t.starts_with("lockfileVersion:") || t.starts_with("---") {
        return Some(Kind::Pnpm);
    }
    if t.starts_with("# yarn lockfile v1")
        || t.starts_with("# This file is generated by running \"yarn install\"")
        || t.starts_with("__metadata:")
        || t.contains("\n__metadata:")
    {
        return Some(Kind::Yarn);
    }
    None
}

fn too_large(what: &str, len: u64) -> Error {
    Error::TooLarge(format!(
        "{what}: {len} bytes is over the {MAX_LOCKFILE_BYTES}-byte lockfile limit"
    ))
}

fn bun_lockb() -> Error {
    Error::InvalidArg(
        "bun.lockb is binary: run `bun install --save-text-lockfile` to write bun.lock".into(),
    )
}

/// Refuse more than [`MAX_ENTRIES`] entries.
fn check_entries(n: usize, what: &str) -> Result<()> {
    if n > MAX_ENTRIES {
        return Err(Error::TooLarge(format!(
            "{what}: more than {MAX_ENTRIES} package entries"
        )));
    }
    Ok(())
}

/// Read `dir/node_modules` when there is no lockfile.
pub fn walk_node_modules(dir: &Path) -> Result<Lockfile> {
    let (packages, deps) = node_modules::walk(dir)?;
    let (packages, map) = dedupe_mapped(packages);
    Ok(Lockfile {
        format: Format::NodeModules,
        lockfile_version: String::new(),
        path: dir.join("node_modules"),
        packages,
        workspaces: Vec::new(),
        dependencies: deps.resolve(&map),
    })
}

/// The install situations (omit nothing, `--omit=dev`, `--omit=optional`, both) in which a
/// package is present, as bits. Merging two occurrences is a union.
const IN_FULL: u8 = 1;
const IN_PROD: u8 = 2;
const IN_NO_OPT: u8 = 4;
const IN_PROD_NO_OPT: u8 = 8;
const IN_ALWAYS: u8 = IN_FULL | IN_PROD | IN_NO_OPT | IN_PROD_NO_OPT;

fn mask_of(p: &LockedPackage) -> u8 {
    if p.dev_optional {
        IN_FULL | IN_PROD | IN_NO_OPT
    } else {
        match (p.dev, p.optional) {
            (false, false) => IN_ALWAYS,
            (true, false) => IN_FULL | IN_NO_OPT,
            (false, true) => IN_FULL | IN_PROD,
            (true, true) => IN_FULL,
        }
    }
}

/// Set `dev`, `optional`, `dev_optional` from a presence mask (0: not reached at all, which
/// is treated as "always", the cautious reading).
fn set_flags(p: &mut LockedPackage, m: u8) {
    (p.dev, p.optional, p.dev_optional) = if m & IN_PROD_NO_OPT != 0 || m == 0 {
        (false, false, false)
    } else {
        match (m & IN_PROD != 0, m & IN_NO_OPT != 0) {
            (true, true) => (false, false, true),
            (false, true) => (true, false, false),
            (true, false) => (false, true, false),
            (false, false) => (true, true, false),
        }
    };
}

/// Whether occurrence `b` is the same artifact as group `a`: the same integrity (or none in
/// both), and the same `resolved` unless both are pinned by that integrity.
fn same_artifact(a: &LockedPackage, b: &LockedPackage) -> bool {
    a.integrity == b.integrity
        && (a.integrity.is_some()
            || a.resolved.is_none()
            || b.resolved.is_none()
            || a.resolved == b.resolved)
}

/// One entry per (name, version, source) — and per artifact: occurrences that claim a
/// different integrity (npm lockfiles do lock one version with sha1 at some paths and sha512
/// at others) or an unpinned different `resolved` stay apart, so that each claim is checked.
/// Paths are merged, flags merged as "present if any occurrence is present", metadata taken
/// from the first occurrence that has it. Sorted by name, version, source.
///
/// Positions are sorted (stably: first-seen order within a key), not packages moved through
/// a map keyed by copies of their names: a lockfile can hold a million entries.
#[cfg(test)]
fn dedupe(pkgs: Vec<LockedPackage>) -> Vec<LockedPackage> {
    dedupe_mapped(pkgs).0
}

/// [`dedupe`], and where each input entry's (first) path ended up.
fn dedupe_mapped(mut pkgs: Vec<LockedPackage>) -> (Vec<LockedPackage>, Vec<Node>) {
    /// A merged package, its mask, and the input entry each of its paths came from.
    type Group = (LockedPackage, u8, Vec<u32>);
    fn key(p: &LockedPackage) -> (&str, &str, &Source) {
        (&p.name, &p.version, &p.source)
    }
    let mut map = vec![
        Node {
            package: u32::MAX,
            path: 0
        };
        pkgs.len()
    ];
    let mut order: Vec<usize> = (0..pkgs.len()).collect();
    order.sort_by(|&a, &b| match (pkgs.get(a), pkgs.get(b)) {
        (Some(x), Some(y)) => key(x).cmp(&key(y)),
        _ => std::cmp::Ordering::Equal,
    });
    // Where each key's run of positions ends.
    let mut ends = Vec::new();
    for (i, w) in order.windows(2).enumerate() {
        if let (Some(a), Some(b)) = (pkgs.get(w[0]), pkgs.get(w[1])) {
            if key(a) != key(b) {
                ends.push(i + 1);
            }
        }
    }
    ends.push(order.len());
    let mut out = Vec::with_capacity(pkgs.len());
    let mut start = 0;
    for end in ends {
        let mut groups: Vec<Group> = Vec::new();
        for &i in order.get(start..end).unwrap_or_default() {
            let Some(slot) = pkgs.get_mut(i) else {
                continue;
            };
            let p = std::mem::replace(slot, LockedPackage::new("", "", Source::Registry));
            let m = mask_of(&p);
            let from = vec![i as u32; p.paths.len()];
            let Some((e, em, ef)) = groups.iter_mut().find(|(e, _, _)| same_artifact(e, &p)) else {
                groups.push((p, m, from));
                continue;
            };
            *em |= m;
            e.paths.extend(p.paths);
            ef.extend(from);
            e.bundled &= p.bundled;
            e.checksum = e.checksum.take().or(p.checksum);
            e.resolved = e.resolved.take().or(p.resolved);
            e.alias = e.alias.take().or(p.alias);
            e.has_install_script = match (e.has_install_script, p.has_install_script) {
                (Some(a), Some(b)) => Some(a || b),
                (a, b) => a.or(b),
            };
        }
        start = end;
        for (mut p, m, from) in groups {
            set_flags(&mut p, m);
            let package = out.len() as u32;
            // Paths in first-seen order, each once (linear: a hostile lockfile may repeat one
            // name@version a million times); an entry whose path repeats maps to the first.
            let mut at = Vec::with_capacity(p.paths.len());
            let mut keep = vec![true; p.paths.len()];
            if p.paths.len() > 1 {
                let mut seen: std::collections::HashMap<&str, u32> =
                    std::collections::HashMap::with_capacity(p.paths.len());
                let mut next = 0u32;
                for (k, x) in p.paths.iter().enumerate() {
                    match seen.get(x.as_str()) {
                        Some(&j) => {
                            at.push(j);
                            keep[k] = false;
                        }
                        None => {
                            seen.insert(x, next);
                            at.push(next);
                            next += 1;
                        }
                    }
                }
            } else {
                at.extend(0..p.paths.len() as u32);
            }
            let mut k = keep.iter();
            p.paths.retain(|_| k.next().copied().unwrap_or(true));
            for (f, path) in from.iter().zip(at) {
                if let Some(slot) = map.get_mut(*f as usize) {
                    if slot.package == u32::MAX {
                        *slot = Node { package, path };
                    }
                }
            }
            out.push(p);
        }
    }
    (out, map)
}

/// Split `name@range` (scoped names keep their leading `@`).
pub fn split_at_version_pub(spec: &str) -> Option<(&str, &str)> {
    split_at_version(spec)
}

/// Split `name@range` at the first `@` after the first character.
pub(crate) fn split_at_version(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

/// The install name at the end of a `/`-separated path (`a/node_modules/@s/b` → `@s/b`).
pub(crate) fn last_name(path: &str) -> &str {
    let mut it = path.rsplitn(3, '/');
    let last = it.next().unwrap_or(path);
    match it.next() {
        Some(scope) if scope.starts_with('@') => {
            let start = path.len() - last.len() - scope.len() - 1;
            path.get(start..).unwrap_or(last)
        }
        _ => last,
    }
}

/// Whether `v` is an exact semver version.
pub(crate) fn is_version(v: &str) -> bool {
    nodejs_semver::Version::parse(v).is_ok()
}

/// The version in a registry's tarball URL for `name`: `…/<name>/-/<base>-<version>.tgz`
/// (npm, yarn, Verdaccio, Artifactory, `%2f`-escaped scopes) or `…/<name>/<version>.tgz`
/// (npm.jsr.io).
pub(crate) fn registry_tarball_version(url: &str, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let path = rest.split(['#', '?']).next()?;
    let path: std::borrow::Cow<str> = if path.contains('%') {
        path.replace("%2f", "/")
            .replace("%2F", "/")
            .replace("%40", "@")
            .into()
    } else {
        path.into()
    };
    let base = name.rsplit('/').next()?;
    let file = if let Some(i) = path.find(&format!("/{name}/-/")) {
        &path[i + name.len() + 4..]
    } else {
        let i = path.rfind(&format!("/{name}/"))?;
        let f = &path[i + name.len() + 2..];
        let v = f.strip_suffix(".tgz")?;
        return (is_version(v) && !v.contains('/')).then(|| v.to_string());
    };
    let v = file
        .strip_prefix(base)?
        .strip_prefix('-')?
        .strip_suffix(".tgz")?;
    (is_version(v) && !v.contains('/')).then(|| v.to_string())
}

/// Whether a spec or URL names a git repository, or is a git host's tarball of a commit
/// (pnpm's `isGitHostedTarballUrl`: what `github:`/`gitlab:`/`bitbucket:` specs resolve to).
/// A user-written archive URL (`github.com/o/r/archive/v1.tar.gz`) is a plain tarball, as npm
/// calls it.
pub(crate) fn is_git(r: &str) -> bool {
    let r = r.trim();
    let plain = r.split('#').next().unwrap_or(r);
    let hosted_tarball = [
        "https://codeload.github.com/",
        "https://bitbucket.org/",
        "https://gitlab.com/",
    ]
    .iter()
    .any(|h| r.starts_with(h))
        && r.contains("tar.gz");
    [
        "git+",
        "git://",
        "git@",
        "ssh://",
        "github:",
        "gitlab:",
        "bitbucket:",
        "gist:",
    ]
    .iter()
    .any(|p| r.starts_with(p))
        || hosted_tarball
        || ((r.starts_with("https://") || r.starts_with("http://"))
            && (plain.ends_with(".git") || r.contains("#commit=")))
}

/// Classify a resolved URL or reference of package `name` (registry tarball URLs, git, `file:`,
/// `link:`, other URLs, local paths).
pub(crate) fn source_of(resolved: &str, name: &str) -> Source {
    let r = resolved.trim();
    if is_git(r) {
        return Source::Git { url: r.into() };
    }
    if let Some(p) = r.strip_prefix("file:") {
        return Source::File {
            path: p.split('#').next().unwrap_or(p).into(),
        };
    }
    if let Some(p) = r.strip_prefix("link:").or(r.strip_prefix("portal:")) {
        return Source::Link { path: p.into() };
    }
    if r.starts_with("http://") || r.starts_with("https://") {
        if registry_tarball_version(r, name).is_some() {
            return Source::Registry;
        }
        return Source::Tarball { url: r.into() };
    }
    Source::File { path: r.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_lockfile_that_cannot_be_read_is_an_error_found_or_named() {
        use crate::files::testing::{code, make, quick, tmp, ALL};
        for bad in ALL {
            let dir = tmp(&format!("lockfile-{bad:?}"));
            let p = dir.join("package-lock.json");
            make(&p, bad);
            // Found first by name, not passed over for the next lockfile name.
            std::fs::write(dir.join("yarn.lock"), "# yarn lockfile v1\n").unwrap();
            assert_eq!(find(&dir).as_deref(), Some(p.as_path()));
            let e = quick("parse_file", || parse_file(&p)).unwrap_err();
            assert_eq!(e.code(), code(bad, "ERR_PROV_TOO_LARGE"), "{bad:?}: {e}");
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

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
        assert_eq!(
            source_of(
                "https://npm.jsr.io/~/11/@jsr/act__act/0.1.3.tgz",
                "@jsr/act__act"
            ),
            Source::Registry
        );
        assert_eq!(
            registry_tarball_version(
                "https://registry.yarn.example/@babel/core/-/core-7.26.9.tgz#71838542a4",
                "@babel/core"
            )
            .as_deref(),
            Some("7.26.9")
        );
        assert!(matches!(
            source_of("https://cdn.example/x.tgz", "x"),
            Source::Tarball { .. }
        ));
        assert!(matches!(
            source_of("https://github.com/a/b/archive/v1.tar.gz", "b"),
            Source::Tarball { .. }
        ));
        assert!(matches!(
            source_of(
                "https://registry.npm.example/is-number/-/is-number-7.0.0.tgz",
                "isnum"
            ),
            Source::Tarball { .. }
        ));
        for g in [
            "git+ssh://git@github.com/a/b.git#abc",
            "github:a/b#abc",
            "https://codeload.github.com/a/b/tar.gz/abc",
            "https://github.com/a/b.git#commit=abc",
        ] {
            assert!(matches!(source_of(g, "b"), Source::Git { .. }), "{g}");
        }
        assert_eq!(
            source_of("file:../x.tgz#deadbeef", "x"),
            Source::File {
                path: "../x.tgz".into()
            }
        );
        assert!(matches!(source_of("link:../x", "x"), Source::Link { .. }));
        assert_eq!(split_at_version("@a/b@^1"), Some(("@a/b", "^1")));
        assert_eq!(split_at_version("a@npm:b@1"), Some(("a", "npm:b@1")));
        assert_eq!(split_at_version("@"), None);
        assert_eq!(last_name("node_modules/a/node_modules/@s/b"), "@s/b");
        assert_eq!(last_name("a/b"), "b");
        assert_eq!(last_name("@s/b"), "@s/b");
        assert_eq!(last_name("b"), "b");
    }

    #[test]
    fn flags_merge_like_installs() {
        let p = |dev, optional, dev_optional| {
            let mut p = LockedPackage::new("a", "1.0.0", Source::Registry);
            (p.dev, p.optional, p.dev_optional) = (dev, optional, dev_optional);
            p.paths.push(format!("{dev}{optional}{dev_optional}"));
            p
        };
        let flags = |v: Vec<LockedPackage>| {
            let d = dedupe(v);
            assert_eq!(d.len(), 1);
            (d[0].dev, d[0].optional, d[0].dev_optional)
        };
        for one in [
            (false, false, false),
            (true, false, false),
            (false, true, false),
            (true, true, false),
            (false, false, true),
        ] {
            assert_eq!(flags(vec![p(one.0, one.1, one.2)]), one, "round trip");
        }
        // dev somewhere, optional elsewhere: present unless both are omitted.
        assert_eq!(
            flags(vec![p(true, false, false), p(false, true, false)]),
            (false, false, true)
        );
        // Prod anywhere wins.
        assert_eq!(
            flags(vec![p(true, true, false), p(false, false, false)]),
            (false, false, false)
        );
        // Optional of a dev dependency plus dev: dev.
        assert_eq!(
            flags(vec![p(true, true, false), p(true, false, false)]),
            (true, false, false)
        );
    }

    #[test]
    fn sniffing() {
        assert!(matches!(
            sniff("{\n  \"lockfileVersion\": 3"),
            Some(Kind::Npm)
        ));
        assert!(matches!(
            sniff("{\n  \"lockfileVersion\": 1,\n  \"configVersion\": 0,\n  \"workspaces\": {"),
            Some(Kind::Bun)
        ));
        assert!(matches!(
            sniff("lockfileVersion: '9.0'\n"),
            Some(Kind::Pnpm)
        ));
        assert!(matches!(sniff("# yarn lockfile v1\n"), Some(Kind::Yarn)));
        assert!(sniff("hello").is_none());
        // A multi-byte character across the sniffed prefix.
        let long = format!("{{\"a\": \"{}\"}}", "é".repeat(3000));
        assert!(matches!(sniff(&long), Some(Kind::Npm)));
        assert_eq!(
            parse_str("x.txt", "hello").unwrap_err().code(),
            "ERR_PROV_INVALID_ARG"
        );
    }
}
