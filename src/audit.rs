//! `audit`: verify every package of a dependency tree.
//!
//! 1. Read the tree: a lockfile (any format `lockfile` knows) or, without one, `node_modules`.
//! 2. Registry packages are verified; git, file, tarball-URL and linked packages cannot carry
//!    registry signatures or provenance and are listed in `summary.skipped` with the reason.
//! 3. Each `name@version` is verified once (`verify::verify` with the lockfile's integrity as
//!    evidence, no tarball download; bytes in the npm cache are hashed when present). Packages
//!    of one name share one packument fetch.
//! 4. Bounded concurrency over one HTTP client (keep-alive, retries with backoff and jitter).
//!    A package whose registry fails (404, 5xx, timeout) becomes `unverifiable` with the
//!    reason; the run goes on.
//! 5. With a cache, `verified`/`unsigned` results are stored under a content key (see
//!    `cache`), so an unchanged tree re-audits without network or signature checks.

use crate::cache::{self, Cache};
use crate::error::{Error, Result};
use crate::lockfile::{LockedPackage, Lockfile, Source};
use crate::report::{Problem, Report, Status};
use crate::verify::{self, Context, Request};
use serde::Serialize;
use std::collections::BTreeMap;
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
}

/// A package that was not verified, and why.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedPackage {
    pub name: String,
    pub version: String,
    pub reason: String,
}

/// Counts by status.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub total: usize,
    pub verified: usize,
    pub unsigned: usize,
    pub invalid: usize,
    pub unverifiable: usize,
    /// Packages not verified: not from a registry, or unverifiable (with the reason).
    pub skipped: Vec<SkippedPackage>,
    /// Reports served from the cache.
    pub cached: usize,
}

/// The result of an audit.
#[derive(Debug, Clone, Serialize)]
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
    pub packuments: std::collections::HashMap<String, Arc<serde_json::Value>>,
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

/// Audit a parsed lockfile. `progress(done, total)` is called after each package.
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
    let mut groups: BTreeMap<String, Vec<LockedPackage>> = BTreeMap::new();
    for p in &lock.packages {
        match not_verifiable(&p.source) {
            Some(reason) => summary.skipped.push(SkippedPackage {
                name: p.name.clone(),
                version: p.version.clone(),
                reason,
            }),
            None => groups.entry(p.name.clone()).or_default().push(p.clone()),
        }
    }
    let total: usize = groups.values().map(Vec::len).sum();
    let done = Arc::new(AtomicUsize::new(0));
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let opts = Arc::new(opts.clone());
    let mut set = tokio::task::JoinSet::new();
    for (name, pkgs) in groups {
        let (ctx, opts, sem, done, progress) = (
            ctx.clone(),
            opts.clone(),
            sem.clone(),
            done.clone(),
            progress.clone(),
        );
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let (out, doc) = audit_name(&ctx, &name, &pkgs, &opts).await;
            let n = done.fetch_add(pkgs.len(), Ordering::Relaxed) + pkgs.len();
            progress(n, total);
            (name, out, doc)
        });
    }
    let mut packages: Vec<(Report, bool)> = Vec::with_capacity(total);
    let mut packuments = std::collections::HashMap::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((name, reports, doc)) => {
                packages.extend(reports);
                if let Some(d) = doc {
                    packuments.insert(name, d);
                }
            }
            Err(e) => return Err(Error::Internal(format!("audit worker: {e}"))),
        }
    }
    packages.sort_by(|(a, _), (b, _)| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
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
    Ok(AuditResult {
        lockfile: lock.path.display().to_string(),
        format: lock.format.to_string(),
        summary,
        packages: packages.into_iter().map(|(r, _)| r).collect(),
        packuments,
    })
}

/// `audit`, as JSON text, with a whole-tree cache in front: an unchanged tree (same packages,
/// integrities, registries, attestation source and trust material) whose packages were all
/// `verified` or `unsigned` is answered from one authenticated entry.
pub async fn audit_json(
    ctx: &Context,
    lock: &Lockfile,
    opts: &Options,
    progress: Arc<dyn Fn(usize, usize) + Send + Sync>,
) -> Result<String> {
    let key = match &opts.cache {
        Some(_) => {
            let packages = serde_json::to_string(&lock.packages)
                .map_err(|e| Error::Internal(e.to_string()))?;
            let mut registries: Vec<String> = ctx
                .client
                .config()
                .scoped_registries()
                .into_iter()
                .map(|(s, r)| format!("{s}={r}"))
                .collect();
            registries.push(
                ctx.registry_for("x", opts.registry.as_deref())
                    .unwrap_or_default(),
            );
            Some(crate::cache::tree_key(&[
                &packages,
                &registries.join(" "),
                opts.attestations_registry.as_deref().unwrap_or(""),
                &ctx.trust.fingerprint,
                &lock.path.display().to_string(),
            ]))
        }
        None => None,
    };
    if let (Some(c), Some(k)) = (&opts.cache, &key) {
        if let Some(json) = c.get_tree(k).await {
            let n = lock.packages.len();
            progress(n, n);
            return Ok(json);
        }
    }
    let mut result = audit(ctx, lock, opts, progress).await?;
    let text = serde_json::to_string(&result).map_err(|e| Error::Internal(e.to_string()))?;
    let cacheable = result
        .packages
        .iter()
        .all(|r| matches!(r.status, Some(Status::Verified | Status::Unsigned)));
    if let (Some(c), Some(k), true) = (&opts.cache, &key, cacheable) {
        // Stored as a warm run will report it: every package from the cache.
        result.summary.cached = result.packages.len();
        if let Ok(stored) = serde_json::to_string(&result) {
            let _ = c.put_tree(k, &stored).await;
        }
    }
    Ok(text)
}

/// Every version of one package name. Returns (report, served from cache) and the
/// packument if one was fetched.
async fn audit_name(
    ctx: &Context,
    name: &str,
    pkgs: &[LockedPackage],
    opts: &Options,
) -> (Vec<(Report, bool)>, Option<Arc<serde_json::Value>>) {
    let registry = match ctx.registry_for(name, opts.registry.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            let out = pkgs.iter().map(|p| (failed_report(p, &e), false)).collect();
            return (out, None);
        }
    };
    let att = opts.attestations_registry.clone().unwrap_or_default();

    let mut out = Vec::with_capacity(pkgs.len());
    let mut misses = Vec::new();
    for p in pkgs {
        let integrity = p.integrity.clone().unwrap_or_default();
        let key = key_for(p, &integrity, &registry, &att, &ctx.trust.fingerprint);
        let hit = match &opts.cache {
            Some(c) if !integrity.is_empty() => c.get(&key).await,
            _ => None,
        };
        match hit {
            Some(r) => out.push((r, true)),
            None => misses.push(p),
        }
    }
    if misses.is_empty() {
        return (out, None);
    }
    let packument = match ctx.client.packument(&registry, name).await {
        Ok(crate::registry::Fetched::Found(p)) => Arc::new(p),
        Ok(crate::registry::Fetched::NotFound) => {
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
            // Without a lockfile integrity (yarn berry keeps only its own zip checksum) nothing
            // binds the install to the registry's bytes: download and hash them instead.
            skip_download: p.integrity.is_some(),
            packument: packument.clone(),
        };
        let mut report = match verify::verify(ctx, &req).await {
            Ok(r) => r,
            Err(e) => failed_report(p, &e),
        };
        if report.version.is_none() {
            report.version = Some(p.version.clone());
        }
        if let (Some(c), Some(i)) = (&opts.cache, &p.integrity) {
            let key = key_for(p, i, &registry, &att, &ctx.trust.fingerprint);
            // Best effort: a failed write costs a re-check next time.
            let _ = c.put(&key, &report).await;
        }
        out.push((report, false));
    }
    (out, packument)
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
    r.problems.push(Problem::from(e));
    r.skip("resolve", e.to_string());
    r.finish();
    r
}

/// The tarball npm cached for this integrity (`_cacache/content-v2/sha512/…`), if any.
pub(crate) async fn cached_tarball(npm_cache: &std::path::Path, sri: &str) -> Option<Vec<u8>> {
    let i = crate::integrity::Integrity::parse(sri).ok()?;
    let h = i.get(crate::integrity::Algorithm::Sha512)?;
    let hex = hex::encode(&h.digest);
    let path = npm_cache
        .join("_cacache")
        .join("content-v2")
        .join("sha512")
        .join(&hex[..2])
        .join(&hex[2..4])
        .join(&hex[4..]);
    let meta = tokio::fs::metadata(&path).await.ok()?;
    if meta.len() > MAX_CACHED_TARBALL {
        return None;
    }
    tokio::fs::read(&path).await.ok()
}

/// The tree to audit: the given lockfile, else the one in `cwd`, else `cwd/node_modules`.
pub fn load_tree(cwd: &std::path::Path, lockfile: Option<&std::path::Path>) -> Result<Lockfile> {
    if let Some(l) = lockfile {
        let l = cwd.join(l);
        if l.is_dir() {
            return load_tree(&l, None);
        }
        return crate::lockfile::parse_file(&l);
    }
    if let Some(l) = crate::lockfile::find(cwd) {
        return crate::lockfile::parse_file(&l);
    }
    if cwd.join("node_modules").is_dir() {
        return crate::lockfile::walk_node_modules(cwd);
    }
    Err(Error::InvalidArg(format!(
        "no lockfile (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, bun.lock) and no node_modules in {}",
        cwd.display()
    )))
}
