//! Policy: the rules a project commits (`prov-native.config.json`, or a `"prov-native"` key in
//! `package.json`), and their evaluation over audited packages. Pure: no I/O besides reading
//! the config file; `guard` gathers the inputs.
//!
//! Each rule is `"error"`, `"warn"`, `"off"`, or an object `{ level, packages, exclude, … }`
//! whose `packages`/`exclude` are names, scopes (`@corp/*`) or globs. Exceptions name a
//! package (and optionally rules), give a reason and an expiry date; an expired exception no
//! longer applies and is itself a finding.

use crate::error::{Error, Result};
use crate::lockfile::LockedPackage;
use crate::provenance::Provenance;
use crate::report::{CheckState, Report, Status};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
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

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Warn,
    Error,
}

/// Options of one rule. Rule-specific fields are ignored by rules that do not use them.
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
    /// installScripts: packages allowed to have install scripts.
    pub allow: Option<Vec<String>>,
    /// dependencyConfusion: private names/scopes (besides `.npmrc` scopes and workspaces).
    pub private: Option<Vec<String>>,
    /// advisories: OSV directories / zips and `package@version` lists to load.
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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            rules: BTreeMap::new(),
            exceptions: Vec::new(),
            source: "<defaults>".into(),
        }
    }
}

fn parse_date(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    // A bare date expires at the end of that day, UTC.
    let d: jiff::civil::Date = s.parse().ok()?;
    d.at(23, 59, 59, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

impl Config {
    /// Parse a config document.
    pub fn from_value(v: Value, source: &str) -> Result<Self> {
        let bad = |m: String| Error::Config(format!("{source}: {m}"));
        let raw: RawConfig = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
        let mut rules = BTreeMap::new();
        for (name, spec) in raw.rules {
            if !RULES.iter().any(|(n, _)| *n == name) {
                return Err(bad(format!(
                    "unknown rule {name:?} (known: {})",
                    RULES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                )));
            }
            let opts = match spec {
                RuleSpec::Level(l) => RuleOptions {
                    level: Some(l),
                    ..Default::default()
                },
                RuleSpec::Options(v) => {
                    serde_json::from_value(v).map_err(|e| bad(format!("rules.{name}: {e}")))?
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
            if e.reason.trim().is_empty() {
                return Err(bad(format!(
                    "exception for {}: a reason is required",
                    e.package
                )));
            }
            let t = parse_date(&e.expires).ok_or_else(|| {
                bad(format!(
                    "exception for {}: expires {:?} is not a date (YYYY-MM-DD)",
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
        })
    }

    /// `prov-native.config.json` in `dir`, else the `"prov-native"` key of its package.json,
    /// else defaults. An explicit `path` must exist.
    pub fn load(dir: &Path, path: Option<&Path>) -> Result<Self> {
        let read = |p: &Path| -> Result<Value> {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
            serde_json::from_str(&text).map_err(|e| Error::json(p.display().to_string(), e))
        };
        if let Some(p) = path {
            let p: PathBuf = dir.join(p);
            return Self::from_value(read(&p)?, &p.display().to_string());
        }
        let file = dir.join("prov-native.config.json");
        if file.is_file() {
            return Self::from_value(read(&file)?, &file.display().to_string());
        }
        let pj = dir.join("package.json");
        if pj.is_file() {
            if let Some(v) = read(&pj)?.get("prov-native") {
                return Self::from_value(v.clone(), &format!("{} (\"prov-native\")", pj.display()));
            }
        }
        Ok(Self::default())
    }

    /// The options of `rule`, and its level for `name` (Off when excluded or not matched).
    pub fn rule(&self, rule: &str, name: &str) -> (Level, RuleOptions) {
        let default = RULES
            .iter()
            .find(|(n, _)| *n == rule)
            .map_or(Level::Off, |(_, l)| *l);
        let opts = self.rules.get(rule).cloned().unwrap_or_default();
        let level = opts.level.unwrap_or(default);
        let included = opts
            .packages
            .as_ref()
            .is_none_or(|ps| ps.iter().any(|p| glob(p, name)));
        let excluded = opts
            .exclude
            .as_ref()
            .is_some_and(|ps| ps.iter().any(|p| glob(p, name)));
        (
            if included && !excluded {
                level
            } else {
                Level::Off
            },
            opts,
        )
    }
}

/// `*` matches any run of characters; `@scope` alone matches the scope's packages.
pub fn glob(pattern: &str, name: &str) -> bool {
    if pattern.starts_with('@') && !pattern.contains('/') {
        return name.starts_with(&format!("{pattern}/"));
    }
    fn m(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| m(rest, &n[i..])),
            Some((c, rest)) => n.split_first().is_some_and(|(d, nr)| c == d && m(rest, nr)),
        }
    }
    // Bounded: names are short; patterns with many stars are rejected by length.
    pattern.len() <= 214 && name.len() <= 214 && m(pattern.as_bytes(), name.as_bytes())
}

/// One finding, with its evidence.
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

/// The provenance of the version published before this one (by publish time) that carried
/// attestations, and whether it verified.
#[derive(Debug, Clone)]
pub struct Earlier {
    pub version: String,
    /// Verified provenance facts, or why verification failed / could not run.
    pub provenance: std::result::Result<Option<Provenance>, String>,
}

/// Everything the rules look at for one package version.
pub struct Inputs<'a> {
    pub locked: &'a LockedPackage,
    pub report: &'a Report,
    pub packument: Option<&'a Value>,
    /// Version of this package in the previous lockfile, if it was there.
    pub previous_version: Option<&'a str>,
    pub earlier: Option<&'a Earlier>,
    pub now: jiff::Timestamp,
}

fn manifest<'a>(packument: Option<&'a Value>, version: &str) -> Option<&'a Value> {
    packument?.get("versions")?.get(version)
}

fn publish_time(packument: Option<&Value>, version: &str) -> Option<jiff::Timestamp> {
    packument?.get("time")?.get(version)?.as_str()?.parse().ok()
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

fn owner_of(repo: &str) -> Option<&str> {
    repo.trim_start_matches("https://").split('/').nth(1)
}

fn major(v: &str) -> Option<u64> {
    nodejs_semver::Version::parse(v).ok().map(|v| v.major)
}

/// Evaluate every rule for one package version.
pub fn evaluate(cfg: &Config, i: &Inputs) -> Vec<Finding> {
    let name = i.locked.name.as_str();
    let version = i.locked.version.as_str();
    let mut out = Vec::new();
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
    let r = i.report;
    let m = manifest(i.packument, version);

    // verification: the audit verdict itself.
    let (lvl, _) = cfg.rule("verification", name);
    match r.status {
        Some(Status::Invalid) => push(
            "verification",
            lvl,
            "verification failed".into(),
            r.problems
                .iter()
                .map(|p| format!("{}: {}", p.code, p.message))
                .collect(),
        ),
        Some(Status::Unverifiable) => push(
            "verification",
            lvl.min(Level::Warn),
            "could not be verified".into(),
            r.problems
                .iter()
                .map(|p| format!("{}: {}", p.code, p.message))
                .collect(),
        ),
        _ => {}
    }
    let has_provenance = r.checks.provenance == CheckState::Passed;
    let provenance_missing = r.checks.provenance == CheckState::Missing;

    // requireProvenance
    let (lvl, o) = cfg.rule("requireProvenance", name);
    if lvl != Level::Off {
        if !has_provenance {
            push(
                "requireProvenance",
                lvl,
                "no verified SLSA provenance".into(),
                vec![format!("provenance check: {:?}", r.checks.provenance).to_lowercase()],
            );
        } else if o.publish_attestation == Some(true)
            && r.checks.publish_attestation != CheckState::Passed
        {
            push(
                "requireProvenance",
                lvl,
                "no verified npm publish attestation".into(),
                vec![],
            );
        }
    }

    // sourceMatch: provenance names the repository the package declares (StarJacking).
    let (lvl, o) = cfg.rule("sourceMatch", name);
    if let (Level::Warn | Level::Error, Some(p)) =
        (lvl, r.provenance.as_ref().filter(|_| has_provenance))
    {
        let src = p.source_repository.as_deref().and_then(normalize_repo);
        let declared = m.and_then(declared_repository);
        let allowed_repo = |s: &str| {
            o.repositories
                .as_ref()
                .is_some_and(|l| l.iter().any(|x| normalize_repo(x).as_deref() == Some(s)))
                || o.owners.as_ref().is_some_and(|l| {
                    owner_of(s).is_some_and(|ow| l.iter().any(|x| x.eq_ignore_ascii_case(ow)))
                })
        };
        match (&src, &declared) {
            (Some(s), _) if allowed_repo(s) => {}
            (Some(s), Some(d)) if s != d => push(
                "sourceMatch",
                lvl,
                format!("built from {s}, but package.json declares {d}"),
                vec![
                    format!("provenance sourceRepository: {s}"),
                    format!("manifest repository: {d}"),
                ],
            ),
            (Some(s), None) if o.repositories.is_some() || o.owners.is_some() => push(
                "sourceMatch",
                lvl,
                format!("built from {s}, which is not in the allowed list"),
                vec![],
            ),
            _ => {}
        }
        let check_list = |what: &str, val: Option<&str>, list: &Option<Vec<String>>| {
            let l = list.as_ref()?;
            let v = val.unwrap_or("");
            (!l.iter().any(|x| glob(x, v)))
                .then(|| format!("{what} {v:?} is not allowed ({})", l.join(", ")))
        };
        for msg in [
            check_list("workflow", p.workflow_path.as_deref(), &o.workflows),
            check_list("ref", p.source_ref.as_deref(), &o.refs),
            check_list("builder", p.builder_id.as_deref(), &o.builders),
        ]
        .into_iter()
        .flatten()
        {
            push("sourceMatch", lvl, msg, vec![]);
        }
        if o.deny_self_hosted == Some(true)
            && p.runner_environment.as_deref() == Some("self-hosted")
        {
            push(
                "sourceMatch",
                lvl,
                "built on a self-hosted runner".into(),
                vec!["certificate runner environment: self-hosted".into()],
            );
        }
    }

    // provenanceRegression / provenanceContinuity
    if let Some(e) = i.earlier {
        let (lvl, _) = cfg.rule("provenanceRegression", name);
        if provenance_missing {
            match &e.provenance {
                Ok(Some(p)) => push(
                    "provenanceRegression",
                    lvl,
                    format!(
                        "{name}@{} was published with verified provenance; {version} has none",
                        e.version
                    ),
                    vec![format!(
                        "{}@{} provenance: {} @ {}",
                        name,
                        e.version,
                        p.source_repository.as_deref().unwrap_or("?"),
                        p.source_commit.as_deref().unwrap_or("?")
                    )],
                ),
                Ok(None) => {}
                Err(why) => push(
                    "provenanceRegression",
                    lvl.min(Level::Warn),
                    format!(
                        "{name}@{} advertises provenance that did not verify; {version} has none",
                        e.version
                    ),
                    vec![why.clone()],
                ),
            }
        }
        let (lvl, _) = cfg.rule("provenanceContinuity", name);
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
                    lvl,
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
            if !has_provenance {
                push(
                    "majorUpdate",
                    lvl,
                    format!("major update {prev} -> {version} without verified provenance"),
                    vec![],
                );
            } else if o.publish_attestation == Some(true)
                && r.checks.publish_attestation != CheckState::Passed
            {
                push(
                    "majorUpdate",
                    lvl,
                    format!("major update {prev} -> {version} without a publish attestation"),
                    vec![],
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
                "publish time unknown (the registry gives no time for this version)".into(),
                vec![],
            ),
        }
    }

    // installScripts: preinstall/install/postinstall (or binding.gyp) new in this version.
    let (lvl, o) = cfg.rule("installScripts", name);
    let allowed = o
        .allow
        .as_ref()
        .is_some_and(|l| l.iter().any(|p| glob(p, name)));
    if lvl != Level::Off && !allowed {
        let cur = m.map(install_scripts).unwrap_or_default();
        let prev_v = previous_by_time(i.packument, version, true);
        let prev = prev_v
            .as_deref()
            .and_then(|v| manifest(i.packument, v))
            .map(install_scripts)
            .unwrap_or_default();
        let new: Vec<&(String, String)> = cur.iter().filter(|s| !prev.contains(s)).collect();
        if !new.is_empty() {
            let list = new
                .iter()
                .map(|(h, c)| format!("{h}: {c}"))
                .collect::<Vec<_>>()
                .join("; ");
            let before = match &prev_v {
                Some(v) if prev.is_empty() => format!("{v} had no install scripts"),
                Some(v) => format!(
                    "{v} had: {}",
                    prev.iter()
                        .map(|(h, c)| format!("{h}: {c}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                None => "first published version".into(),
            };
            push(
                "installScripts",
                lvl,
                format!("new install script: {list}"),
                vec![before],
            );
        }
    }

    // publisherChange: `_npmUser` differs from the previous version's.
    let (lvl, _) = cfg.rule("publisherChange", name);
    if lvl != Level::Off {
        if let (Some(prev), Some(cur)) = (previous_by_time(i.packument, version, false), m) {
            let user = |v: &Value| {
                v.pointer("/_npmUser/name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            if let (Some(a), Some(b)) = (manifest(i.packument, &prev).and_then(user), user(cur)) {
                if a != b {
                    push(
                        "publisherChange",
                        lvl,
                        format!("published by {b}; {prev} was published by {a}"),
                        vec![format!("_npmUser {a} -> {b}")],
                    );
                }
            }
        }
    }
    out
}

/// The install-time scripts of a version manifest: `preinstall`, `install`, `postinstall`, and
/// the implicit `node-gyp rebuild` of a package with `binding.gyp` (`gypfile: true`).
pub fn install_scripts(manifest: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = ["preinstall", "install", "postinstall"]
        .iter()
        .filter_map(|h| {
            let c = manifest.get("scripts")?.get(*h)?.as_str()?;
            Some((h.to_string(), c.to_string()))
        })
        .collect();
    if manifest.get("gypfile").and_then(Value::as_bool) == Some(true)
        && !out.iter().any(|(h, _)| h == "install")
    {
        out.push(("install".into(), "node-gyp rebuild (binding.gyp)".into()));
    }
    out
}

/// The version published just before `version` (by publish time), if the packument says.
pub fn previous_by_time(
    packument: Option<&Value>,
    version: &str,
    prereleases: bool,
) -> Option<String> {
    earlier_versions(packument, version, prereleases)
        .into_iter()
        .next()
}

/// Versions published before `version`, newest first.
pub fn earlier_versions(
    packument: Option<&Value>,
    version: &str,
    prereleases: bool,
) -> Vec<String> {
    let Some(times) = packument
        .and_then(|p| p.get("time"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let Some(t0) = times
        .get(version)
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
    else {
        return Vec::new();
    };
    let versions = packument
        .and_then(|p| p.get("versions"))
        .and_then(Value::as_object);
    let mut v: Vec<(jiff::Timestamp, String)> = times
        .iter()
        .filter(|(k, _)| {
            k.as_str() != "created" && k.as_str() != "modified" && k.as_str() != version
        })
        .filter(|(k, _)| versions.is_some_and(|vs| vs.contains_key(k.as_str())))
        .filter(|(k, _)| {
            prereleases
                || nodejs_semver::Version::parse(k.as_str()).is_ok_and(|v| v.pre_release.is_empty())
        })
        .filter_map(|(k, t)| Some((t.as_str()?.parse().ok()?, k.clone())))
        .filter(|(t, _)| *t < t0)
        .collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.0));
    v.into_iter().map(|(_, k)| k).collect()
}

/// Apply exceptions: matching findings get `allowed_by`; expired exceptions that would have
/// matched add an `exceptionExpired` finding and allow nothing.
pub fn apply_exceptions(cfg: &Config, findings: &mut Vec<Finding>, now: jiff::Timestamp) {
    let mut extra = Vec::new();
    for f in findings.iter_mut() {
        for (e, expires) in &cfg.exceptions {
            let pkg_ok =
                glob(&e.package, &f.name) || e.package == format!("{}@{}", f.name, f.version);
            let rule_ok = e.rules.is_empty() || e.rules.contains(&f.rule);
            if !(pkg_ok && rule_ok) {
                continue;
            }
            if *expires < now {
                let (lvl, _) = cfg.rule("exceptionExpired", &f.name);
                extra.push(Finding {
                    rule: "exceptionExpired".into(),
                    level: lvl,
                    name: f.name.clone(),
                    version: f.version.clone(),
                    message: format!("the exception for {} expired on {}", e.package, e.expires),
                    evidence: vec![format!("reason given: {}", e.reason)],
                    allowed_by: None,
                });
            } else if f.allowed_by.is_none() {
                f.allowed_by = Some(format!("{} (until {})", e.reason, e.expires));
            }
        }
    }
    extra.retain(|f| f.level != Level::Off);
    findings.extend(extra);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("*", "@a/b"));
        assert!(glob("@corp/*", "@corp/x"));
        assert!(glob("@corp", "@corp/x"));
        assert!(!glob("@corp", "@corpx/y"));
        assert!(glob("lodash*", "lodash.merge"));
        assert!(!glob("react", "react-dom"));
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
