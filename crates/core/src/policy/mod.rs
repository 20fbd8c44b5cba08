//! Policy: the rules a project commits (`prov-native.config.json`, or a `"prov-native"` key in
//! `package.json`), and their evaluation over audited packages. Pure: no I/O besides reading
//! the config file; `guard` gathers the inputs.
//!
//! Each rule is `"error"`, `"warn"`, `"off"`, or an object `{ level, packages, exclude, … }`
//! whose `packages`/`exclude` are names, scopes (`@corp/*`) or globs. A rule accepts only the
//! options it uses ([`RULE_OPTIONS`]); any other field is a configuration error. Exceptions name
//! a package (and optionally rules), give a non-blank reason and an expiry date; an expired
//! exception no longer applies and is itself a finding, reported once per exception.
//!
//! Fail closed: a rule that could not look at a package (no packument, provenance not checked,
//! nothing to compare with) adds a [`Note`]; the guard lists notes under `skipped`, with counts.

use crate::error::{Error, Result};
use crate::lockfile::{LockedPackage, Source};
use crate::report::{CheckState, Report, Status};
use crate::sigstore::provenance::Provenance;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Every rule, with its default level when the config does not name it.
pub const RULES: &[(&str, Level)] = &[
    ("verification", Level::Error),
    ("requireProvenance", Level::Off),
    ("sourceMatch", Level::Warn),
    ("provenanceRegression", Level::Error),
    ("provenanceContinuity", Level::Warn),
    ("majorUpdate", Level::Off),
    ("minReleaseAge", Level::Off),
    ("typosquat", Level::Error),
    ("dependencyConfusion", Level::Error),
    ("installScripts", Level::Warn),
    ("manifestConfusion", Level::Error),
    ("publisherChange", Level::Warn),
    ("suspiciousCode", Level::Error),
    ("advisories", Level::Error),
    ("exceptionExpired", Level::Error),
];

/// Options every rule object takes.
pub const COMMON_OPTIONS: &[&str] = &["level", "packages", "exclude"];

/// The options each rule takes besides [`COMMON_OPTIONS`] (JSON names). The schema
/// (`schema/prov-native.config.schema.json`) lists the same; a test checks both ways.
pub const RULE_OPTIONS: &[(&str, &[&str])] = &[
    ("verification", &[]),
    ("requireProvenance", &["publishAttestation"]),
    (
        "sourceMatch",
        &[
            "repositories",
            "owners",
            "workflows",
            "refs",
            "builders",
            "denySelfHosted",
        ],
    ),
    ("provenanceRegression", &["includePrereleases"]),
    ("provenanceContinuity", &[]),
    ("majorUpdate", &["publishAttestation"]),
    ("minReleaseAge", &["days"]),
    ("typosquat", &["allow"]),
    ("dependencyConfusion", &["private"]),
    ("installScripts", &["allow"]),
    ("manifestConfusion", &[]),
    ("publisherChange", &[]),
    ("suspiciousCode", &[]),
    ("advisories", &["sources"]),
    ("exceptionExpired", &[]),
];

/// A typosquat match whose package was first published more than this many days ago is a
/// warning, not an error (see `guard`'s typosquat step).
pub const TYPOSQUAT_OLD_DAYS: i64 = 365;

/// Install commands that run a well-known build tool rather than a file of the package. A new
/// one is still reported by `installScripts` (node-gyp runs whatever `binding.gyp` says); the
/// finding says it is one of these.
pub const WELL_KNOWN_BUILD_COMMANDS: &[&str] = &[
    "node-gyp rebuild",
    "node-gyp-build",
    "node-gyp-build-optional-packages",
    "prebuild-install",
    "prebuild-install || node-gyp rebuild",
    "prebuild-install --runtime napi || node-gyp rebuild",
    "node-pre-gyp install --fallback-to-build",
    "node-pre-gyp install --fallback-to-build --update-binary",
    "opencollective-postinstall",
    "opencollective-postinstall || true",
    "opencollective-postinstall || exit 0",
];

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Warn,
    Error,
}

/// Options of one rule. Each rule accepts only its own fields ([`RULE_OPTIONS`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleOptions {
    pub level: Option<Level>,
    /// Names, scopes or globs the rule applies to (default: every package).
    pub packages: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    /// requireProvenance / majorUpdate: require the npm publish attestation too.
    pub publish_attestation: Option<bool>,
    /// sourceMatch: allowed source repositories (URLs), owners, workflow paths, refs, builders.
    pub repositories: Option<Vec<String>>,
    pub owners: Option<Vec<String>>,
    pub workflows: Option<Vec<String>>,
    pub refs: Option<Vec<String>>,
    pub builders: Option<Vec<String>>,
    pub deny_self_hosted: Option<bool>,
    /// provenanceRegression: count prerelease versions as earlier versions.
    pub include_prereleases: Option<bool>,
    /// minReleaseAge: days a version must have been public.
    pub days: Option<f64>,
    /// installScripts: packages allowed to have install scripts. typosquat: names that are
    /// not typosquats (reviewed), permanently.
    pub allow: Option<Vec<String>>,
    /// dependencyConfusion: private names/scopes (besides `.npmrc` scopes and workspaces).
    pub private: Option<Vec<String>>,
    /// advisories: OSV directories / zips and `package@version` lists to load, relative to
    /// the config file.
    pub sources: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RuleSpec {
    Level(Level),
    Options(Value),
}

/// An exception: `package` (name, `name@version` or glob), optional `rules`, a `reason`, an
/// `expires` date (YYYY-MM-DD or RFC 3339).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exception {
    pub package: String,
    #[serde(default)]
    pub rules: Vec<String>,
    pub reason: String,
    pub expires: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(rename = "$schema", default)]
    _schema: Option<String>,
    #[serde(default)]
    rules: BTreeMap<String, RuleSpec>,
    #[serde(default)]
    exceptions: Vec<Exception>,
}

/// A loaded policy.
#[derive(Debug, Clone)]
pub struct Config {
    pub rules: BTreeMap<String, RuleOptions>,
    pub exceptions: Vec<(Exception, jiff::Timestamp)>,
    /// Where it came from (`<defaults>` when no file).
    pub source: String,
    /// The directory relative paths in it (advisory `sources`) start from.
    pub dir: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            rules: BTreeMap::new(),
            exceptions: Vec::new(),
            source: "<defaults>".into(),
            dir: PathBuf::from("."),
        }
    }
}

/// Whether `s` has a character a reader can see. Whitespace, control characters and the
/// characters that render as nothing count as blank: Unicode format characters (zero-width
/// space, joiners, word joiner, byte-order mark, soft hyphen, bidi controls, tags, …), the
/// other default-ignorable code points (variation selectors, Hangul fillers, …) and the blank
/// Braille pattern.
pub fn has_visible(s: &str) -> bool {
    s.chars().any(|c| !is_blank_char(c))
}

fn is_blank_char(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            u32::from(c),
            0x00AD
                | 0x034F
                | 0x0600..=0x0605
                | 0x061C
                | 0x06DD
                | 0x070F
                | 0x0890..=0x0891
                | 0x08E2
                | 0x115F..=0x1160
                | 0x17B4..=0x17B5
                | 0x180B..=0x180F
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x206F
                | 0x2800
                | 0x3164
                | 0xFE00..=0xFE0F
                | 0xFEFF
                | 0xFFA0
                | 0xFFF0..=0xFFFB
                | 0x110BD
                | 0x110CD
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                | 0xE0000..=0xE0FFF
        )
}

/// `YYYY-MM-DD` (the end of that day, UTC) or an RFC 3339 timestamp.
pub fn parse_date(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    let b = s.as_bytes();
    // Only the plain calendar form: jiff would also take `2027-03-31T10` and the like.
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let d: jiff::civil::Date = s.parse().ok()?;
    d.at(23, 59, 59, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn rule_options(rule: &str) -> Option<&'static [&'static str]> {
    RULE_OPTIONS
        .iter()
        .find(|(r, _)| *r == rule)
        .map(|(_, o)| *o)
}

impl Config {
    /// Parse a config document.
    pub fn from_value(v: Value, source: &str) -> Result<Self> {
        let bad = |message: String| Error::Policy {
            file: source.to_string(),
            message,
        };
        if !v.is_object() {
            return Err(bad("the policy must be a JSON object".into()));
        }
        let raw: RawConfig = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
        let mut rules = BTreeMap::new();
        for (name, spec) in raw.rules {
            let Some(own) = rule_options(&name) else {
                return Err(bad(format!(
                    "unknown rule {name:?} (known: {})",
                    RULES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                )));
            };
            let opts = match spec {
                RuleSpec::Level(l) => RuleOptions {
                    level: Some(l),
                    ..Default::default()
                },
                RuleSpec::Options(Value::Object(o)) => {
                    // An option of another rule is an error here, not silently ignored.
                    for k in o.keys() {
                        if !COMMON_OPTIONS.contains(&k.as_str()) && !own.contains(&k.as_str()) {
                            let takes: Vec<&str> =
                                COMMON_OPTIONS.iter().chain(own.iter()).copied().collect();
                            return Err(bad(format!(
                                "rules.{name}: option {k:?} is not used by this rule (it takes: {})",
                                takes.join(", ")
                            )));
                        }
                    }
                    serde_json::from_value(Value::Object(o))
                        .map_err(|e| bad(format!("rules.{name}: {e}")))?
                }
                RuleSpec::Options(other) => {
                    return Err(bad(format!(
                    "rules.{name}: expected \"error\", \"warn\", \"off\" or an object, got {other}"
                )))
                }
            };
            if let Some(d) = opts.days {
                if !(d.is_finite() && d >= 0.0) {
                    return Err(bad(format!(
                        "rules.{name}.days must be a non-negative number"
                    )));
                }
            }
            rules.insert(name, opts);
        }
        let mut exceptions = Vec::new();
        for e in raw.exceptions {
            if e.package.trim().is_empty() {
                return Err(bad("an exception needs a package".into()));
            }
            if !has_visible(&e.reason) {
                return Err(bad(format!(
                    "exception for {}: a reason is required (one with a visible character)",
                    e.package
                )));
            }
            let t = parse_date(&e.expires).ok_or_else(|| {
                bad(format!(
                    "exception for {}: expires {:?} is not a date (YYYY-MM-DD or RFC 3339)",
                    e.package, e.expires
                ))
            })?;
            for r in &e.rules {
                if !RULES.iter().any(|(n, _)| n == r) {
                    return Err(bad(format!(
                        "exception for {}: unknown rule {r:?}",
                        e.package
                    )));
                }
            }
            exceptions.push((e, t));
        }
        Ok(Self {
            rules,
            exceptions,
            source: source.into(),
            dir: PathBuf::from("."),
        })
    }

    /// `prov-native.config.json` in `dir`, else the `"prov-native"` key of its package.json,
    /// else defaults. An explicit `path` (relative to `dir`) must exist.
    ///
    /// Each file is read through [`crate::files`] (at most [`MAX_POLICY_BYTES`]); something
    /// at one of these paths that is not a regular file (a directory, a FIFO, a device) is
    /// `ERR_PROV_IO`, never skipped.
    pub fn load(dir: &Path, path: Option<&Path>) -> Result<Self> {
        // Errors name the file and say what it is: the policy, or the package.json read for it.
        let relabel = |e: Error, label: &str| match e {
            Error::Io { message, .. } => Error::Io {
                path: label.to_string(),
                message,
            },
            e => e,
        };
        let parse = |bytes: Vec<u8>, label: String| -> Result<Value> {
            serde_json::from_slice(&bytes).map_err(|e| Error::json(label, e))
        };
        let read = |p: &Path, label: String| -> Result<Value> {
            let bytes =
                crate::files::read_capped(p, MAX_POLICY_BYTES).map_err(|e| relabel(e, &label))?;
            parse(bytes, label)
        };
        let read_opt = |p: &Path, label: String| -> Result<Option<Value>> {
            crate::files::read_capped_opt(p, MAX_POLICY_BYTES)
                .map_err(|e| relabel(e, &label))?
                .map(|b| parse(b, label))
                .transpose()
        };
        let at = |mut c: Config, file: &Path| {
            c.dir = file
                .parent()
                .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
            c
        };
        if let Some(p) = path {
            let p: PathBuf = dir.join(p);
            return Ok(at(
                Self::from_value(
                    read(&p, format!("policy file {}", p.display()))?,
                    &p.display().to_string(),
                )?,
                &p,
            ));
        }
        let file = dir.join("prov-native.config.json");
        if let Some(v) = read_opt(&file, format!("policy file {}", file.display()))? {
            return Ok(at(Self::from_value(v, &file.display().to_string())?, &file));
        }
        let pj = dir.join("package.json");
        let label = format!("{} (read for its \"prov-native\" policy)", pj.display());
        if let Some(doc) = read_opt(&pj, label)? {
            if let Some(v) = doc.get("prov-native") {
                return Ok(at(
                    Self::from_value(v.clone(), &format!("{} (\"prov-native\")", pj.display()))?,
                    &pj,
                ));
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            ..Self::default()
        })
    }

    /// The options of `rule`, and its level for `name` (Off when excluded or not matched).
    ///
    /// `packages` uses [`glob`] (any name, however long, can be included); `exclude` turns a
    /// rule off, so it uses [`glob_allow`]: a name no registry accepts is never excluded.
    pub fn rule(&self, rule: &str, name: &str) -> (Level, &RuleOptions) {
        static NO_OPTIONS: RuleOptions = RuleOptions {
            level: None,
            packages: None,
            exclude: None,
            publish_attestation: None,
            repositories: None,
            owners: None,
            workflows: None,
            refs: None,
            builders: None,
            deny_self_hosted: None,
            include_prereleases: None,
            days: None,
            allow: None,
            private: None,
            sources: None,
        };
        let default = RULES
            .iter()
            .find(|(n, _)| *n == rule)
            .map_or(Level::Off, |(_, l)| *l);
        let opts = self.rules.get(rule).unwrap_or(&NO_OPTIONS);
        let level = opts.level.unwrap_or(default);
        let included = opts
            .packages
            .as_ref()
            .is_none_or(|ps| ps.iter().any(|p| glob(p, name)));
        let excluded = opts
            .exclude
            .as_ref()
            .is_some_and(|ps| ps.iter().any(|p| glob_allow(p, name)));
        (
            if included && !excluded {
                level
            } else {
                Level::Off
            },
            opts,
        )
    }

    /// The level of `rule` for `name` (see [`Config::rule`]).
    pub fn level(&self, rule: &str, name: &str) -> Level {
        self.rule(rule, name).0
    }
}

/// The longest package name npm accepts.
pub const MAX_NAME_LEN: usize = 214;

/// Largest policy file (or package.json holding the policy) read.
pub const MAX_POLICY_BYTES: u64 = 16 * 1024 * 1024;

/// `*` matches any run of characters; `@scope` alone matches the scope's packages. Any length
/// (see [`wildcard`]): a long name is matched like any other, so a rule's `packages` or a
/// `private` list is never turned off by it. Lists that *allow* something use [`glob_allow`].
pub fn glob(pattern: &str, name: &str) -> bool {
    if let Some(scope) = pattern.strip_prefix('@').filter(|p| !p.contains('/')) {
        return name
            .strip_prefix('@')
            .and_then(|n| n.strip_prefix(scope))
            .is_some_and(|rest| rest.starts_with('/'));
    }
    wildcard(pattern, name)
}

/// [`glob`] for lists that allow, exempt or excuse (`exclude`, `allow`, exceptions): a name
/// longer than npm accepts ([`MAX_NAME_LEN`]) matches nothing there, so it cannot be let off.
pub fn glob_allow(pattern: &str, name: &str) -> bool {
    name.len() <= MAX_NAME_LEN && glob(pattern, name)
}

/// `*` matches any run of bytes (`/` included); everything else matches itself. Iterative:
/// on a mismatch only the last `*` is retried one byte further, so the cost is at most
/// `pattern.len() × text.len()` steps, never exponential.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    // The last `*` seen, and the text position it currently swallows up to.
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == b'*')
}

/// One finding, with its evidence (never empty).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub rule: String,
    pub level: Level,
    pub name: String,
    pub version: String,
    pub message: String,
    pub evidence: Vec<String>,
    /// Set when an exception allows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_by: Option<String>,
}

/// Something a rule could not check for one package: the guard counts these by rule and
/// reason under `skipped`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub rule: String,
    pub reason: String,
    /// `name@version`, or empty for a note about the whole tree.
    pub package: String,
}

impl Note {
    pub fn new(rule: &str, reason: impl Into<String>, package: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            reason: reason.into(),
            package: package.into(),
        }
    }
}

/// Notes grouped by rule and reason, each line with its count and a few packages:
/// `installScripts: packument unavailable: 3 packages (a@1.0.0, b@2.0.0, c@1.2.3)`.
pub fn summarize_notes(notes: &[Note]) -> Vec<String> {
    let mut order: Vec<(&str, &str)> = Vec::new();
    // Packages per group in first-seen order, and the set that keeps them unique.
    type Group<'a> = (Vec<&'a str>, HashSet<&'a str>);
    let mut groups: HashMap<(&str, &str), Group> = HashMap::new();
    for n in notes {
        let k = (n.rule.as_str(), n.reason.as_str());
        let g = groups.entry(k).or_insert_with(|| {
            order.push(k);
            Default::default()
        });
        if !n.package.is_empty() && g.1.insert(&n.package) {
            g.0.push(&n.package);
        }
    }
    order
        .into_iter()
        .map(|k| {
            let pkgs = &groups[&k].0;
            if pkgs.is_empty() {
                format!("{}: {}", k.0, k.1)
            } else {
                let more = if pkgs.len() > 5 { ", …" } else { "" };
                format!(
                    "{}: {}: {} package{} ({}{more})",
                    k.0,
                    k.1,
                    pkgs.len(),
                    if pkgs.len() == 1 { "" } else { "s" },
                    pkgs[..pkgs.len().min(5)].join(", ")
                )
            }
        })
        .collect()
}

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

/// The install hooks of a tarball as npm runs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TarballHooks {
    /// `(hook, command)`, from the tarball's package.json plus npm's implied
    /// `install: node-gyp rebuild` for a `binding.gyp` (only without `install`/`preinstall`).
    pub hooks: Vec<(String, String)>,
    /// The `install` hook is the one `binding.gyp` implies.
    pub binding_gyp_implied: bool,
}

impl TarballHooks {
    /// The hooks of a read tarball (`scan::install_scripts` with its `binding.gyp`).
    pub fn of(pkg: &crate::npm::tarball::Package) -> Self {
        let hooks = crate::signals::scan::install_scripts(&pkg.manifest, pkg.has_binding_gyp);
        let explicit = crate::signals::scan::install_scripts(&pkg.manifest, false);
        Self {
            binding_gyp_implied: hooks.len() > explicit.len(),
            hooks,
        }
    }
}

/// Everything the rules look at for one package version.
pub struct Inputs<'a> {
    pub locked: &'a LockedPackage,
    pub report: &'a Report,
    pub packument: Option<&'a Value>,
    /// The packument's history, when the caller ordered it once per name ([`History::of`]);
    /// `None`: ordered here from `packument`.
    pub history: Option<&'a History>,
    /// Why there is no packument (offline, network error, 404), when there is none.
    pub packument_error: Option<&'a str>,
    /// Version of this package in the previous lockfile ([`pair_previous`]), if it was there.
    pub previous_version: Option<&'a str>,
    pub earlier: Option<&'a Earlier>,
    /// The tarball's own install hooks, when the tarball was read.
    pub tarball_hooks: Option<&'a TarballHooks>,
    pub now: jiff::Timestamp,
}

/// Findings and what could not be checked.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
}

fn manifest<'a>(packument: Option<&'a Value>, version: &str) -> Option<&'a Value> {
    packument?.get("versions")?.get(version)
}

fn publish_time(packument: Option<&Value>, version: &str) -> Option<jiff::Timestamp> {
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

/// The declared repository of a manifest, normalised to `https://host/owner/repo`.
pub fn declared_repository(manifest: &Value) -> Option<String> {
    let r = manifest.get("repository")?;
    let url = match r {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.get("url")?.as_str()?.to_string(),
        _ => return None,
    };
    normalize_repo(&url)
}

/// `git+https://github.com/o/r.git`, `git@github.com:o/r`, `github:o/r`, `o/r` →
/// `https://github.com/o/r` (lower-cased host and path, as GitHub is case-insensitive).
pub fn normalize_repo(url: &str) -> Option<String> {
    let u = url.trim();
    let u = u.strip_prefix("git+").unwrap_or(u);
    let (host, path) = if let Some(rest) = u.strip_prefix("github:") {
        ("github.com".to_string(), rest.to_string())
    } else if let Some(rest) = u.strip_prefix("gitlab:") {
        ("gitlab.com".to_string(), rest.to_string())
    } else if let Some(rest) = u.strip_prefix("git@") {
        let (h, p) = rest.split_once(':')?;
        (h.to_string(), p.to_string())
    } else if let Some(i) = u.find("://") {
        let rest = &u[i + 3..];
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let (h, p) = rest.split_once('/')?;
        (h.to_string(), p.to_string())
    } else if u.matches('/').count() == 1 && !u.starts_with('.') {
        ("github.com".to_string(), u.to_string())
    } else {
        return None;
    };
    let path = path.split(['#', '?']).next().unwrap_or("");
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = path.split('/').filter(|s| !s.is_empty());
    let (o, r) = (parts.next()?, parts.next()?);
    let host = host.split(':').next().unwrap_or(&host);
    Some(format!("https://{}/{}/{}", host, o, r).to_lowercase())
}

/// `host/owner` of a normalised repository URL (`https://github.com/o/r` → `github.com/o`).
fn host_owner(repo: &str) -> Option<String> {
    let mut parts = repo.strip_prefix("https://")?.split('/');
    let (host, owner) = (parts.next()?, parts.next()?);
    (!host.is_empty() && !owner.is_empty()).then(|| format!("{host}/{owner}"))
}

/// An `owners` entry as `host/owner`, lower-cased: `acme` is `github.com/acme`;
/// `gitlab.com/acme`, `https://gitlab.com/acme` and `git@gitlab.com:acme` name that host.
fn normalize_owner(x: &str) -> Option<String> {
    let x = x.trim().trim_end_matches('/');
    let x = x.strip_prefix("git+").unwrap_or(x);
    let rest = if let Some(i) = x.find("://") {
        let r = &x[i + 3..];
        r.rsplit_once('@').map_or(r, |(_, r)| r).to_string()
    } else if let Some(r) = x.strip_prefix("git@") {
        r.replacen(':', "/", 1)
    } else {
        x.to_string()
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let (host, owner) = match parts.as_slice() {
        [owner] => ("github.com", *owner),
        [host, owner] => (*host, *owner),
        _ => return None,
    };
    let host = host.split(':').next().unwrap_or(host);
    Some(format!("{host}/{owner}").to_lowercase())
}

fn major(v: &str) -> Option<u64> {
    nodejs_semver::Version::parse(v).ok().map(|v| v.major)
}

fn state(s: CheckState) -> &'static str {
    match s {
        CheckState::Passed => "passed",
        CheckState::Failed => "failed",
        CheckState::Skipped => "skipped",
        CheckState::Missing => "missing",
    }
}

/// `<what> check: <state>`, with the report's reasons for that check.
fn check_evidence(r: &Report, what: &str, s: CheckState, keys: &[&str]) -> Vec<String> {
    let mut ev = vec![format!("{what} check: {}", state(s))];
    ev.extend(
        r.skipped
            .iter()
            .filter(|k| keys.contains(&k.check.as_str()))
            .map(|k| format!("{}: {}", k.check, k.reason)),
    );
    ev
}

fn hooks_text(h: &[(String, String)]) -> String {
    h.iter()
        .map(|(h, c)| format!("{h}: {c}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn squash_blanks(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The install hooks a packument version manifest declares; `None` when they are unknown (an
/// abbreviated manifest that says `hasInstallScript`). With `gypfile: true` and neither
/// `install` nor `preinstall`, npm's implied `install: node-gyp rebuild` is one of them.
fn manifest_hooks(m: &Value) -> Option<Vec<(String, String)>> {
    if crate::signals::scan::is_abbreviated(m) {
        return (m.get("hasInstallScript") != Some(&Value::Bool(true))).then(Vec::new);
    }
    let gyp = m.get("gypfile") == Some(&Value::Bool(true));
    Some(crate::signals::scan::install_scripts(m, gyp))
}

fn maintainers(m: &Value) -> Option<BTreeSet<String>> {
    let list = m.get("maintainers")?.as_array()?;
    Some(
        list.iter()
            .filter_map(|x| match x {
                Value::Object(o) => o.get("name")?.as_str().map(str::to_string),
                // "name <email> (url)"
                Value::String(s) => s.split(['<', '(']).next().map(|n| n.trim().to_string()),
                _ => None,
            })
            .filter(|n| !n.is_empty())
            .collect(),
    )
}

/// Evaluate every per-version rule for one registry package.
pub fn evaluate(cfg: &Config, i: &Inputs) -> Outcome {
    let name = i.locked.name.as_str();
    let version = i.locked.version.as_str();
    let id = format!("{name}@{version}");
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let mut push = |rule: &str, level: Level, message: String, evidence: Vec<String>| {
        if level != Level::Off {
            out.push(Finding {
                rule: rule.into(),
                level,
                name: name.into(),
                version: version.into(),
                message,
                evidence,
                allowed_by: None,
            });
        }
    };
    let mut note = |rule: &str, reason: String| notes.push(Note::new(rule, reason, id.clone()));
    let no_packument = || {
        format!(
            "packument unavailable ({})",
            i.packument_error.unwrap_or("not fetched")
        )
    };
    let r = i.report;
    let m = manifest(i.packument, version);
    let owned_history;
    let history = match i.history {
        Some(h) => Some(h),
        None => {
            owned_history = i.packument.map(History::of);
            owned_history.as_ref()
        }
    };
    let previous_by_time = |prereleases: bool| {
        history.and_then(|h| h.earlier(version, prereleases).next().map(str::to_string))
    };

    // verification: the audit verdict itself.
    let (lvl, _) = cfg.rule("verification", name);
    let problems = || {
        let mut v: Vec<String> = r
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.code, p.message))
            .collect();
        if v.is_empty() {
            v.push(format!(
                "audit status: {}",
                r.status.map_or("unknown", Status::as_str)
            ));
        }
        v
    };
    match r.status {
        Some(Status::Invalid) => push(
            "verification",
            lvl,
            "verification failed".into(),
            problems(),
        ),
        Some(Status::Unverifiable) => push(
            "verification",
            lvl.min(Level::Warn),
            "could not be verified".into(),
            problems(),
        ),
        _ => {}
    }
    let prov = r.checks.provenance;
    let has_provenance = prov == CheckState::Passed;
    let provenance_missing = prov == CheckState::Missing;
    let provenance_unknown = matches!(prov, CheckState::Skipped | CheckState::Failed);
    let prov_evidence = || check_evidence(r, "provenance", prov, &["provenance", "attestations"]);

    // requireProvenance
    let (lvl, o) = cfg.rule("requireProvenance", name);
    if lvl != Level::Off {
        if !has_provenance {
            push(
                "requireProvenance",
                lvl,
                "no verified SLSA provenance".into(),
                prov_evidence(),
            );
        } else if o.publish_attestation == Some(true)
            && r.checks.publish_attestation != CheckState::Passed
        {
            push(
                "requireProvenance",
                lvl,
                "no verified npm publish attestation".into(),
                check_evidence(
                    r,
                    "publish attestation",
                    r.checks.publish_attestation,
                    &["publishAttestation", "attestations"],
                ),
            );
        }
    }

    // sourceMatch: the provenance's repository is in the allowed lists when lists are given,
    // else equals the repository package.json declares (StarJacking); workflow, ref and builder
    // lists and self-hosted runners are checked either way.
    let (lvl, o) = cfg.rule("sourceMatch", name);
    if lvl != Level::Off && provenance_unknown {
        note("sourceMatch", "provenance not checked".into());
    }
    if let (Level::Warn | Level::Error, Some(p)) =
        (lvl, r.provenance.as_ref().filter(|_| has_provenance))
    {
        let src = p.source_repository.as_deref().and_then(normalize_repo);
        let declared = m.and_then(declared_repository);
        let declared_ev = format!(
            "manifest repository: {}",
            declared.as_deref().unwrap_or(if m.is_some() {
                "(none declared)"
            } else {
                "(packument unavailable)"
            })
        );
        let src_ev = format!(
            "provenance sourceRepository: {}",
            p.source_repository.as_deref().unwrap_or("(none)")
        );
        let listed = o.repositories.is_some() || o.owners.is_some();
        if listed {
            let in_list = |s: &str| {
                o.repositories
                    .as_ref()
                    .is_some_and(|l| l.iter().any(|x| normalize_repo(x).as_deref() == Some(s)))
                    || o.owners.as_ref().is_some_and(|l| {
                        host_owner(s).is_some_and(|ho| {
                            l.iter()
                                .any(|x| normalize_owner(x).as_deref() == Some(ho.as_str()))
                        })
                    })
            };
            let allowed_ev = format!(
                "allowed: repositories [{}], owners [{}]",
                o.repositories.as_deref().unwrap_or_default().join(", "),
                o.owners.as_deref().unwrap_or_default().join(", ")
            );
            match &src {
                Some(s) if in_list(s) => {}
                Some(s) => push(
                    "sourceMatch",
                    lvl,
                    format!("built from {s}, which is not in the allowed repositories or owners"),
                    vec![src_ev.clone(), allowed_ev, declared_ev.clone()],
                ),
                None => push(
                    "sourceMatch",
                    lvl,
                    "the provenance names no source repository".into(),
                    vec![src_ev.clone(), allowed_ev],
                ),
            }
        } else {
            match (&src, &declared) {
                (Some(s), Some(d)) if s != d => push(
                    "sourceMatch",
                    lvl,
                    format!("built from {s}, but package.json declares {d}"),
                    vec![
                        format!("provenance sourceRepository: {s}"),
                        format!("manifest repository: {d}"),
                    ],
                ),
                (Some(_), Some(_)) => {}
                (Some(_), None) if m.is_none() => note("sourceMatch", no_packument()),
                (Some(_), None) => note(
                    "sourceMatch",
                    "package.json declares no repository to compare the provenance with".into(),
                ),
                (None, _) => push(
                    "sourceMatch",
                    lvl,
                    "the provenance names no source repository".into(),
                    vec![src_ev.clone(), declared_ev.clone()],
                ),
            }
        }
        let check_list = |what: &str, val: Option<&str>, list: &Option<Vec<String>>| {
            let l = list.as_ref()?;
            let v = val.unwrap_or("");
            (!l.iter().any(|x| glob(x, v))).then(|| {
                (
                    format!(
                        "{what} {} is not allowed",
                        if v.is_empty() { "(none)" } else { v }
                    ),
                    vec![
                        format!(
                            "provenance {what}: {}",
                            if v.is_empty() { "(none)" } else { v }
                        ),
                        format!("allowed {what}s: {}", l.join(", ")),
                        src_ev.clone(),
                    ],
                )
            })
        };
        for (msg, ev) in [
            check_list("workflow", p.workflow_path.as_deref(), &o.workflows),
            check_list("ref", p.source_ref.as_deref(), &o.refs),
            check_list("builder", p.builder_id.as_deref(), &o.builders),
        ]
        .into_iter()
        .flatten()
        {
            push("sourceMatch", lvl, msg, ev);
        }
        if o.deny_self_hosted == Some(true)
            && p.runner_environment.as_deref() == Some("self-hosted")
        {
            push(
                "sourceMatch",
                lvl,
                "built on a self-hosted runner".into(),
                vec![
                    "certificate runner environment: self-hosted".into(),
                    format!(
                        "build: {}",
                        p.build_invocation_url.as_deref().unwrap_or("(no run URL)")
                    ),
                ],
            );
        }
    }

    // provenanceRegression / provenanceContinuity
    let (reg_lvl, _) = cfg.rule("provenanceRegression", name);
    let (cont_lvl, _) = cfg.rule("provenanceContinuity", name);
    if provenance_unknown {
        if reg_lvl != Level::Off {
            note("provenanceRegression", "provenance not checked".into());
        }
        if cont_lvl != Level::Off {
            note("provenanceContinuity", "provenance not checked".into());
        }
    } else if i.packument.is_none() {
        if reg_lvl != Level::Off && provenance_missing {
            note("provenanceRegression", no_packument());
        }
        if cont_lvl != Level::Off && has_provenance {
            note("provenanceContinuity", no_packument());
        }
    }
    if let Some(e) = i.earlier {
        if provenance_missing {
            match &e.provenance {
                Ok(Some(p)) => push(
                    "provenanceRegression",
                    reg_lvl,
                    format!(
                        "{name}@{} was published with verified provenance; {version} has none",
                        e.version
                    ),
                    vec![
                        format!(
                            "{}@{} provenance: {} @ {}",
                            name,
                            e.version,
                            p.source_repository.as_deref().unwrap_or("?"),
                            p.source_commit.as_deref().unwrap_or("?")
                        ),
                        format!("{version}: {}", prov_evidence().join("; ")),
                    ],
                ),
                // No earlier version has provenance, as far as the search went.
                Ok(None) if e.exhausted => {}
                Ok(None) => {
                    if reg_lvl != Level::Off {
                        note(
                            "provenanceRegression",
                            format!(
                                "the {} nearest earlier versions with attestations have no provenance; older versions were not checked",
                                e.without_provenance.len().max(1)
                            ),
                        );
                    }
                }
                Err(why) => push(
                    "provenanceRegression",
                    reg_lvl.min(Level::Warn),
                    format!(
                        "{name}@{} advertises attestations that could not be verified (so a regression can be neither shown nor ruled out); {version} has no provenance",
                        e.version
                    ),
                    vec![why.clone()],
                ),
            }
        }
        if let (true, Err(why)) = (has_provenance && cont_lvl != Level::Off, &e.provenance) {
            note(
                "provenanceContinuity",
                format!(
                    "the provenance of {name}@{} (the version to compare with) did not verify: {why}",
                    e.version
                ),
            );
        }
        if let (true, Ok(None), false) = (
            has_provenance && cont_lvl != Level::Off,
            &e.provenance,
            e.exhausted,
        ) {
            note(
                "provenanceContinuity",
                format!(
                    "the {} nearest earlier versions with attestations have no provenance; older versions were not checked",
                    e.without_provenance.len().max(1)
                ),
            );
        }
        if let (true, Some(now), Ok(Some(before))) =
            (has_provenance, r.provenance.as_ref(), &e.provenance)
        {
            let norm = |x: &Option<String>| x.as_deref().and_then(normalize_repo);
            let mut changes = Vec::new();
            if norm(&now.source_repository) != norm(&before.source_repository) {
                changes.push(format!(
                    "source repository {} -> {}",
                    before.source_repository.as_deref().unwrap_or("?"),
                    now.source_repository.as_deref().unwrap_or("?")
                ));
            }
            if now.workflow_path != before.workflow_path {
                changes.push(format!(
                    "workflow {} -> {}",
                    before.workflow_path.as_deref().unwrap_or("?"),
                    now.workflow_path.as_deref().unwrap_or("?")
                ));
            }
            if now.builder_id != before.builder_id {
                changes.push(format!(
                    "builder {} -> {}",
                    before.builder_id.as_deref().unwrap_or("?"),
                    now.builder_id.as_deref().unwrap_or("?")
                ));
            }
            if !changes.is_empty() {
                push(
                    "provenanceContinuity",
                    cont_lvl,
                    format!("provenance changed since {}", e.version),
                    changes,
                );
            }
        }
    }

    // majorUpdate: stricter when the major version changed since the previous lockfile.
    let (lvl, o) = cfg.rule("majorUpdate", name);
    if let Some(prev) = i.previous_version {
        if lvl != Level::Off && major(prev) != major(version) && major(prev).is_some() {
            let mut ev = vec![format!("previous lockfile: {name}@{prev}")];
            if !has_provenance {
                ev.extend(prov_evidence());
                push(
                    "majorUpdate",
                    lvl,
                    format!("major update {prev} -> {version} without verified provenance"),
                    ev,
                );
            } else if o.publish_attestation == Some(true)
                && r.checks.publish_attestation != CheckState::Passed
            {
                ev.extend(check_evidence(
                    r,
                    "publish attestation",
                    r.checks.publish_attestation,
                    &["publishAttestation", "attestations"],
                ));
                push(
                    "majorUpdate",
                    lvl,
                    format!("major update {prev} -> {version} without a publish attestation"),
                    ev,
                );
            }
        }
    }

    // minReleaseAge
    let (lvl, o) = cfg.rule("minReleaseAge", name);
    if lvl != Level::Off {
        let days = o.days.unwrap_or(7.0);
        match publish_time(i.packument, version) {
            Some(t) => {
                let age = i.now.as_second().saturating_sub(t.as_second()) as f64 / 86400.0;
                if age < days {
                    push(
                        "minReleaseAge",
                        lvl,
                        format!("published {age:.1} days ago; the policy asks for {days} days"),
                        vec![format!("time[{version}] = {t}")],
                    );
                }
            }
            None => push(
                "minReleaseAge",
                lvl.min(Level::Warn),
                "publish time unknown".into(),
                vec![if i.packument.is_none() {
                    no_packument()
                } else {
                    format!("the packument has no time[{version}]")
                }],
            ),
        }
    }

    // installScripts: hooks (the tarball's own when it was read, with binding.gyp) that the
    // version to compare with did not have: the previous lockfile's version when it differs,
    // else the version published just before.
    let (lvl, o) = cfg.rule("installScripts", name);
    let allowed = o
        .allow
        .as_ref()
        .is_some_and(|l| l.iter().any(|p| glob_allow(p, name)));
    if lvl != Level::Off && !allowed {
        let (cur, cur_from) = match (i.tarball_hooks, m) {
            (Some(t), _) => (
                Some(t.hooks.clone()),
                if t.binding_gyp_implied {
                    "the tarball (install: node-gyp rebuild implied by its binding.gyp)"
                } else {
                    "the tarball's package.json"
                },
            ),
            (None, Some(m)) => (manifest_hooks(m), "the registry manifest"),
            (None, None) => (None, ""),
        };
        // Without the previous lockfile: the release published before. For a stable version
        // that is the previous stable one, so a decoy prerelease with the same hook published
        // just before cannot make the hook look old.
        let prerelease =
            nodejs_semver::Version::parse(version).map_or(true, |v| !v.pre_release.is_empty());
        let baseline = match i.previous_version {
            Some(pv) if pv != version => Some((pv.to_string(), "in the previous lockfile")),
            _ => previous_by_time(prerelease).map(|v| (v, "published before")),
        };
        if i.packument.is_none() {
            note("installScripts", no_packument());
        } else if i.tarball_hooks.is_none() && m.is_none() {
            // Nothing says which hooks this version has: not "new", not "none".
            note(
                "installScripts",
                "this version is not in the packument and its tarball was not read".into(),
            );
        } else if let Some(cur) = cur {
            let prev = match &baseline {
                None => Some(Some(Vec::new())),
                Some((v, _)) => manifest(i.packument, v).map(manifest_hooks),
            };
            match prev {
                None => note(
                    "installScripts",
                    "the version to compare with is not in the packument".into(),
                ),
                Some(None) if !cur.is_empty() => note(
                    "installScripts",
                    "the previous version's hooks are unknown (abbreviated manifest)".into(),
                ),
                Some(None) => {}
                Some(Some(prev)) => {
                    let new: Vec<(String, String)> = cur
                        .iter()
                        .filter(|(h, c)| {
                            !prev
                                .iter()
                                .any(|(ph, pc)| ph == h && squash_blanks(pc) == squash_blanks(c))
                        })
                        .cloned()
                        .collect();
                    if !new.is_empty() {
                        let before = match &baseline {
                            Some((v, how)) if prev.is_empty() => {
                                format!("{name}@{v} ({how}) had no install scripts")
                            }
                            Some((v, how)) => {
                                format!("{name}@{v} ({how}) had: {}", hooks_text(&prev))
                            }
                            None => "first published version".into(),
                        };
                        let mut ev = vec![before, format!("hooks read from {cur_from}")];
                        for (h, c) in &new {
                            if WELL_KNOWN_BUILD_COMMANDS.contains(&squash_blanks(c).as_str()) {
                                ev.push(format!(
                                    "{h}: {c} is a well-known build command (it still runs what the package's build files say)"
                                ));
                            }
                        }
                        push(
                            "installScripts",
                            lvl,
                            format!("new install script: {}", hooks_text(&new)),
                            ev,
                        );
                    }
                }
            }
        } else {
            // Current hooks unknown: the manifest is abbreviated and says hasInstallScript.
            let prev_none = baseline
                .as_ref()
                .and_then(|(v, _)| manifest(i.packument, v))
                .and_then(manifest_hooks)
                .is_some_and(|h| h.is_empty());
            if prev_none || baseline.is_none() {
                push(
                    "installScripts",
                    lvl,
                    "new install script (the registry's abbreviated manifest says hasInstallScript)"
                        .into(),
                    vec![match &baseline {
                        Some((v, how)) => format!("{name}@{v} ({how}) had no install scripts"),
                        None => "first published version".into(),
                    }],
                );
            } else {
                note(
                    "installScripts",
                    "hooks unknown (abbreviated manifest, tarball not read)".into(),
                );
            }
        }
    }

    // publisherChange: `_npmUser` or the maintainers differ from the previous version's.
    let (lvl, _) = cfg.rule("publisherChange", name);
    if lvl != Level::Off {
        match (i.packument, m) {
            (None, _) => note("publisherChange", no_packument()),
            (Some(_), None) => note(
                "publisherChange",
                "this version is not in the packument".into(),
            ),
            (Some(_), Some(cur)) => {
                if let Some(prev) = previous_by_time(false) {
                    let pm = manifest(i.packument, &prev);
                    let user = |v: &Value| {
                        v.pointer("/_npmUser/name")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    };
                    let mut msg = Vec::new();
                    let mut ev = Vec::new();
                    if let (Some(a), Some(b)) = (pm.and_then(user), user(cur)) {
                        if a != b {
                            msg.push(format!("published by {b}; {prev} was published by {a}"));
                            ev.push(format!("_npmUser {a} -> {b}"));
                        }
                    }
                    if let (Some(a), Some(b)) = (pm.and_then(maintainers), maintainers(cur)) {
                        if a != b {
                            let added: Vec<&str> = b.difference(&a).map(String::as_str).collect();
                            let removed: Vec<&str> = a.difference(&b).map(String::as_str).collect();
                            let mut parts = Vec::new();
                            if !added.is_empty() {
                                parts.push(format!("added {}", added.join(", ")));
                            }
                            if !removed.is_empty() {
                                parts.push(format!("removed {}", removed.join(", ")));
                            }
                            msg.push(format!(
                                "maintainers changed since {prev}: {}",
                                parts.join("; ")
                            ));
                            let list = |s: &BTreeSet<String>| {
                                s.iter().cloned().collect::<Vec<_>>().join(", ")
                            };
                            ev.push(format!(
                                "maintainers {prev}: [{}] -> {version}: [{}]",
                                list(&a),
                                list(&b)
                            ));
                        }
                    }
                    if !msg.is_empty() {
                        push("publisherChange", lvl, msg.join("; "), ev);
                    }
                }
            }
        }
    }
    Outcome {
        findings: out,
        notes,
    }
}

/// The rules that still mean something for a package that does not come from a registry
/// (git, remote tarball, `file:`, link): requireProvenance (no provenance can exist for it),
/// and installScripts for a remote tarball that was read (there is no registry history to
/// compare with, so any hook is reported). Typosquatting, advisories and dependency confusion
/// apply by name in `guard`.
///
/// `own`: the package is part of the project itself (a workspace, or a link to a directory
/// inside the project, as npm records workspaces): requireProvenance does not apply to the
/// project's own code.
pub fn evaluate_non_registry(
    cfg: &Config,
    p: &LockedPackage,
    tarball_hooks: Option<&TarballHooks>,
    own: bool,
) -> Vec<Finding> {
    let (what, location) = match &p.source {
        Source::Registry => return Vec::new(),
        Source::Git { url } => ("git dependency", url),
        Source::File { path } => ("local file dependency", path),
        Source::Tarball { url } => ("remote tarball dependency", url),
        Source::Workspace { path } => ("workspace package", path),
        Source::Link { path } => ("linked directory", path),
    };
    let mut out = Vec::new();
    let (lvl, _) = cfg.rule("requireProvenance", &p.name);
    if lvl != Level::Off && !own {
        out.push(Finding {
            rule: "requireProvenance".into(),
            level: lvl,
            name: p.name.clone(),
            version: p.version.clone(),
            message: format!("{what}: no provenance can exist"),
            evidence: vec![
                format!("source: {location}"),
                "npm provenance exists only for versions published to a registry".into(),
            ],
            allowed_by: None,
        });
    }
    let (lvl, o) = cfg.rule("installScripts", &p.name);
    let allowed = o
        .allow
        .as_ref()
        .is_some_and(|l| l.iter().any(|x| glob_allow(x, &p.name)));
    if let (false, false, Some(t)) = (lvl == Level::Off, allowed, tarball_hooks) {
        if !t.hooks.is_empty() {
            out.push(Finding {
                rule: "installScripts".into(),
                level: lvl,
                name: p.name.clone(),
                version: p.version.clone(),
                message: format!("install script in a {what}: {}", hooks_text(&t.hooks)),
                evidence: vec![
                    format!("source: {location}"),
                    "no registry history to compare with: every hook is reported".into(),
                ],
                allowed_by: None,
            });
        }
    }
    out
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

fn exception_matches(e: &Exception, f: &Finding) -> bool {
    let pkg_ok = glob_allow(&e.package, &f.name)
        || (f.name.len() <= MAX_NAME_LEN && e.package == format!("{}@{}", f.name, f.version));
    pkg_ok && (e.rules.is_empty() || e.rules.contains(&f.rule))
}

/// Apply exceptions: matching findings get `allowed_by` from an exception that has not
/// expired. Every expired exception adds one `exceptionExpired` finding (whether or not it
/// still matches a finding; it allows nothing), saying what it would still cover.
pub fn apply_exceptions(cfg: &Config, findings: &mut Vec<Finding>, now: jiff::Timestamp) {
    let mut still: Vec<Vec<String>> = vec![Vec::new(); cfg.exceptions.len()];
    for f in findings.iter_mut() {
        for (k, (e, expires)) in cfg.exceptions.iter().enumerate() {
            if !exception_matches(e, f) {
                continue;
            }
            if *expires < now {
                still[k].push(format!("{} {}@{}", f.rule, f.name, f.version));
            } else if f.allowed_by.is_none() {
                f.allowed_by = Some(format!("{} (until {})", e.reason, e.expires));
            }
        }
    }
    for (k, (e, expires)) in cfg.exceptions.iter().enumerate() {
        if *expires >= now {
            continue;
        }
        let (name, version) = match e.package.rfind('@') {
            Some(at) if at > 0 => (e.package[..at].to_string(), e.package[at + 1..].to_string()),
            _ => (e.package.clone(), "*".to_string()),
        };
        let lvl = cfg.level("exceptionExpired", &name);
        if lvl == Level::Off {
            continue;
        }
        let mut evidence = vec![
            format!("reason given: {}", e.reason),
            format!(
                "rules: {}",
                if e.rules.is_empty() {
                    "all".to_string()
                } else {
                    e.rules.join(", ")
                }
            ),
        ];
        let hits = &still[k];
        evidence.push(if hits.is_empty() {
            "it matches no finding now: remove it from the policy".into()
        } else {
            format!(
                "it no longer allows {} finding{}: {}{}",
                hits.len(),
                if hits.len() == 1 { "" } else { "s" },
                hits[..hits.len().min(5)].join(", "),
                if hits.len() > 5 { ", …" } else { "" }
            )
        });
        findings.push(Finding {
            rule: "exceptionExpired".into(),
            level: lvl,
            name,
            version,
            message: format!("the exception for {} expired on {}", e.package, e.expires),
            evidence,
            allowed_by: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn policy_files_that_cannot_be_read_are_errors_not_defaults() {
        use crate::files::testing::{code, make, quick, tmp, ALL};
        for bad in ALL {
            let dir = tmp(&format!("policy-{bad:?}"));
            // Named with --config.
            make(&dir.join("p.json"), bad);
            let e =
                quick("--config", || Config::load(&dir, Some(Path::new("p.json")))).unwrap_err();
            assert_eq!(
                e.code(),
                code(bad, "ERR_PROV_TOO_LARGE"),
                "--config {bad:?}: {e}"
            );
            // Found: prov-native.config.json, then package.json's "prov-native".
            for file in ["prov-native.config.json", "package.json"] {
                let d = dir.join(file.replace('.', "-"));
                make(&d.join(file), bad);
                let e = quick(file, || Config::load(&d, None)).unwrap_err();
                assert_eq!(
                    e.code(),
                    code(bad, "ERR_PROV_TOO_LARGE"),
                    "{file} {bad:?}: {e}"
                );
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
        let e = quick("/dev/zero", || {
            Config::load(Path::new("/"), Some(Path::new("/dev/zero")))
        });
        assert_eq!(e.unwrap_err().code(), "ERR_PROV_IO");
    }

    #[test]
    fn a_reason_needs_a_visible_character() {
        for blank in [
            "",
            " \t\n",
            "\u{200B}",
            "\u{200C}\u{200D}",
            "\u{2060}",
            "\u{FEFF}",
            "\u{00AD}",
            "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}\u{200E}\u{200F}\u{061C}",
            "\u{00A0}\u{3000}\u{2028}",
            "\u{FE0F}\u{3164}\u{2800}",
            "\u{E0041}\u{E007F}",
            "\u{0007}",
        ] {
            assert!(!has_visible(blank), "{blank:?}");
        }
        for visible in ["r", "\u{200B}a", "审阅", "é", "-", "\u{1F600}"] {
            assert!(has_visible(visible), "{visible:?}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob("*", "@a/b"));
        assert!(glob("@corp/*", "@corp/x"));
        assert!(glob("@corp", "@corp/x"));
        assert!(!glob("@corp", "@corpx/y"));
        assert!(glob("lodash*", "lodash.merge"));
        assert!(!glob("react", "react-dom"));
        assert!(glob("a*b*c", "a-x-b-y-c"));
        assert!(!glob("a*b*c", "a-x-c-y-b"));
        assert!(glob("**", ""));
        // Iterative: a pattern built to backtrack finishes (the old recursion took 2^n steps).
        let text = "a".repeat(200);
        let pattern = format!("{}b", "*a".repeat(40));
        assert!(!wildcard(&pattern, &text));
        assert!(wildcard(&format!("{}a", "*a".repeat(40)), &text));
        // Any length matches `packages` / `private`, but nothing over npm's limit is let off.
        let long = format!("evil-{}", "x".repeat(MAX_NAME_LEN));
        assert!(glob("evil-*", &long));
        assert!(!glob_allow("evil-*", &long));
        assert!(glob_allow("evil-*", "evil-x"));
    }

    #[test]
    fn owners_name_a_host_and_an_owner() {
        assert_eq!(
            host_owner("https://github.com/acme/pkg").as_deref(),
            Some("github.com/acme")
        );
        for (x, want) in [
            ("acme", "github.com/acme"),
            ("Acme", "github.com/acme"),
            ("gitlab.com/acme", "gitlab.com/acme"),
            ("https://gitlab.com/acme/", "gitlab.com/acme"),
            ("git@gitlab.com:acme", "gitlab.com/acme"),
            ("git+https://user@gitlab.com/acme", "gitlab.com/acme"),
        ] {
            assert_eq!(normalize_owner(x).as_deref(), Some(want), "{x}");
        }
        assert_eq!(normalize_owner("a/b/c"), None);
    }

    #[test]
    fn repos() {
        for u in [
            "git+https://github.com/Sigstore/sigstore-js.git",
            "https://github.com/sigstore/sigstore-js",
            "git@github.com:sigstore/sigstore-js.git",
            "github:sigstore/sigstore-js",
            "sigstore/sigstore-js",
            "git+https://github.com/sigstore/sigstore-js.git#main",
        ] {
            assert_eq!(
                normalize_repo(u).as_deref(),
                Some("https://github.com/sigstore/sigstore-js"),
                "{u}"
            );
        }
    }

    #[test]
    fn config_errors_are_clear() {
        let e = Config::from_value(
            serde_json::json!({"rules": {"requireProvenanse": "error"}}),
            "x",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown rule"), "{e}");
        let e = Config::from_value(
            serde_json::json!({"rules": {"sourceMatch": {"repo": []}}}),
            "x",
        )
        .unwrap_err();
        assert!(e.to_string().contains("rules.sourceMatch"), "{e}");
        let e = Config::from_value(
            serde_json::json!({"exceptions": [{"package": "a", "reason": "r", "expires": "soon"}]}),
            "x",
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a date"), "{e}");
        assert_eq!(e.code(), "ERR_PROV_CONFIG");
    }
}

#[cfg(test)]
mod rule_tests {
    //! Rules on SYNTHETIC inputs: reports, packuments and lockfile entries made up here, each
    //! shaped like the real thing, so that only the check under test fails.
    use super::*;
    use crate::report::Checks;
    use serde_json::json;

    fn locked(name: &str, version: &str) -> LockedPackage {
        LockedPackage {
            name: name.into(),
            version: version.into(),
            alias: None,
            integrity: None,
            checksum: None,
            resolved: None,
            source: Source::Registry,
            dev: false,
            optional: false,
            dev_optional: false,
            bundled: false,
            has_install_script: None,
            paths: vec![format!("node_modules/{name}")],
        }
    }

    fn prov(repo: &str) -> Provenance {
        Provenance {
            source_repository: Some(repo.into()),
            source_commit: Some("0123456789abcdef".into()),
            source_ref: Some("refs/tags/v1.0.0".into()),
            workflow_path: Some(".github/workflows/release.yml".into()),
            builder_id: Some("https://github.com/actions/runner/github-hosted".into()),
            runner_environment: Some("github-hosted".into()),
            ..Default::default()
        }
    }

    fn report(p: Option<Provenance>) -> Report {
        let passed = CheckState::Passed;
        Report {
            name: "pkg".into(),
            version: Some("2.0.0".into()),
            status: Some(Status::Verified),
            checks: Checks {
                resolve: passed,
                integrity: passed,
                registry_signature: passed,
                publish_attestation: passed,
                provenance: if p.is_some() {
                    passed
                } else {
                    CheckState::Missing
                },
                transparency_log: passed,
            },
            provenance: p.map(Box::new),
            ..Default::default()
        }
    }

    fn packument() -> Value {
        json!({
            "name": "pkg",
            "time": {
                "created": "2020-01-01T00:00:00.000Z",
                "1.0.0": "2020-01-01T00:00:00.000Z",
                "2.0.0-rc.1": "2021-01-01T00:00:00.000Z",
                "2.0.0": "2021-06-01T00:00:00.000Z"
            },
            "versions": {
                "1.0.0": { "_id": "pkg@1.0.0", "name": "pkg", "version": "1.0.0",
                           "repository": "github:acme/pkg", "_npmUser": { "name": "alice" },
                           "maintainers": [{ "name": "alice" }, { "name": "bob" }] },
                "2.0.0-rc.1": { "_id": "pkg@2.0.0-rc.1", "name": "pkg", "version": "2.0.0-rc.1",
                                "repository": "github:acme/pkg" },
                "2.0.0": { "_id": "pkg@2.0.0", "name": "pkg", "version": "2.0.0",
                           "repository": { "type": "git", "url": "git+https://github.com/acme/pkg.git" },
                           "_npmUser": { "name": "alice" },
                           "maintainers": [{ "name": "alice" }, { "name": "bob" }] }
            }
        })
    }

    fn cfg(v: Value) -> Config {
        Config::from_value(v, "test").unwrap()
    }

    fn run(cfg: &Config, i: &Inputs) -> Outcome {
        let o = evaluate(cfg, i);
        for f in &o.findings {
            assert!(!f.evidence.is_empty(), "finding without evidence: {f:?}");
        }
        o
    }

    fn inputs<'a>(l: &'a LockedPackage, r: &'a Report, p: Option<&'a Value>) -> Inputs<'a> {
        Inputs {
            locked: l,
            report: r,
            packument: p,
            history: None,
            packument_error: None,
            previous_version: None,
            earlier: None,
            tarball_hooks: None,
            now: "2026-12-01T00:00:00Z".parse().unwrap(),
        }
    }

    fn rules_of(o: &Outcome) -> Vec<String> {
        o.findings
            .iter()
            .map(|f| format!("{}:{}", f.rule, f.message))
            .collect()
    }

    #[test]
    fn source_match_lists_apply_even_when_the_declared_repository_agrees() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let r = report(Some(prov("https://github.com/acme/pkg")));
        // Declared and built from the same repository: no finding without lists.
        let c = cfg(json!({"rules": {"sourceMatch": "error"}}));
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        // Same repository, but the owner is not in `owners`.
        let c = cfg(json!({"rules": {"sourceMatch": {"level": "error", "owners": ["other"]}}}));
        let o = run(&c, &inputs(&l, &r, Some(&doc)));
        assert_eq!(o.findings.len(), 1, "{:?}", rules_of(&o));
        assert!(o.findings[0].message.contains("not in the allowed"));
        assert!(o.findings[0]
            .evidence
            .iter()
            .any(|e| e.contains("owners [other]")));
        // ... and in `repositories` it passes; `owners` matches case-insensitively.
        for opts in [
            json!({"level": "error", "repositories": ["git+https://github.com/ACME/pkg.git"]}),
            json!({"level": "error", "owners": ["Acme"]}),
        ] {
            let c = cfg(json!({"rules": {"sourceMatch": opts}}));
            assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        }
        let c = cfg(
            json!({"rules": {"sourceMatch": {"level": "error", "repositories": ["acme/other"]}}}),
        );
        assert_eq!(run(&c, &inputs(&l, &r, Some(&doc))).findings.len(), 1);
    }

    #[test]
    fn source_match_workflows_refs_builders_and_self_hosted() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let r = report(Some(prov("https://github.com/acme/pkg")));
        let ok = [
            json!({"workflows": [".github/workflows/*.yml"]}),
            json!({"refs": ["refs/tags/v*"]}),
            json!({"builders": ["https://github.com/actions/runner/github-hosted"]}),
            json!({"denySelfHosted": true}),
        ];
        let bad = [
            (
                json!({"workflows": [".github/workflows/publish.yml"]}),
                "workflow",
            ),
            (json!({"refs": ["refs/heads/main"]}), "ref"),
            (
                json!({"builders": ["https://example.com/builder"]}),
                "builder",
            ),
        ];
        for mut o in ok {
            o["level"] = json!("error");
            let c = cfg(json!({"rules": {"sourceMatch": o}}));
            assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        }
        for (mut o, what) in bad {
            o["level"] = json!("error");
            let c = cfg(json!({"rules": {"sourceMatch": o}}));
            let out = run(&c, &inputs(&l, &r, Some(&doc)));
            assert_eq!(out.findings.len(), 1, "{what}");
            assert!(
                out.findings[0].message.starts_with(what),
                "{:?}",
                out.findings[0]
            );
        }
        let mut p = prov("https://github.com/acme/pkg");
        p.runner_environment = Some("self-hosted".into());
        let r = report(Some(p));
        let c = cfg(json!({"rules": {"sourceMatch": {"level": "error", "denySelfHosted": true}}}));
        let out = run(&c, &inputs(&l, &r, Some(&doc)));
        assert_eq!(
            rules_of(&out),
            ["sourceMatch:built on a self-hosted runner"]
        );
        // Without denySelfHosted the runner is not judged.
        let c = cfg(json!({"rules": {"sourceMatch": "error"}}));
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
    }

    #[test]
    fn no_packument_is_noted_per_rule() {
        let l = locked("pkg", "2.0.0");
        let r = report(None);
        let c = cfg(json!({"rules": {"minReleaseAge": "warn"}}));
        let mut i = inputs(&l, &r, None);
        i.packument_error = Some("offline: not fetching http://x/pkg");
        let o = run(&c, &i);
        let rules: BTreeSet<&str> = o.notes.iter().map(|n| n.rule.as_str()).collect();
        for rule in ["provenanceRegression", "installScripts", "publisherChange"] {
            assert!(rules.contains(rule), "{rule} not noted: {:?}", o.notes);
        }
        assert!(o.notes.iter().all(|n| n.reason.contains("offline")));
        // minReleaseAge cannot pass without a publish time: a warning, with the reason.
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "minReleaseAge")
            .unwrap();
        assert_eq!(f.level, Level::Warn);
        assert!(f.evidence[0].contains("offline"));
        let lines = summarize_notes(&o.notes);
        assert!(
            lines.iter().any(|s| s.starts_with(
                "installScripts: packument unavailable (offline: not fetching http://x/pkg): 1 package (pkg@2.0.0)"
            )),
            "{lines:?}"
        );
    }

    #[test]
    fn provenance_regression_and_continuity() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let c = Config::default();
        let earlier = Earlier {
            version: "1.0.0".into(),
            provenance: Ok(Some(prov("https://github.com/acme/pkg"))),
            without_provenance: Vec::new(),
            exhausted: true,
        };
        // Regression: the earlier version had verified provenance, this one has none.
        let r = report(None);
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&earlier);
        let o = run(&c, &i);
        assert!(rules_of(&o)
            .iter()
            .any(|s| s.starts_with("provenanceRegression:pkg@1.0.0 was published with verified")));
        // Continuity: same repository and workflow, another builder and workflow.
        let mut now = prov("https://github.com/acme/pkg");
        now.workflow_path = Some(".github/workflows/other.yml".into());
        let r = report(Some(now));
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&earlier);
        let o = run(&c, &i);
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "provenanceContinuity")
            .unwrap();
        assert_eq!(f.level, Level::Warn);
        assert_eq!(
            f.evidence,
            ["workflow .github/workflows/release.yml -> .github/workflows/other.yml"]
        );
        // Unchanged provenance: nothing.
        let r = report(Some(prov("https://github.com/acme/pkg")));
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&earlier);
        assert!(run(&c, &i).findings.is_empty());
        // Off.
        let c = cfg(json!({"rules": {"provenanceContinuity": "off"}}));
        let mut now = prov("https://github.com/evil/pkg");
        now.builder_id = None;
        let r = report(Some(now));
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&earlier);
        assert!(!run(&c, &i)
            .findings
            .iter()
            .any(|f| f.rule == "provenanceContinuity"));
    }

    #[test]
    fn regression_lookback_that_stopped_is_noted_not_passed() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let r = report(None);
        let c = Config::default();
        // Every earlier version with attestations was looked at: none had provenance.
        let done = Earlier {
            version: "1.0.0".into(),
            provenance: Ok(None),
            without_provenance: vec!["1.0.0".into()],
            exhausted: true,
        };
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&done);
        let o = run(&c, &i);
        assert!(!o.findings.iter().any(|f| f.rule == "provenanceRegression"));
        assert!(!o.notes.iter().any(|n| n.rule == "provenanceRegression"));
        // The lookback bound stopped the search: said, not silently passed.
        let stopped = Earlier {
            exhausted: false,
            without_provenance: vec!["1.0.0".into(); EARLIER_LOOKBACK],
            ..done.clone()
        };
        i.earlier = Some(&stopped);
        let o = run(&c, &i);
        let n = o
            .notes
            .iter()
            .find(|n| n.rule == "provenanceRegression")
            .expect("a note");
        assert!(
            n.reason.contains("the 8 nearest earlier versions"),
            "{}",
            n.reason
        );
        // An earlier version whose attestations did not verify: a warning, with why.
        let failed = Earlier {
            version: "1.0.0".into(),
            provenance: Err("ERR_PROV_SUBJECT: subject mismatch".into()),
            without_provenance: Vec::new(),
            exhausted: true,
        };
        i.earlier = Some(&failed);
        let o = run(&c, &i);
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "provenanceRegression")
            .expect("a finding");
        assert_eq!(f.level, Level::Warn);
        assert!(f.evidence.iter().any(|e| e.contains("ERR_PROV_SUBJECT")));
    }

    #[test]
    fn include_prereleases_counts_prerelease_versions() {
        let doc = packument();
        assert_eq!(earlier_versions(Some(&doc), "2.0.0", false), ["1.0.0"]);
        assert_eq!(
            earlier_versions(Some(&doc), "2.0.0", true),
            ["2.0.0-rc.1", "1.0.0"]
        );
        let c = cfg(
            json!({"rules": {"provenanceRegression": {"level": "error", "includePrereleases": true}}}),
        );
        assert_eq!(
            c.rule("provenanceRegression", "pkg").1.include_prereleases,
            Some(true)
        );
    }

    #[test]
    fn require_provenance_with_publish_attestation() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let mut r = report(Some(prov("https://github.com/acme/pkg")));
        r.checks.publish_attestation = CheckState::Missing;
        let c = cfg(json!({"rules": {"requireProvenance": "error"}}));
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        let c = cfg(
            json!({"rules": {"requireProvenance": {"level": "error", "publishAttestation": true}}}),
        );
        let o = run(&c, &inputs(&l, &r, Some(&doc)));
        assert_eq!(
            rules_of(&o),
            ["requireProvenance:no verified npm publish attestation"]
        );
        assert_eq!(
            o.findings[0].evidence[0],
            "publish attestation check: missing"
        );
        // exclude and packages
        let c = cfg(
            json!({"rules": {"requireProvenance": {"level": "error", "publishAttestation": true, "exclude": ["p*"]}}}),
        );
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        let c = cfg(
            json!({"rules": {"requireProvenance": {"level": "error", "publishAttestation": true, "packages": ["@acme"]}}}),
        );
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
    }

    #[test]
    fn non_registry_dependencies_cannot_have_provenance() {
        let mut l = locked("from-git", "1.0.0");
        l.source = Source::Git {
            url: "git+ssh://git@github.com/example/from-git.git#0123".into(),
        };
        assert!(evaluate_non_registry(&Config::default(), &l, None, false).is_empty());
        let c = cfg(
            json!({"rules": {"requireProvenance": {"level": "error", "packages": ["from-*"]}}}),
        );
        let f = evaluate_non_registry(&c, &l, None, false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "git dependency: no provenance can exist");
        assert!(f[0].evidence[0].contains("git+ssh://"));
        l.source = Source::Tarball {
            url: "https://example.com/x.tgz".into(),
        };
        assert!(evaluate_non_registry(&c, &l, None, false)[0]
            .message
            .starts_with("remote tarball dependency"));
        let hooks = TarballHooks {
            hooks: vec![("postinstall".into(), "node x.js".into())],
            binding_gyp_implied: false,
        };
        let f = evaluate_non_registry(&Config::default(), &l, Some(&hooks), false);
        assert_eq!(
            f[0].message,
            "install script in a remote tarball dependency: postinstall: node x.js"
        );
        // The project's own code (a workspace or a link inside the project) needs no provenance.
        l.source = Source::Link {
            path: "packages/a".into(),
        };
        assert_eq!(evaluate_non_registry(&c, &l, None, false).len(), 1);
        assert!(evaluate_non_registry(&c, &l, None, true).is_empty());
    }

    #[test]
    fn install_scripts_from_the_tarball_and_the_previous_lockfile() {
        let mut doc = packument();
        // 1.0.0 had a postinstall; 2.0.0-rc.1 had none; 2.0.0's registry manifest has none.
        doc["versions"]["1.0.0"]["scripts"] = json!({"postinstall": "node setup.js"});
        let l = locked("pkg", "2.0.0");
        let r = report(None);
        let c = Config::default();
        // From the registry manifest: nothing new.
        assert!(!run(&c, &inputs(&l, &r, Some(&doc)))
            .findings
            .iter()
            .any(|f| f.rule == "installScripts"));
        // The tarball has a binding.gyp (npm runs node-gyp rebuild): new against 1.0.0, the
        // stable version published before.
        let t = TarballHooks {
            hooks: vec![("install".into(), "node-gyp rebuild".into())],
            binding_gyp_implied: true,
        };
        let mut i = inputs(&l, &r, Some(&doc));
        i.tarball_hooks = Some(&t);
        let o = run(&c, &i);
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "installScripts")
            .unwrap();
        assert_eq!(f.message, "new install script: install: node-gyp rebuild");
        assert!(
            f.evidence[0].contains("pkg@1.0.0 (published before) had: postinstall: node setup.js"),
            "{:?}",
            f.evidence
        );
        assert!(f.evidence[1].contains("binding.gyp"));
        // Compared with the previous lockfile's version instead (1.0.0 had a postinstall).
        let t = TarballHooks {
            hooks: vec![("postinstall".into(), "node  setup.js".into())],
            binding_gyp_implied: false,
        };
        let mut i = inputs(&l, &r, Some(&doc));
        i.tarball_hooks = Some(&t);
        i.previous_version = Some("1.0.0");
        assert!(!run(&c, &i)
            .findings
            .iter()
            .any(|f| f.rule == "installScripts"));
        // ... with 2.0.0-rc.1 (no hooks) in the previous lockfile: new.
        i.previous_version = Some("2.0.0-rc.1");
        let o = run(&c, &i);
        assert!(o.findings.iter().any(|f| f.rule == "installScripts"));
        // Without a previous lockfile a stable version is compared with the stable version
        // before it: a decoy prerelease that carries the hook does not make it look old.
        let mut decoy = doc.clone();
        decoy["versions"]["2.0.0-rc.1"]["scripts"] = json!({"postinstall": "node evil.js"});
        let t2 = TarballHooks {
            hooks: vec![("postinstall".into(), "node evil.js".into())],
            binding_gyp_implied: false,
        };
        let mut j = inputs(&l, &r, Some(&decoy));
        j.tarball_hooks = Some(&t2);
        let o = run(&c, &j);
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "installScripts")
            .expect("new against 1.0.0");
        assert!(f.evidence[0].contains("pkg@1.0.0"), "{:?}", f.evidence);
        // The allow list.
        let c = cfg(json!({"rules": {"installScripts": {"level": "error", "allow": ["pkg"]}}}));
        assert!(!run(&c, &i)
            .findings
            .iter()
            .any(|f| f.rule == "installScripts"));
    }

    #[test]
    fn binding_gyp_only_without_install_or_preinstall() {
        let m = json!({"_id": "x", "gypfile": true, "scripts": {"preinstall": "node p.js"}});
        assert_eq!(
            manifest_hooks(&m),
            Some(vec![("preinstall".into(), "node p.js".into())])
        );
        let m = json!({"_id": "x", "gypfile": true});
        assert_eq!(
            manifest_hooks(&m),
            Some(vec![("install".into(), "node-gyp rebuild".into())])
        );
        // Abbreviated: unknown when it says hasInstallScript, none otherwise.
        assert_eq!(
            manifest_hooks(&json!({"name": "x", "hasInstallScript": true})),
            None
        );
        assert_eq!(manifest_hooks(&json!({"name": "x"})), Some(vec![]));
    }

    #[test]
    fn publisher_change_compares_maintainers_too() {
        let mut doc = packument();
        let l = locked("pkg", "2.0.0");
        let r = report(None);
        let c = Config::default();
        assert!(!run(&c, &inputs(&l, &r, Some(&doc)))
            .findings
            .iter()
            .any(|f| f.rule == "publisherChange"));
        doc["versions"]["2.0.0"]["maintainers"] =
            json!([{"name": "alice"}, "mallory <m@example.com>"]);
        let o = run(&c, &inputs(&l, &r, Some(&doc)));
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "publisherChange")
            .unwrap();
        assert_eq!(
            f.message,
            "maintainers changed since 1.0.0: added mallory; removed bob"
        );
        assert_eq!(
            f.evidence,
            ["maintainers 1.0.0: [alice, bob] -> 2.0.0: [alice, mallory]"]
        );
    }

    #[test]
    fn major_update_pairs_by_path_then_major() {
        let mut a = locked("pkg", "1.0.0");
        let mut b = locked("pkg", "5.0.0");
        b.paths = vec!["node_modules/x/node_modules/pkg".into()];
        let prev = [&a, &b];
        // 1.3.0 at the root path pairs with 1.0.0 (not the highest, 5.0.0).
        let cur = locked("pkg", "1.3.0");
        assert_eq!(pair_previous(&cur, &prev), Some("1.0.0"));
        let mut cur = locked("pkg", "5.0.1");
        cur.paths = vec!["node_modules/x/node_modules/pkg".into()];
        assert_eq!(pair_previous(&cur, &prev), Some("5.0.0"));
        // Elsewhere: the same major, else the highest.
        let mut cur = locked("pkg", "1.9.0");
        cur.paths = vec!["node_modules/y/node_modules/pkg".into()];
        assert_eq!(pair_previous(&cur, &prev), Some("1.0.0"));
        cur.version = "3.0.0".into();
        assert_eq!(pair_previous(&cur, &prev), Some("5.0.0"));
        a.version = "3.0.0".into();
        assert_eq!(pair_previous(&cur, &[&a, &b]), Some("3.0.0"));
        assert_eq!(pair_previous(&cur, &[]), None);
        // And the rule: a major update without provenance.
        let doc = packument();
        let l = locked("pkg", "2.0.0");
        let r = report(None);
        let c = cfg(json!({"rules": {"majorUpdate": "error"}}));
        let mut i = inputs(&l, &r, Some(&doc));
        i.previous_version = Some("1.0.0");
        let o = run(&c, &i);
        let f = o.findings.iter().find(|f| f.rule == "majorUpdate").unwrap();
        assert_eq!(f.evidence[0], "previous lockfile: pkg@1.0.0");
    }

    fn finding(rule: &str, name: &str, version: &str) -> Finding {
        Finding {
            rule: rule.into(),
            level: Level::Error,
            name: name.into(),
            version: version.into(),
            message: "m".into(),
            evidence: vec!["e".into()],
            allowed_by: None,
        }
    }

    #[test]
    fn every_expired_exception_is_reported_once() {
        let c = cfg(json!({"exceptions": [
            { "package": "a", "reason": "old", "expires": "2020-01-01" },
            { "package": "unused@1.0.0", "rules": ["typosquat"], "reason": "gone", "expires": "2021-05-05" },
            { "package": "a", "rules": ["typosquat"], "reason": "current", "expires": "2099-01-01" }
        ]}));
        let mut f = vec![
            finding("typosquat", "a", "1.0.0"),
            finding("advisories", "a", "1.0.0"),
            finding("typosquat", "a", "2.0.0"),
        ];
        apply_exceptions(&c, &mut f, "2026-12-01T00:00:00Z".parse().unwrap());
        let expired: Vec<&Finding> = f.iter().filter(|x| x.rule == "exceptionExpired").collect();
        assert_eq!(expired.len(), 2, "{expired:?}");
        assert_eq!(
            (expired[0].name.as_str(), expired[0].version.as_str()),
            ("a", "*")
        );
        assert!(expired[0].evidence[2].contains("no longer allows 3 findings"));
        assert_eq!(
            (expired[1].name.as_str(), expired[1].version.as_str()),
            ("unused", "1.0.0")
        );
        assert!(expired[1].evidence[2].contains("matches no finding"));
        // The valid exception still allows the typosquat findings; nothing allows advisories.
        assert!(f
            .iter()
            .filter(|x| x.rule == "typosquat")
            .all(|x| x.allowed_by.as_deref() == Some("current (until 2099-01-01)")));
        assert!(f
            .iter()
            .any(|x| x.rule == "advisories" && x.allowed_by.is_none()));
        // Level off: none.
        let c2 = cfg(json!({"rules": {"exceptionExpired": "off"},
            "exceptions": [{ "package": "a", "reason": "old", "expires": "2020-01-01" }]}));
        let mut f = vec![finding("typosquat", "a", "1.0.0")];
        apply_exceptions(&c2, &mut f, "2026-12-01T00:00:00Z".parse().unwrap());
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn options_are_checked_per_rule() {
        for (v, want) in [
            (
                json!({"rules": {"typosquat": {"private": ["x"]}}}),
                "rules.typosquat: option \"private\" is not used by this rule",
            ),
            (
                json!({"rules": {"installScripts": {"days": 3}}}),
                "option \"days\" is not used",
            ),
            (
                json!({"rules": {"sourceMatch": {"allow": []}}}),
                "rules.sourceMatch: option \"allow\"",
            ),
            (
                json!({"rules": {"verification": "errror"}}),
                "rules.verification: expected",
            ),
            (
                json!({"rules": {"minReleaseAge": {"days": -1}}}),
                "non-negative",
            ),
            (
                json!({"exceptions": [{"package": "a", "reason": "  ", "expires": "2027-01-01"}]}),
                "a reason is required",
            ),
            (
                json!({"exceptions": [{"package": "a", "reason": "\u{200B}", "expires": "2027-01-01"}]}),
                "a reason is required",
            ),
            (
                json!({"exceptions": [{"package": "a", "reason": "r", "expires": "2027-1-1"}]}),
                "not a date",
            ),
            (
                json!({"exceptions": [{"package": "a", "reason": "r", "expires": "2027-01-01T10"}]}),
                "not a date",
            ),
            (json!([]), "must be a JSON object"),
        ] {
            let e = Config::from_value(v.clone(), "x").unwrap_err();
            assert!(e.to_string().contains(want), "{v}: {e}");
            assert_eq!(e.code(), "ERR_PROV_CONFIG");
        }
        for (rule, opts) in RULE_OPTIONS {
            let mut o = serde_json::Map::new();
            o.insert("level".into(), json!("warn"));
            for k in *opts {
                o.insert(
                    (*k).into(),
                    match *k {
                        "days" => json!(1),
                        "publishAttestation" | "denySelfHosted" | "includePrereleases" => {
                            json!(true)
                        }
                        _ => json!(["x"]),
                    },
                );
            }
            Config::from_value(json!({"rules": {*rule: o}}), "x").unwrap();
        }
        assert!(parse_date("2027-03-31").is_some());
        // The message says it is the policy file, and which one.
        let e = Config::from_value(
            json!({"rules": {"nope": "error"}}),
            "/p/prov-native.config.json",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("policy file /p/prov-native.config.json: unknown rule"),
            "{e}"
        );
        assert!(!e.to_string().contains("npm config"), "{e}");
        assert!(parse_date("2027-03-31T12:00:00Z").is_some());
    }
}
