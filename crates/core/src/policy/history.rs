//! A package's history as the rules compare with it: the packument's versions by publish time,
//! the nearest earlier version with provenance (gathered by the guard), and the version the
//! previous lockfile had.

use crate::lockfile::LockedPackage;
use crate::sigstore::provenance::Provenance;
use serde_json::Value;
use std::collections::HashMap;

/// The provenance of the nearest version published before this one (by publish time) whose
/// attestations carry provenance, and whether it verified. The guard looks back past earlier
/// versions whose attestations verify without provenance, at most [`EARLIER_LOOKBACK`] of them.
#[derive(Debug, Clone)]
pub struct Earlier {
    /// `Ok(Some)`: the version with provenance; `Err`: the version whose attestations did not
    /// verify (the search stops there); `Ok(None)`: the oldest version looked at.
    pub version: String,
    /// Verified provenance facts, or why verification failed / could not run.
    pub provenance: std::result::Result<Option<Provenance>, String>,
    /// Earlier versions looked past: their attestations verified but had no provenance, newest
    /// first.
    pub without_provenance: Vec<String>,
    /// Every earlier version that advertises attestations was looked at (with `Ok(None)`: none
    /// has provenance). `false` when the lookback bound stopped the search.
    pub exhausted: bool,
}

/// How many earlier versions with attestations but no provenance the guard looks past.
pub const EARLIER_LOOKBACK: usize = 8;

/// A packument's publish history, ordered once per name ([`History::of`]) and shared by every
/// rule and every installed version of that name.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// `(publish time, version, stable)` of the versions the packument lists, by time (ties:
    /// the higher version string first, so that newest-first walks list ties in key order).
    by_time: Vec<(jiff::Timestamp, String, bool)>,
    /// Publish time by version.
    time: HashMap<String, jiff::Timestamp>,
}

impl History {
    /// The versions of `packument` that have a publish time and a manifest.
    pub fn of(packument: &Value) -> Self {
        let Some(times) = packument.get("time").and_then(Value::as_object) else {
            return Self::default();
        };
        let versions = packument.get("versions").and_then(Value::as_object);
        let mut by_time: Vec<(jiff::Timestamp, String, bool)> = times
            .iter()
            .filter(|(k, _)| k.as_str() != "created" && k.as_str() != "modified")
            .filter(|(k, _)| versions.is_some_and(|vs| vs.contains_key(k.as_str())))
            .filter_map(|(k, t)| {
                let t: jiff::Timestamp = t.as_str()?.parse().ok()?;
                let stable = nodejs_semver::Version::parse(k.as_str())
                    .is_ok_and(|v| v.pre_release.is_empty());
                Some((t, k.clone(), stable))
            })
            .collect();
        by_time.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
        let time = by_time.iter().map(|(t, v, _)| (v.clone(), *t)).collect();
        Self { by_time, time }
    }

    /// Whether the packument gives `version` a publish time (else nothing is "earlier").
    pub fn knows(&self, version: &str) -> bool {
        self.time.contains_key(version)
    }

    /// Versions published strictly before `version`, newest first (prereleases and versions
    /// that are not semver only with `prereleases`). Empty when `version` has no time.
    pub fn earlier<'a>(
        &'a self,
        version: &str,
        prereleases: bool,
    ) -> impl Iterator<Item = &'a str> + 'a {
        let end = self
            .time
            .get(version)
            .map_or(0, |t0| self.by_time.partition_point(|(t, _, _)| t < t0));
        self.by_time[..end]
            .iter()
            .rev()
            .filter(move |(_, _, stable)| prereleases || *stable)
            .map(|(_, v, _)| v.as_str())
    }
}

pub(super) fn manifest<'a>(packument: Option<&'a Value>, version: &str) -> Option<&'a Value> {
    packument?.get("versions")?.get(version)
}

pub(super) fn publish_time(packument: Option<&Value>, version: &str) -> Option<jiff::Timestamp> {
    packument?.get("time")?.get(version)?.as_str()?.parse().ok()
}

/// When a package was first published: the packument's `time.created`, else its earliest
/// version time.
pub fn first_published(packument: &Value) -> Option<jiff::Timestamp> {
    let times = packument.get("time")?.as_object()?;
    if let Some(t) = times
        .get("created")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
    {
        return Some(t);
    }
    times
        .iter()
        .filter(|(k, _)| k.as_str() != "modified")
        .filter_map(|(_, v)| v.as_str()?.parse::<jiff::Timestamp>().ok())
        .min()
}

/// Versions published before `version`, newest first (a one-off [`History`]; callers that ask
/// for several versions of a name build the history once).
pub fn earlier_versions(
    packument: Option<&Value>,
    version: &str,
    prereleases: bool,
) -> Vec<String> {
    packument.map_or_else(Vec::new, |p| {
        History::of(p)
            .earlier(version, prereleases)
            .map(str::to_string)
            .collect()
    })
}

/// The version of `cur`'s package in the previous lockfile: the same version if it was
/// there; else the entry installed at one of the same paths (several versions of a name are
/// installed at different paths); else one with the same major; else the highest. `None`
/// when the name was not there. `prev` holds the previous lockfile's entries of that name.
pub fn pair_previous<'a>(cur: &LockedPackage, prev: &[&'a LockedPackage]) -> Option<&'a str> {
    if let Some(p) = prev.iter().find(|p| p.version == cur.version) {
        return Some(p.version.as_str());
    }
    if let Some(p) = prev
        .iter()
        .find(|p| p.paths.iter().any(|x| cur.paths.contains(x)))
    {
        return Some(p.version.as_str());
    }
    let m = major(&cur.version);
    if let Some(p) = prev
        .iter()
        .filter(|p| m.is_some() && major(&p.version) == m)
        .max_by(|a, b| semver_cmp(&a.version, &b.version))
    {
        return Some(p.version.as_str());
    }
    prev.iter()
        .max_by(|a, b| semver_cmp(&a.version, &b.version))
        .map(|p| p.version.as_str())
}

/// Semver order, falling back to text for versions that do not parse.
pub fn semver_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (
        nodejs_semver::Version::parse(a),
        nodejs_semver::Version::parse(b),
    ) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

pub(super) fn major(v: &str) -> Option<u64> {
    nodejs_semver::Version::parse(v).ok().map(|v| v.major)
}
