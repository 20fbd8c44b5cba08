//! Malware advisories, offline: OSV records (a directory, or the ecosystem zip osv.dev
//! publishes) and plain compromised-version lists (`name@version`, `name:version`, CSV
//! `name,version` or `name,"v1, v2"`), matched against package versions.
//!
//! OSV rules: only `affected[]` entries of ecosystem npm; `withdrawn` records are ignored;
//! `versions` match exactly; `ECOSYSTEM`/`SEMVER` ranges are evaluated over their events
//! (`introduced`, `fixed`, `last_affected`, `limit`; `introduced: "0"` = from the first
//! version) in semver order. A malformed record is reported in `LoadStats.errors` and skipped.

use crate::error::{Error, Result};
use nodejs_semver::Version;
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
const MAX_FILES: usize = 500_000;
const MAX_ZIP_TOTAL: u64 = 4 * 1024 * 1024 * 1024;

/// Where a match comes from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub source: String,
    pub published: Option<String>,
}

/// A package version named by an advisory.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Match {
    pub name: String,
    pub version: String,
    pub advisory: Advisory,
    pub evidence: String,
}

#[derive(Debug, Clone)]
enum Event {
    Introduced(Option<Version>), // None = "0"
    Fixed(Version),
    LastAffected(Version),
    Limit(Version),
}

#[derive(Debug)]
struct Entry {
    advisory: Arc<Advisory>,
    versions: HashSet<String>,
    ranges: Vec<Vec<Event>>,
}

/// What a load read.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadStats {
    pub records: usize,
    pub withdrawn_skipped: usize,
    pub other_ecosystem_skipped: usize,
    pub errors: Vec<String>,
}

/// Advisories by package name.
#[derive(Debug, Default)]
pub struct Database {
    by_name: HashMap<String, Vec<Entry>>,
    records: usize,
}

fn version_of(s: &str) -> Option<Version> {
    Version::parse(s.trim()).ok()
}

impl Event {
    fn at(&self) -> Option<&Version> {
        match self {
            Event::Introduced(v) => v.as_ref(),
            Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => Some(v),
        }
    }
}

fn affected(events: &[Event], v: &Version) -> bool {
    let mut ev: Vec<&Event> = events.iter().collect();
    // "0" first, then by version; at equal versions `introduced` before the rest.
    ev.sort_by(|a, b| match (a.at(), b.at()) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Less,
        (_, None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y).then_with(|| {
            let rank = |e: &Event| u8::from(!matches!(e, Event::Introduced(_)));
            rank(a).cmp(&rank(b))
        }),
    });
    let mut hit = false;
    for e in ev {
        match e {
            Event::Introduced(None) => hit = true,
            Event::Introduced(Some(i)) if i <= v => hit = true,
            Event::Fixed(f) | Event::Limit(f) if f <= v => hit = false,
            Event::LastAffected(l) if l < v => hit = false,
            _ => {}
        }
    }
    hit
}

impl Database {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records loaded.
    pub fn len(&self) -> usize {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Load a directory of OSV JSON (walked), an OSV zip, or a list (.csv/.txt/.tsv).
    pub fn load_path(&mut self, path: &Path) -> Result<LoadStats> {
        let mut stats = LoadStats::default();
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files, 0)?;
            for f in files {
                match read_capped(&f) {
                    Ok(text) => self.osv_into(&text, &f.display().to_string(), &mut stats),
                    Err(e) => stats.errors.push(e.to_string()),
                }
            }
            if stats.records == 0 && stats.withdrawn_skipped == 0 {
                return Err(Error::InvalidArg(format!(
                    "{}: no OSV records found",
                    path.display()
                )));
            }
        } else if path.extension().and_then(|e| e.to_str()) == Some("zip") {
            self.load_zip(path, &mut stats)?;
        } else if path.extension().and_then(|e| e.to_str()) == Some("json") {
            let text = read_capped(path)?;
            self.osv_into(&text, &path.display().to_string(), &mut stats);
        } else {
            let text = read_capped(path)?;
            stats.records += self.load_list(&text, &path.display().to_string())?;
        }
        Ok(stats)
    }

    fn load_zip(&mut self, path: &Path, stats: &mut LoadStats) -> Result<()> {
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut z =
            zip::ZipArchive::new(f).map_err(|e| Error::json(path.display().to_string(), e))?;
        if z.len() > MAX_FILES {
            return Err(Error::TooLarge(format!(
                "{}: {} entries is over the {MAX_FILES}-entry limit",
                path.display(),
                z.len()
            )));
        }
        let mut total = 0u64;
        for i in 0..z.len() {
            let mut entry = z
                .by_index(i)
                .map_err(|e| Error::json(path.display().to_string(), e))?;
            if !entry.is_file() || !entry.name().ends_with(".json") {
                continue;
            }
            let name = format!("{}!{}", path.display(), entry.name());
            // Read at most the cap + 1 byte, whatever the header claims (zip bombs lie).
            let mut buf = Vec::new();
            (&mut entry)
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(|e| Error::io(&name, e))?;
            if buf.len() as u64 > MAX_FILE_BYTES {
                stats
                    .errors
                    .push(format!("{name}: over {MAX_FILE_BYTES} bytes"));
                continue;
            }
            total += buf.len() as u64;
            if total > MAX_ZIP_TOTAL {
                return Err(Error::TooLarge(format!(
                    "{}: more than {MAX_ZIP_TOTAL} bytes uncompressed",
                    path.display()
                )));
            }
            match String::from_utf8(buf) {
                Ok(text) => self.osv_into(&text, &name, stats),
                Err(_) => stats.errors.push(format!("{name}: not UTF-8")),
            }
        }
        Ok(())
    }

    fn osv_into(&mut self, text: &str, source: &str, stats: &mut LoadStats) {
        match self.load_osv_json(text, source) {
            Ok(Loaded::Records) => stats.records += 1,
            Ok(Loaded::Withdrawn) => stats.withdrawn_skipped += 1,
            Ok(Loaded::OtherEcosystem) => stats.other_ecosystem_skipped += 1,
            Err(e) => stats.errors.push(e.to_string()),
        }
    }

    /// Load one OSV record.
    pub fn load_osv_json(&mut self, text: &str, source: &str) -> Result<Loaded> {
        let v: Value = serde_json::from_str(text).map_err(|e| Error::json(source, e))?;
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::json(source, "OSV record without id"))?;
        if v.get("withdrawn").is_some_and(|w| !w.is_null()) {
            return Ok(Loaded::Withdrawn);
        }
        let advisory = Arc::new(Advisory {
            id: id.to_string(),
            aliases: v
                .get("aliases")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            summary: v.get("summary").and_then(Value::as_str).map(str::to_string),
            source: source.to_string(),
            published: v
                .get("published")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
        let mut any = false;
        for a in v
            .get("affected")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let eco = a
                .pointer("/package/ecosystem")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !eco.eq_ignore_ascii_case("npm") {
                continue;
            }
            let Some(name) = a.pointer("/package/name").and_then(Value::as_str) else {
                return Err(Error::json(source, "affected package without name"));
            };
            let versions = a
                .get("versions")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let mut ranges = Vec::new();
            for r in a
                .get("ranges")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let t = r.get("type").and_then(Value::as_str).unwrap_or("");
                if t != "ECOSYSTEM" && t != "SEMVER" {
                    continue;
                }
                let mut events = Vec::new();
                for e in r
                    .get("events")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let get = |k: &str| e.get(k).and_then(Value::as_str);
                    let ev = if let Some(i) = get("introduced") {
                        if i == "0" {
                            Event::Introduced(None)
                        } else {
                            match version_of(i) {
                                Some(v) => Event::Introduced(Some(v)),
                                None => {
                                    return Err(Error::json(source, format!("bad version {i:?}")))
                                }
                            }
                        }
                    } else if let Some(f) = get("fixed") {
                        Event::Fixed(
                            version_of(f)
                                .ok_or_else(|| Error::json(source, format!("bad version {f:?}")))?,
                        )
                    } else if let Some(l) = get("last_affected") {
                        Event::LastAffected(
                            version_of(l)
                                .ok_or_else(|| Error::json(source, format!("bad version {l:?}")))?,
                        )
                    } else if let Some(l) = get("limit") {
                        if l == "*" {
                            continue;
                        }
                        Event::Limit(
                            version_of(l)
                                .ok_or_else(|| Error::json(source, format!("bad version {l:?}")))?,
                        )
                    } else {
                        continue;
                    };
                    events.push(ev);
                }
                if !events.is_empty() {
                    ranges.push(events);
                }
            }
            self.by_name
                .entry(name.to_string())
                .or_default()
                .push(Entry {
                    advisory: advisory.clone(),
                    versions,
                    ranges,
                });
            any = true;
        }
        if any {
            self.records += 1;
            Ok(Loaded::Records)
        } else {
            Ok(Loaded::OtherEcosystem)
        }
    }

    /// Load a compromised-version list. Returns the number of package versions read.
    pub fn load_list(&mut self, text: &str, source: &str) -> Result<usize> {
        let advisory = Arc::new(Advisory {
            id: format!(
                "list:{}",
                source.rsplit(['/', '\\']).next().unwrap_or(source)
            ),
            aliases: Vec::new(),
            summary: Some(format!("listed in {source}")),
            source: source.to_string(),
            published: None,
        });
        let mut n = 0;
        for line in text.lines() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let Some((name, versions)) = list_line(l) else {
                continue;
            };
            let entry = Entry {
                advisory: advisory.clone(),
                versions: versions.iter().cloned().collect(),
                ranges: Vec::new(),
            };
            n += versions.len();
            self.by_name.entry(name).or_default().push(entry);
        }
        if n == 0 {
            return Err(Error::InvalidArg(format!(
                "{source}: no package versions found"
            )));
        }
        self.records += 1;
        Ok(n)
    }

    /// Advisories naming `name@version`.
    pub fn check(&self, name: &str, version: &str) -> Vec<Match> {
        let Some(entries) = self.by_name.get(name) else {
            return Vec::new();
        };
        let parsed = version_of(version);
        let mut out = Vec::new();
        for e in entries {
            let evidence = if e.versions.contains(version) {
                Some(format!("version {version} is listed in {}", e.advisory.id))
            } else {
                parsed.as_ref().and_then(|v| {
                    e.ranges.iter().find(|r| affected(r, v)).map(|r| {
                        let desc: Vec<String> = r
                            .iter()
                            .map(|ev| match ev {
                                Event::Introduced(None) => "introduced 0".into(),
                                Event::Introduced(Some(v)) => format!("introduced {v}"),
                                Event::Fixed(v) => format!("fixed {v}"),
                                Event::LastAffected(v) => format!("last affected {v}"),
                                Event::Limit(v) => format!("limit {v}"),
                            })
                            .collect();
                        format!(
                            "{version} is in the range [{}] of {}",
                            desc.join(", "),
                            e.advisory.id
                        )
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
}

/// What one OSV document was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    Records,
    Withdrawn,
    OtherEcosystem,
}

/// `name@version`, `name:version`, `npm:name:version`, `name,version`, `name,"v1, v2",…`.
/// Lines for other ecosystems (`pypi:`, `composer:`, …) and CSV headers give `None`.
fn list_line(l: &str) -> Option<(String, Vec<String>)> {
    if l.contains(',') {
        let cols = csv_cols(l);
        let name = cols.first()?.trim().to_string();
        let versions: Vec<String> = cols
            .get(1)?
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| version_of(v).is_some())
            .collect();
        return (!versions.is_empty() && valid_name(&name)).then_some((name, versions));
    }
    let l = l.strip_prefix("npm:").unwrap_or(l);
    let (name, version) = if let Some((n, v)) = l.rsplit_once(':') {
        (n, v)
    } else {
        crate::lockfile::split_at_version_pub(l)?
    };
    if name.contains(':') || !valid_name(name) || version_of(version).is_none() {
        return None;
    }
    Some((name.to_string(), vec![version.trim().to_string()]))
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 214
        && !n.contains(char::is_whitespace)
        && (!n.starts_with('@') || n.contains('/'))
}

/// Split one CSV line, honouring double quotes.
fn csv_cols(l: &str) -> Vec<String> {
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
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn read_capped(p: &Path) -> Result<String> {
    let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::TooLarge(format!(
            "{}: {} bytes is over the {MAX_FILE_BYTES}-byte limit",
            p.display(),
            meta.len()
        )));
    }
    std::fs::read_to_string(p).map_err(|e| Error::io(p, e))
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>, depth: usize) -> Result<()> {
    if depth > 16 {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let ft = e.file_type().map_err(|x| Error::io(e.path(), x))?;
        if ft.is_dir() {
            walk(&e.path(), out, depth + 1)?;
        } else if ft.is_file() && e.file_name().to_string_lossy().ends_with(".json") {
            out.push(e.path());
            if out.len() > MAX_FILES {
                return Err(Error::TooLarge(format!(
                    "{}: more than {MAX_FILES} files",
                    dir.display()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let v = |s: &str| Version::parse(s).unwrap();
        let r = vec![
            Event::Introduced(Some(v("3.3.6"))),
            Event::Fixed(v("4.0.0")),
        ];
        assert!(affected(&r, &v("3.3.6")));
        assert!(affected(&r, &v("3.9.0")));
        assert!(!affected(&r, &v("3.3.5")));
        assert!(!affected(&r, &v("4.0.0")));
        let all = vec![Event::Introduced(None)];
        assert!(affected(&all, &v("0.0.1")));
        let la = vec![Event::Introduced(None), Event::LastAffected(v("1.2.0"))];
        assert!(affected(&la, &v("1.2.0")));
        assert!(!affected(&la, &v("1.2.1")));
    }

    #[test]
    fn list_lines() {
        assert_eq!(
            list_line("a@1.0.0"),
            Some(("a".into(), vec!["1.0.0".into()]))
        );
        assert_eq!(
            list_line("@s/a:1.0.0"),
            Some(("@s/a".into(), vec!["1.0.0".into()]))
        );
        assert_eq!(list_line("pypi:mistralai:2.4.6"), None);
        assert_eq!(list_line("package_name,package_version"), None);
        assert_eq!(
            list_line("@a/b,\"0.0.7, 0.0.8\",\"x, y\""),
            Some(("@a/b".into(), vec!["0.0.7".into(), "0.0.8".into()]))
        );
    }
}
