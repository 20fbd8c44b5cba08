//! `audit`: verify every package of a dependency tree.
//!
//! 1. Read the tree: a lockfile (any format `lockfile` knows) or, without one, `node_modules`.
//! 2. Registry packages are verified; git, file, tarball-URL and linked packages cannot carry
//!    registry signatures or provenance and are listed in `summary.skipped` with the reason.
//! 3. Each `name@version` is verified once (`verify::verify` with the lockfile's integrity as
//!    evidence; bytes in the npm cache are hashed when present). The tarball is downloaded
//!    only when the lockfile has no sha512 to bind the attestations to (sha1-only entries,
//!    yarn berry). Packages of one name share one packument fetch.
//! 4. Bounded concurrency over one HTTP client (keep-alive, retries with backoff and jitter).
//!    A package whose registry fails (404, 5xx, timeout) becomes `unverifiable` with the
//!    reason; the run goes on.
//! 5. With a cache, `verified`/`unsigned` results are stored under a content key (see
//!    `cache`), so an unchanged tree re-audits without network or signature checks.

use crate::error::{Error, Result};
use crate::lockfile::{LockedPackage, Lockfile, Source};
use crate::net::cache::{self, Cache};
use crate::npm::integrity::Integrity;
use crate::report::{Problem, Report, Status};
use crate::verify::{self, Context, Request};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Default number of packages verified at once.
pub const DEFAULT_CONCURRENCY: usize = 32;
/// Largest npm-cache tarball read as evidence.
const MAX_CACHED_TARBALL: u64 = 64 * 1024 * 1024;

/// How to audit.
#[derive(Clone, Default)]
pub struct Options {
    pub registry: Option<String>,
    pub attestations_registry: Option<String>,
    pub concurrency: usize,
    pub cache: Option<Cache>,
    /// npm's cache directory (`_cacache` inside): tarball bytes found there are hashed.
    pub npm_cache: Option<PathBuf>,
    /// `verified`/`unsigned` reports from an authenticated whole-tree entry for this exact
    /// tree, by `name@version` (see [`audit_json`]); used before the per-package cache.
    pub reuse: Arc<HashMap<(String, String), Report>>,
    /// Ask for abbreviated packuments where they suffice (see [`packument_for`]). Off for the
    /// guard, whose rules read publish times and publishers.
    pub abbreviated: bool,
    /// How much of each report [`audit_json`] writes.
    pub detail: Detail,
}

/// How much of each package report the JSON result of [`audit_json`] holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// The whole report, as `verify()` gives it.
    #[default]
    Full,
    /// `spec`, `name`, `version`, `status`, `problems` and `provenance` only, and in
    /// `summary.skipped` only the packages not from a registry (an unverified registry package
    /// is in `packages`, with its problems): what a listing of a large tree needs, at about a
    /// fifth of the size.
    Brief,
}

/// The fields of a report that [`Detail::Brief`] keeps.
#[derive(Serialize, Deserialize)]
struct BriefReport<'a> {
    #[serde(borrow)]
    spec: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    version: Option<std::borrow::Cow<'a, str>>,
    status: Option<Status>,
    problems: std::borrow::Cow<'a, [Problem]>,
    provenance: Option<std::borrow::Cow<'a, crate::sigstore::provenance::Provenance>>,
}

impl<'a> From<&'a Report> for BriefReport<'a> {
    fn from(r: &'a Report) -> Self {
        use std::borrow::Cow::Borrowed;
        BriefReport {
            spec: Borrowed(&r.spec),
            name: Borrowed(&r.name),
            version: r.version.as_deref().map(Borrowed),
            status: r.status,
            problems: Borrowed(&r.problems),
            provenance: r.provenance.as_deref().map(Borrowed),
        }
    }
}

/// Reports serialised as [`BriefReport`]s, one at a time.
struct BriefList<'a>(&'a [Report]);

impl Serialize for BriefList<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(BriefReport::from))
    }
}

/// `result` as JSON text, `serde_json::to_string(result)` for [`Detail::Full`], built in one
/// buffer; and the offset where the value of `"packages"` starts.
fn result_json(result: &AuditResult, detail: Detail) -> Result<(String, usize)> {
    let brief;
    let summary = match detail {
        Detail::Full => &result.summary,
        // Unverified registry packages are in `packages` with their problems: not repeated.
        Detail::Brief => {
            let s = &result.summary;
            brief = Summary {
                total: s.total,
                verified: s.verified,
                unsigned: s.unsigned,
                invalid: s.invalid,
                unverifiable: s.unverifiable,
                skipped: s
                    .skipped
                    .get(..result.not_from_registry)
                    .unwrap_or_default()
                    .to_vec(),
                skipped_reasons: s.skipped_reasons.clone(),
                cached: s.cached,
            };
            &brief
        }
    };
    let mut buf = head_json(result, summary)?.into_bytes();
    let at = buf.len();
    let written = match detail {
        Detail::Full => serde_json::to_writer(&mut buf, &result.packages),
        Detail::Brief => serde_json::to_writer(&mut buf, &BriefList(&result.packages)),
    };
    written.map_err(|e| Error::Internal(e.to_string()))?;
    buf.push(b'}');
    let text = String::from_utf8(buf).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((text, at))
}

/// `{"lockfile":…,"format":…,"summary":{…},"packages":` — the result's JSON up to its
/// packages, with `summary` given.
fn head_json(result: &AuditResult, summary: &Summary) -> Result<String> {
    #[derive(Serialize)]
    struct Head<'a> {
        lockfile: &'a str,
        format: &'a str,
        summary: &'a Summary,
    }
    let mut head = serde_json::to_string(&Head {
        lockfile: &result.lockfile,
        format: &result.format,
        summary,
    })
    .map_err(|e| Error::Internal(e.to_string()))?;
    head.pop(); // the closing brace
    head.push_str(",\"packages\":");
    Ok(head)
}

/// A stored (full) result as [`Detail::Brief`] text.
fn brief_from_json(json: &str) -> Result<String> {
    #[derive(Serialize, Deserialize)]
    struct Stored<'a> {
        #[serde(borrow)]
        lockfile: std::borrow::Cow<'a, str>,
        #[serde(borrow)]
        format: std::borrow::Cow<'a, str>,
        summary: Summary,
        #[serde(borrow)]
        packages: Vec<BriefReport<'a>>,
    }
    let mut stored: Stored =
        serde_json::from_str(json).map_err(|e| Error::Internal(e.to_string()))?;
    // As `result_json` writes it: `summary.skipped` without the registry packages, which are
    // its tail (and in `packages` with their problems).
    let in_packages: std::collections::HashSet<(&str, &str)> = stored
        .packages
        .iter()
        .filter_map(|p| Some((p.name.as_ref(), p.version.as_deref()?)))
        .collect();
    let skipped = &mut stored.summary.skipped;
    while skipped
        .last()
        .is_some_and(|s| in_packages.contains(&(s.name.as_str(), s.version.as_str())))
    {
        skipped.pop();
    }
    serde_json::to_string(&stored).map_err(|e| Error::Internal(e.to_string()))
}

/// A package that was not verified, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SkippedPackage {
    pub name: String,
    pub version: String,
    pub reason: String,
}

/// Counts by status.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Summary {
    pub total: usize,
    pub verified: usize,
    pub unsigned: usize,
    pub invalid: usize,
    pub unverifiable: usize,
    /// Packages not verified: not from a registry, or unverifiable with a reason of their own
    /// (a reason several packages share is in `skipped_reasons` instead).
    pub skipped: Vec<SkippedPackage>,
    /// Reasons shared by several unverifiable registry packages (a mirror that strips
    /// signatures, a registry that is down), each listed once with how many packages it
    /// stopped; the packages are in `packages` with their problems.
    #[serde(default, rename = "skippedReasons")]
    pub skipped_reasons: Vec<SkippedReason>,
    /// Reports served from the cache.
    pub cached: usize,
}

/// A reason several unverifiable packages share, and how many.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SkippedReason {
    pub reason: String,
    pub count: usize,
}

/// Move the reasons that more than one unverifiable registry package gives (the entries of
/// `skipped` from `registry_from` on) to `skipped_reasons`, once each, in first-seen order;
/// a package with a reason of its own stays in `skipped`.
fn group_shared_reasons(summary: &mut Summary, registry_from: usize) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for s in summary.skipped.get(registry_from..).unwrap_or_default() {
        *counts.entry(s.reason.as_str()).or_default() += 1;
    }
    let mut shared: Vec<SkippedReason> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for s in summary.skipped.get(registry_from..).unwrap_or_default() {
        let n = counts.get(s.reason.as_str()).copied().unwrap_or(0);
        if n > 1 && seen.insert(s.reason.as_str()) {
            shared.push(SkippedReason {
                reason: s.reason.clone(),
                count: n,
            });
        }
    }
    let shared_set: HashSet<String> = shared.iter().map(|r| r.reason.clone()).collect();
    let mut i = 0usize;
    summary.skipped.retain(|s| {
        let keep = i < registry_from || !shared_set.contains(&s.reason);
        i += 1;
        keep
    });
    summary.skipped_reasons = shared;
}

/// The result of an audit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditResult {
    /// The lockfile read (or the `node_modules` directory walked).
    pub lockfile: String,
    pub format: String,
    pub summary: Summary,
    /// One report per registry `name@version`, sorted by name then version.
    pub packages: Vec<Report>,
    /// Packuments fetched during the run, by name (for policy rules; not serialised).
    #[serde(skip)]
    pub packuments: HashMap<String, Arc<serde_json::Value>>,
    /// How many of `summary.skipped`, at its start, are packages not from a registry (the
    /// rest are registry packages that were not verified, also in `packages`).
    #[serde(skip)]
    pub not_from_registry: usize,
}

/// Why a non-registry package cannot be verified.
fn not_verifiable(source: &Source) -> Option<String> {
    match source {
        Source::Registry => None,
        Source::Git { url } => Some(format!(
            "git dependency ({url}): no registry signature or provenance exists for it"
        )),
        Source::File { path } => Some(format!("local file dependency ({path})")),
        Source::Tarball { url } => Some(format!(
            "remote tarball dependency ({url}): no registry signature or provenance exists for it"
        )),
        Source::Workspace { path } => Some(format!("workspace package ({path})")),
        Source::Link { path } => Some(format!("linked directory ({path})")),
    }
}

/// A `bundleDependencies` entry arrives inside its parent's tarball, not from the registry:
/// what is installed is the parent's copy, checked with the parent.
fn bundled_reason(p: &LockedPackage) -> String {
    let parent = p
        .paths
        .first()
        .and_then(|path| path.rsplit_once("/node_modules/"))
        .map(|(parent, _)| {
            parent
                .rsplit_once("node_modules/")
                .map_or(parent, |(_, n)| n)
        });
    match parent {
        Some(parent) if !parent.is_empty() => format!(
            "bundled inside {parent}'s tarball (bundleDependencies): installed from it, verified with it"
        ),
        _ => "bundled inside its parent's tarball (bundleDependencies): installed from it, verified with it".into(),
    }
}

/// Audit a parsed lockfile. `progress(done, total)` is called after each package.
///
/// At most `concurrency` names are in flight: a task (and its copy of its names' packages) is
/// created only when one finishes, so a tree of 300,000 packages does not hold 300,000
/// suspended verifications at once.
pub async fn audit(
    ctx: &Context,
    lock: &Lockfile,
    opts: &Options,
    progress: Arc<dyn Fn(usize, usize) + Send + Sync>,
) -> Result<AuditResult> {
    let mut summary = Summary {
        total: lock.packages.len(),
        ..Default::default()
    };
    // Group registry packages by name; one packument per name.
    let mut groups: BTreeMap<&str, Vec<&LockedPackage>> = BTreeMap::new();
    for p in &lock.packages {
        let reason = match (&p.source, p.bundled) {
            (Source::Registry, true) => Some(bundled_reason(p)),
            (source, _) => not_verifiable(source),
        };
        match reason {
            Some(reason) => summary.skipped.push(SkippedPackage {
                name: p.name.clone(),
                version: p.version.clone(),
                reason,
            }),
            None => groups.entry(&p.name).or_default().push(p),
        }
    }
    let not_from_registry = summary.skipped.len();
    let total: usize = groups.values().map(Vec::len).sum();
    let done = Arc::new(AtomicUsize::new(0));
    let limit = opts.concurrency.max(1);
    let opts = Arc::new(opts.clone());
    let mut set = tokio::task::JoinSet::new();
    // Which packages each task covers, so that a task that panics still reports them.
    // Each name's reports land in its slot (names in order), so the result is sorted by name
    // without moving 300,000 reports through a sort.
    let mut slots: Vec<Vec<(Report, bool)>> = Vec::with_capacity(groups.len());
    slots.resize_with(groups.len(), Vec::new);
    // A task takes a batch of consecutive names and checks them one after the other: one
    // name per task on a small tree, up to 64 on a large one (a task per name of 300,000 cost
    // more than the offline checks themselves). Batches are handed out as tasks finish.
    let batch = (groups.len() / (limit * 64)).clamp(1, 64);
    let groups: Vec<(&str, Vec<&LockedPackage>)> = groups.into_iter().collect();
    // The slots each task covers, so that a task that fails still reports their packages.
    let mut tasks: HashMap<tokio::task::Id, std::ops::Range<usize>> = HashMap::new();
    let mut pending = groups.iter().enumerate().peekable();
    let mut packuments = HashMap::new();
    loop {
        while set.len() < limit && pending.peek().is_some() {
            let names: Vec<(usize, String, Vec<LockedPackage>)> = pending
                .by_ref()
                .take(batch)
                .map(|(slot, (name, pkgs))| {
                    (
                        slot,
                        name.to_string(),
                        pkgs.iter().map(|p| (*p).clone()).collect(),
                    )
                })
                .collect();
            let covered = match (names.first(), names.last()) {
                (Some(a), Some(b)) => a.0..b.0 + 1,
                _ => 0..0,
            };
            let (ctx, opts, done, progress) =
                (ctx.clone(), opts.clone(), done.clone(), progress.clone());
            let handle = set.spawn(async move {
                let mut out = Vec::with_capacity(names.len());
                let (names, prepared) = prepare(&ctx, &opts, names).await?;
                for ((slot, name, pkgs), prep) in names.into_iter().zip(prepared) {
                    let (reports, doc) = audit_name(&ctx, &name, &pkgs, &opts, prep).await;
                    let n = done.fetch_add(pkgs.len(), Ordering::Relaxed) + pkgs.len();
                    progress(n, total);
                    out.push((slot, name, reports, doc));
                }
                Ok::<_, Error>(out)
            });
            tasks.insert(handle.id(), covered);
        }
        let Some(joined) = set.join_next_with_id().await else {
            break;
        };
        let (id, failed) = match joined {
            Ok((id, Ok(out))) => {
                tasks.remove(&id);
                for (slot, name, reports, doc) in out {
                    if let Some(s) = slots.get_mut(slot) {
                        *s = reports;
                    }
                    if let Some(d) = doc {
                        packuments.insert(name, d);
                    }
                }
                continue;
            }
            Ok((id, Err(e))) => (id, e),
            Err(join) => (
                join.id(),
                Error::Internal(format!("checking this package failed: {join}")),
            ),
        };
        // A bug in one package's check costs that batch's packages, not the run.
        for slot in tasks.remove(&id).unwrap_or_default() {
            if let (Some(s), Some((_, covered))) = (slots.get_mut(slot), groups.get(slot)) {
                *s = covered
                    .iter()
                    .map(|p| (failed_report(p, &failed), false))
                    .collect();
            }
        }
    }
    let mut packages: Vec<(Report, bool)> = Vec::with_capacity(total);
    for mut reports in slots {
        reports.sort_by(|(a, _), (b, _)| a.version.cmp(&b.version));
        packages.append(&mut reports);
    }
    for (r, cached) in &packages {
        summary.cached += usize::from(*cached);
        match r.status {
            Some(Status::Verified) => summary.verified += 1,
            Some(Status::Unsigned) => summary.unsigned += 1,
            Some(Status::Invalid) => summary.invalid += 1,
            _ => {
                summary.unverifiable += 1;
                summary.skipped.push(SkippedPackage {
                    name: r.name.clone(),
                    version: r.version.clone().unwrap_or_default(),
                    reason: r
                        .problems
                        .first()
                        .map(|p| format!("{}: {}", p.code, p.message))
                        .unwrap_or_else(|| "not verified".into()),
                });
            }
        }
    }
    group_shared_reasons(&mut summary, not_from_registry);
    Ok(AuditResult {
        lockfile: lock.path.display().to_string(),
        format: lock.format.to_string(),
        summary,
        packages: packages.into_iter().map(|(r, _)| r).collect(),
        packuments,
        not_from_registry,
    })
}

/// `audit`, as JSON text, with a whole-tree cache in front. The entry's key covers every
/// input of the verdicts (the tree's packages, registries, attestation source, trust
/// material, lockfile path):
/// - every package `verified` or `unsigned`: the stored text is the answer (no parsing, no
///   request, no signature check);
/// - otherwise its `verified`/`unsigned` reports are reused and only the rest (unverifiable,
///   invalid) are checked again, so one unreachable package does not cost the whole tree.
pub async fn audit_json(
    ctx: &Context,
    tree: Tree,
    opts: &Options,
    progress: Arc<dyn Fn(usize, usize) + Send + Sync>,
) -> Result<String> {
    // A lockfile is keyed by its bytes: an unchanged file needs no parsing to be answered.
    let parse = |tree: Tree| async move {
        tokio::task::spawn_blocking(move || tree.load())
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
    };
    // Everything else the verdicts depend on (the registries only for a cache key: finding
    // the default one may ask npm).
    let registries = match &opts.cache {
        None => String::new(),
        Some(_) => {
            let mut r: Vec<String> = ctx
                .client
                .config()
                .scoped_registries()
                .into_iter()
                .map(|(s, r)| format!("{s}={r}"))
                .collect();
            r.push(
                ctx.registry_for("x", opts.registry.as_deref())
                    .unwrap_or_default(),
            );
            r.join(" ")
        }
    };
    let inputs = [
        registries,
        opts.attestations_registry.clone().unwrap_or_default(),
        ctx.trust.fingerprint.clone(),
        if opts.abbreviated {
            "abbreviated"
        } else {
            "full"
        }
        .to_string(),
    ];
    let (key, lock) = match (&opts.cache, tree) {
        (Some(_), Tree::Lockfile { path, text }) => {
            // Hashing a lockfile of up to 256 MiB is CPU work: off the runtime's workers.
            let (key, tree) = tokio::task::spawn_blocking(move || {
                let p = path.display().to_string();
                let mut parts: Vec<&str> = vec!["lockfile", &p, &text];
                parts.extend(inputs.iter().map(String::as_str));
                let key = crate::net::cache::tree_key(&parts);
                (key, Tree::Lockfile { path, text })
            })
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
            (Some(key), Err(tree))
        }
        (Some(_), tree) => {
            let lock = parse(tree).await?;
            let packages = serde_json::to_string(&lock.packages)
                .map_err(|e| Error::Internal(e.to_string()))?;
            let p = lock.path.display().to_string();
            let mut parts: Vec<&str> = vec!["tree", &p, &packages];
            parts.extend(inputs.iter().map(String::as_str));
            (Some(crate::net::cache::tree_key(&parts)), Ok(lock))
        }
        (None, tree) => (None, Ok(parse(tree).await?)),
    };
    let mut opts = opts.clone();
    if let (Some(c), Some(k)) = (&opts.cache, &key) {
        match c.get_tree(k).await {
            Some((true, json)) => {
                progress(1, 1);
                return match opts.detail {
                    Detail::Full => Ok(json),
                    Detail::Brief => brief_from_json(&json),
                };
            }
            Some((false, json)) => {
                if let Ok(stored) = serde_json::from_str::<AuditResult>(&json) {
                    opts.reuse = Arc::new(reusable(stored.packages));
                }
            }
            None => {}
        }
    }
    let lock = match lock {
        Ok(l) => l,
        Err(tree) => parse(tree).await?,
    };
    let mut result = audit(ctx, &lock, &opts, progress).await?;
    drop(lock);
    let (text, at) = result_json(&result, opts.detail)?;
    let reusable = result
        .packages
        .iter()
        .filter(|r| matches!(r.status, Some(Status::Verified | Status::Unsigned)))
        .count();
    // Nothing to reuse (every package unverifiable or invalid, as offline without a cache):
    // an entry would only be a copy of what is checked again anyway.
    if let (Some(c), Some(k), true) = (&opts.cache, &key, reusable > 0) {
        let complete = reusable == result.packages.len();
        // Stored as a warm run will report it: every reusable package from the cache.
        let mut summary = std::mem::take(&mut result.summary);
        summary.cached = reusable;
        let head = head_json(&result, &summary)?;
        // Best effort: a failed write costs a re-check next time.
        let _ = match opts.detail {
            Detail::Full => {
                let packages = text.as_bytes().get(at..).unwrap_or_default();
                c.put_tree_parts(k, complete, &[head.as_bytes(), packages])
                    .await
            }
            // The full result is not in memory as text: written to the file as it is made.
            Detail::Brief => {
                result.summary = summary;
                let (c, k) = (c.clone(), k.clone());
                tokio::task::spawn_blocking(move || {
                    c.put_tree_streamed(&k, complete, |w| {
                        serde_json::to_writer(w, &result).map_err(std::io::Error::other)
                    })
                })
                .await
                .map_err(|e| Error::Internal(e.to_string()))
                .and_then(|r| r)
            }
        };
    }
    Ok(text)
}

/// The `verified`/`unsigned` reports of a stored result, by `name@version`. A `name@version`
/// reported twice (locked with two integrities) is left out: which report belongs to which
/// entry is not recorded, so both are checked again.
fn reusable(reports: Vec<Report>) -> HashMap<(String, String), Report> {
    let mut out: HashMap<(String, String), Option<Report>> = HashMap::new();
    for r in reports {
        let k = (r.name.clone(), r.version.clone().unwrap_or_default());
        let ok = matches!(r.status, Some(Status::Verified | Status::Unsigned));
        out.entry(k)
            .and_modify(|slot| *slot = None)
            .or_insert_with(|| ok.then_some(r));
    }
    out.into_iter().filter_map(|(k, r)| Some((k, r?))).collect()
}

/// The attestation-source part of a cache key: verdicts made from abbreviated packuments are
/// kept apart from full ones.
fn attestations_key(opts: &Options) -> String {
    format!(
        "{}{}",
        opts.attestations_registry.as_deref().unwrap_or(""),
        if opts.abbreviated { "#abbreviated" } else { "" }
    )
}

/// What a name's check starts from: its registry, and each package's reusable report (from the
/// stored tree, else the cache; `None`: to be checked).
struct Prepared {
    registry: Result<String>,
    hits: Vec<Option<(Report, bool)>>,
}

/// [`Prepared`] for a batch of names, the cache read for all of them in one trip to the
/// blocking pool (one trip per package cost more than an offline check).
async fn prepare(
    ctx: &Context,
    opts: &Arc<Options>,
    names: Vec<(usize, String, Vec<LockedPackage>)>,
) -> Result<(Vec<(usize, String, Vec<LockedPackage>)>, Vec<Prepared>)> {
    // The registry depends on the scope only: asked once per scope of the batch.
    let mut registries: HashMap<String, String> = HashMap::new();
    let mut registry_for = |name: &str| -> Result<String> {
        let scope = name.split_once('/').map_or("", |(s, _)| s);
        if let Some(r) = registries.get(scope) {
            return Ok(r.clone());
        }
        let r = ctx.registry_for(name, opts.registry.as_deref())?;
        registries.insert(scope.to_string(), r.clone());
        Ok(r)
    };
    let mut prepared: Vec<Prepared> = names
        .iter()
        .map(|(_, name, pkgs)| Prepared {
            // Offline without a cache, nothing can be had: the registry is not needed (finding
            // the default one may ask npm).
            registry: if ctx.client.is_offline() && opts.cache.is_none() {
                Err(Error::Network(format!(
                    "offline: not fetching the packument of {name}"
                )))
            } else {
                registry_for(name)
            },
            hits: pkgs
                .iter()
                .map(|p| {
                    if opts.reuse.is_empty() {
                        return None;
                    }
                    let r = opts.reuse.get(&(p.name.clone(), p.version.clone()))?;
                    Some((r.clone(), true))
                })
                .collect(),
        })
        .collect();
    let Some(cache) = opts.cache.clone() else {
        return Ok((names, prepared));
    };
    let (att, trust) = (attestations_key(opts), ctx.trust.fingerprint.clone());
    let looked = tokio::task::spawn_blocking(move || {
        for ((_, _, pkgs), prep) in names.iter().zip(prepared.iter_mut()) {
            let Ok(registry) = &prep.registry else {
                continue;
            };
            for (p, hit) in pkgs.iter().zip(prep.hits.iter_mut()) {
                if hit.is_some() {
                    continue;
                }
                if let Some(evidence) = lock_evidence(p) {
                    let key = key_for(p, &evidence, registry, &att, &trust);
                    *hit = cache.get_blocking(&key).map(|r| (r, true));
                }
            }
        }
        (names, prepared)
    })
    .await;
    looked.map_err(|e| Error::Internal(format!("reading the cache failed: {e}")))
}

/// Every version of one package name. Returns (report, served from cache) and the
/// packument if one was fetched.
async fn audit_name(
    ctx: &Context,
    name: &str,
    pkgs: &[LockedPackage],
    opts: &Options,
    prepared: Prepared,
) -> (Vec<(Report, bool)>, Option<Arc<serde_json::Value>>) {
    let mut out = Vec::with_capacity(pkgs.len());
    let mut misses = Vec::new();
    let mut hits = prepared.hits.into_iter();
    for p in pkgs {
        match hits.next().flatten() {
            Some(hit) => out.push(hit),
            None => misses.push(p),
        }
    }
    if misses.is_empty() {
        return (out, None);
    }
    let registry = match prepared.registry {
        Ok(r) => r,
        Err(e) => {
            out.extend(misses.iter().map(|p| (failed_report(p, &e), false)));
            return (out, None);
        }
    };
    let att = attestations_key(opts);
    let packument = match packument_for(ctx, &registry, name, &misses, opts).await {
        Ok(crate::net::registry::Fetched::Found(p)) => Arc::new(p),
        Ok(crate::net::registry::Fetched::NotFound) => {
            let e = Error::NotFound(format!("{name} is not in {registry}"));
            for p in misses {
                let mut r = failed_report(p, &e);
                r.registry = Some(registry.clone());
                r.skipped.clear();
                r.checks.resolve = crate::report::CheckState::Failed;
                r.finish();
                out.push((r, false));
            }
            return (out, None);
        }
        Err(e) => {
            for p in misses {
                let mut r = failed_report(p, &e);
                r.registry = Some(registry.clone());
                out.push((r, false));
            }
            return (out, None);
        }
    };
    let packument = Some(packument);
    for p in misses {
        let tarball = match (&opts.npm_cache, &p.integrity) {
            (Some(dir), Some(i)) => cached_tarball(dir, i).await,
            _ => None,
        };
        let req = Request {
            spec: format!("{}@{}", p.name, p.version),
            registry: Some(registry.clone()),
            attestations_registry: opts.attestations_registry.clone(),
            attestations: None,
            tarball,
            max_tarball_bytes: None,
            lock_integrity: p.integrity.clone(),
            lock_resolved: p.resolved.clone(),
            // Without a sha512 in the lockfile (sha1-only entries of old lockfiles; yarn berry,
            // which keeps only its own zip checksum) nothing binds the install to the bytes the
            // attestations name: download and hash them instead.
            skip_download: lock_sha512(p),
            packument: packument.clone(),
        };
        let mut report = match verify::verify(ctx, &req).await {
            Ok(r) => r,
            Err(e) => failed_report(p, &e),
        };
        if report.version.is_none() {
            report.version = Some(p.version.clone());
        }
        if p.integrity.is_none() && p.checksum.is_some() {
            report.skip(
                "lockfile",
                "yarn berry's checksum is over yarn's own archive, not the npm tarball: the \
                 tarball was downloaded and checked against the registry instead (yarn checks \
                 its checksum when it installs)",
            );
        }
        if let (Some(c), Some(evidence)) = (&opts.cache, lock_evidence(p)) {
            let key = key_for(p, &evidence, &registry, &att, &ctx.trust.fingerprint);
            // Best effort: a failed write costs a re-check next time.
            let _ = c.put(&key, &report).await;
        }
        out.push((report, false));
    }
    (out, packument)
}

/// The packument for `pkgs`: the abbreviated form when [`Options::abbreviated`] allows it and
/// it answers every question, else the full one. The abbreviated form has no `time`; a
/// version signed by a key that expires needs its publish time (a signature made after the
/// expiry does not count), so it needs the full form.
async fn packument_for(
    ctx: &Context,
    registry: &str,
    name: &str,
    pkgs: &[&LockedPackage],
    opts: &Options,
) -> Result<crate::net::registry::Fetched<serde_json::Value>> {
    use crate::net::registry::{Fetched, Form};
    if !opts.abbreviated {
        return ctx.client.packument(registry, name).await;
    }
    let doc = ctx
        .client
        .packument_as(registry, name, Form::Abbreviated)
        .await?;
    let Fetched::Found(d) = &doc else {
        return Ok(doc);
    };
    // Without `time`, verify checks key validity at the packument's `modified` (no version is
    // newer): enough when every signing key was still valid then.
    let modified = d
        .get("modified")
        .and_then(serde_json::Value::as_str)
        .and_then(|m| m.parse::<jiff::Timestamp>().ok());
    let needs_time = d.get("time").is_none()
        && pkgs.iter().any(|p| {
            let Some(m) = d.get("versions").and_then(|v| v.get(&p.version)) else {
                return true;
            };
            let Ok(sigs) = crate::sigstore::registry_sig::signatures(m) else {
                return true;
            };
            sigs.iter().any(|s| {
                ctx.trust.npm_keys.iter().any(|k| {
                    k.key_id == s.keyid
                        && k.valid_until.is_some()
                        && !modified.is_some_and(|t| k.valid_at(t))
                })
            })
        });
    if needs_time {
        ctx.client.packument(registry, name).await
    } else {
        Ok(doc)
    }
}

/// Whether the lockfile pins this package with a sha512, the digest attestations name.
fn lock_sha512(p: &LockedPackage) -> bool {
    p.integrity
        .as_deref()
        .and_then(|i| Integrity::parse(i).ok())
        .is_some_and(|i| matches!(i.sha512(), Ok(Some(_))))
}

/// What the lockfile pins a package's bytes with, for the cache key: its SRI, else yarn
/// berry's checksum (yarn refuses an install whose archive does not match it). `None`: nothing
/// pins the bytes, so a verdict cannot be reused.
pub(crate) fn lock_evidence(p: &LockedPackage) -> Option<String> {
    match (&p.integrity, &p.checksum) {
        (Some(i), _) if !i.is_empty() => Some(i.clone()),
        (_, Some(c)) if !c.is_empty() => Some(format!("yarn-checksum:{c}")),
        _ => None,
    }
}

fn key_for<'a>(
    p: &'a LockedPackage,
    integrity: &'a str,
    registry: &'a str,
    attestations: &'a str,
    trust: &'a str,
) -> cache::Key<'a> {
    cache::Key {
        name: &p.name,
        version: &p.version,
        integrity,
        registry,
        attestations,
        trust,
    }
}

fn failed_report(p: &LockedPackage, e: &Error) -> Report {
    let mut r = Report::new(&format!("{}@{}", p.name, p.version), &p.name);
    r.version = Some(p.version.clone());
    r.integrity = p.integrity.clone();
    let message = e.to_string();
    r.skip("resolve", message.clone());
    r.problems.push(Problem::new(e.code(), message));
    r.finish();
    r
}

/// The tarball npm cached for this integrity (`_cacache/content-v2/sha512/…`), if any.
pub(crate) async fn cached_tarball(npm_cache: &std::path::Path, sri: &str) -> Option<Vec<u8>> {
    let i = crate::npm::integrity::Integrity::parse(sri).ok()?;
    let h = i.sha512().ok()??;
    let hex = hex::encode(&h.digest);
    let path = npm_cache
        .join("_cacache")
        .join("content-v2")
        .join("sha512")
        .join(&hex[..2])
        .join(&hex[2..4])
        .join(&hex[4..]);
    crate::files::read_capped_async(path, MAX_CACHED_TARBALL)
        .await
        .ok()
}

/// Where the tree to audit comes from.
pub enum Tree {
    /// A lockfile's path and text (read, not yet parsed).
    Lockfile { path: PathBuf, text: String },
    /// The project directory whose `node_modules` is walked (no lockfile).
    NodeModules(PathBuf),
}

impl Tree {
    /// Parse the lockfile or walk `node_modules`.
    pub fn load(&self) -> Result<Lockfile> {
        match self {
            Tree::Lockfile { path, text } => crate::lockfile::parse_text(path, text),
            Tree::NodeModules(dir) => crate::lockfile::walk_node_modules(dir),
        }
    }
}

/// The tree to audit: the given lockfile (or a directory holding one), else the one in `cwd`,
/// else the hidden lockfile of `cwd/node_modules` (npm, pnpm), else a walk of `node_modules`.
pub fn find_tree(cwd: &std::path::Path, lockfile: Option<&std::path::Path>) -> Result<Tree> {
    let read = |path: PathBuf| -> Result<Tree> {
        let text = crate::lockfile::read_text(&path)?;
        Ok(Tree::Lockfile { path, text })
    };
    if let Some(l) = lockfile {
        let l = cwd.join(l);
        if l.is_dir() {
            return find_tree(&l, None);
        }
        return read(l);
    }
    if let Some(l) = crate::lockfile::find(cwd) {
        return read(l);
    }
    // Without a lockfile, what the package manager recorded of the installed tree (it has
    // the integrities a bare walk lacks): npm's hidden lockfile, pnpm's virtual-store lockfile.
    for hidden in [
        cwd.join("node_modules").join(".package-lock.json"),
        cwd.join("node_modules").join(".pnpm").join("lock.yaml"),
    ] {
        if crate::lockfile::exists(&hidden) {
            return read(hidden);
        }
    }
    if cwd.join("node_modules").is_dir() {
        return Ok(Tree::NodeModules(cwd.to_path_buf()));
    }
    Err(Error::InvalidArg(format!(
        "no lockfile (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, bun.lock) and no node_modules in {}",
        cwd.display()
    )))
}

/// [`find_tree`], parsed.
pub fn load_tree(cwd: &std::path::Path, lockfile: Option<&std::path::Path>) -> Result<Lockfile> {
    find_tree(cwd, lockfile)?.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn skipped(name: &str, reason: &str) -> SkippedPackage {
        SkippedPackage {
            name: name.into(),
            version: "1.0.0".into(),
            reason: reason.into(),
        }
    }

    /// A reason every registry package gives (a mirror's) is listed once with its count; a
    /// package with a reason of its own, and every package not from a registry, stays.
    #[test]
    fn shared_reasons_are_listed_once() {
        let mirror = "ERR_PROV_REGISTRY_SIGNATURE_MISSING: the registry serves no dist.signatures";
        let mut s = Summary {
            skipped: vec![
                skipped("from-git", "git dependency"),
                skipped("other-git", "git dependency"),
                skipped("a", mirror),
                skipped("b", "ERR_PROV_NETWORK: GET /b: 503"),
                skipped("c", mirror),
                skipped("d", mirror),
            ],
            ..Default::default()
        };
        group_shared_reasons(&mut s, 2);
        let names: Vec<&str> = s.skipped.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["from-git", "other-git", "b"]);
        assert_eq!(
            s.skipped_reasons,
            [SkippedReason {
                reason: mirror.into(),
                count: 3
            }]
        );
        // Nothing shared: nothing moves.
        let mut one = Summary {
            skipped: vec![skipped("a", mirror)],
            ..Default::default()
        };
        group_shared_reasons(&mut one, 0);
        assert_eq!(one.skipped.len(), 1);
        assert!(one.skipped_reasons.is_empty());
    }

    fn locked(source: Source, integrity: Option<&str>) -> LockedPackage {
        let mut p = LockedPackage::new("a", "1.0.0", source);
        p.integrity = integrity.map(str::to_string);
        p
    }

    /// Offline, with no cache: every registry package is reported `unverifiable` with the
    /// reason, nothing is `verified`, packages not from a registry are listed as skipped.
    #[test]
    fn offline_nothing_is_verified_and_each_package_says_why() {
        let dir = testdata::path("../data/lockfiles/npm-v2/cyclonedx-demo-package-integrity");
        let lock = load_tree(&dir, None).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut ctx = Context::new(dir.clone(), Arc::new(testdata::trust())).unwrap();
        ctx.client = ctx.client.clone().offline(true);
        let opts = Options::default();
        let result = rt
            .block_on(audit(&ctx, &lock, &opts, Arc::new(|_, _| {})))
            .unwrap();
        assert!(!result.packages.is_empty());
        for r in &result.packages {
            assert_ne!(r.status, Some(Status::Verified), "{}", r.spec);
            assert!(!r.problems.is_empty(), "{}: no reason", r.spec);
        }
        assert_eq!(result.summary.verified, 0);
        assert_eq!(
            result.summary.total,
            result.packages.len() + result.not_from_registry
        );
        // The JSON the binding hands to JavaScript is the result's own serialisation.
        let (json, _) = result_json(&result, Detail::Full).unwrap();
        assert_eq!(json, serde_json::to_string(&result).unwrap());
        let (brief, _) = result_json(&result, Detail::Brief).unwrap();
        assert_eq!(brief_from_json(&json).unwrap(), brief);
    }

    #[test]
    fn only_what_pins_the_bytes_makes_a_verdict_reusable() {
        assert_eq!(lock_evidence(&locked(Source::Registry, None)), None);
        assert_eq!(lock_evidence(&locked(Source::Registry, Some(""))), None);
        let p = locked(Source::Registry, Some("sha512-AAAA"));
        assert_eq!(lock_evidence(&p).as_deref(), Some("sha512-AAAA"));
        assert!(!lock_sha512(&locked(Source::Registry, Some("sha1-AAAA"))));
        let mut berry = locked(Source::Registry, None);
        berry.checksum = Some("10/abc".into());
        assert_eq!(
            lock_evidence(&berry).as_deref(),
            Some("yarn-checksum:10/abc")
        );
    }

    #[test]
    fn packages_not_from_a_registry_are_never_checked_as_if_they_were() {
        assert_eq!(not_verifiable(&Source::Registry), None);
        for s in [
            Source::Git {
                url: "git+https://h.example/r.git".into(),
            },
            Source::File {
                path: "../x".into(),
            },
            Source::Tarball {
                url: "https://h.example/x.tgz".into(),
            },
            Source::Link { path: "x".into() },
            Source::Workspace { path: "w".into() },
        ] {
            assert!(not_verifiable(&s).is_some(), "{s:?}");
        }
        let r = failed_report(
            &locked(Source::Registry, None),
            &Error::Network("offline".into()),
        );
        assert_eq!(r.status, Some(Status::Unverifiable));
        assert_eq!(r.problems[0].code, crate::Code::Network);
    }
}
