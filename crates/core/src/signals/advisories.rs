//! Malware advisories, offline: OSV records (a directory, one file, or the ecosystem zip that
//! osv.dev publishes), the compact OSV index TSV, and plain compromised-version lists
//! (`name@version`, `name:version`, `npm:name:version`, CSV `name,version` or `name,"v1, v2"`),
//! matched against npm package versions.
//!
//! Loading an OSV record:
//! 1. Read at most [`Limits::max_file_bytes`] (a zip entry is read through a bounded reader,
//!    whatever its header claims).
//! 2. Parse it into a typed record; a malformed record is an error for that file
//!    ([`LoadStats::errors`]), never a failure of the whole load.
//! 3. Keep only `affected[]` entries whose `package.ecosystem` is exactly `npm`; a record with
//!    none is skipped as another ecosystem.
//! 4. Check every npm entry: a valid name, and `versions` or an `ECOSYSTEM`/`SEMVER` range whose
//!    events parse as semver (`introduced: "0"` = from the first version). `GIT` ranges are
//!    ignored.
//! 5. Resolve duplicates by id: the copy with the later `modified` wins; at a tie the first
//!    loaded stays. A `withdrawn` record is never matched, and a newer withdrawn copy removes an
//!    older live one.
//! 6. Index the entries by package name (case-sensitive, as npm's).
//!
//! Matching `name@version` ([`Database::check`]): an exact `versions` hit (the version as given
//! or its canonical semver form), else a range hit evaluated as OSV specifies: events sorted in
//! semver order (prereleases before their release), `introduced` opens, `fixed` and `limit`
//! close at that version, `last_affected` closes after it; no closing event = every later
//! version. A version that is not semver only matches a `versions` entry or a range that covers
//! every version (`introduced: "0"` and nothing else).

use crate::error::{Error, Result};
use nodejs_semver::Version;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Budgets on work that the input controls.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest OSV JSON file or zip entry (uncompressed).
    pub max_file_bytes: u64,
    /// Largest list or TSV file.
    pub max_list_bytes: u64,
    /// Most entries in a directory walk (files and directories, JSON or not), or in a zip.
    pub max_files: usize,
    /// Largest zip file on disk.
    pub max_zip_bytes: u64,
    /// Most bytes read from one zip (uncompressed) or one directory walk.
    pub max_total_bytes: u64,
    /// Deepest directory walk.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 << 20,
            max_list_bytes: 256 << 20,
            max_files: 2_000_000,
            max_zip_bytes: 2 << 30,
            max_total_bytes: 8 << 30,
            max_depth: 32,
        }
    }
}

/// Most error strings kept in one [`LoadStats`]; the rest are counted in a last line.
const MAX_ERRORS: usize = 1000;

/// Where a match comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Advisory {
    /// OSV id (`MAL-…`, `GHSA-…`), or the file name of a list.
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    /// The file (or `zip!entry`, or list) it came from.
    pub source: String,
    pub published: Option<String>,
    /// Always `None` in a [`Match`]: withdrawn records are never matched.
    pub withdrawn: Option<String>,
}

/// A package version named by an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Match {
    pub name: String,
    pub version: String,
    pub advisory: Advisory,
    /// Why it matched, e.g. `version 4.4.2 listed in MAL-2025-46974`.
    pub evidence: String,
}

/// What one load read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadStats {
    /// OSV records (or OSV index records) read and usable, including ones already loaded
    /// from another source (kept once); for a plain list, package versions read.
    pub records: usize,
    pub withdrawn_skipped: usize,
    /// OSV records without an npm entry; list lines for another ecosystem (`pypi:`, `go:`, …).
    pub other_ecosystem_skipped: usize,
    /// One line per file, entry or list line that could not be used.
    pub errors: Vec<String>,
}

impl LoadStats {
    fn error(&mut self, e: impl std::fmt::Display) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e.to_string());
        } else if self.errors.len() == MAX_ERRORS {
            self.errors
                .push(format!("more errors not shown (limit {MAX_ERRORS})"));
        }
    }
}

/// Advisories indexed by package name.
#[derive(Debug, Default)]
pub struct Database {
    by_name: HashMap<String, Vec<Entry>>,
    /// OSV ids seen, for duplicate and withdrawal resolution.
    known: HashMap<String, Known>,
    entries: usize,
    limits: Limits,
}

#[derive(Debug)]
struct Known {
    modified: Option<String>,
    withdrawn: bool,
    names: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    advisory: Arc<Advisory>,
    /// Listed versions (as given and canonical) -> list line (0 for OSV records).
    versions: HashMap<String, u32>,
    ranges: Vec<Range>,
}

#[derive(Debug, Clone)]
enum Event {
    /// `None` = `"0"`, before every version.
    Introduced(Option<Version>),
    Fixed(Version),
    LastAffected(Version),
    Limit(Version),
}

impl Event {
    fn at(&self) -> Option<&Version> {
        match self {
            Event::Introduced(v) => v.as_ref(),
            Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => Some(v),
        }
    }
    fn describe(&self) -> String {
        match self {
            Event::Introduced(None) => "introduced 0".into(),
            Event::Introduced(Some(v)) => format!("introduced {v}"),
            Event::Fixed(v) => format!("fixed {v}"),
            Event::LastAffected(v) => format!("last_affected {v}"),
            Event::Limit(v) => format!("limit {v}"),
        }
    }
}

/// One `ECOSYSTEM`/`SEMVER` range, events sorted.
#[derive(Debug, Clone)]
struct Range {
    events: Vec<Event>,
    limits: Vec<Version>,
    /// Covers every version: only `introduced: "0"` events.
    all: bool,
    text: String,
}

impl Range {
    fn new(events: Vec<Event>) -> Option<Range> {
        if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
            return None;
        }
        let mut text = events
            .iter()
            .map(Event::describe)
            .collect::<Vec<_>>()
            .join(", ");
        let open = !events.iter().any(|e| !matches!(e, Event::Introduced(_)));
        if open {
            text.push_str(" (no fix)");
        }
        let all = events.iter().all(|e| matches!(e, Event::Introduced(None)));
        let limits = events
            .iter()
            .filter_map(|e| match e {
                Event::Limit(v) => Some(v.clone()),
                _ => None,
            })
            .collect();
        let mut events: Vec<Event> = events
            .into_iter()
            .filter(|e| !matches!(e, Event::Limit(_)))
            .collect();
        // "0" first, then semver order; at one version `introduced` first.
        events.sort_by(|a, b| match (a.at(), b.at()) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, _) => std::cmp::Ordering::Less,
            (_, None) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y).then_with(|| {
                let rank = |e: &Event| u8::from(!matches!(e, Event::Introduced(_)));
                rank(a).cmp(&rank(b))
            }),
        });
        Some(Range {
            events,
            limits,
            all,
            text,
        })
    }

    /// OSV's evaluation: the last event at or below `v` decides.
    fn contains(&self, v: &Version) -> bool {
        if !self.limits.is_empty() && !self.limits.iter().any(|l| v < l) {
            return false;
        }
        let mut hit = false;
        for e in &self.events {
            match e {
                Event::Introduced(None) => hit = true,
                Event::Introduced(Some(i)) if v >= i => hit = true,
                Event::Fixed(f) if v >= f => hit = false,
                Event::LastAffected(l) if v > l => hit = false,
                _ => {}
            }
        }
        hit
    }
}

// ---- OSV schema (only the fields used; unknown fields are ignored) ----

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    ranges: Option<Vec<OsvRange>>,
}

#[derive(Deserialize)]
struct OsvPackage {
    #[serde(default)]
    ecosystem: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<OsvEvent>,
}

#[derive(Deserialize)]
struct OsvEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

/// A record after checking, before it touches the database.
struct Checked {
    advisory: Advisory,
    modified: Option<String>,
    withdrawn: bool,
    /// name -> (versions, ranges), affected entries of one name merged.
    packages: Vec<(String, Vec<String>, Vec<Range>)>,
}

/// What one record did to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Loaded,
    Duplicate,
    Withdrawn,
    OtherEcosystem,
}

fn event_version(source: &str, id: &str, kind: &str, s: &str) -> Result<Version> {
    if !is_version_token(s) {
        return Err(Error::json(
            source,
            format!("{id}: {kind} {s:?} is not a semver version"),
        ));
    }
    Version::parse(s)
        .map_err(|e| Error::json(source, format!("{id}: {kind} {s:?} is not semver: {e}")))
}

fn check_record(rec: OsvRecord, source: &str) -> Result<Checked> {
    let id = rec.id.trim().to_string();
    if id.is_empty() || id.len() > 256 || id.contains(char::is_whitespace) {
        return Err(Error::json(source, format!("bad OSV id {:?}", rec.id)));
    }
    let mut packages: Vec<(String, Vec<String>, Vec<Range>)> = Vec::new();
    for a in rec.affected.unwrap_or_default() {
        let Some(pkg) = a.package else { continue };
        if pkg.ecosystem.as_deref() != Some("npm") {
            continue;
        }
        let name = pkg.name.unwrap_or_default();
        if !valid_name(&name) {
            return Err(Error::json(
                source,
                format!("{id}: bad npm package name {name:?}"),
            ));
        }
        let versions: Vec<String> = a
            .versions
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        let mut ranges = Vec::new();
        for r in a.ranges.unwrap_or_default() {
            if r.kind != "ECOSYSTEM" && r.kind != "SEMVER" {
                continue;
            }
            let mut events = Vec::with_capacity(r.events.len());
            for e in r.events {
                let n = usize::from(e.introduced.is_some())
                    + usize::from(e.fixed.is_some())
                    + usize::from(e.last_affected.is_some())
                    + usize::from(e.limit.is_some());
                if n != 1 {
                    return Err(Error::json(
                        source,
                        format!("{id}: a range event must have exactly one of introduced, fixed, last_affected, limit"),
                    ));
                }
                events.push(if let Some(i) = e.introduced {
                    if i.trim() == "0" {
                        Event::Introduced(None)
                    } else {
                        Event::Introduced(Some(event_version(source, &id, "introduced", &i)?))
                    }
                } else if let Some(f) = e.fixed {
                    Event::Fixed(event_version(source, &id, "fixed", &f)?)
                } else if let Some(l) = e.last_affected {
                    Event::LastAffected(event_version(source, &id, "last_affected", &l)?)
                } else if let Some(l) = e.limit {
                    if l.trim() == "*" {
                        continue;
                    }
                    Event::Limit(event_version(source, &id, "limit", &l)?)
                } else {
                    continue;
                });
            }
            ranges.push(Range::new(events).ok_or_else(|| {
                Error::json(source, format!("{id}: a range without an introduced event"))
            })?);
        }
        if versions.is_empty() && ranges.is_empty() {
            return Err(Error::json(
                source,
                format!(
                    "{id}: npm entry for {name} lists no versions and no ECOSYSTEM/SEMVER range"
                ),
            ));
        }
        match packages.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, vs, rs)) => {
                vs.extend(versions);
                rs.extend(ranges);
            }
            None => packages.push((name, versions, ranges)),
        }
    }
    Ok(Checked {
        advisory: Advisory {
            id,
            aliases: rec.aliases.unwrap_or_default(),
            summary: rec.summary.filter(|s| !s.trim().is_empty()),
            source: source.to_string(),
            published: rec.published,
            withdrawn: rec.withdrawn.clone(),
        },
        modified: rec.modified,
        withdrawn: rec.withdrawn.is_some(),
        packages,
    })
}

/// `a` strictly newer than `b` (RFC 3339 UTC strings; missing = oldest).
fn newer(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.as_str() > b.as_str(),
        (Some(_), None) => true,
        _ => false,
    }
}

impl Database {
    pub fn new() -> Self {
        Self::default()
    }

    /// A database with other budgets (tests, or very large dumps).
    pub fn with_limits(limits: Limits) -> Self {
        Database {
            limits,
            ..Self::default()
        }
    }

    /// Number of (package name, advisory) entries.
    pub fn len(&self) -> usize {
        self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Number of package names with at least one advisory.
    pub fn package_count(&self) -> usize {
        self.by_name.len()
    }

    /// Load a directory (walked for `*.json` OSV records), an OSV zip (by `.zip` extension or
    /// zip magic), one OSV `.json` record, or a list / OSV index (`.csv`, `.txt`, `.tsv`, …).
    ///
    /// Errors: the path cannot be read (`ERR_PROV_IO`), a size or count budget is exceeded
    /// (`ERR_PROV_TOO_LARGE`), a directory or zip holds no readable OSV record or a list holds
    /// no package version (`ERR_PROV_INVALID_ARG`), a single JSON file is malformed
    /// (`ERR_PROV_JSON`). Per-record problems land in [`LoadStats::errors`]. A budget hit
    /// in the middle of a zip leaves the records read before it loaded.
    ///
    /// Every file is read through [`crate::files`]: a FIFO, a device or a socket is
    /// `ERR_PROV_IO` at once (inside a directory: a per-file error), never read or waited on.
    /// A directory walk is bounded in entries ([`Limits::max_files`]), depth, bytes per file and
    /// bytes in all ([`Limits::max_total_bytes`]).
    pub fn load_path(&mut self, path: &Path) -> Result<LoadStats> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let mut stats = LoadStats::default();
        if meta.is_dir() {
            let mut walk = Walk::default();
            self.walk(path, &mut walk, 0, &mut stats)?;
            let mut total = 0u64;
            for f in &walk.files {
                let src = f.display().to_string();
                match read_capped(f, self.limits.max_file_bytes) {
                    Ok(bytes) => {
                        total += bytes.len() as u64;
                        if total > self.limits.max_total_bytes {
                            return Err(Error::TooLarge(format!(
                                "{}: more than {} bytes of JSON files",
                                path.display(),
                                self.limits.max_total_bytes
                            )));
                        }
                        self.osv_bytes(&bytes, &src, &mut stats)
                    }
                    Err(e) => stats.error(e),
                }
            }
            self.require_osv(path, walk.files.len(), &stats)?;
            return Ok(stats);
        }
        // One handle for the checks and the read: a regular file, opened without blocking.
        let (mut file, len) = crate::files::open_regular(path)?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if ext == "zip" || starts_with_zip_magic(&mut file, path)? {
            self.load_zip(path, file, len, &mut stats)?;
            return Ok(stats);
        }
        if ext == "json" {
            let bytes = crate::files::read_open(file, len, path, self.limits.max_file_bytes)?;
            let src = path.display().to_string();
            let text = std::str::from_utf8(&bytes).map_err(|e| Error::json(&src, e))?;
            match self.osv_text(text, &src)? {
                Outcome::Loaded | Outcome::Duplicate => stats.records += 1,
                Outcome::Withdrawn => stats.withdrawn_skipped += 1,
                Outcome::OtherEcosystem => stats.other_ecosystem_skipped += 1,
            }
            return Ok(stats);
        }
        let bytes = crate::files::read_open(file, len, path, self.limits.max_list_bytes)?;
        let src = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|e| Error::io(path, e))?;
        self.list_into(&text, &src, &mut stats)?;
        Ok(stats)
    }

    /// Load one OSV record. `Ok(false)` if it was skipped (withdrawn, or no npm entry);
    /// `Ok(true)` if it is in the database (a same-or-older duplicate counts as in).
    pub fn load_osv_json(&mut self, text: &str, source: &str) -> Result<bool> {
        Ok(matches!(
            self.osv_text(text, source)?,
            Outcome::Loaded | Outcome::Duplicate
        ))
    }

    /// Load a compromised-version list; returns the number of package versions (or, for an
    /// OSV index TSV, records) loaded. See [`Database::load_list_with_stats`].
    pub fn load_list(&mut self, text: &str, source: &str) -> Result<usize> {
        Ok(self.load_list_with_stats(text, source)?.records)
    }

    /// Load a list: `name@version`, `name:version`, `npm:name:version`, CSV `name,version`
    /// or `name,"v1, v2"` (a header row is skipped), tab-separated `name<TAB>version`, or an
    /// OSV index TSV (header `id  status  package  versions  ranges …`). `#` starts a comment;
    /// lines for other ecosystems (`pypi:`, `go:`, `composer:`, `crates:`) are skipped and
    /// counted; unusable lines are reported in `errors`. A list with nothing usable is
    /// `ERR_PROV_INVALID_ARG`.
    pub fn load_list_with_stats(&mut self, text: &str, source: &str) -> Result<LoadStats> {
        let mut stats = LoadStats::default();
        self.list_into(text, source, &mut stats)?;
        Ok(stats)
    }

    /// Advisories naming `name@version` (exact npm name; one match per advisory).
    pub fn check(&self, name: &str, version: &str) -> Vec<Match> {
        let Some(entries) = self.by_name.get(name) else {
            return Vec::new();
        };
        let version = version.trim();
        let parsed = if is_version_token(version) {
            Version::parse(version).ok()
        } else {
            None
        };
        let canon = parsed.as_ref().map(Version::to_string);
        let mut out = Vec::new();
        for e in entries {
            let listed = e
                .versions
                .get(version)
                .or_else(|| canon.as_ref().and_then(|c| e.versions.get(c)));
            let evidence = if let Some(&line) = listed {
                Some(if line > 0 {
                    format!("version {version} listed in {} line {line}", e.advisory.id)
                } else {
                    format!("version {version} listed in {}", e.advisory.id)
                })
            } else if let Some(r) = e.ranges.iter().find(|r| r.all) {
                Some(format!(
                    "range {}: every version ({})",
                    r.text, e.advisory.id
                ))
            } else {
                parsed.as_ref().and_then(|v| {
                    e.ranges.iter().find(|r| r.contains(v)).map(|r| {
                        format!("version {version} in range {} of {}", r.text, e.advisory.id)
                    })
                })
            };
            if let Some(evidence) = evidence {
                out.push(Match {
                    name: name.to_string(),
                    version: version.to_string(),
                    advisory: (*e.advisory).clone(),
                    evidence,
                });
            }
        }
        out
    }

    // ---- OSV ----

    fn osv_text(&mut self, text: &str, source: &str) -> Result<Outcome> {
        let rec: OsvRecord = serde_json::from_str(text).map_err(|e| Error::json(source, e))?;
        let checked = check_record(rec, source)?;
        Ok(self.add(checked))
    }

    fn osv_bytes(&mut self, bytes: &[u8], source: &str, stats: &mut LoadStats) {
        let res = std::str::from_utf8(bytes)
            .map_err(|e| Error::json(source, e))
            .and_then(|t| self.osv_text(t, source));
        match res {
            Ok(Outcome::Loaded | Outcome::Duplicate) => stats.records += 1,
            Ok(Outcome::Withdrawn) => stats.withdrawn_skipped += 1,
            Ok(Outcome::OtherEcosystem) => stats.other_ecosystem_skipped += 1,
            Err(e) => stats.error(e),
        }
    }

    /// A directory or zip must hold at least one readable OSV record.
    fn require_osv(&self, path: &Path, files: usize, stats: &LoadStats) -> Result<()> {
        if stats.records + stats.withdrawn_skipped + stats.other_ecosystem_skipped > 0 {
            return Ok(());
        }
        Err(Error::InvalidArg(match stats.errors.first() {
            Some(first) => format!(
                "{}: no readable OSV record in {files} JSON files (first error: {first})",
                path.display()
            ),
            None => format!("{}: no OSV JSON records found", path.display()),
        }))
    }

    /// Steps 5–6: resolve duplicates and withdrawals by id, then index.
    fn add(&mut self, c: Checked) -> Outcome {
        let id = c.advisory.id.clone();
        if let Some(k) = self.known.get(&id) {
            if !newer(&c.modified, &k.modified) {
                return if c.withdrawn || k.withdrawn {
                    Outcome::Withdrawn
                } else {
                    Outcome::Duplicate
                };
            }
            self.remove_id(&id);
        }
        if c.withdrawn {
            self.known.insert(
                id,
                Known {
                    modified: c.modified,
                    withdrawn: true,
                    names: Vec::new(),
                },
            );
            return Outcome::Withdrawn;
        }
        if c.packages.is_empty() {
            return Outcome::OtherEcosystem;
        }
        let advisory = Arc::new(c.advisory);
        let mut names = Vec::with_capacity(c.packages.len());
        for (name, versions, ranges) in c.packages {
            let versions = versions
                .into_iter()
                .flat_map(|v| {
                    let canon = is_version_token(&v)
                        .then(|| Version::parse(&v).ok())
                        .flatten()
                        .map(|p| p.to_string())
                        .filter(|c| *c != v);
                    std::iter::once(v).chain(canon)
                })
                .map(|v| (v, 0))
                .collect();
            self.insert(
                &name,
                Entry {
                    advisory: advisory.clone(),
                    versions,
                    ranges,
                },
            );
            names.push(name);
        }
        self.known.insert(
            id,
            Known {
                modified: c.modified,
                withdrawn: false,
                names,
            },
        );
        Outcome::Loaded
    }

    fn remove_id(&mut self, id: &str) {
        let Some(k) = self.known.remove(id) else {
            return;
        };
        for n in k.names {
            if let Some(list) = self.by_name.get_mut(&n) {
                let before = list.len();
                list.retain(|e| e.advisory.id != id);
                self.entries -= before - list.len();
                if list.is_empty() {
                    self.by_name.remove(&n);
                }
            }
        }
    }

    /// Add an entry, merging with an entry of the same advisory for that name.
    fn insert(&mut self, name: &str, entry: Entry) {
        let list = self.by_name.entry(name.to_string()).or_default();
        if let Some(e) = list
            .iter_mut()
            .find(|e| Arc::ptr_eq(&e.advisory, &entry.advisory))
        {
            for (v, line) in entry.versions {
                e.versions.entry(v).or_insert(line);
            }
            e.ranges.extend(entry.ranges);
            return;
        }
        list.push(entry);
        self.entries += 1;
    }

    fn load_zip(
        &mut self,
        path: &Path,
        f: std::fs::File,
        size: u64,
        stats: &mut LoadStats,
    ) -> Result<()> {
        let lim = self.limits.clone();
        if size > lim.max_zip_bytes {
            return Err(Error::TooLarge(format!(
                "{}: {size} bytes is over the {}-byte zip limit",
                path.display(),
                lim.max_zip_bytes
            )));
        }
        let mut z = zip::ZipArchive::new(f).map_err(|e| Error::io(path, e))?;
        if z.len() > lim.max_files {
            return Err(Error::TooLarge(format!(
                "{}: {} zip entries is over the {}-entry limit",
                path.display(),
                z.len(),
                lim.max_files
            )));
        }
        let mut total = 0u64;
        let mut json_entries = 0usize;
        for i in 0..z.len() {
            let mut entry = match z.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    stats.error(format!("{}: entry {i}: {e}", path.display()));
                    continue;
                }
            };
            if !entry.is_file() || !entry.name().to_ascii_lowercase().ends_with(".json") {
                continue;
            }
            json_entries += 1;
            let name = format!("{}!{}", path.display(), entry.name());
            if entry.size() > lim.max_file_bytes {
                stats.error(Error::TooLarge(format!(
                    "{name}: {} bytes is over the {}-byte limit",
                    entry.size(),
                    lim.max_file_bytes
                )));
                continue;
            }
            // Read at most the cap + 1 byte, whatever the header claims.
            let mut buf = Vec::new();
            if let Err(e) = (&mut entry)
                .take(lim.max_file_bytes + 1)
                .read_to_end(&mut buf)
            {
                stats.error(Error::io(&name, e));
                continue;
            }
            total += buf.len() as u64;
            if total > lim.max_total_bytes {
                return Err(Error::TooLarge(format!(
                    "{}: more than {} bytes uncompressed",
                    path.display(),
                    lim.max_total_bytes
                )));
            }
            if buf.len() as u64 > lim.max_file_bytes {
                stats.error(Error::TooLarge(format!(
                    "{name}: over the {}-byte limit",
                    lim.max_file_bytes
                )));
                continue;
            }
            self.osv_bytes(&buf, &name, stats);
        }
        self.require_osv(path, json_entries, stats)
    }

    /// Collect the `*.json` files under `dir` (sorted, symlinked directories not followed),
    /// counting every entry looked at against [`Limits::max_files`].
    fn walk(&self, dir: &Path, w: &mut Walk, depth: usize, stats: &mut LoadStats) -> Result<()> {
        if depth > self.limits.max_depth {
            stats.error(format!(
                "{}: deeper than {} levels, not read",
                dir.display(),
                self.limits.max_depth
            ));
            return Ok(());
        }
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if depth > 0 => {
                stats.error(Error::io(dir, e));
                return Ok(());
            }
            Err(e) => return Err(Error::io(dir, e)),
        };
        let mut entries = Vec::new();
        for e in rd {
            w.entries += 1;
            if w.entries > self.limits.max_files {
                return Err(Error::TooLarge(format!(
                    "{}: more than {} entries",
                    dir.display(),
                    self.limits.max_files
                )));
            }
            if let Ok(e) = e {
                entries.push(e);
            }
        }
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                self.walk(&p, w, depth + 1, stats)?;
            } else if !ft.is_dir()
                && e.file_name()
                    .to_string_lossy()
                    .to_ascii_lowercase()
                    .ends_with(".json")
                && !(ft.is_symlink() && p.is_dir())
            {
                // Whatever it is (a FIFO, a device, a symlink to one): `read_capped` refuses
                // what is not a regular file, as a per-file error.
                w.files.push(p);
            }
        }
        Ok(())
    }

    // ---- lists ----

    fn list_into(&mut self, text: &str, source: &str, stats: &mut LoadStats) -> Result<()> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        if let Some(cols) = IndexCols::from_header(first) {
            self.index_into(text, source, &cols, stats);
        } else {
            self.plain_list_into(text, source, stats);
        }
        if stats.records + stats.withdrawn_skipped + stats.other_ecosystem_skipped == 0 {
            return Err(Error::InvalidArg(match stats.errors.first() {
                Some(e) => format!("{source}: no package versions found (first error: {e})"),
                None => format!("{source}: no package versions found"),
            }));
        }
        Ok(())
    }

    fn plain_list_into(&mut self, text: &str, source: &str, stats: &mut LoadStats) {
        let file = source.rsplit(['/', '\\']).next().unwrap_or(source);
        let advisory = Arc::new(Advisory {
            id: file.to_string(),
            aliases: Vec::new(),
            summary: Some(format!("compromised version listed in {file}")),
            source: source.to_string(),
            published: None,
            withdrawn: None,
        });
        let mut seen_data = false;
        for (i, raw) in text.lines().enumerate() {
            let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let line = strip_comment(raw);
            if line.is_empty() {
                continue;
            }
            let first_data = !seen_data;
            seen_data = true;
            match list_line(line, first_data) {
                Line::Entry(name, versions) => {
                    stats.records += versions.len();
                    let versions = versions
                        .into_iter()
                        .flat_map(|v| {
                            let canon = Version::parse(&v)
                                .ok()
                                .map(|p| p.to_string())
                                .filter(|c| *c != v);
                            std::iter::once(v).chain(canon)
                        })
                        .map(|v| (v, lineno))
                        .collect();
                    self.insert(
                        &name,
                        Entry {
                            advisory: advisory.clone(),
                            versions,
                            ranges: Vec::new(),
                        },
                    );
                }
                Line::OtherEcosystem => stats.other_ecosystem_skipped += 1,
                Line::Header => {}
                Line::Bad(why) => stats.error(format!("{source} line {lineno}: {why}")),
            }
        }
    }

    /// The compact OSV index: one row per affected package, grouped into records by id.
    fn index_into(&mut self, text: &str, source: &str, cols: &IndexCols, stats: &mut LoadStats) {
        let mut order: Vec<String> = Vec::new();
        let mut records: HashMap<String, Checked> = HashMap::new();
        let mut header_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if !header_seen {
                header_seen = true;
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let get = |c: Option<usize>| {
                c.and_then(|c| f.get(c))
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
            };
            let at = format!("{source} line {}", i + 1);
            let (Some(id), Some(name)) = (get(Some(cols.id)), get(Some(cols.package))) else {
                stats.error(format!("{at}: missing id or package"));
                continue;
            };
            if !valid_name(name) || id.contains(char::is_whitespace) || id.len() > 256 {
                stats.error(format!("{at}: bad id or package name"));
                continue;
            }
            let withdrawn = get(cols.withdrawn).map(str::to_string).or_else(|| {
                get(cols.status)
                    .filter(|s| s.eq_ignore_ascii_case("withdrawn"))
                    .map(str::to_string)
            });
            let versions: Vec<String> = get(cols.versions)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let ranges = match get(cols.ranges).map(parse_index_ranges).transpose() {
                Ok(r) => r.unwrap_or_default(),
                Err(why) => {
                    stats.error(format!("{at}: {id}: {why}"));
                    continue;
                }
            };
            if versions.is_empty() && ranges.is_empty() && withdrawn.is_none() {
                stats.error(format!("{at}: {id}: no versions and no ranges"));
                continue;
            }
            let rec = records.entry(id.to_string()).or_insert_with(|| {
                order.push(id.to_string());
                let path = get(cols.path)
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default();
                Checked {
                    advisory: Advisory {
                        id: id.to_string(),
                        aliases: get(cols.aliases)
                            .map(|a| {
                                a.split([',', ';'])
                                    .map(str::trim)
                                    .filter(|s| !s.is_empty())
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
                        summary: None,
                        source: format!("{at}{path}"),
                        published: get(cols.published).map(str::to_string),
                        withdrawn: None,
                    },
                    modified: get(cols.modified).map(str::to_string),
                    withdrawn: false,
                    packages: Vec::new(),
                }
            });
            if withdrawn.is_some() {
                rec.withdrawn = true;
                rec.advisory.withdrawn = withdrawn;
            }
            match rec.packages.iter_mut().find(|(n, _, _)| n == name) {
                Some((_, vs, rs)) => {
                    vs.extend(versions);
                    rs.extend(ranges);
                }
                None => rec.packages.push((name.to_string(), versions, ranges)),
            }
        }
        for id in order {
            if let Some(rec) = records.remove(&id) {
                match self.add(rec) {
                    Outcome::Loaded | Outcome::Duplicate => stats.records += 1,
                    Outcome::Withdrawn => stats.withdrawn_skipped += 1,
                    Outcome::OtherEcosystem => stats.other_ecosystem_skipped += 1,
                }
            }
        }
    }
}

/// Column positions of an OSV index TSV (`id`, `package` required).
struct IndexCols {
    id: usize,
    package: usize,
    status: Option<usize>,
    versions: Option<usize>,
    ranges: Option<usize>,
    published: Option<usize>,
    modified: Option<usize>,
    withdrawn: Option<usize>,
    aliases: Option<usize>,
    path: Option<usize>,
}

impl IndexCols {
    fn from_header(line: &str) -> Option<IndexCols> {
        if !line.contains('\t') {
            return None;
        }
        let h: Vec<String> = line
            .split('\t')
            .map(|s| s.trim().to_ascii_lowercase())
            .collect();
        let pos = |n: &str| h.iter().position(|c| c == n);
        let cols = IndexCols {
            id: pos("id")?,
            package: pos("package")?,
            status: pos("status"),
            versions: pos("versions"),
            ranges: pos("ranges"),
            published: pos("published"),
            modified: pos("modified"),
            withdrawn: pos("withdrawn"),
            aliases: pos("aliases").or_else(|| pos("mal_alias")),
            path: pos("path"),
        };
        (cols.versions.is_some() || cols.ranges.is_some()).then_some(cols)
    }
}

/// `SEMVER[introduced:0 last_affected:1.23.0];ECOSYSTEM[introduced:1.0.0 fixed:1.2.0]`
fn parse_index_ranges(s: &str) -> std::result::Result<Vec<Range>, String> {
    let mut out = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (kind, rest) = part
            .split_once('[')
            .ok_or_else(|| format!("bad range {part:?}"))?;
        let body = rest
            .strip_suffix(']')
            .ok_or_else(|| format!("bad range {part:?}"))?;
        if kind != "SEMVER" && kind != "ECOSYSTEM" {
            continue;
        }
        let mut events = Vec::new();
        for ev in body.split_whitespace() {
            let (k, v) = ev
                .split_once(':')
                .ok_or_else(|| format!("bad range event {ev:?}"))?;
            let ver = || {
                if is_version_token(v) {
                    Version::parse(v).map_err(|_| format!("bad version {v:?}"))
                } else {
                    Err(format!("bad version {v:?}"))
                }
            };
            events.push(match k {
                "introduced" if v == "0" => Event::Introduced(None),
                "introduced" => Event::Introduced(Some(ver()?)),
                "fixed" => Event::Fixed(ver()?),
                "last_affected" => Event::LastAffected(ver()?),
                "limit" if v == "*" => continue,
                "limit" => Event::Limit(ver()?),
                _ => return Err(format!("unknown range event {k:?}")),
            });
        }
        out.push(Range::new(events).ok_or_else(|| format!("range without introduced: {part:?}"))?);
    }
    Ok(out)
}

enum Line {
    Entry(String, Vec<String>),
    OtherEcosystem,
    Header,
    Bad(String),
}

/// Drop a `#` comment (whole line, or after whitespace) and surrounding space.
fn strip_comment(raw: &str) -> &str {
    let l = raw.trim();
    if l.starts_with('#') {
        return "";
    }
    match l.find(" #").or_else(|| l.find("\t#")) {
        Some(i) => l[..i].trim_end(),
        None => l,
    }
}

/// One list line. `first` = the first data line (a CSV header may stand there).
fn list_line(l: &str, first: bool) -> Line {
    if l.contains(',') || l.contains('\t') {
        let cols = split_cols(l);
        let name = cols.first().map(|s| s.trim()).unwrap_or("");
        let vcol = cols.get(1).map(|s| s.trim()).unwrap_or("");
        let versions: Vec<&str> = vcol
            .split([',', '|', ' '])
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if versions.is_empty() || !versions.iter().all(|v| is_version(v)) || !valid_name(name) {
            if first {
                return Line::Header;
            }
            return Line::Bad(format!("not name,version: {l:?}"));
        }
        return Line::Entry(
            name.to_string(),
            versions.into_iter().map(str::to_string).collect(),
        );
    }
    let parts: Vec<&str> = l.split(':').collect();
    let (name, version) = match parts.as_slice() {
        [eco, name, version] => {
            if !eco.eq_ignore_ascii_case("npm") {
                return Line::OtherEcosystem;
            }
            (*name, *version)
        }
        [name, version] if is_version(version.trim()) => (*name, *version),
        [eco, rest] => {
            if !eco.eq_ignore_ascii_case("npm") {
                return if is_ecosystem_word(eco) {
                    Line::OtherEcosystem
                } else {
                    Line::Bad(format!("not name:version: {l:?}"))
                };
            }
            match split_at(rest) {
                Some(nv) => nv,
                None => return Line::Bad(format!("not npm:name@version: {l:?}")),
            }
        }
        [single] => match split_at(single) {
            Some(nv) => nv,
            None => return Line::Bad(format!("no version in {l:?}")),
        },
        _ => return Line::Bad(format!("unrecognised line {l:?}")),
    };
    let (name, version) = (name.trim(), version.trim());
    if !valid_name(name) {
        return Line::Bad(format!("bad package name {name:?}"));
    }
    if !is_version(version) {
        return Line::Bad(format!("bad version {version:?} for {name}"));
    }
    Line::Entry(name.to_string(), vec![version.to_string()])
}

/// `name@version`, `@scope/name@version`.
fn split_at(s: &str) -> Option<(&str, &str)> {
    let i = s.rfind('@')?;
    (i > 0).then(|| (&s[..i], &s[i + 1..]))
}

/// Ecosystem prefixes a two-part line (`pypi:name@1.0`) may carry.
fn is_ecosystem_word(s: &str) -> bool {
    const KNOWN: [&str; 14] = [
        "pypi",
        "go",
        "golang",
        "composer",
        "packagist",
        "crates",
        "cargo",
        "maven",
        "nuget",
        "rubygems",
        "gem",
        "hex",
        "pub",
        "github",
    ];
    KNOWN.iter().any(|k| k.eq_ignore_ascii_case(s.trim()))
}

/// Split a CSV or TSV line; double quotes protect commas.
fn split_cols(l: &str) -> Vec<String> {
    let sep = if l.contains('\t') { '\t' } else { ',' };
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = l.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Characters a semver version may have, starting with a digit (or `v` + digit).
fn is_version_token(s: &str) -> bool {
    let t = s.strip_prefix(['v', 'V']).unwrap_or(s);
    !t.is_empty()
        && t.len() <= 256
        && t.starts_with(|c: char| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
}

fn is_version(s: &str) -> bool {
    is_version_token(s) && Version::parse(s).is_ok()
}

/// Loose npm name check: what the registry holds includes legacy names (upper case, leading
/// `-`), so only reject what can never be a package name.
fn valid_name(n: &str) -> bool {
    if n.is_empty() || n.len() > 214 || n.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if let Some(rest) = n.strip_prefix('@') {
        let mut it = rest.splitn(2, '/');
        let (scope, pkg) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
        return !scope.is_empty() && !pkg.is_empty() && !pkg.contains('/');
    }
    !n.contains('/') && !n.contains(':') && !n.contains('@')
}

/// Whether the opened file starts with a zip's local header (the handle is rewound).
fn starts_with_zip_magic(f: &mut std::fs::File, p: &Path) -> Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 4];
    let zip = f.read_exact(&mut magic).is_ok() && magic == *b"PK\x03\x04";
    f.seek(SeekFrom::Start(0)).map_err(|e| Error::io(p, e))?;
    Ok(zip)
}

/// What a directory walk has seen.
#[derive(Default)]
struct Walk {
    files: Vec<PathBuf>,
    entries: usize,
}

use crate::files::read_capped;

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn sources_that_cannot_be_read_are_refused_quickly() {
        use crate::files::testing::{code, make, quick, tmp, Bad, ALL};
        for bad in ALL {
            let dir = tmp(&format!("advisories-{bad:?}"));
            for name in ["r.json", "list.csv", "osv.zip"] {
                let p = dir.join(name);
                make(&p, bad);
                let r = quick(name, || Database::new().load_path(&p));
                let want = match (bad, name) {
                    // A directory is walked: it holds no record.
                    (Bad::Dir, _) => "ERR_PROV_INVALID_ARG",
                    (Bad::Big, "osv.zip") => "ERR_PROV_IO",
                    _ => code(bad, "ERR_PROV_TOO_LARGE"),
                };
                assert_eq!(r.unwrap_err().code(), want, "{name} {bad:?}");
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_walk_reports_what_it_cannot_read_and_reads_the_rest() {
        use crate::files::testing::{make, quick, tmp, ALL};
        let dir = tmp("advisories-walk");
        for (i, bad) in ALL.iter().enumerate() {
            make(&dir.join(format!("{i}.json")), *bad);
        }
        std::fs::write(
            dir.join("z.json"),
            r#"{"id":"MAL-0000-SYNTHETIC","modified":"2025-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"syn-a"},"versions":["1.0.0"]}]}"#,
        )
        .unwrap();
        let mut db = Database::new();
        let s = quick("walk", || db.load_path(&dir)).unwrap();
        assert_eq!(s.records, 1);
        // The device, the FIFO and the 300 MB file; `2.json/` is a directory (walked, empty).
        assert_eq!(s.errors.len(), 3, "{:?}", s.errors);
        assert_eq!(db.check("syn-a", "1.0.0").len(), 1);
        // Bytes in all are bounded too.
        let mut db = Database::with_limits(Limits {
            max_total_bytes: 10,
            ..Limits::default()
        });
        assert_eq!(db.load_path(&dir).unwrap_err().code(), "ERR_PROV_TOO_LARGE");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn range(events: Vec<Event>) -> Range {
        Range::new(events).unwrap()
    }

    #[test]
    fn range_events() {
        let r = range(vec![
            Event::Introduced(Some(v("3.3.6"))),
            Event::Fixed(v("4.0.0")),
        ]);
        assert!(r.contains(&v("3.3.6")));
        assert!(r.contains(&v("3.9.0")));
        assert!(
            r.contains(&v("4.0.0-beta.1")),
            "prerelease sorts before 4.0.0"
        );
        assert!(!r.contains(&v("3.3.5")));
        assert!(!r.contains(&v("4.0.0")));
        let all = range(vec![Event::Introduced(None)]);
        assert!(all.all && all.contains(&v("0.0.0")));
        let la = range(vec![
            Event::Introduced(None),
            Event::LastAffected(v("1.2.0")),
        ]);
        assert!(la.contains(&v("1.2.0")) && !la.contains(&v("1.2.1")) && !la.all);
        // Two windows in one range, events out of order (ngx-bootstrap's record).
        let two = range(vec![
            Event::Introduced(Some(v("20.0.3"))),
            Event::LastAffected(v("20.0.6")),
            Event::Introduced(Some(v("19.0.3"))),
            Event::LastAffected(v("19.0.4")),
        ]);
        for (s, want) in [
            ("19.0.2", false),
            ("19.0.3", true),
            ("19.0.4", true),
            ("19.0.5", false),
            ("20.0.2", false),
            ("20.0.5", true),
            ("20.0.7", false),
        ] {
            assert_eq!(two.contains(&v(s)), want, "{s}");
        }
        let lim = range(vec![Event::Introduced(None), Event::Limit(v("2.0.0"))]);
        assert!(lim.contains(&v("1.9.9")) && !lim.contains(&v("2.0.0")));
        assert!(Range::new(vec![Event::Fixed(v("1.0.0"))]).is_none());
    }

    #[test]
    fn list_lines() {
        let entry = |l: &str| match list_line(l, false) {
            Line::Entry(n, v) => Some((n, v)),
            _ => None,
        };
        assert_eq!(entry("a@1.0.0"), Some(("a".into(), vec!["1.0.0".into()])));
        assert_eq!(
            entry("@s/a@1.0.0-rc.1"),
            Some(("@s/a".into(), vec!["1.0.0-rc.1".into()]))
        );
        assert_eq!(
            entry("@s/a:1.0.0"),
            Some(("@s/a".into(), vec!["1.0.0".into()]))
        );
        assert_eq!(
            entry("npm:@s/a:1.0.0"),
            Some(("@s/a".into(), vec!["1.0.0".into()]))
        );
        assert_eq!(
            entry("npm:a@1.0.0"),
            Some(("a".into(), vec!["1.0.0".into()]))
        );
        assert!(matches!(
            list_line("pypi:mistralai:2.4.6", false),
            Line::OtherEcosystem
        ));
        assert!(matches!(
            list_line("go:github.com/x/y:v0.0.0-2026-abc", false),
            Line::OtherEcosystem
        ));
        assert!(matches!(
            list_line("composer:laravel-lang/lang:15.29.5", false),
            Line::OtherEcosystem
        ));
        assert!(matches!(
            list_line("package_name,package_version", true),
            Line::Header
        ));
        assert!(matches!(
            list_line("package_name,package_version", false),
            Line::Bad(_)
        ));
        assert_eq!(
            entry("@a/b,\"0.0.7, 0.0.8\",\"x, y\""),
            Some(("@a/b".into(), vec!["0.0.7".into(), "0.0.8".into()]))
        );
        assert_eq!(entry("a\t1.0.0"), Some(("a".into(), vec!["1.0.0".into()])));
        for bad in [
            "a",
            "a@",
            "@s/a",
            "a:latest",
            "a b@1.0.0",
            "a@1.0",
            "x:y:z:w",
        ] {
            assert!(matches!(list_line(bad, false), Line::Bad(_)), "{bad}");
        }
        assert_eq!(strip_comment("  a@1.0.0   # why"), "a@1.0.0");
        assert_eq!(strip_comment("# a@1.0.0"), "");
    }

    #[test]
    fn names() {
        for ok in ["a", "--hiljson", "@s/a", "JSONStream", "a.b_c-d"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "@s", "@/a", "@s/", "a/b", "@s/a/b", "a b", "a:b"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    const REC: &str = r#"{"id":"MAL-1","modified":"2025-01-01T00:00:00Z","summary":"s",
        "affected":[{"package":{"ecosystem":"npm","name":"x"},"versions":["1.0.0"]}]}"#;

    #[test]
    fn duplicates_and_withdrawal_by_modified() {
        let mut db = Database::new();
        assert!(db.load_osv_json(REC, "a").unwrap());
        assert!(
            db.load_osv_json(REC, "b").unwrap(),
            "duplicate counts as in"
        );
        assert_eq!(db.check("x", "1.0.0").len(), 1);
        assert_eq!(db.check("x", "1.0.0")[0].advisory.source, "a");
        // An older withdrawn copy does not remove the newer live one.
        let old_w = REC
            .replace(
                "\"summary\"",
                "\"withdrawn\":\"2024-01-01T00:00:00Z\",\"summary\"",
            )
            .replace("2025-01-01", "2024-01-01");
        assert!(!db.load_osv_json(&old_w, "c").unwrap());
        assert_eq!(db.check("x", "1.0.0").len(), 1);
        // A newer withdrawn copy removes it, and an older live copy cannot bring it back.
        let new_w = REC
            .replace(
                "\"summary\"",
                "\"withdrawn\":\"2025-02-01T00:00:00Z\",\"summary\"",
            )
            .replace("2025-01-01", "2025-02-01");
        assert!(!db.load_osv_json(&new_w, "d").unwrap());
        assert!(db.check("x", "1.0.0").is_empty());
        assert!(db.is_empty());
        assert!(!db.load_osv_json(REC, "e").unwrap());
        assert!(db.check("x", "1.0.0").is_empty());
        // A newer live copy replaces the withdrawal.
        let newer_live = REC
            .replace("2025-01-01", "2025-03-01")
            .replace("1.0.0", "2.0.0");
        assert!(db.load_osv_json(&newer_live, "f").unwrap());
        assert_eq!(db.check("x", "2.0.0").len(), 1);
        assert!(db.check("x", "1.0.0").is_empty());
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn malformed_records() {
        let mut db = Database::new();
        let cases = [
            "{",
            "[]",
            r#"{"affected":[]}"#,
            r#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"}}]}"#,
            r#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a b"},"versions":["1.0.0"]}]}"#,
            r#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"one"}]}]}]}"#,
            r#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1.0.0"}]}]}]}"#,
            r#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.0.0"}]}]}]}"#,
            r#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":"1.0.0"}]}"#,
        ];
        for c in cases {
            let e = db.load_osv_json(c, "t").unwrap_err();
            assert_eq!(e.code(), "ERR_PROV_JSON", "{c}: {e}");
        }
        assert!(db.is_empty());
        let pypi = r#"{"id":"P","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"versions":["1"]}]}"#;
        assert!(!db.load_osv_json(pypi, "t").unwrap());
        let git = r#"{"id":"G","affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":["1.0.0"],"ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"abc"}]}]}]}"#;
        assert!(db.load_osv_json(git, "t").unwrap());
    }

    #[test]
    fn index_tsv() {
        let tsv = "id\tstatus\tpackage\tversions\tranges\tpublished\tmodified\twithdrawn\taliases\tsources\tpath\n\
            MAL-1\tmalicious\ta\t\tSEMVER[introduced:0]\t\t2025\t\tGHSA-1,SNYK-2\t\tp/a\n\
            MAL-2\tmalicious\tb\t1.0.0,2.0.0\tSEMVER[introduced:3.0.0 fixed:3.1.0]\t\t2025\t\t\t\tp/b\n\
            MAL-2\tmalicious\tc\t5.0.0\t\t\t2025\t\t\t\tp/b\n\
            MAL-3\twithdrawn\td\t1.0.0\t\t\t2025\t2025-01-01\t\t\tp/d\n\
            MAL-4\tmalicious\te\t\tSEMVER[introduced:x]\t\t2025\t\t\t\tp/e\n";
        let mut db = Database::new();
        let s = db.load_list_with_stats(tsv, "i.tsv").unwrap();
        assert_eq!(
            (s.records, s.withdrawn_skipped, s.errors.len()),
            (2, 1, 1),
            "{s:?}"
        );
        assert_eq!(
            db.check("a", "9.9.9")[0].advisory.aliases,
            ["GHSA-1", "SNYK-2"]
        );
        assert!(!db.check("b", "2.0.0").is_empty());
        assert!(!db.check("b", "3.0.5").is_empty());
        assert!(db.check("b", "3.1.0").is_empty());
        assert_eq!(db.check("c", "5.0.0")[0].advisory.id, "MAL-2");
        assert!(db.check("d", "1.0.0").is_empty());
    }

    #[test]
    fn evidence_and_canonical_versions() {
        let mut db = Database::new();
        db.load_list("# c\nx@1.2.3\nv@v2.0.0\n", "/l/list.txt")
            .unwrap();
        let m = db.check("x", "v1.2.3");
        assert_eq!(m[0].evidence, "version v1.2.3 listed in list.txt line 2");
        assert_eq!(db.check("v", "2.0.0").len(), 1);
        let rec = r#"{"id":"G","affected":[{"package":{"ecosystem":"npm","name":"f"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]},
            {"package":{"ecosystem":"npm","name":"e"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"3.3.6"},{"fixed":"4.0.0"}]}]}]}"#;
        db.load_osv_json(rec, "g.json").unwrap();
        assert_eq!(
            db.check("f", "git+https://x")
                .first()
                .map(|m| m.evidence.as_str()),
            Some("range introduced 0 (no fix): every version (G)")
        );
        assert_eq!(
            db.check("e", "3.3.6")[0].evidence,
            "version 3.3.6 in range introduced 3.3.6, fixed 4.0.0 of G"
        );
        assert!(db.check("e", "not-a-version").is_empty());
        assert!(
            db.check("E", "3.3.6").is_empty(),
            "names are case-sensitive"
        );
    }

    #[test]
    fn empty_list_is_an_error() {
        let mut db = Database::new();
        let e = db.load_list("# only comments\n\n", "x").unwrap_err();
        assert_eq!(e.code(), "ERR_PROV_INVALID_ARG");
        let e = db
            .load_list("package_name,package_version\n", "x")
            .unwrap_err();
        assert_eq!(e.code(), "ERR_PROV_INVALID_ARG");
    }
}
