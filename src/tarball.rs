//! Reading an npm package tarball (`.tgz`) in memory, safely.
//!
//! Nothing is written to disk, no link is followed and no package code runs. Steps:
//!
//! 1. Refuse input over `max_compressed` and input that is not gzip.
//! 2. Inflate every gzip member (Node's gunzip, which npm uses, reads concatenated members too)
//!    through a counter that fails with [`Error::TooLarge`] once `max_uncompressed` bytes came out:
//!    a gzip bomb stops at the limit, whatever the headers claim.
//! 3. Walk the tar entries (at most `max_entries`). The first path component is the package
//!    directory, whatever its name (npm strips it: `package/`, or `node/` in old tarballs).
//!    Absolute paths, `..` components, entries outside a directory, links (symbolic and hard),
//!    devices and FIFOs are never read: each becomes an [`Anomaly`].
//! 4. Keep the text of `package.json`, of `*.js`/`*.cjs`/`*.mjs`/`*.sh` files and of files the
//!    manifest names (`scripts` install hooks, `main`, `bin`, `exports`, `module`, `browser`),
//!    each at most `max_file` bytes. When `package.json` comes after a named file with another
//!    extension (npm packs it late), a second bounded pass reads just those files.
//! 5. Read the stream to its end (gzip CRC and length checked; bytes after the end-of-archive
//!    blocks noted), still within `max_uncompressed`.
//! 6. Parse `package.json` (BOM stripped) and record whether a `binding.gyp` sits at the root.

use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::Value;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::rc::Rc;

/// Budgets for one tarball.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `.tgz` accepted.
    pub max_compressed: u64,
    /// Most bytes inflated (gzip-bomb guard).
    pub max_uncompressed: u64,
    /// Most tar entries.
    pub max_entries: usize,
    /// Largest single file whose text is kept (larger files are listed, not read).
    pub max_file: u64,
    /// Most text kept over all files.
    pub max_text_total: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_compressed: 128 * 1024 * 1024,
            max_uncompressed: 256 * 1024 * 1024,
            max_entries: 100_000,
            // Shai-Hulud's bundle.js was ~3.6 MB: keep files that size.
            max_file: 8 * 1024 * 1024,
            max_text_total: 64 * 1024 * 1024,
        }
    }
}

/// One regular file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileEntry {
    /// Path inside the package, without the package directory (`lib/index.js`).
    pub path: String,
    /// Size in bytes as the tar header states it.
    pub size: u64,
    /// Whether the text was kept for scanning.
    pub text: bool,
    /// Why the text was not kept, when the reader tried or the manifest names the file:
    /// `too-large-to-read` (over `max_file`), `text-budget` (over `max_text_total`), `binary`
    /// (a NUL byte in its first 8 KiB), `binary-extension` (named by the manifest, with the
    /// extension of a native or binary file: never read). `None` when kept, or when nothing
    /// asked for it (a file type the reader does not keep, that the manifest does not name).
    /// Recorded on the file itself: the anomaly list is capped, this is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread: Option<&'static str>,
}

/// An entry that was not read as a file, or something odd about one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Anomaly {
    /// Path as stored in the tarball (lossy UTF-8, at most 300 characters).
    pub path: String,
    /// Stable reason: `absolute-path`, `path-traversal`, `outside-package-dir`, `symlink`,
    /// `hardlink`, `special-file`, `duplicate`, `too-large-to-read`, `text-budget`, `binary`,
    /// `data-after-end-of-archive`.
    pub reason: String,
}

/// What a tarball holds.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// `package.json` of the package directory.
    pub manifest: Value,
    /// Name of the package directory (normally `package`).
    pub root: String,
    /// Every regular file, in tarball order (a later duplicate replaces the earlier one).
    pub files: Vec<FileEntry>,
    /// `binding.gyp` at the package root (npm then runs `node-gyp rebuild` on install).
    pub has_binding_gyp: bool,
    /// Any `*.gyp` at the package root (npm publish then adds `install: node-gyp rebuild`).
    pub has_gyp_file: bool,
    /// Entries not read, and oddities.
    pub anomalies: Vec<Anomaly>,
    /// Bytes inflated.
    pub unpacked_size: u64,
    /// Kept texts by path (lossy UTF-8). Not serialised.
    #[serde(skip)]
    pub texts: BTreeMap<String, String>,
}

impl Package {
    /// The kept text of a file.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.texts.get(path).map(String::as_str)
    }

    /// Whether the package has a regular file at `path`.
    pub fn has_file(&self, path: &str) -> bool {
        self.files.iter().any(|f| f.path == path)
    }

    /// Every file by path (one pass; for repeated lookups).
    pub fn file_index(&self) -> std::collections::HashMap<&str, &FileEntry> {
        self.files.iter().map(|f| (f.path.as_str(), f)).collect()
    }
}

/// Extensions whose text is always kept (under the size cap).
fn scannable_ext(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name.rsplit_once('.').map(|(_, e)| e),
        Some("js" | "cjs" | "mjs" | "sh")
    )
}

/// Extensions of native and binary files a manifest may name (`main: "x.node"`): never read
/// as text (a named one is marked `binary-extension`; what that hides is the scanner's call).
pub fn binary_ext(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name.rsplit_once('.').map(|(_, e)| e),
        Some(
            "node" | "wasm" | "so" | "dll" | "dylib" | "exe" | "png" | "jpg" | "gz" | "tgz" | "zip"
        )
    )
}

/// Normalise a path named in a manifest to a package-relative path: `./a/../b.js` → `b.js`.
/// `None` when it leaves the package or is empty.
pub fn normalize_rel(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(out.join("/"))
    }
}

/// Strings a manifest uses as entry points: `main` (default `index.js`), `bin`, `exports`,
/// `module`, `browser`. Normalised, not resolved (no extension added).
pub fn entry_points(manifest: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match manifest.get("main").and_then(Value::as_str) {
        Some(m) => out.push(m.to_string()),
        None => out.push("index.js".to_string()),
    }
    match manifest.get("bin") {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Object(o)) => {
            out.extend(o.values().filter_map(Value::as_str).map(String::from))
        }
        _ => {}
    }
    if let Some(m) = manifest.get("module").and_then(Value::as_str) {
        out.push(m.to_string());
    }
    match manifest.get("browser") {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Object(o)) => {
            out.extend(o.values().filter_map(Value::as_str).map(String::from))
        }
        _ => {}
    }
    if let Some(e) = manifest.get("exports") {
        let mut budget = 1000usize;
        collect_strings(e, 0, &mut budget, &mut out);
    }
    let mut seen = BTreeSet::new();
    out.into_iter()
        .filter(|p| !p.contains('*'))
        .filter_map(|p| normalize_rel(&p))
        .filter(|p| seen.insert(p.clone()))
        .collect()
}

fn collect_strings(v: &Value, depth: usize, budget: &mut usize, out: &mut Vec<String>) {
    if depth > 16 || *budget == 0 {
        return;
    }
    *budget -= 1;
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a
            .iter()
            .for_each(|x| collect_strings(x, depth + 1, budget, out)),
        Value::Object(o) => o
            .values()
            .for_each(|x| collect_strings(x, depth + 1, budget, out)),
        _ => {}
    }
}

/// Install hooks npm runs from a registry tarball.
pub const INSTALL_HOOKS: [&str; 3] = ["preinstall", "install", "postinstall"];

/// Words of the install hooks that look like package files (`node ./x.js`, `sh setup.sh`).
pub fn script_paths(manifest: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(scripts) = manifest.get("scripts").and_then(Value::as_object) else {
        return out;
    };
    for hook in INSTALL_HOOKS {
        if let Some(cmd) = scripts.get(hook).and_then(Value::as_str) {
            for w in cmd
                .split(|c: char| {
                    c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '<' | '>')
                })
                .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
                // `--require=./x.js`, `NODE_OPTIONS=--require=./x.js`: the value is a file.
                .map(|w| match w.rsplit_once('=') {
                    Some((_, v)) => v.trim_matches(|c| c == '"' || c == '\''),
                    None => w,
                })
                .filter(|w| !w.is_empty() && !w.starts_with('-') && !w.contains('$'))
                .take(64)
            {
                if let Some(p) = normalize_rel(w) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Candidates Node would try for a path: as is, with `.js`/`.cjs`/`.mjs`, then as a directory.
pub fn resolve_candidates(p: &str) -> [String; 7] {
    [
        p.to_string(),
        format!("{p}.js"),
        format!("{p}.cjs"),
        format!("{p}.mjs"),
        format!("{p}/index.js"),
        format!("{p}/index.cjs"),
        format!("{p}/index.mjs"),
    ]
}

/// Files (as candidates) named by the manifest: entry points and install-hook words.
fn named_files(manifest: &Value) -> BTreeSet<String> {
    entry_points(manifest)
        .into_iter()
        .chain(script_paths(manifest))
        .flat_map(|p| resolve_candidates(&p))
        .collect()
}

/// Read a `.tgz` (see the module docs for the steps).
pub fn read(tgz: &[u8], limits: &Limits) -> Result<Package> {
    // 1.
    if tgz.len() as u64 > limits.max_compressed {
        return Err(Error::TooLarge(format!(
            "tarball is {} bytes, over the {}-byte limit",
            tgz.len(),
            limits.max_compressed
        )));
    }
    if tgz.len() < 18 || tgz[0] != 0x1f || tgz[1] != 0x8b {
        return Err(Error::InvalidArg("not a gzip-compressed tarball".into()));
    }
    // 2-5, first pass.
    let mut st = Walk::default();
    walk(tgz, limits, &mut st, false)?;
    let Some(raw) = st.manifest_text.take() else {
        return Err(Error::InvalidArg(
            "tarball has no package.json in its package directory".into(),
        ));
    };
    // 6.
    let manifest: Value = serde_json::from_str(raw.trim_start_matches('\u{feff}'))
        .map_err(|e| Error::json("package.json in the tarball", e))?;
    if !manifest.is_object() {
        return Err(Error::InvalidArg(
            "package.json in the tarball is not an object".into(),
        ));
    }
    // Second pass for named files with other extensions that came before package.json.
    let named = named_files(&manifest);
    let missing: BTreeSet<String> = st
        .files
        .values()
        .filter(|f| {
            named.contains(&f.path) && !st.attempted.contains(&f.path) && !binary_ext(&f.path)
        })
        .map(|f| f.path.clone())
        .collect();
    if !missing.is_empty() {
        st.named = missing;
        walk(tgz, limits, &mut st, true)?;
    }
    // Named files never read for their extension: say so on the file.
    for f in st.files.values_mut() {
        if !f.text && f.unread.is_none() && named.contains(&f.path) && binary_ext(&f.path) {
            f.unread = Some("binary-extension");
        }
    }
    let mut files: Vec<FileEntry> = st.files.into_values().collect();
    files.sort_by_key(|f| st.order.get(&f.path).copied().unwrap_or(usize::MAX));
    Ok(Package {
        manifest,
        root: st.root.unwrap_or_default(),
        has_binding_gyp: st.has_binding_gyp,
        has_gyp_file: st.has_gyp_file,
        files,
        anomalies: st.anomalies,
        unpacked_size: st.unpacked,
        texts: st.texts,
    })
}

#[derive(Default)]
struct Walk {
    files: BTreeMap<String, FileEntry>,
    order: BTreeMap<String, usize>,
    texts: BTreeMap<String, String>,
    anomalies: Vec<Anomaly>,
    manifest_text: Option<String>,
    /// Named files to keep whatever their extension.
    named: BTreeSet<String>,
    /// Files whose text was read or refused.
    attempted: BTreeSet<String>,
    root: Option<String>,
    has_binding_gyp: bool,
    has_gyp_file: bool,
    text_total: u64,
    unpacked: u64,
}

impl Walk {
    fn anomaly(&mut self, path: &str, reason: &str) {
        if self.anomalies.len() < 1000 {
            self.anomalies.push(Anomaly {
                path: path.chars().take(300).collect(),
                reason: reason.into(),
            });
        }
    }
}

/// A reader that fails once more than `left` bytes were read through it.
struct Bounded<R> {
    inner: R,
    left: u64,
    read: u64,
    over: Rc<Cell<bool>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // Is there more? One byte tells.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.over.set(true);
                    Err(std::io::Error::other("inflated size limit reached"))
                }
            };
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        self.read += got as u64;
        Ok(got)
    }
}

/// Where a raw tar path lands after npm strips the package directory.
enum Place {
    /// Inside the package: relative path.
    In(String),
    /// Refused, with the reason.
    Refused(&'static str),
    /// The package directory itself, or a directory entry.
    Dir,
}

fn place(raw: &str, root: &mut Option<String>) -> Place {
    if raw.starts_with('/') || raw.starts_with('\\') || raw.as_bytes().get(1) == Some(&b':') {
        return Place::Refused("absolute-path");
    }
    let comps: Vec<&str> = raw
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if comps.contains(&"..") {
        return Place::Refused("path-traversal");
    }
    if comps.iter().any(|c| c.contains('\0')) {
        return Place::Refused("path-traversal");
    }
    match comps.split_first() {
        None => Place::Dir,
        Some((top, rest)) => {
            if root.is_none() {
                *root = Some((*top).to_string());
            }
            if rest.is_empty() {
                // `package` itself (a directory), or a file beside the package directory,
                // which npm drops when it strips the first component.
                if raw.ends_with('/') {
                    Place::Dir
                } else {
                    Place::Refused("outside-package-dir")
                }
            } else {
                Place::In(rest.join("/"))
            }
        }
    }
}

fn walk(tgz: &[u8], limits: &Limits, st: &mut Walk, second: bool) -> Result<()> {
    let over = Rc::new(Cell::new(false));
    let mut src = Bounded {
        // Buffered output: tar reads 512-byte blocks, inflate prefers large ones.
        inner: std::io::BufReader::with_capacity(
            64 * 1024,
            flate2::bufread::MultiGzDecoder::new(tgz),
        ),
        left: limits.max_uncompressed,
        read: 0,
        over: over.clone(),
    };
    let fail = |e: std::io::Error, over: &Rc<Cell<bool>>| -> Error {
        if over.get() {
            Error::TooLarge(format!(
                "tarball inflates past {} bytes",
                limits.max_uncompressed
            ))
        } else {
            Error::InvalidArg(format!("corrupt tarball: {e}"))
        }
    };
    {
        let mut ar = tar::Archive::new(&mut src);
        let entries = ar.entries().map_err(|e| fail(e, &over))?;
        for (n, entry) in entries.enumerate() {
            if n >= limits.max_entries {
                return Err(Error::TooLarge(format!(
                    "tarball has more than {} entries",
                    limits.max_entries
                )));
            }
            let mut entry = entry.map_err(|e| fail(e, &over))?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            let place = place(&raw, &mut st.root);
            if second {
                // Second pass: only the named files that were not kept.
                if let Place::In(rel) = place {
                    if (kind.is_file() || kind.is_contiguous()) && st.named.contains(&rel) {
                        keep(&mut entry, &rel, limits, st).map_err(|e| fail(e, &over))?;
                    }
                }
                continue;
            }
            if kind.is_dir() {
                // Never created: only a traversal attempt is worth noting.
                if let Place::Refused(why @ ("absolute-path" | "path-traversal")) = place {
                    st.anomaly(&raw, why);
                }
                continue;
            }
            let rel = match place {
                Place::Dir => continue,
                Place::Refused(why) => {
                    st.anomaly(&raw, why);
                    continue;
                }
                Place::In(rel) => rel,
            };
            if kind.is_symlink() {
                st.anomaly(&raw, "symlink");
                continue;
            }
            if kind.is_hard_link() {
                st.anomaly(&raw, "hardlink");
                continue;
            }
            if !(kind.is_file() || kind.is_contiguous()) {
                // Devices, FIFOs, sparse files, PAX global headers: never read.
                if !kind.is_pax_global_extensions() {
                    st.anomaly(&raw, "special-file");
                }
                continue;
            }
            let size = entry.size();
            if st.files.contains_key(&rel) {
                st.anomaly(&raw, "duplicate");
                st.texts.remove(&rel);
                st.attempted.remove(&rel);
            }
            if !rel.contains('/') && rel.ends_with(".gyp") {
                st.has_gyp_file = true;
                if rel == "binding.gyp" {
                    st.has_binding_gyp = true;
                }
            }
            let next = st.order.len();
            st.order.entry(rel.clone()).or_insert(next);
            st.files.insert(
                rel.clone(),
                FileEntry {
                    path: rel.clone(),
                    size,
                    text: false,
                    unread: None,
                },
            );
            if rel == "package.json" {
                if size > limits.max_file {
                    return Err(Error::TooLarge(format!(
                        "package.json is {size} bytes, over the {}-byte limit",
                        limits.max_file
                    )));
                }
                let mut buf = Vec::with_capacity(size.min(1 << 20) as usize);
                (&mut entry)
                    .take(limits.max_file)
                    .read_to_end(&mut buf)
                    .map_err(|e| fail(e, &over))?;
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Ok(m) = serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) {
                    st.named = named_files(&m);
                }
                st.manifest_text = Some(text);
                continue;
            }
            // Nested package.json files too: a directory's `main` is what `node <dir>` runs.
            if scannable_ext(&rel)
                || rel.ends_with("/package.json")
                || (st.named.contains(&rel) && !binary_ext(&rel))
            {
                keep(&mut entry, &rel, limits, st).map_err(|e| fail(e, &over))?;
            }
        }
    }
    if !second {
        // Read to the end as npm does: a truncated or corrupt gzip stream (CRC, length) fails
        // here, and data hidden after the end-of-archive blocks is noted.
        let mut buf = [0u8; 8192];
        let mut hidden = false;
        loop {
            match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hidden |= buf[..n].iter().any(|b| *b != 0),
                Err(e) => return Err(fail(e, &over)),
            }
        }
        if hidden {
            st.anomaly("", "data-after-end-of-archive");
        }
        st.unpacked = src.read;
    }
    Ok(())
}

/// Keep one file's text, within the per-file and total budgets.
fn keep<R: Read>(entry: &mut R, rel: &str, limits: &Limits, st: &mut Walk) -> std::io::Result<()> {
    let size = st.files.get(rel).map_or(0, |f| f.size);
    st.attempted.insert(rel.to_string());
    let refuse = |st: &mut Walk, why: &'static str| {
        st.anomaly(rel, why);
        if let Some(f) = st.files.get_mut(rel) {
            f.unread = Some(why);
        }
    };
    if size > limits.max_file {
        refuse(st, "too-large-to-read");
        return Ok(());
    }
    if st.text_total.saturating_add(size) > limits.max_text_total {
        refuse(st, "text-budget");
        return Ok(());
    }
    let mut buf = Vec::with_capacity(size.min(1 << 20) as usize);
    entry.take(limits.max_file).read_to_end(&mut buf)?;
    if buf[..buf.len().min(8192)].contains(&0) {
        refuse(st, "binary");
        return Ok(());
    }
    st.text_total += buf.len() as u64;
    let text = String::from_utf8(buf)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    st.texts.insert(rel.to_string(), text);
    if let Some(f) = st.files.get_mut(rel) {
        f.text = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize_rel("./a/../b.js").as_deref(), Some("b.js"));
        assert_eq!(normalize_rel("../x"), None);
        assert_eq!(normalize_rel("."), None);
        assert_eq!(normalize_rel("bin//cli").as_deref(), Some("bin/cli"));
    }

    #[test]
    fn places() {
        let mut r = None;
        assert!(matches!(
            place("/etc/passwd", &mut r),
            Place::Refused("absolute-path")
        ));
        assert!(matches!(
            place("C:\\x", &mut r),
            Place::Refused("absolute-path")
        ));
        assert!(matches!(
            place("package/../../x", &mut r),
            Place::Refused("path-traversal")
        ));
        assert!(matches!(place("package/", &mut r), Place::Dir));
        assert!(matches!(
            place("x.js", &mut r),
            Place::Refused("outside-package-dir")
        ));
        assert!(matches!(place("package/./a//b.js", &mut r), Place::In(ref p) if p == "a/b.js"));
        assert_eq!(r.as_deref(), Some("package"));
    }

    #[test]
    fn entry_point_strings() {
        let m = serde_json::json!({"main": "./lib/index", "bin": "cli.js",
            "exports": {".": {"import": "./esm/a.mjs", "require": ["./cjs/a.cjs"]}, "./x/*": "./x/*.js"}});
        assert_eq!(
            entry_points(&m),
            vec!["lib/index", "cli.js", "esm/a.mjs", "cjs/a.cjs"]
        );
        assert_eq!(entry_points(&serde_json::json!({})), vec!["index.js"]);
    }
}
