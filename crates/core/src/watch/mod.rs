//! `watch`: follow packages on their registry and judge each new version as it is published,
//! before any lockfile picks it up.
//!
//! One call is one round, [`poll`]: it reads nothing but the registry and the [`State`] it is
//! given, and returns the events and the next state. The caller emits the events and only then
//! stores the state (atomically), so a crash before the store repeats the round and a crash
//! after it loses nothing: a restart neither misses nor (outside that window) repeats an event.
//! The caller's loop decides when the next round runs (interval, jitter).
//!
//! With a changes feed ([`feed`]), [`round`] asks only for the names the feed says changed,
//! through this same [`poll`], and checks new names against the watched ones (typosquats).
//!
//! A round, per name (at most `concurrency` names at once):
//! 1. The abbreviated packument, asked with `If-None-Match` and the ETag of the last round:
//!    `304` ends the name's round (nothing new). A failure (after the client's retries with
//!    backoff on 429/5xx) is an error for the name and its state is kept, so the next round
//!    asks again: an outage delays events, never loses them.
//! 2. A name seen for the first time is a baseline: its versions are recorded, nothing is
//!    reported about the past.
//! 3. New versions (not in the state) are judged in publish order, from the full packument
//!    (publish times, publishers): each is verified (registry signature, attestations,
//!    provenance: real cryptography, the audit's `verify`), its earlier provenance looked
//!    up (the guard's look-back, verified too), its tarball read (install hooks, manifest
//!    confusion, suspicious code in what install scripts run), then the per-version policy
//!    rules that need no lockfile run over it, plus malware advisories. One event per
//!    finding. A name whose judging fails keeps its old state (it is judged again next round).

pub mod feed;

use crate::audit;
use crate::error::{Error, Result};
use crate::lockfile::{LockedPackage, Lockfile, Source};
use crate::net::registry::{Fetched, Form, Revalidated};
use crate::policy::{self, Config, Finding, History, Inputs, Level, Note};
use crate::report::{Report, Status};
use crate::verify::{self, Context, Request};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

/// The state file's format version.
pub const STATE_VERSION: u32 = 1;
/// Largest state file read.
pub const MAX_STATE_BYTES: u64 = 64 * 1024 * 1024;

/// The rules a new version is judged by: those that need no lockfile.
pub const RULES: &[&str] = &[
    "verification",
    "provenanceRegression",
    "provenanceContinuity",
    "sourceMatch",
    "installScripts",
    "publisherChange",
    "manifestConfusion",
    "suspiciousCode",
    "advisories",
];

/// What was seen, per name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct State {
    pub version: u32,
    pub packages: BTreeMap<String, NameState>,
    /// The changes feed's cursor and what it left to do (absent: no feed followed yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<feed::FeedState>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameState {
    /// The abbreviated packument's ETag at the last round that read it.
    pub etag: Option<String>,
    /// Every version seen (judged, or there at the baseline).
    pub versions: BTreeSet<String>,
}

impl State {
    /// Parse a state file's text; an unknown version or shape is an error, never a fresh
    /// start (that would report nothing about what was published meanwhile, silently).
    pub fn parse(text: &str, origin: &str) -> Result<State> {
        let s: State = serde_json::from_str(text).map_err(|e| Error::json(origin, e))?;
        if s.version != STATE_VERSION {
            return Err(Error::InvalidArg(format!(
                "{origin}: state version {} (this prov-native reads {STATE_VERSION})",
                s.version
            )));
        }
        Ok(s)
    }

    /// The state in `path`; none yet: an empty state.
    pub fn load(path: &Path) -> Result<State> {
        match crate::files::read_capped_opt(path, MAX_STATE_BYTES)? {
            None => Ok(State {
                version: STATE_VERSION,
                ..Default::default()
            }),
            Some(b) => {
                let t = String::from_utf8(b)
                    .map_err(|_| Error::json(path.display().to_string(), "not UTF-8"))?;
                State::parse(&t, &path.display().to_string())
            }
        }
    }
}

/// One finding about one new version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// `name@version#rule#n`: stable, so a consumer can drop a repeat.
    pub id: String,
    pub name: String,
    pub version: String,
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub evidence: Vec<String>,
    pub published_at: Option<String>,
    /// The new version's verification status.
    pub status: Option<Status>,
    /// `typosquat` events: the watched package the new name imitates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imitates: Option<String>,
}

/// A name whose round failed (kept for the next round).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NameError {
    pub name: String,
    pub code: crate::Code,
    pub message: String,
}

/// What one round found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Round {
    /// How many names were watched.
    pub watched: usize,
    pub events: Vec<Event>,
    /// The state to store once the events are out.
    pub state: State,
    pub errors: Vec<NameError>,
    /// New versions judged in this round, `name@version`, in order.
    pub new_versions: Vec<String>,
    /// Names first seen in this round (recorded, not judged).
    pub baseline: Vec<String>,
    /// Names the registry said had not changed (`304`).
    pub unchanged: usize,
    /// What could not be checked, one line per rule and reason.
    pub skipped: Vec<String>,
    /// What the changes feed did (a round with a feed only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed: Option<feed::FeedReport>,
}

/// How to watch.
#[derive(Clone)]
pub struct Options {
    pub names: Vec<String>,
    pub audit: audit::Options,
    pub config: Config,
    /// The project directory advisory sources are relative to.
    pub cwd: std::path::PathBuf,
    /// A changes feed to follow instead of polling every name (see [`feed`]).
    pub feed: Option<feed::FeedOptions>,
}

/// One round: with a changes feed, [`feed::follow`]; without, [`poll`].
pub async fn round(ctx: &Context, state: &State, opts: &Options) -> Round {
    match &opts.feed {
        Some(f) => feed::follow(ctx, state, opts, f).await,
        None => poll(ctx, state, opts).await,
    }
}

/// The names to watch: the policy's `watch.packages` (exact names as they are; scopes and
/// globs matched against the lockfile's packages), else the lockfile's direct dependencies
/// (`package.json`). Sorted, each once.
pub fn names(cfg: &Config, lock: Option<&Lockfile>, project: &Path) -> Vec<String> {
    let mut out = BTreeSet::new();
    let all: BTreeSet<&str> = lock
        .map(|l| {
            l.packages
                .iter()
                .filter(|p| p.source == Source::Registry)
                .map(|p| p.name.as_str())
                .collect()
        })
        .unwrap_or_default();
    if cfg.watch.is_empty() {
        let (direct, _) =
            crate::survey::direct_names(project, lock.map_or(&[][..], |l| &l.workspaces));
        // Workspace packages are the project's own.
        out.extend(
            direct
                .into_iter()
                .filter(|n| lock.is_none() || all.contains(n.as_str())),
        );
    }
    for w in &cfg.watch {
        if w.contains('*') || (w.starts_with('@') && !w.contains('/')) {
            out.extend(
                all.iter()
                    .filter(|n| policy::glob(w, n))
                    .map(|n| n.to_string()),
            );
        } else {
            out.insert(w.clone());
        }
    }
    out.into_iter().collect()
}

/// One name's round.
enum Outcome {
    Unchanged,
    Baseline(NameState),
    Judged {
        state: NameState,
        events: Vec<Event>,
        versions: Vec<String>,
        notes: Vec<Note>,
    },
    Failed(Error),
}

/// One round over every name in `opts.names` (see the module documentation); the feed, if
/// any, is not read here.
pub async fn poll(ctx: &Context, state: &State, opts: &Options) -> Round {
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.audit.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut ids = HashMap::new();
    let opts = Arc::new(opts.clone());
    for name in &opts.names {
        let (ctx, sem, opts) = (ctx.clone(), sem.clone(), opts.clone());
        let (name, prev) = (name.clone(), state.packages.get(name).cloned());
        let n = name.clone();
        let h = set.spawn(async move {
            let _p = sem.acquire_owned().await;
            let out = match one(&ctx, &name, prev.as_ref(), &opts).await {
                Ok(o) => o,
                Err(e) => Outcome::Failed(e),
            };
            (name, out)
        });
        ids.insert(h.id(), n);
    }
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    while let Some(j) = set.join_next_with_id().await {
        match j {
            Ok((_, (name, o))) => {
                outcomes.insert(name, o);
            }
            Err(e) => {
                if let Some(n) = ids.get(&e.id()) {
                    outcomes.insert(
                        n.clone(),
                        Outcome::Failed(Error::Internal(format!("watching {n} failed: {e}"))),
                    );
                }
            }
        }
    }
    let mut round = Round {
        watched: opts.names.len(),
        events: Vec::new(),
        state: State {
            version: STATE_VERSION,
            // Names no longer watched are kept: watching them again later resumes.
            packages: state.packages.clone(),
            // A feed's cursor is kept too (the feed path sets the next one).
            feed: state.feed.clone(),
        },
        errors: Vec::new(),
        new_versions: Vec::new(),
        baseline: Vec::new(),
        unchanged: 0,
        skipped: Vec::new(),
        feed: None,
    };
    let mut notes = Vec::new();
    for (name, o) in outcomes {
        match o {
            Outcome::Unchanged => round.unchanged += 1,
            Outcome::Baseline(s) => {
                round.baseline.push(name.clone());
                round.state.packages.insert(name, s);
            }
            Outcome::Judged {
                state,
                mut events,
                versions,
                notes: mut n,
            } => {
                round.events.append(&mut events);
                round
                    .new_versions
                    .extend(versions.into_iter().map(|v| format!("{name}@{v}")));
                notes.append(&mut n);
                round.state.packages.insert(name, state);
            }
            Outcome::Failed(e) => round.errors.push(NameError {
                name,
                code: e.code(),
                message: e.to_string(),
            }),
        }
    }
    round.skipped = policy::summarize_notes(&notes);
    round
}

/// One name's round: steps 1–3.
async fn one(
    ctx: &Context,
    name: &str,
    prev: Option<&NameState>,
    opts: &Options,
) -> Result<Outcome> {
    let registry = ctx.registry_for(name, opts.audit.registry.as_deref())?;
    // 1.
    let etag = prev.and_then(|p| p.etag.as_deref());
    let (doc, etag) = match ctx
        .client
        .packument_if_changed(&registry, name, Form::Abbreviated, etag)
        .await?
    {
        Revalidated::NotModified => return Ok(Outcome::Unchanged),
        Revalidated::NotFound => {
            return Err(Error::NotFound(format!("{name} is not in {registry}")))
        }
        Revalidated::Found(d, e) => (d, e),
    };
    let listed: BTreeSet<String> = doc
        .get("versions")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    // 2.
    let Some(prev) = prev else {
        return Ok(Outcome::Baseline(NameState {
            etag,
            versions: listed,
        }));
    };
    let new: Vec<&String> = listed.difference(&prev.versions).collect();
    if new.is_empty() {
        return Ok(Outcome::Judged {
            state: NameState {
                etag,
                versions: prev.versions.clone(),
            },
            events: Vec::new(),
            versions: Vec::new(),
            notes: Vec::new(),
        });
    }
    // 3. The full packument: publish times and publishers.
    let full = match ctx.client.packument(&registry, name).await? {
        Fetched::Found(d) => Arc::new(d),
        Fetched::NotFound => return Err(Error::NotFound(format!("{name} is not in {registry}"))),
    };
    let history = Arc::new(History::of(&full));
    let time = |v: &str| {
        full.get("time")
            .and_then(|t| t.get(v))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut ordered: Vec<String> = new.into_iter().cloned().collect();
    ordered.sort_by(|a, b| {
        (time(a), a.as_str())
            .cmp(&(time(b), b.as_str()))
            .then_with(|| policy::semver_cmp(a, b))
    });
    let locked: Vec<LockedPackage> = ordered
        .iter()
        .map(|v| {
            let mut p = LockedPackage::new(name, v, Source::Registry);
            let dist = full
                .get("versions")
                .and_then(|vs| vs.get(v))
                .and_then(|m| m.get("dist"));
            p.integrity = dist
                .and_then(|d| d.get("integrity"))
                .and_then(Value::as_str)
                .map(str::to_string);
            p.resolved = dist
                .and_then(|d| d.get("tarball"))
                .and_then(Value::as_str)
                .map(str::to_string);
            p
        })
        .collect();
    let mut reports: Vec<Report> = Vec::with_capacity(locked.len());
    for p in &locked {
        let req = Request {
            spec: format!("{name}@{}", p.version),
            registry: Some(registry.clone()),
            attestations_registry: opts.audit.attestations_registry.clone(),
            lock_integrity: p.integrity.clone(),
            skip_download: true,
            packument: Some(full.clone()),
            ..Default::default()
        };
        let mut r = verify::verify(ctx, &req).await?;
        r.version.get_or_insert_with(|| p.version.clone());
        reports.push(r);
    }
    let cfg = &opts.config;
    let by_version: HashMap<(&str, &str), &Report> = reports
        .iter()
        .map(|r| ((name, r.version.as_deref().unwrap_or("")), r))
        .collect();
    let refs: Vec<&LockedPackage> = locked.iter().collect();
    let docs: HashMap<String, Arc<Value>> = [(name.to_string(), full.clone())].into();
    let histories: HashMap<String, Arc<History>> = [(name.to_string(), history.clone())].into();
    let (earlier, mut notes) = crate::guard::earlier_provenance(
        ctx,
        cfg,
        &by_version,
        &refs,
        &docs,
        &histories,
        &opts.audit,
    )
    .await;
    let scanned =
        crate::guard::tarball_rules(ctx, cfg, &refs, &docs, &HashMap::new(), &opts.audit).await;
    notes.extend(scanned.notes);
    let lock = Lockfile {
        format: crate::lockfile::Format::NodeModules,
        lockfile_version: String::new(),
        path: name.into(),
        packages: locked.clone(),
        workspaces: Vec::new(),
        dependencies: Default::default(),
    };
    let (advisories, adv_notes) = crate::guard::advisories(cfg, &lock, &opts.cwd, &[])?;
    notes.extend(adv_notes.into_iter().filter(|n| !n.package.is_empty()));
    let now = jiff::Timestamp::now();
    let mut events = Vec::new();
    for (p, r) in locked.iter().zip(&reports) {
        let key = (name.to_string(), p.version.clone());
        let inputs = Inputs {
            locked: p,
            report: r,
            packument: Some(&full),
            history: Some(&history),
            packument_error: None,
            previous_version: None,
            earlier: earlier.get(&key),
            tarball_hooks: scanned.hooks.get(&key),
            now,
        };
        let out = policy::evaluate(cfg, &inputs);
        notes.extend(
            out.notes
                .into_iter()
                .filter(|n| RULES.contains(&n.rule.as_str())),
        );
        let mine = |f: &&Finding| f.name == name && f.version == p.version;
        let mut findings: Vec<Finding> = out
            .findings
            .into_iter()
            .filter(|f| RULES.contains(&f.rule.as_str()))
            // A new version that could not be checked is not news by itself (a mirror, a
            // registry without signatures); one that failed a check is.
            .filter(|f| f.rule != "verification" || r.status == Some(Status::Invalid))
            .chain(scanned.findings.iter().filter(mine).cloned())
            .chain(advisories.iter().filter(mine).cloned())
            .collect();
        policy::apply_exceptions(cfg, &mut findings, now);
        let mut n: HashMap<String, usize> = HashMap::new();
        // Expired exceptions are the guard's business, not news about this version.
        let news = |f: &Finding| f.allowed_by.is_none() && RULES.contains(&f.rule.as_str());
        for f in findings.into_iter().filter(news) {
            let i = n.entry(f.rule.clone()).or_default();
            *i += 1;
            events.push(Event {
                id: format!("{}@{}#{}#{}", f.name, f.version, f.rule, i),
                name: f.name,
                version: f.version,
                rule: f.rule,
                level: f.level,
                message: f.message,
                evidence: f.evidence,
                published_at: time(&p.version),
                status: r.status,
                imitates: None,
            });
        }
    }
    let mut versions = prev.versions.clone();
    versions.extend(ordered.iter().cloned());
    Ok(Outcome::Judged {
        state: NameState { etag, versions },
        events,
        versions: ordered,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_file_of_another_shape_is_an_error_not_a_fresh_start() {
        assert!(State::parse("{", "s").is_err());
        assert!(State::parse(r#"{"version":2,"packages":{}}"#, "s").is_err());
        assert!(State::parse(r#"{"version":1,"packages":{},"x":1}"#, "s").is_err());
        let s = State::parse(
            r#"{"version":1,"packages":{"a":{"etag":null,"versions":["1.0.0"]}}}"#,
            "s",
        )
        .unwrap();
        assert!(s.packages["a"].versions.contains("1.0.0"));
        let e = State::parse("[]", "s").unwrap_err();
        assert_eq!(e.code(), crate::Code::Json);
        // The feed's cursor: kept as written, and of a known shape only.
        let s = State::parse(
            r#"{"version":1,"packages":{},"feed":{"url":"http://127.0.0.1:1/f","since":"17","started":"2030-01-01T00:00:00Z","lookalikes":{"sigstor3":"sigstore"}}}"#,
            "s",
        )
        .unwrap();
        let f = s.feed.as_ref().unwrap();
        assert_eq!((f.since.as_str(), f.recheck.len()), ("17", 0));
        assert_eq!(f.lookalikes["sigstor3"], "sigstore");
        assert!(State::parse(
            r#"{"version":1,"packages":{},"feed":{"url":"u","since":"1","started":"t","x":1}}"#,
            "s"
        )
        .is_err());
        assert!(State::parse(r#"{"version":1,"packages":{},"feed":{"url":"u"}}"#, "s").is_err());
    }

    #[test]
    fn names_from_the_policy_or_the_direct_dependencies() {
        let dir = crate::testdata::path("../data/lockfiles/npm-v3/jellyfin-web");
        let lock = crate::audit::load_tree(&dir, None).unwrap();
        let direct = names(&Config::default(), Some(&lock), &dir);
        assert!(!direct.is_empty());
        let cfg = Config::from_value(
            serde_json::json!({"watch": {"packages": ["left-pad", "@babel/*"]}}),
            "p",
        )
        .unwrap();
        let w = names(&cfg, Some(&lock), &dir);
        assert!(w.contains(&"left-pad".to_string()));
        assert!(w.iter().filter(|n| n.starts_with("@babel/")).count() > 3);
        assert!(w
            .iter()
            .all(|n| n == "left-pad" || n.starts_with("@babel/")));
        assert!(
            Config::from_value(serde_json::json!({"watch": {"packages": [" "]}}), "p").is_err()
        );
        assert!(Config::from_value(serde_json::json!({"watch": {"names": []}}), "p").is_err());
    }
}
