//! Reading an npm package tarball (`.tgz`) in memory, as npm would extract it.
//!
//! npm extracts with node-tar through pacote (`strip: 1`, links and devices filtered, later
//! entries overwrite earlier ones). This reader reproduces that view — which path wins, and
//! what bytes `package.json`, every install-script target and every entry point have — for
//! every header form node-tar accepts, without writing anything or running any code. Where it
//! cannot be sure of npm's view, it says so: a refusal, or an anomaly of severity `error`.
//!
//! 1. Refuse input over `max_compressed`. Sniff as node-tar does ([`inflate::sniff`]): gzip
//!    (inflated the way Node's zlib does: members, zlib members, zero padding), zstd (refused:
//!    npm on recent Node reads it, this reader does not), else a plain tar stream.
//! 2. Parse the stream as node-tar's `Parser` ([`parse`]): extended headers, GNU long names,
//!    invalid blocks skipped, bodies of `floor(size)` bytes, the end at two null blocks. Keep
//!    the file entries pacote keeps; capture the bytes of likely texts on the way (`package.json`
//!    files, `*.js`/`*.cjs`/`*.mjs`/`*.sh`, files the first root `package.json` names).
//! 3. Work out where each entry lands and which one each path ends up with ([`unpack`]), on
//!    this platform; and, with every path rule folded together (case, Unicode normalization,
//!    `\` as a separator, Windows' trailing dots and short names), whether another platform
//!    would end up with other bytes for a file that is judged: `platform-dependent-path`.
//! 4. Parse the winning `package.json` (BOM stripped). Read, in a second pass over the stream,
//!    the winners that must be judged and were not captured (named files of other extensions,
//!    an earlier entry a later one failed to replace).
//! 5. Keep the text of judged files within `max_file` each and `max_text_total` in all; say
//!    on each file why its text was not kept.

mod header;
mod inflate;
mod js;
mod parse;
mod unpack;

pub use unpack::Platform;

use crate::error::{Error, Result};
use parse::{Entry, Parser, Sink, Stop};
use serde::Serialize;
use serde_json::Value;
use sha2::Digest;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Budgets for one tarball.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `.tgz` accepted.
    pub max_compressed: u64,
    /// Most bytes inflated. npm itself stops at 1,000 bytes out per byte in.
    pub max_uncompressed: u64,
    /// Most tar entries (headers of any kind).
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
            max_uncompressed: 1024 * 1024 * 1024,
            max_entries: 200_000,
            // Shai-Hulud's bundle.js was ~3.6 MB: keep files that size.
            max_file: 8 * 1024 * 1024,
            max_text_total: 64 * 1024 * 1024,
        }
    }
}

/// One regular file of the package, as npm leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileEntry {
    /// Path inside the package directory (`lib/index.js`).
    pub path: String,
    /// Size in bytes.
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
    /// `sha512-…` of its bytes, when asked for ([`Options::digests`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
}

/// An entry npm does not extract as a file, or something odd about one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Anomaly {
    /// Path as stored in the tarball (lossy UTF-8, at most 300 characters), `@<offset>` for a
    /// header without one, empty for the archive as a whole.
    pub path: String,
    /// Stable reason: `outside-package-dir`, `path-traversal`, `linkpath-escapes`, `too-deep`,
    /// `absolute-path` (a root stripped; the entry lands inside), `symlink`, `hardlink`,
    /// `special-file`, `sparse-file`, `unsupported-type`, `invalid-header: <why>`,
    /// `extended-header-ignored`, `extended-header-not-read`, `non-ascii-extended-header`,
    /// `gitignore-dropped`, `duplicate`, `blocked`, `data-after-end-of-archive`,
    /// `zero-padding-after-gzip`, `uncompressed`, `too-large-to-read`, `text-budget`,
    /// `binary`, `platform-dependent-path: <why>`.
    pub reason: String,
    /// `error`: npm's view of a judged file is not certain (another platform, or another way
    /// of reading the file, installs other bytes); `warning`: a sign of a crafted tarball
    /// (`npm pack` never writes it) that this reader nonetheless reads as npm does; `info`.
    pub severity: &'static str,
}

/// What a tarball holds.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// `package.json` of the package directory.
    pub manifest: Value,
    /// First path component of the first file entry (normally `package`); npm strips the
    /// first component of every entry, whatever it is.
    pub root: String,
    /// Every file npm leaves in the package directory, in the order each was first written.
    pub files: Vec<FileEntry>,
    /// `binding.gyp` at the package root (npm then runs `node-gyp rebuild` on install).
    pub has_binding_gyp: bool,
    /// Any `*.gyp` at the package root (npm publish then adds `install: node-gyp rebuild`).
    pub has_gyp_file: bool,
    /// Entries not extracted as files, and oddities.
    pub anomalies: Vec<Anomaly>,
    /// Bytes of the tar stream (inflated).
    pub unpacked_size: u64,
    /// Kept texts by path (lossy UTF-8). Not serialised.
    #[serde(skip)]
    pub texts: BTreeMap<String, String>,
    /// Exact bytes of the files asked for in [`Options::raw`] that npm leaves as regular files
    /// within `max_file`. Not serialised.
    #[serde(skip)]
    pub raw: BTreeMap<String, Vec<u8>>,
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

    /// Anomalies that leave npm's view of a judged file uncertain.
    pub fn errors(&self) -> impl Iterator<Item = &Anomaly> {
        self.anomalies.iter().filter(|a| a.severity == "error")
    }
}

/// Most anomalies kept.
const MAX_ANOMALIES: usize = 1000;

pub(crate) fn push_anomaly(v: &mut Vec<Anomaly>, path: &str, reason: &str, severity: &'static str) {
    // Errors are never dropped for want of room.
    if v.len() < MAX_ANOMALIES || severity == "error" {
        v.push(Anomaly {
            path: path.chars().take(300).collect(),
            reason: reason.into(),
            severity,
        });
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

/// Type declarations (`exports` conditions `"types"`, `types`/`typings`): read by compilers,
/// never run, so not entry points to read for code.
fn is_type_declaration(p: &str) -> bool {
    let p = p.to_ascii_lowercase();
    [".d.ts", ".d.mts", ".d.cts"].iter().any(|e| p.ends_with(e))
}

/// Strings a manifest uses as entry points: `main` (default `index.js`), `bin`, `exports`,
/// `module`, `browser`. Normalised, not resolved (no extension added); type declarations
/// (`.d.ts`, `.d.mts`, `.d.cts`) left out.
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
        .filter(|p| !p.contains('*') && !is_type_declaration(p))
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

/// How to read.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub limits: Limits,
    /// Paths (inside the package directory) whose exact bytes to keep in [`Package::raw`]
    /// (at most `max_file` each): the bytes npm leaves at that path, not a lossy text.
    pub raw: &'a [String],
    /// Compute each file's `sha512` ([`FileEntry::integrity`]).
    pub digests: bool,
    /// Whose file naming decides which entry a path ends up with.
    pub platform: Platform,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            raw: &[],
            digests: false,
            platform: Platform::current(),
        }
    }
}

/// Read a tarball as npm on this platform would extract it (see the module docs).
pub fn read(tgz: &[u8], limits: &Limits) -> Result<Package> {
    read_with(
        tgz,
        &Options {
            limits: *limits,
            ..Options::default()
        },
    )
}

fn refused(s: Stop) -> Error {
    match s {
        Stop::NpmFails(why) => Error::InvalidArg(format!("npm cannot extract this tarball: {why}")),
        Stop::TooLarge(why) => Error::TooLarge(why),
        Stop::Ambiguous(why) => Error::InvalidArg(format!(
            "npm's view of this tarball cannot be reproduced: {why}"
        )),
        Stop::Enough => Error::Internal("a stream stopped early".into()),
    }
}

/// Pass 1's sink: captures likely texts (bounded) and optional digests.
struct Capture<'a> {
    opts: &'a Options<'a>,
    /// Named files from the first root package.json seen (a provisional manifest).
    named: Option<BTreeSet<String>>,
    /// Entry index → captured bytes (`None`: started but over a cap).
    bytes: HashMap<usize, Option<Vec<u8>>>,
    /// Landing path (this platform) → entry currently captured there.
    at_path: HashMap<String, usize>,
    held: u64,
    digests: HashMap<usize, sha2::Sha512>,
    root: Option<String>,
}

impl Capture<'_> {
    fn wanted(&self, path: &str) -> bool {
        path == "package.json"
            || path.ends_with("/package.json")
            || scannable_ext(path)
            || self.named.as_ref().is_some_and(|n| n.contains(path))
    }
}

impl Sink for Capture<'_> {
    fn start(&mut self, index: usize, e: &Entry) {
        if self.root.is_none() {
            self.root = Some(e.path.split('/').next().unwrap_or_default().to_string());
        }
        if self.opts.digests {
            self.digests.insert(index, sha2::Sha512::new());
        }
        let Ok(l) = unpack::landing(&e.path, e.linkpath.as_deref(), self.opts.platform) else {
            return;
        };
        let path = l.segs.join("/");
        if !self.wanted(&path) || binary_ext(&path) {
            return;
        }
        // A later entry at the same path replaces the earlier one's bytes (if it does not,
        // pass 2 reads them again).
        if let Some(prev) = self.at_path.insert(path, index) {
            if let Some(Some(b)) = self.bytes.remove(&prev) {
                self.held -= b.len() as u64;
            }
        }
        let l = &self.opts.limits;
        let fits = e.size <= l.max_file && self.held.saturating_add(e.size) <= l.max_text_total;
        self.bytes.insert(
            index,
            fits.then(|| Vec::with_capacity(e.size.min(1 << 20) as usize)),
        );
        if fits {
            self.held += e.size;
        }
    }

    fn data(&mut self, index: usize, chunk: &[u8]) {
        if let Some(d) = self.digests.get_mut(&index) {
            d.update(chunk);
        }
        if let Some(Some(b)) = self.bytes.get_mut(&index) {
            b.extend_from_slice(chunk);
        }
    }
}

/// Feed the tar stream of `tgz` (inflated or not) to `f`.
fn stream(
    tgz: &[u8],
    limits: &Limits,
    f: &mut dyn FnMut(&[u8]) -> std::result::Result<(), Stop>,
) -> std::result::Result<Option<inflate::Inflated>, Stop> {
    match inflate::sniff(tgz) {
        inflate::Format::Gzip => inflate::inflate(tgz, limits.max_uncompressed, f).map(Some),
        inflate::Format::Zstd => Err(Stop::Ambiguous(
            "zstd-compressed: npm on Node 22.15 and later extracts it, this reader does not".into(),
        )),
        inflate::Format::Plain => {
            for c in tgz.chunks(64 * 1024) {
                f(c)?;
            }
            Ok(None)
        }
    }
}

/// Read a tarball with explicit [`Options`] (see the module docs for the steps).
pub fn read_with(tgz: &[u8], opts: &Options) -> Result<Package> {
    let limits = &opts.limits;
    // 1.
    if tgz.len() as u64 > limits.max_compressed {
        return Err(Error::TooLarge(format!(
            "tarball is {} bytes, over the {}-byte limit",
            tgz.len(),
            limits.max_compressed
        )));
    }
    // 2.
    let mut parser = Parser::new(limits.max_entries);
    let mut cap = Capture {
        opts,
        named: None,
        bytes: HashMap::new(),
        at_path: HashMap::new(),
        held: 0,
        digests: HashMap::new(),
        root: None,
    };
    let mut unpacked = 0u64;
    let inflated = stream(tgz, limits, &mut |chunk| {
        unpacked += chunk.len() as u64;
        parser.feed(chunk, &mut cap)?;
        // The first root package.json names the files worth capturing (a provisional view).
        if cap.named.is_none() {
            if let Some(m) = first_manifest(&cap) {
                cap.named = Some(named_files(&m));
            }
        }
        Ok(())
    })
    .map_err(refused)?;
    let parsed = parser.finish().map_err(refused)?;
    let entries = &parsed.entries;
    let mut anomalies = parsed.anomalies;
    match inflated {
        None => push_anomaly(&mut anomalies, "", "uncompressed", "warning"),
        Some(i) => {
            if i.members > 1 {
                push_anomaly(
                    &mut anomalies,
                    "",
                    &format!("gzip-members: {}", i.members),
                    "warning",
                );
            }
            if i.zero_tail > 0 {
                push_anomaly(&mut anomalies, "", "zero-padding-after-gzip", "info");
            }
        }
    }
    if parsed.hidden_after_end {
        push_anomaly(&mut anomalies, "", "data-after-end-of-archive", "warning");
    }

    // 3. This platform's view.
    let here: Vec<std::result::Result<unpack::Landing, unpack::Skip>> =
        unpack::landings(entries, opts.platform);
    for (e, l) in entries.iter().zip(&here) {
        match l {
            Err(skip) => {
                let sev = match skip {
                    unpack::Skip::OutsidePackage => "info",
                    _ => "warning",
                };
                push_anomaly(&mut anomalies, &e.path, skip.reason(), sev);
            }
            // A root stripped, or an empty first component (`/etc/x` lands at `etc/x`).
            Ok(l) if l.root_stripped || e.path.starts_with('/') => {
                push_anomaly(&mut anomalies, &e.path, "absolute-path", "warning")
            }
            Ok(_) => {}
        }
    }
    // Node's file system calls throw on a NUL byte: npm's extraction fails.
    if here
        .iter()
        .flatten()
        .any(|l| l.segs.iter().any(|s| s.contains('\0')))
    {
        return Err(refused(Stop::NpmFails(
            "a path holds a NUL byte (Node's file system calls throw)".into(),
        )));
    }
    let segs: Vec<Option<Vec<String>>> = here
        .iter()
        .map(|l| l.as_ref().ok().map(|l| l.segs.clone()))
        .collect();
    let view = unpack::simulate(&segs, opts.platform);
    for (_, p) in &view.replaced {
        let sev = if judged_name(p) { "warning" } else { "info" };
        push_anomaly(&mut anomalies, p, "duplicate", sev);
    }
    for (i, p) in &view.blocked {
        push_anomaly(
            &mut anomalies,
            &entries[*i].path,
            &format!("blocked: {p}"),
            "warning",
        );
    }

    // 4. The manifest.
    let Some(&mi) = view
        .by_key
        .get(&opts.platform.path_key(&["package.json".to_string()]))
    else {
        return Err(Error::InvalidArg(
            "tarball has no package.json in its package directory".into(),
        ));
    };
    if entries[mi].size > limits.max_file {
        return Err(Error::TooLarge(format!(
            "package.json is {} bytes, over the {}-byte limit",
            entries[mi].size, limits.max_file
        )));
    }
    // Winners whose bytes are needed and were not captured: read them in a second pass.
    let mut need: BTreeSet<usize> = BTreeSet::new();
    if !matches!(cap.bytes.get(&mi), Some(Some(_))) {
        need.insert(mi);
    }
    let mut bytes = cap.bytes;
    if !need.is_empty() {
        second_pass(tgz, limits, entries, &need, &mut bytes).map_err(refused)?;
    }
    let raw = match bytes.get(&mi) {
        Some(Some(b)) => String::from_utf8_lossy(b).into_owned(),
        _ => {
            return Err(Error::Internal(
                "package.json was not read in the second pass".into(),
            ))
        }
    };
    let manifest: Value = serde_json::from_str(raw.trim_start_matches('\u{feff}'))
        .map_err(|e| Error::json("package.json in the tarball", e))?;
    if !manifest.is_object() {
        return Err(Error::InvalidArg(
            "package.json in the tarball is not an object".into(),
        ));
    }
    let named = named_files(&manifest);

    // 5. Texts of the judged winners, in order, within the caps: decided from the sizes
    // first, so the second pass reads no more than will be kept.
    let judged = |p: &str| judged_name(p) || named.contains(p);
    let mut text_total = 0u64;
    let mut plan: Vec<Option<&'static str>> = Vec::with_capacity(view.files.len());
    let mut need: BTreeSet<usize> = BTreeSet::new();
    for (p, i) in &view.files {
        let size = entries[*i].size;
        let why = if !judged(p) {
            Some("")
        } else if binary_ext(p) {
            Some(if named.contains(p) {
                "binary-extension"
            } else {
                ""
            })
        } else if size > limits.max_file {
            Some("too-large-to-read")
        } else if text_total.saturating_add(size) > limits.max_text_total {
            Some("text-budget")
        } else {
            text_total += size;
            if !matches!(bytes.get(i), Some(Some(_))) {
                need.insert(*i);
            }
            None
        };
        plan.push(why);
    }
    let raw_wanted: Vec<(String, usize)> = view
        .files
        .iter()
        .filter(|(p, i)| opts.raw.contains(p) && entries[*i].size <= limits.max_file)
        .map(|(p, i)| (p.clone(), *i))
        .collect();
    for (_, i) in &raw_wanted {
        if !matches!(bytes.get(i), Some(Some(_))) {
            need.insert(*i);
        }
    }
    if !need.is_empty() {
        second_pass(tgz, limits, entries, &need, &mut bytes).map_err(refused)?;
    }
    let mut raw = BTreeMap::new();
    for (p, i) in raw_wanted {
        if let Some(Some(b)) = bytes.get(&i) {
            raw.insert(p, b.clone());
        }
    }
    let mut texts = BTreeMap::new();
    let mut files = Vec::with_capacity(view.files.len());
    let mut digests = cap.digests;
    for ((p, i), why) in view.files.iter().zip(plan) {
        let mut f = FileEntry {
            path: p.clone(),
            size: entries[*i].size,
            text: false,
            unread: None,
            integrity: digests.remove(i).map(|d| {
                use base64::Engine;
                format!(
                    "sha512-{}",
                    base64::engine::general_purpose::STANDARD.encode(d.finalize())
                )
            }),
        };
        match why {
            Some("") => {}
            Some(w) => f.unread = Some(w),
            None => match bytes.remove(i) {
                Some(Some(b)) if !b[..b.len().min(8192)].contains(&0) => {
                    texts.insert(p.clone(), String::from_utf8_lossy(&b).into_owned());
                    f.text = true;
                }
                Some(Some(_)) => f.unread = Some("binary"),
                _ => {
                    return Err(Error::Internal(format!(
                        "{p} was not read in the second pass"
                    )))
                }
            },
        }
        if let Some(w) = f.unread.filter(|w| *w != "binary-extension") {
            push_anomaly(&mut anomalies, p, w, "info");
        }
        files.push(f);
    }

    // 3, other platforms: what npm elsewhere ends up with for each judged path.
    platform_check(
        entries,
        &view,
        opts.platform,
        &named,
        &judged,
        &mut anomalies,
    );

    let root_file = |name: &str| {
        view.by_key
            .contains_key(&opts.platform.path_key(&[name.to_string()]))
    };
    let has_gyp_file = view
        .files
        .iter()
        .any(|(p, _)| !p.contains('/') && p.ends_with(".gyp"));
    Ok(Package {
        manifest,
        root: cap.root.unwrap_or_default(),
        has_binding_gyp: root_file("binding.gyp"),
        has_gyp_file,
        files,
        anomalies,
        unpacked_size: unpacked,
        texts,
        raw,
    })
}

/// Files judged whatever the manifest says: package manifests and script-like files.
fn judged_name(p: &str) -> bool {
    p == "package.json" || p.ends_with("/package.json") || scannable_ext(p)
}

/// The first root `package.json` captured so far, parsed (pass 1's provisional manifest).
fn first_manifest(cap: &Capture<'_>) -> Option<Value> {
    let i = *cap.at_path.get("package.json")?;
    let b = cap.bytes.get(&i)?.as_ref()?;
    serde_json::from_slice::<Value>(b)
        .or_else(|_| {
            serde_json::from_str(String::from_utf8_lossy(b).trim_start_matches('\u{feff}'))
        })
        .ok()
        .filter(Value::is_object)
}

/// Read the content of entries `want` from a second pass over the stream (by offset).
fn second_pass(
    tgz: &[u8],
    limits: &Limits,
    entries: &[Entry],
    want: &BTreeSet<usize>,
    out: &mut HashMap<usize, Option<Vec<u8>>>,
) -> std::result::Result<(), Stop> {
    // (start, end, index), by start.
    let mut spans: Vec<(u64, u64, usize)> = want
        .iter()
        .map(|&i| (entries[i].offset, entries[i].offset + entries[i].size, i))
        .collect();
    spans.sort_unstable();
    for (_, _, i) in &spans {
        out.insert(*i, Some(Vec::new()));
    }
    let mut pos = 0u64;
    let last = spans.iter().map(|s| s.1).max().unwrap_or(0);
    let r = stream(tgz, limits, &mut |chunk| {
        let (cs, ce) = (pos, pos + chunk.len() as u64);
        for (s, e, i) in &spans {
            let (a, b) = ((*s).max(cs), (*e).min(ce));
            if a < b {
                if let Some(Some(v)) = out.get_mut(i) {
                    v.extend_from_slice(&chunk[(a - cs) as usize..(b - cs) as usize]);
                }
            }
        }
        pos = ce;
        if pos >= last {
            // Everything wanted is read: stop early.
            return Err(Stop::Enough);
        }
        Ok(())
    });
    match r {
        Ok(_) | Err(Stop::Enough) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Step 3 for other platforms: the winner of each judged path under every naming rule folded
/// together must be this platform's winner, and a named file missing here must be missing
/// there too. Windows short names (`PACKAG~1.JSO`) beside a judged file count as well.
fn platform_check(
    entries: &[Entry],
    view: &unpack::View,
    platform: Platform,
    named: &BTreeSet<String>,
    judged: &dyn Fn(&str) -> bool,
    anomalies: &mut Vec<Anomaly>,
) {
    let folded: Vec<Option<Vec<String>>> = unpack::landings(entries, Platform::Folded)
        .into_iter()
        .map(|l| l.ok().map(|l| l.segs))
        .collect();
    let fview = unpack::simulate(&folded, Platform::Folded);
    let fkey = |p: &str| {
        let segs: Vec<String> = p
            .split(['/', '\\'])
            .filter(|s| !s.is_empty() && *s != ".")
            .map(str::to_string)
            .collect();
        Platform::Folded.path_key(&segs)
    };
    let mut flagged: HashSet<String> = HashSet::new();
    let mut flag = |anomalies: &mut Vec<Anomaly>, p: &str, why: String| {
        if flagged.insert(p.to_string()) {
            push_anomaly(
                anomalies,
                p,
                &format!("platform-dependent-path: {why}"),
                "error",
            );
        }
    };
    // Names in each directory, for short-name aliases.
    let mut by_dir: HashMap<&str, Vec<&str>> = HashMap::new();
    for (p, _) in &view.files {
        let (d, n) = p.rsplit_once('/').unwrap_or(("", p));
        by_dir.entry(d).or_default().push(n);
    }
    for (p, w) in &view.files {
        if !judged(p) {
            continue;
        }
        match fview.by_key.get(&fkey(p)) {
            Some(fw) if fw == w => {}
            Some(fw) => flag(
                anomalies,
                p,
                format!(
                    "on a case-insensitive or Windows file system the entry {:?} is installed here instead",
                    entries[*fw].path.chars().take(200).collect::<String>()
                ),
            ),
            None => flag(
                anomalies,
                p,
                "on a case-insensitive or Windows file system another entry makes it unwritable".into(),
            ),
        }
        let (d, n) = p.rsplit_once('/').unwrap_or(("", p));
        if let Some(alias) = by_dir
            .get(d)
            .and_then(|ns| ns.iter().find(|s| unpack::short_name_alias(s, n)))
        {
            flag(
                anomalies,
                p,
                format!("{alias:?} beside it can be its Windows short name"),
            );
        }
    }
    // A name from an extended header with non-ASCII bytes: npm decodes such a header piece by
    // piece, and a character split between two reads becomes U+FFFD. Only a judged name with
    // U+FFFD in it can be one such decoding.
    if let Some(e) = entries.iter().find(|e| e.nonascii_meta) {
        let replaced: Vec<&String> = named
            .iter()
            .chain(view.files.iter().map(|(p, _)| p).filter(|p| judged(p)))
            .filter(|p| p.contains('\u{fffd}'))
            .collect();
        if replaced.is_empty() {
            push_anomaly(anomalies, &e.path, "non-ascii-extended-header", "info");
        }
        for p in replaced {
            flag(
                anomalies,
                p,
                "names with U+FFFD can be how npm decodes a non-ASCII name from an extended header"
                    .into(),
            );
        }
    }
    let here: HashSet<String> = view
        .files
        .iter()
        .map(|(p, _)| platform.path_key(&p.split('/').map(str::to_string).collect::<Vec<_>>()))
        .collect();
    for n in named {
        let key = platform.path_key(&n.split('/').map(str::to_string).collect::<Vec<_>>());
        if here.contains(&key) {
            continue;
        }
        if let Some(fw) = fview.by_key.get(&fkey(n)) {
            flag(
                anomalies,
                n,
                format!(
                    "missing here, but on a case-insensitive or Windows file system the entry {:?} is installed there",
                    entries[*fw].path.chars().take(200).collect::<String>()
                ),
            );
        }
    }
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

    /// SYNTHETIC: a ustar header for `name` with `size` and `typ`.
    fn hdr(name: &str, size: usize, typ: u8, gnu: bool) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        b[..name.len()].copy_from_slice(name.as_bytes());
        b[100..108].copy_from_slice(b"0000644\0");
        b[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        b[156] = typ;
        b[257..265].copy_from_slice(if gnu { b"ustar  \0" } else { b"ustar\x0000" });
        if gnu {
            b[482] = 1; // "isextended": node-tar ignores it, so must this reader
        }
        b[148..156].copy_from_slice(b"        ");
        let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
        b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        b
    }

    fn entry(name: &str, body: &[u8]) -> Vec<u8> {
        let mut v = hdr(name, body.len(), b'0', false);
        v.extend_from_slice(body);
        v.resize(v.len().div_ceil(512) * 512, 0);
        v
    }

    fn tgz(parts: &[Vec<u8>]) -> Vec<u8> {
        use std::io::Write;
        let mut t: Vec<u8> = parts.concat();
        t.extend([0u8; 1024]);
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&t).unwrap();
        e.finish().unwrap()
    }

    const EVIL: &[u8] = br#"{"name":"p","version":"1.0.0","scripts":{"postinstall":"node x.js"}}"#;
    const GOOD: &[u8] = br#"{"name":"p","version":"1.0.0"}"#;

    fn posix(t: &[u8]) -> Package {
        read_with(
            t,
            &Options {
                platform: Platform::Posix,
                ..Options::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn the_manifest_npm_installs_wins() {
        // `package\package.json` is one component on POSIX: dropped; on Windows it wins.
        let p = posix(&tgz(&[
            entry("package/package.json", EVIL),
            entry("package\\package.json", GOOD),
        ]));
        assert_eq!(p.manifest["scripts"]["postinstall"], "node x.js");
        assert!(
            p.errors().any(|a| a.path == "package.json"),
            "{:?}",
            p.anomalies
        );
        // `./package/package.json` lands at `package/package.json`, not at the root.
        let p = posix(&tgz(&[
            entry("package/package.json", EVIL),
            entry("./package/package.json", GOOD),
        ]));
        assert_eq!(p.manifest["scripts"]["postinstall"], "node x.js");
        assert!(p.has_file("package/package.json"));
        // A GNU sparse entry is skipped with its body, the rest read.
        let mut sparse = hdr("package/s.bin", 512, b'S', true);
        sparse.extend([b'x'; 512]);
        let p = posix(&tgz(&[sparse, entry("package/package.json", EVIL)]));
        assert_eq!(p.manifest["scripts"]["postinstall"], "node x.js");
        // Trailing zero bytes after the gzip stream are ignored, as Node does.
        let mut t = tgz(&[entry("package/package.json", EVIL)]);
        t.extend([0u8; 4096]);
        assert_eq!(posix(&t).manifest["scripts"]["postinstall"], "node x.js");
        // One null block is not the end of the archive.
        let p = posix(&tgz(&[
            entry("package/package.json", GOOD),
            vec![0u8; 512],
            entry("package/package.json", EVIL),
        ]));
        assert_eq!(p.manifest["scripts"]["postinstall"], "node x.js");
    }

    #[test]
    fn digests_and_platform_views() {
        let t = tgz(&[
            entry("package/package.json", GOOD),
            entry("package/PACKAGE.JSON", EVIL),
        ]);
        let p = read_with(
            &t,
            &Options {
                digests: true,
                platform: Platform::Posix,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(p.files.len(), 2);
        assert!(p.files.iter().all(|f| f
            .integrity
            .as_deref()
            .is_some_and(|i| i.starts_with("sha512-"))));
        assert!(p.errors().any(|a| a.path == "package.json"));
        let mac = read_with(
            &t,
            &Options {
                platform: Platform::Darwin,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(mac.files.len(), 1);
        assert_eq!(mac.manifest["scripts"]["postinstall"], "node x.js");
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

    #[test]
    fn type_declarations_are_not_entry_points() {
        let m = serde_json::json!({"main": "index.js", "exports": {".": {
            "types": "./index.d.ts", "import": {"types": "./esm/index.d.mts", "default": "./esm/index.mjs"},
            "require": {"types": "./cjs/index.D.CTS", "default": "./cjs/index.cjs"}}}});
        assert_eq!(
            entry_points(&m),
            vec!["index.js", "esm/index.mjs", "cjs/index.cjs"]
        );
        // A main that is a declaration file is not read as code either.
        assert!(entry_points(&serde_json::json!({"main": "lib/x.d.ts"})).is_empty());
    }
}
