//! Reading an npm tarball in memory, safely: bounded decompression (a gzip bomb stops at the
//! limit), bounded entry count, no writes to disk, no links followed, paths checked.

use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;

/// Budgets for one tarball.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_uncompressed: u64,
    pub max_entries: usize,
    /// Largest file whose text is kept for scanning.
    pub max_text: u64,
    /// Total text kept.
    pub max_total_text: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_uncompressed: 256 * 1024 * 1024,
            max_entries: 20_000,
            max_text: 2 * 1024 * 1024,
            max_total_text: 32 * 1024 * 1024,
        }
    }
}

/// What a tarball holds.
#[derive(Debug, Clone, Default)]
pub struct Package {
    /// `package.json` at the package root.
    pub manifest: Value,
    /// Every regular file: path (without the top directory) and size.
    pub files: BTreeMap<String, u64>,
    /// Text of script-like files (`.js`, `.cjs`, `.mjs`, `.sh`, `.json`, no extension…).
    pub texts: BTreeMap<String, String>,
    /// Entries skipped, and why (links, unsafe paths).
    pub skipped: Vec<String>,
}

fn keep_text(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    matches!(
        ext,
        "js" | "cjs" | "mjs" | "ts" | "sh" | "json" | "gyp" | "py" | "ps1" | "bat" | "cmd"
    ) || !name.contains('.')
}

/// Read a `.tgz`.
pub fn read(tgz: &[u8], limits: &Limits) -> Result<Package> {
    let gz = flate2::read::GzDecoder::new(tgz);
    // One byte over the limit is enough to know it was exceeded.
    let bounded = gz.take(limits.max_uncompressed + 1);
    let mut ar = tar::Archive::new(bounded);
    let mut pkg = Package::default();
    let mut total_text = 0u64;
    let entries = ar
        .entries()
        .map_err(|e| Error::InvalidArg(format!("not a tar archive: {e}")))?;
    for (n, entry) in entries.enumerate() {
        if n >= limits.max_entries {
            return Err(Error::TooLarge(format!(
                "tarball has more than {} entries",
                limits.max_entries
            )));
        }
        let mut entry = entry.map_err(|e| corrupt(e, limits))?;
        let raw = entry
            .path()
            .map_err(|e| corrupt(e, limits))?
            .to_string_lossy()
            .replace('\\', "/");
        let kind = entry.header().entry_type();
        // npm packs everything under one top directory (usually `package/`).
        let rel = match raw.split_once('/') {
            Some((_, rest)) => rest.to_string(),
            None => raw.clone(),
        };
        if raw.starts_with('/') || rel.split('/').any(|c| c == "..") {
            pkg.skipped.push(format!("{raw}: unsafe path"));
            continue;
        }
        if !kind.is_file() {
            if kind.is_symlink() || kind.is_hard_link() {
                pkg.skipped.push(format!("{raw}: link not followed"));
            }
            continue;
        }
        let size = entry.header().size().unwrap_or(0);
        pkg.files.insert(rel.clone(), size);
        let want = rel == "package.json" || keep_text(&rel);
        if want && size <= limits.max_text && total_text + size <= limits.max_total_text {
            let mut buf = Vec::with_capacity(size as usize);
            (&mut entry)
                .take(limits.max_text + 1)
                .read_to_end(&mut buf)
                .map_err(|e| corrupt(e, limits))?;
            total_text += buf.len() as u64;
            let text = String::from_utf8_lossy(&buf).into_owned();
            if rel == "package.json" {
                pkg.manifest = serde_json::from_str(&text)
                    .map_err(|e| Error::json("tarball package.json", e))?;
            }
            pkg.texts.insert(rel, text);
        }
    }
    if pkg.manifest.is_null() {
        return Err(Error::InvalidArg("tarball has no package.json".into()));
    }
    Ok(pkg)
}

fn corrupt(e: std::io::Error, limits: &Limits) -> Error {
    let m = e.to_string();
    if m.contains("unexpected end") || m.contains("failed to fill") {
        Error::TooLarge(format!(
            "tarball is truncated or inflates past {} bytes: {m}",
            limits.max_uncompressed
        ))
    } else {
        Error::InvalidArg(format!("corrupt tarball: {m}"))
    }
}
