//! Following a registry's changes feed instead of polling every watched name.
//!
//! The feed is CouchDB's replication API (`GET <feed>/_changes?since=<seq>&limit=N` →
//! `{ results: [{ seq, id, changes, deleted? }], last_seq }`), the shape the public registry's
//! replica serves; its URL is configuration (`--changes-feed`, `changesFeed`, the policy's
//! `watch.changesFeed`), never built in. A round with a feed:
//! 1. First round on a feed (no cursor in the state, or one for another URL): the cursor is
//!    taken first (`since=now`), then every name is polled as without a feed (baselines, and
//!    news since the state). Anything published between the two is seen by both: the version
//!    is then in the state and judged once.
//! 2. Later rounds read the feed from the stored cursor, at most `max_pages` pages of `limit`
//!    changes (more left: the rest next round, and the report says so). Each request is the
//!    registry client's (retries with backoff on 429/5xx, `Retry-After` honoured).
//! 3. The names polled — through [`super::poll`], the same conditional request and judging as
//!    without a feed — are the watched names the feed names as changed, those the last round
//!    could not finish or that changed in it (asked once more: a replica can run ahead of the
//!    packument it announces; an unchanged one costs a `304`), and watched names with no state
//!    yet. Every other watched name costs nothing.
//! 4. A changed name that is not watched is checked by the typosquat detector against the
//!    watched names (one edit, and the detector's other kinds). A match not seen before has its
//!    packument read: first published after this watch began following the feed (less
//!    [`CLOCK_SLACK_SECS`]) is a new name imitating a watched one, one `typosquat` event;
//!    older, it is recorded and not reported (an established neighbour); no publish time at
//!    all, an event at warning level. Each look-alike is decided once; one whose packument
//!    could not be read is asked again next round.
//! 5. A feed that fails (after the retries) or answers something that does not parse: the
//!    round polls every name instead, keeps the cursor, and says so (`feed.fallback`).
//!
//! The cursor moves only in the state the round returns, which the caller stores after the
//! events are out: a restart resumes from it, repeating and missing nothing.

use super::{poll, Event, Options, Round, State};
use crate::error::{Error, Result};
use crate::net::registry::Fetched;
use crate::policy::{self, Finding, Level};
use crate::signals::typosquat::{Detector, Kind};
use crate::verify::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Changes asked per page, by default.
pub const PAGE_LIMIT: usize = 500;
/// Pages read per round at most, by default.
pub const MAX_PAGES: usize = 20;
/// Largest page accepted.
pub const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;
/// A look-alike first published up to this long before the watch began following the feed
/// still counts as new (registry and local clocks differ).
pub const CLOCK_SLACK_SECS: i64 = 3600;

/// Which feed, and how much of it a round reads.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// The feed's URL (`<url>/_changes` is asked).
    pub url: String,
    pub limit: usize,
    pub max_pages: usize,
}

impl FeedOptions {
    /// Check a feed URL (http or https) and the bounds.
    pub fn new(url: &str, limit: Option<usize>, max_pages: Option<usize>) -> Result<Self> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::InvalidArg(format!("changes feed {url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::InvalidArg(format!(
                "changes feed {url:?}: not an http(s) URL"
            )));
        }
        let limit = limit.unwrap_or(PAGE_LIMIT);
        let max_pages = max_pages.unwrap_or(MAX_PAGES);
        if !(1..=10_000).contains(&limit) || !(1..=1_000).contains(&max_pages) {
            return Err(Error::InvalidArg(
                "changes feed: page size 1–10000, pages per round 1–1000".into(),
            ));
        }
        Ok(Self {
            url: url.trim_end_matches('/').to_string(),
            limit,
            max_pages,
        })
    }
}

/// The feed's part of the state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedState {
    /// The feed this cursor belongs to.
    pub url: String,
    /// The feed's `last_seq` after the last round (opaque; numbers kept as their digits).
    pub since: String,
    /// When this watch began following the feed (RFC 3339): look-alikes first published
    /// before it are not new.
    pub started: String,
    /// Watched names to poll next round whatever the feed says: those that failed, and those
    /// that changed in the last round (asked once more).
    #[serde(default)]
    pub recheck: BTreeSet<String>,
    /// Look-alikes whose packument could not be read yet.
    #[serde(default)]
    pub suspects: BTreeSet<String>,
    /// Look-alikes decided (reported, or too old to be new): name → the watched name.
    #[serde(default)]
    pub lookalikes: BTreeMap<String, String>,
}

/// What the feed did in a round.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FeedReport {
    pub url: String,
    /// The cursor the round started from (none: the first round on this feed).
    pub since: Option<String>,
    /// The cursor stored for the next round.
    pub last_seq: Option<String>,
    /// Pages (requests) read.
    pub pages: usize,
    /// Changes read (one per changed document).
    pub changes: usize,
    /// Names whose packument was asked for.
    pub polled: usize,
    /// More changes are waiting than `maxPages` pages hold: the rest next round.
    pub more: bool,
    /// Look-alikes decided this round (reported or not).
    pub lookalikes: Vec<String>,
    /// Why the round polled every name instead.
    pub fallback: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    results: Vec<Change>,
    #[serde(default)]
    last_seq: Option<Value>,
}

#[derive(Deserialize)]
struct Change {
    seq: Value,
    id: String,
    #[serde(default)]
    deleted: bool,
}

/// A sequence as the cursor keeps it: a number's digits, a string as it is.
fn seq_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() && s.len() <= 1024 => Some(s.clone()),
        _ => None,
    }
}

fn changes_url(base: &str, since: &str, limit: usize) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("since", since)
        .append_pair("limit", &limit.to_string());
    format!("{base}/_changes?{}", q.finish())
}

async fn page(ctx: &Context, url: &str) -> Result<Page> {
    match ctx.client.get_json(url, MAX_PAGE_BYTES).await? {
        Fetched::NotFound => Err(Error::NotFound(format!("changes feed {url}: not found"))),
        Fetched::Found(v) => serde_json::from_value(v).map_err(|e| Error::json(url, e)),
    }
}

/// The feed's current cursor.
async fn now_cursor(ctx: &Context, fo: &FeedOptions) -> Result<String> {
    let url = changes_url(&fo.url, "now", 1);
    let p = page(ctx, &url).await?;
    p.last_seq
        .as_ref()
        .and_then(seq_text)
        .or_else(|| p.results.last().and_then(|c| seq_text(&c.seq)))
        .ok_or_else(|| Error::json(url, "no last_seq"))
}

/// Changes since `since`, in feed order: `(changes, cursor, pages, more)`.
async fn read(
    ctx: &Context,
    fo: &FeedOptions,
    since: &str,
) -> Result<(Vec<Change>, String, usize, bool)> {
    let mut cursor = since.to_string();
    let mut all = Vec::new();
    let mut pages = 0;
    let mut more = false;
    while pages < fo.max_pages {
        let url = changes_url(&fo.url, &cursor, fo.limit);
        let p = page(ctx, &url).await?;
        pages += 1;
        let n = p.results.len();
        let next = p
            .last_seq
            .as_ref()
            .and_then(seq_text)
            .or_else(|| p.results.last().and_then(|c| seq_text(&c.seq)));
        all.extend(p.results);
        match next {
            None if n == 0 => break,
            None => return Err(Error::json(url, "changes without a last_seq or seq")),
            Some(s) if s == cursor => break,
            Some(s) => cursor = s,
        }
        if n < fo.limit {
            break;
        }
        more = pages == fo.max_pages;
    }
    Ok((all, cursor, pages, more))
}

/// One round with a feed (see the module documentation).
pub async fn follow(ctx: &Context, state: &State, opts: &Options, fo: &FeedOptions) -> Round {
    let mut report = FeedReport {
        url: fo.url.clone(),
        ..Default::default()
    };
    let failed =
        |r: &Round| -> BTreeSet<String> { r.errors.iter().map(|e| e.name.clone()).collect() };
    let prev = state.feed.as_ref().filter(|f| f.url == fo.url);
    // 1. First round on this feed.
    let Some(prev) = prev else {
        let cursor = now_cursor(ctx, fo).await;
        let mut round = poll(ctx, state, opts).await;
        report.polled = opts.names.len();
        match cursor {
            Ok(c) => {
                report.last_seq = Some(c.clone());
                report.pages = 1;
                round.state.feed = Some(FeedState {
                    url: fo.url.clone(),
                    since: c,
                    started: jiff::Timestamp::now().to_string(),
                    recheck: failed(&round),
                    suspects: BTreeSet::new(),
                    lookalikes: BTreeMap::new(),
                });
            }
            Err(e) => {
                report.fallback = Some(format!("{}: {e}", e.code()));
                round.state.feed = state.feed.clone();
            }
        }
        round.feed = Some(report);
        return round;
    };
    report.since = Some(prev.since.clone());
    // 2.
    let (changes, cursor, pages, more) = match read(ctx, fo, &prev.since).await {
        Ok(r) => r,
        Err(e) => {
            // 5.
            let mut round = poll(ctx, state, opts).await;
            report.polled = opts.names.len();
            report.last_seq = Some(prev.since.clone());
            report.fallback = Some(format!("{}: {e}", e.code()));
            let mut next = prev.clone();
            next.recheck = failed(&round);
            round.state.feed = Some(next);
            round.feed = Some(report);
            return round;
        }
    };
    report.pages = pages;
    report.changes = changes.len();
    report.more = more;
    report.last_seq = Some(cursor.clone());
    // Each id once, at its first place in the feed.
    let mut order: HashMap<&str, usize> = HashMap::new();
    let mut ids: Vec<(&str, bool)> = Vec::new();
    for c in &changes {
        if c.id.starts_with("_design/") {
            continue;
        }
        match order.get(c.id.as_str()) {
            Some(&i) => ids[i].1 = c.deleted,
            None => {
                order.insert(c.id.as_str(), ids.len());
                ids.push((c.id.as_str(), c.deleted));
            }
        }
    }
    // 3.
    let watched: BTreeSet<&str> = opts.names.iter().map(String::as_str).collect();
    let changed: BTreeSet<String> = ids
        .iter()
        .filter(|(id, _)| watched.contains(id))
        .map(|(id, _)| id.to_string())
        .collect();
    let to_poll: Vec<String> = opts
        .names
        .iter()
        .filter(|n| {
            changed.contains(*n) || prev.recheck.contains(*n) || !state.packages.contains_key(*n)
        })
        .cloned()
        .collect();
    report.polled = to_poll.len();
    let sub = Options {
        names: to_poll.clone(),
        ..opts.clone()
    };
    let mut round = if to_poll.is_empty() {
        Round {
            watched: 0,
            events: Vec::new(),
            state: State {
                version: state.version,
                packages: state.packages.clone(),
                feed: None,
            },
            errors: Vec::new(),
            new_versions: Vec::new(),
            baseline: Vec::new(),
            unchanged: 0,
            skipped: Vec::new(),
            feed: None,
        }
    } else {
        poll(ctx, state, &sub).await
    };
    round.watched = opts.names.len();
    round.unchanged += opts.names.len() - to_poll.len();
    // Events in the order the feed names their packages (each name's in publish order).
    round
        .events
        .sort_by_key(|e| order.get(e.name.as_str()).copied().unwrap_or(usize::MAX));
    let errs = failed(&round);
    let recheck: BTreeSet<String> = changed.iter().cloned().chain(errs).collect();
    // 4.
    let mut suspects: BTreeSet<String> = prev.suspects.clone();
    let detector = watched_detector(&opts.names);
    if let Some(det) = &detector {
        for (id, deleted) in &ids {
            if *deleted || watched.contains(id) || prev.lookalikes.contains_key(*id) {
                continue;
            }
            if det.check(id).is_some() {
                suspects.insert(id.to_string());
            }
        }
    }
    let mut lookalikes = prev.lookalikes.clone();
    let mut still = BTreeSet::new();
    if let Some(det) = &detector {
        let started: Option<jiff::Timestamp> = prev.started.parse().ok();
        let decided = lookalike_events(ctx, opts, det, &suspects, started).await;
        for (name, d) in decided {
            match d {
                Decided::Later(e) => {
                    round.skipped.push(format!(
                        "typosquat: {name}: packument unavailable ({e}); asked again next round"
                    ));
                    still.insert(name);
                }
                Decided::Gone => {}
                Decided::Known(target, events) => {
                    report.lookalikes.push(name.clone());
                    round.events.extend(events);
                    lookalikes.insert(name, target);
                }
            }
        }
    }
    round.state.feed = Some(FeedState {
        url: fo.url.clone(),
        since: cursor,
        started: prev.started.clone(),
        recheck,
        suspects: still,
        lookalikes,
    });
    round.feed = Some(report);
    round
}

/// The detector over the watched names, each with its downloads on the built-in popular
/// list (0 when not on it: one edit, separators, homoglyphs, scope; affixes and two edits
/// need a popular target, as in the guard).
fn watched_detector(names: &[String]) -> Option<Detector> {
    let popular = Detector::embedded().ok();
    let list: Vec<(String, u64)> = names
        .iter()
        .map(|n| (n.clone(), popular.and_then(|p| p.downloads(n)).unwrap_or(0)))
        .collect();
    Detector::from_list(list).ok()
}

enum Decided {
    /// Decided: the watched name imitated, and the events (none for an old name).
    Known(String, Vec<Event>),
    /// Gone from the registry: nothing to decide.
    Gone,
    /// Not readable now: asked again next round.
    Later(String),
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Scope => "scope",
        Kind::Separator => "separator",
        Kind::Homoglyph => "homoglyph",
        Kind::Affix => "affix",
        Kind::Transposition => "transposition",
        Kind::Edit => "edit",
    }
}

async fn lookalike_events(
    ctx: &Context,
    opts: &Options,
    det: &Detector,
    suspects: &BTreeSet<String>,
    started: Option<jiff::Timestamp>,
) -> Vec<(String, Decided)> {
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.audit.concurrency.max(1)));
    let mut out = Vec::new();
    let mut asked: BTreeSet<String> = BTreeSet::new();
    let mut set = tokio::task::JoinSet::new();
    let now = jiff::Timestamp::now();
    for name in suspects {
        let Some(f) = det.check(name) else {
            continue;
        };
        let (lvl, o) = opts.config.rule("typosquat", name);
        let allowed = o
            .allow
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(|a| policy::glob_allow(a, name));
        if lvl == Level::Off || allowed {
            out.push((name.clone(), Decided::Known(f.target.clone(), Vec::new())));
            continue;
        }
        asked.insert(name.clone());
        let (ctx, sem, name) = (ctx.clone(), sem.clone(), name.clone());
        let registry = opts.audit.registry.clone();
        set.spawn(async move {
            let _p = sem.acquire_owned().await;
            let r = async {
                let reg = ctx.registry_for(&name, registry.as_deref())?;
                ctx.client.packument(&reg, &name).await
            }
            .await;
            (name, f, lvl, r)
        });
    }
    let cfg = &opts.config;
    while let Some(j) = set.join_next().await {
        let Ok((name, f, lvl, r)) = j else { continue };
        asked.remove(&name);
        let doc = match r {
            Err(e) => {
                out.push((name, Decided::Later(format!("{}: {e}", e.code()))));
                continue;
            }
            Ok(Fetched::NotFound) => {
                out.push((name, Decided::Gone));
                continue;
            }
            Ok(Fetched::Found(d)) => d,
        };
        let first = policy::first_published(&doc);
        let is_new = match (first, started) {
            (Some(t), Some(s)) => t.as_second() >= s.as_second() - CLOCK_SLACK_SECS,
            _ => true,
        };
        if !is_new {
            out.push((name, Decided::Known(f.target, Vec::new())));
            continue;
        }
        let version = doc
            .get("dist-tags")
            .and_then(|t| t.get("latest"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                doc.get("versions")
                    .and_then(Value::as_object)
                    .and_then(|m| m.keys().max_by(|a, b| policy::semver_cmp(a, b)).cloned())
            })
            .unwrap_or_default();
        let how = match (f.kind, f.distance) {
            (Kind::Edit | Kind::Transposition, d) => format!("{}, {d} edit(s)", kind_word(f.kind)),
            (k, _) => kind_word(k).to_string(),
        };
        let mut evidence = vec![format!(
            "{name} is a {how} imitation of {}, a watched package",
            f.target
        )];
        let level = match first {
            Some(t) => {
                evidence.push(format!(
                    "{name} first published {t}, after this watch began following the changes feed ({})",
                    started.map_or_else(|| "unknown".to_string(), |s| s.to_string())
                ));
                lvl
            }
            None => {
                evidence.push(format!(
                    "{name}: first publish time unknown (the packument has no times), so a warning"
                ));
                lvl.min(Level::Warn)
            }
        };
        let mut findings = vec![Finding {
            rule: "typosquat".into(),
            level,
            name: name.clone(),
            version: version.clone(),
            message: format!(
                "{name} imitates the watched package {} (new name, {} imitation)",
                f.target,
                kind_word(f.kind)
            ),
            evidence,
            allowed_by: None,
        }];
        policy::apply_exceptions(cfg, &mut findings, now);
        let events = findings
            .into_iter()
            .filter(|x| x.allowed_by.is_none())
            .map(|x| Event {
                id: format!("{}@{}#typosquat#1", x.name, x.version),
                name: x.name,
                version: x.version,
                rule: x.rule,
                level: x.level,
                message: x.message,
                evidence: x.evidence,
                published_at: first.map(|t| t.to_string()),
                status: None,
                imitates: Some(f.target.clone()),
            })
            .collect();
        out.push((name, Decided::Known(f.target, events)));
    }
    // A task that did not finish (a panic) leaves its name for the next round.
    out.extend(asked.into_iter().map(|n| {
        (
            n,
            Decided::Later("internal error: the check did not finish".into()),
        )
    }));
    // In name order (the feed order is not kept across rounds for suspects).
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_options_and_cursors() {
        assert!(FeedOptions::new("ftp://x/", None, None).is_err());
        assert!(FeedOptions::new("not a url", None, None).is_err());
        assert!(FeedOptions::new("http://127.0.0.1:1/feed/", Some(0), None).is_err());
        let f = FeedOptions::new("http://127.0.0.1:1/feed/", None, None).unwrap();
        assert_eq!(f.url, "http://127.0.0.1:1/feed");
        assert_eq!(
            changes_url(&f.url, "12-g1AAA&x", 5),
            "http://127.0.0.1:1/feed/_changes?since=12-g1AAA%26x&limit=5"
        );
        assert_eq!(seq_text(&serde_json::json!(42)).as_deref(), Some("42"));
        assert_eq!(
            seq_text(&serde_json::json!("7-abc")).as_deref(),
            Some("7-abc")
        );
        assert_eq!(seq_text(&serde_json::json!(null)), None);
        assert_eq!(seq_text(&serde_json::json!("")), None);
    }

    #[test]
    fn look_alikes_of_the_watched_names() {
        let det = watched_detector(&["sigstore".into(), "left-pad".into()]).unwrap();
        let f = det.check("sigstor3").unwrap();
        assert_eq!(f.target, "sigstore");
        assert_eq!(det.check("leftpad").unwrap().target, "left-pad");
        assert!(det.check("tuf-js").is_none());
        assert!(det.check("sigstore").is_none());
    }
}
