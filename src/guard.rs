//! `guard`: the policy over a whole tree, before anything is installed.
//!
//! 1. Load the policy (`policy::Config`), the tree (`audit::load_tree`) and the previous
//!    lockfile (explicit path, else the lockfile at git `HEAD`).
//! 2. Audit the tree (`audit::audit`, cached).
//! 3. Gather what the rules need: packuments (history, publish times, publishers, scripts),
//!    the nearest earlier version's provenance — fetched and verified cryptographically, not
//!    taken from metadata — for regression and continuity, and dependency-confusion facts.
//! 4. Evaluate every rule per package (`policy::evaluate`), plus the tree-level signals
//!    (typosquatting, dependency confusion, malware advisories, install scripts, tarball
//!    scans), then apply exceptions.
//! 5. Say what could not be checked and why (`skipped`).

use crate::attestation;
use crate::audit::{self, AuditResult};
use crate::error::{Error, Result};
use crate::integrity::{Algorithm, Integrity};
use crate::lockfile::{LockedPackage, Lockfile, Source};
use crate::policy::{self, Config, Earlier, Finding, Inputs, Level};
use crate::registry::Fetched;
use crate::report::CheckState;
use crate::verify::Context;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How to guard.
#[derive(Clone, Default)]
pub struct Options {
    pub audit: audit::Options,
    pub lockfile: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub previous_lockfile: Option<PathBuf>,
    /// Advisory sources besides the policy's `rules.advisories.sources`.
    pub advisories: Vec<PathBuf>,
}

/// The guard's verdict.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardResult {
    pub config: String,
    pub lockfile: String,
    pub previous_lockfile: Option<String>,
    pub audit: audit::Summary,
    /// Findings not allowed by an exception, errors first.
    pub findings: Vec<Finding>,
    /// Findings an exception allows.
    pub allowed: Vec<Finding>,
    /// What could not be checked, and why.
    pub skipped: Vec<String>,
    pub errors: usize,
    pub warnings: usize,
}

/// The lockfile at git `HEAD`, if `dir` is in a git work tree and the file is committed.
fn previous_from_git(lock: &Path) -> Option<Lockfile> {
    let dir = lock.parent()?;
    let file = lock.file_name()?.to_str()?;
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", &format!("HEAD:./{file}")])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    crate::lockfile::parse_str(file, &text).ok()
}

/// Run the guard.
pub async fn guard(ctx: &Context, cwd: &Path, opts: &Options) -> Result<GuardResult> {
    let now = jiff::Timestamp::now();
    let cfg = {
        let (cwd, p) = (cwd.to_path_buf(), opts.config.clone());
        tokio::task::spawn_blocking(move || Config::load(&cwd, p.as_deref()))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    let (lock, previous) = {
        let (cwd, l, pl) = (
            cwd.to_path_buf(),
            opts.lockfile.clone(),
            opts.previous_lockfile.clone(),
        );
        tokio::task::spawn_blocking(move || -> Result<(Lockfile, Option<Lockfile>)> {
            let lock = audit::load_tree(&cwd, l.as_deref())?;
            let prev = match pl {
                Some(p) => Some(crate::lockfile::parse_file(&cwd.join(p))?),
                None => previous_from_git(&lock.path),
            };
            Ok((lock, prev))
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??
    };
    let mut skipped = Vec::new();
    if previous.is_none() {
        skipped.push(
            "majorUpdate: no previous lockfile (none given and none committed at git HEAD)".into(),
        );
    }
    let progress: Arc<dyn Fn(usize, usize) + Send + Sync> = Arc::new(|_, _| {});
    let audited = audit::audit(ctx, &lock, &opts.audit, progress).await?;

    let registry_pkgs: Vec<&LockedPackage> = lock
        .packages
        .iter()
        .filter(|p| p.source == Source::Registry)
        .collect();
    let packuments = fetch_packuments(ctx, &audited, &registry_pkgs, &opts.audit).await;
    let earlier = earlier_provenance(
        ctx,
        &cfg,
        &audited,
        &registry_pkgs,
        &packuments,
        &opts.audit,
    )
    .await;

    if opts.audit.attestations_registry.is_none()
        && audited.packages.iter().any(|r| {
            r.problems
                .iter()
                .any(|p| p.code == "ERR_PROV_ATTESTATIONS_UNAVAILABLE")
        })
    {
        skipped.push(
            "provenanceRegression, provenanceContinuity: the registry serves no attestations (a mirror?), so earlier versions' provenance is unknown; set attestationsRegistry".into(),
        );
    }

    let prev_versions: HashMap<&str, Vec<&str>> = previous
        .as_ref()
        .map(|p| {
            let mut m: HashMap<&str, Vec<&str>> = HashMap::new();
            for x in &p.packages {
                m.entry(x.name.as_str())
                    .or_default()
                    .push(x.version.as_str());
            }
            m
        })
        .unwrap_or_default();
    let reports: HashMap<(&str, &str), &crate::report::Report> = audited
        .packages
        .iter()
        .filter_map(|r| Some(((r.name.as_str(), r.version.as_deref()?), r)))
        .collect();

    let mut findings = Vec::new();
    for p in &registry_pkgs {
        let Some(report) = reports.get(&(p.name.as_str(), p.version.as_str())) else {
            continue;
        };
        // The previous lockfile's version of this name: the same one if it was there,
        // else the highest.
        let previous_version = prev_versions.get(p.name.as_str()).and_then(|vs| {
            if vs.contains(&p.version.as_str()) {
                Some(p.version.as_str())
            } else {
                vs.iter().copied().max_by(|a, b| semver_cmp(a, b))
            }
        });
        let inputs = Inputs {
            locked: p,
            report,
            packument: packuments.get(&p.name).map(|a| a.as_ref()),
            previous_version,
            earlier: earlier.get(&(p.name.clone(), p.version.clone())),
            now,
        };
        findings.extend(policy::evaluate(&cfg, &inputs));
    }
    findings.extend(dependency_confusion(ctx, &cfg, &lock, cwd, &opts.audit).await);
    let changed: Vec<&LockedPackage> = registry_pkgs
        .iter()
        .copied()
        .filter(|p| {
            previous.as_ref().is_none_or(|prev| {
                !prev
                    .packages
                    .iter()
                    .any(|q| q.name == p.name && q.version == p.version)
            })
        })
        .collect();
    let (tf, notes) = tarball_rules(ctx, &cfg, &changed, &packuments, &opts.audit).await;
    findings.extend(tf);
    skipped.extend(notes);
    findings.extend(typosquats(&cfg, &lock)?);
    let (adv, notes) = {
        let (cfg, lock, cwd, extra) = (
            cfg.clone(),
            lock.clone(),
            cwd.to_path_buf(),
            opts.advisories.clone(),
        );
        tokio::task::spawn_blocking(move || advisories(&cfg, &lock, &cwd, &extra))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    findings.extend(adv);
    skipped.extend(notes);

    policy::apply_exceptions(&cfg, &mut findings, now);
    let (allowed, mut findings): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(|f| f.allowed_by.is_some());
    findings.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| (&a.name, &a.version, &a.rule).cmp(&(&b.name, &b.version, &b.rule)))
    });
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let warnings = findings.iter().filter(|f| f.level == Level::Warn).count();
    Ok(GuardResult {
        config: cfg.source.clone(),
        lockfile: lock.path.display().to_string(),
        previous_lockfile: previous.map(|p| p.path.display().to_string()),
        audit: audited.summary,
        findings,
        allowed,
        skipped,
        errors,
        warnings,
    })
}

fn semver_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (
        nodejs_semver::Version::parse(a),
        nodejs_semver::Version::parse(b),
    ) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Packuments for every registry name: those the audit fetched, the rest fetched now (the
/// packument cache makes that a revalidation).
async fn fetch_packuments(
    ctx: &Context,
    audited: &AuditResult,
    pkgs: &[&LockedPackage],
    opts: &audit::Options,
) -> HashMap<String, Arc<Value>> {
    let mut have = audited.packuments.clone();
    let mut names: Vec<String> = pkgs
        .iter()
        .map(|p| p.name.clone())
        .filter(|n| !have.contains_key(n))
        .collect();
    names.sort();
    names.dedup();
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for name in names {
        let (ctx, sem, reg) = (ctx.clone(), sem.clone(), opts.registry.clone());
        set.spawn(async move {
            let _p = sem.acquire_owned().await;
            let r = ctx.registry_for(&name, reg.as_deref()).ok()?;
            match ctx.client.packument(&r, &name).await {
                Ok(Fetched::Found(v)) => Some((name, Arc::new(v))),
                _ => None,
            }
        });
    }
    while let Some(j) = set.join_next().await {
        if let Ok(Some((n, v))) = j {
            have.insert(n, v);
        }
    }
    have
}

/// For each version whose provenance matters to regression or continuity: the nearest
/// earlier version that advertises attestations, with those attestations verified.
async fn earlier_provenance(
    ctx: &Context,
    cfg: &Config,
    audited: &AuditResult,
    pkgs: &[&LockedPackage],
    packuments: &HashMap<String, Arc<Value>>,
    opts: &audit::Options,
) -> HashMap<(String, String), Earlier> {
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for p in pkgs {
        let Some(report) = audited
            .packages
            .iter()
            .find(|r| r.name == p.name && r.version.as_deref() == Some(p.version.as_str()))
        else {
            continue;
        };
        let (reg_lvl, reg_opts) = cfg.rule("provenanceRegression", &p.name);
        let (cont_lvl, _) = cfg.rule("provenanceContinuity", &p.name);
        let wants = (reg_lvl != Level::Off && report.checks.provenance == CheckState::Missing)
            || (cont_lvl != Level::Off && report.checks.provenance == CheckState::Passed);
        let Some(doc) = packuments.get(&p.name).cloned() else {
            continue;
        };
        if !wants {
            continue;
        }
        let prereleases = reg_opts.include_prereleases.unwrap_or(false);
        let (ctx, sem, p) = (ctx.clone(), sem.clone(), (*p).clone());
        let (reg, att) = (opts.registry.clone(), opts.attestations_registry.clone());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            // A mirror strips dist.attestations: read the history where attestations live.
            let doc = match &att {
                Some(a) => match ctx.client.packument(a, &p.name).await {
                    Ok(Fetched::Found(d)) => Arc::new(d),
                    _ => doc,
                },
                None => doc,
            };
            let candidates = policy::earlier_versions(Some(&doc), &p.version, prereleases);
            // The nearest earlier version that advertises attestations.
            let advertised = candidates.into_iter().find(|v| {
                doc.pointer(&format!(
                    "/versions/{}/dist/attestations",
                    v.replace('~', "~0").replace('/', "~1")
                ))
                .is_some()
            });
            let v = advertised?;
            let e = verify_earlier(&ctx, &doc, &p.name, &v, reg.as_deref(), att.as_deref()).await;
            Some(((p.name.clone(), p.version.clone()), e))
        });
    }
    let mut out = HashMap::new();
    while let Some(j) = set.join_next().await {
        if let Ok(Some((k, e))) = j {
            out.insert(k, e);
        }
    }
    out
}

async fn verify_earlier(
    ctx: &Context,
    doc: &Value,
    name: &str,
    version: &str,
    registry: Option<&str>,
    att_registry: Option<&str>,
) -> Earlier {
    let fail = |why: String| Earlier {
        version: version.to_string(),
        provenance: Err(why),
    };
    let m = doc.get("versions").and_then(|v| v.get(version));
    let Some(sri) = m
        .and_then(|m| m.pointer("/dist/integrity"))
        .and_then(Value::as_str)
    else {
        return fail("no dist.integrity".into());
    };
    let Some(sha512) = Integrity::parse(sri)
        .ok()
        .and_then(|i| i.get(Algorithm::Sha512).map(|h| h.digest.clone()))
    else {
        return fail("no sha512 integrity".into());
    };
    let reg = match att_registry {
        Some(a) => a.to_string(),
        None => match ctx.registry_for(name, registry) {
            Ok(r) => r,
            Err(e) => return fail(e.to_string()),
        },
    };
    let fetched = match m
        .and_then(|m| m.pointer("/dist/attestations/url"))
        .and_then(Value::as_str)
        .filter(|_| att_registry.is_none())
    {
        Some(url) => {
            ctx.client
                .get_json(url, crate::registry::MAX_SMALL_JSON_BYTES)
                .await
        }
        None => ctx.client.attestations(&reg, name, version).await,
    };
    let doc = match fetched {
        Ok(Fetched::Found(d)) => d,
        Ok(Fetched::NotFound) => {
            return fail(format!(
                "{name}@{version} advertises attestations but they answer 404"
            ))
        }
        Err(e) => return fail(e.to_string()),
    };
    let target = attestation::Target {
        name: name.to_string(),
        version: version.to_string(),
        sha512,
    };
    let trust = ctx.trust.clone();
    let res = tokio::task::spawn_blocking(move || {
        let entries = attestation::entries(vec![doc])?;
        attestation::verify_all(&entries, &target, &trust)
    })
    .await;
    match res {
        Ok(Ok(v)) => Earlier {
            version: version.to_string(),
            provenance: Ok(v.provenance),
        },
        Ok(Err(e)) => fail(format!("{}: {e}", e.code())),
        Err(e) => fail(e.to_string()),
    }
}

/// Dependency confusion: private names and scopes (config, `.npmrc` scoped registries,
/// workspace packages) must resolve from their registry, must not exist on the default
/// registry, and a version like 99.x/999.x of a private name is a red flag.
async fn dependency_confusion(
    ctx: &Context,
    cfg: &Config,
    lock: &Lockfile,
    cwd: &Path,
    opts: &audit::Options,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let scoped = ctx.client.config().scoped_registries();
    let default_registry = ctx
        .registry_for("x", opts.registry.as_deref())
        .ok()
        .unwrap_or_default();
    let (_, o) = cfg.rule("dependencyConfusion", "");
    let mut private: Vec<String> = o.private.clone().unwrap_or_default();
    private.extend(workspace_names(cwd, lock));
    // Host and port: two registries on one host are different registries.
    let host = |u: &str| {
        let u = url::Url::parse(u).ok()?;
        Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?))
    };
    let known_hosts: Vec<String> = std::iter::once(default_registry.clone())
        .chain(scoped.iter().map(|(_, r)| r.clone()))
        .filter_map(|r| host(&r))
        .collect();
    for p in &lock.packages {
        let (lvl, _) = cfg.rule("dependencyConfusion", &p.name);
        if lvl == Level::Off {
            continue;
        }
        let mut push = |level: Level, message: String, evidence: Vec<String>| {
            out.push(Finding {
                rule: "dependencyConfusion".into(),
                level,
                name: p.name.clone(),
                version: p.version.clone(),
                message,
                evidence,
                allowed_by: None,
            })
        };
        let scope_reg = scoped
            .iter()
            .find(|(s, _)| p.name.starts_with(&format!("{s}/")))
            .map(|(_, r)| r.clone());
        let is_private = scope_reg.is_some() || private.iter().any(|x| policy::glob(x, &p.name));
        let resolved_host = p.resolved.as_deref().and_then(host);
        if p.source == Source::Registry {
            if let (Some(reg), Some(h)) = (&scope_reg, &resolved_host) {
                if host(reg).as_deref() != Some(h.as_str()) {
                    push(
                        lvl,
                        format!(
                            "resolved from {h}, but its scope is configured to come from {reg}"
                        ),
                        vec![format!(
                            "lockfile resolved: {}",
                            p.resolved.as_deref().unwrap_or("")
                        )],
                    );
                }
            } else if let Some(h) = &resolved_host {
                if !known_hosts.iter().any(|k| k == h) && is_private {
                    push(
                        lvl,
                        format!(
                            "private package resolved from {h}, which is not a configured registry"
                        ),
                        vec![],
                    );
                }
            }
        }
        if is_private {
            if let Ok(v) = nodejs_semver::Version::parse(&p.version) {
                if v.major >= 99 {
                    push(
                        lvl,
                        format!("private package at version {}: dependency-confusion packages publish 99.x/999.x to win resolution", p.version),
                        vec![],
                    );
                }
            }
            // Does the name exist on the default (public) registry as well?
            if scope_reg.is_some() || private.iter().any(|x| policy::glob(x, &p.name)) {
                if let Ok(Fetched::Found(doc)) =
                    ctx.client.packument(&default_registry, &p.name).await
                {
                    if scope_reg.as_deref() != Some(default_registry.as_str()) {
                        let versions: Vec<String> = doc
                            .get("versions")
                            .and_then(Value::as_object)
                            .map(|v| v.keys().take(5).cloned().collect())
                            .unwrap_or_default();
                        push(
                            lvl,
                            format!("private name {} also exists on {default_registry}", p.name),
                            vec![format!("public versions: {}", versions.join(", "))],
                        );
                    }
                }
            }
        }
    }
    out
}

/// Manifest confusion and suspicious code, from the tarballs of new or changed packages
/// (all packages when there is no previous lockfile). Bytes come from npm's cache when it
/// has them, else from the registry; they must match the lockfile's integrity.
async fn tarball_rules(
    ctx: &Context,
    cfg: &Config,
    pkgs: &[&LockedPackage],
    packuments: &HashMap<String, Arc<Value>>,
    opts: &audit::Options,
) -> (Vec<Finding>, Vec<String>) {
    const MAX_TARBALL: usize = 64 * 1024 * 1024;
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.clamp(1, 16)));
    let mut set = tokio::task::JoinSet::new();
    for p in pkgs {
        let (mc, _) = cfg.rule("manifestConfusion", &p.name);
        let (sc, _) = cfg.rule("suspiciousCode", &p.name);
        if mc == Level::Off && sc == Level::Off {
            continue;
        }
        let manifest = packuments
            .get(&p.name)
            .and_then(|d| d.get("versions")?.get(&p.version).cloned());
        let (ctx, sem, p, npm_cache) = (
            ctx.clone(),
            sem.clone(),
            (*p).clone(),
            opts.npm_cache.clone(),
        );
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let Some(manifest) = manifest else {
                return Err(format!("{}@{}: no registry manifest", p.name, p.version));
            };
            let bytes = match (&npm_cache, &p.integrity) {
                (Some(dir), Some(i)) => audit::cached_tarball(dir, i).await,
                _ => None,
            };
            let bytes = match bytes {
                Some(b) => b,
                None => {
                    let url = manifest
                        .pointer("/dist/tarball")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or_else(|| p.resolved.clone())
                        .ok_or_else(|| format!("{}@{}: no tarball URL", p.name, p.version))?;
                    match ctx.client.bytes(&url, MAX_TARBALL).await {
                        Ok(Fetched::Found(b)) => b,
                        Ok(Fetched::NotFound) => return Err(format!("{url}: 404")),
                        Err(e) => return Err(format!("{}@{}: {e}", p.name, p.version)),
                    }
                }
            };
            let res = tokio::task::spawn_blocking(move || -> std::result::Result<_, String> {
                if let Some(i) = p.integrity.as_deref() {
                    let want = Integrity::parse(i).map_err(|e| e.to_string())?;
                    crate::integrity::check(&bytes, &want)
                        .map_err(|e| format!("{}@{}: {e}", p.name, p.version))?;
                }
                let pkg = crate::tarball::read(&bytes, &crate::tarball::Limits::default())
                    .map_err(|e| format!("{}@{}: {e}", p.name, p.version))?;
                let mism = crate::scan::manifest_confusion_package(&manifest, &pkg);
                let signals = crate::scan::scan_code(&pkg);
                Ok((p, mism, signals))
            })
            .await
            .map_err(|e| e.to_string())?;
            res
        });
    }
    let mut out = Vec::new();
    let mut failed = Vec::new();
    let mut scanned = 0usize;
    while let Some(j) = set.join_next().await {
        match j {
            Ok(Ok((p, mism, signals))) => {
                scanned += 1;
                let (mc, _) = cfg.rule("manifestConfusion", &p.name);
                if mc != Level::Off && !mism.is_empty() {
                    out.push(Finding {
                        rule: "manifestConfusion".into(),
                        level: mc,
                        name: p.name.clone(),
                        version: p.version.clone(),
                        message: format!(
                            "the registry manifest and the tarball's package.json differ in {}",
                            mism.iter()
                                .filter_map(|m| match &m.signal {
                                    crate::scan::Signal::ManifestMismatch { field, .. } => {
                                        Some(field.as_str())
                                    }
                                    _ => None,
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        evidence: mism.iter().map(|m| m.evidence.clone()).collect(),
                        allowed_by: None,
                    });
                }
                let (sc, _) = cfg.rule("suspiciousCode", &p.name);
                for s in signals {
                    let level = if s.severity == "error" {
                        sc
                    } else {
                        sc.min(Level::Warn)
                    };
                    if level == Level::Off {
                        continue;
                    }
                    out.push(Finding {
                        rule: "suspiciousCode".into(),
                        level,
                        name: p.name.clone(),
                        version: p.version.clone(),
                        message: format!("{} in {}", s.rule, s.file.as_deref().unwrap_or("?")),
                        evidence: vec![s.evidence],
                        allowed_by: None,
                    });
                }
            }
            Ok(Err(why)) => failed.push(why),
            Err(e) => failed.push(e.to_string()),
        }
    }
    let mut notes = Vec::new();
    if !failed.is_empty() {
        notes.push(format!(
            "manifestConfusion/suspiciousCode: {} of {} tarballs not scanned: {}",
            failed.len(),
            failed.len() + scanned,
            failed
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    (out, notes)
}

/// Names (and install aliases) that imitate a popular package.
fn typosquats(cfg: &Config, lock: &Lockfile) -> Result<Vec<Finding>> {
    let det = crate::typosquat::Detector::embedded()?;
    let mut out = Vec::new();
    for p in &lock.packages {
        let (lvl, _) = cfg.rule("typosquat", &p.name);
        if lvl == Level::Off {
            continue;
        }
        for n in std::iter::once(&p.name).chain(p.alias.iter()) {
            if let Some(f) = det.check(n) {
                out.push(Finding {
                    rule: "typosquat".into(),
                    level: lvl,
                    name: p.name.clone(),
                    version: p.version.clone(),
                    message: format!("{n} imitates the popular package {}", f.target),
                    evidence: vec![f.evidence],
                    allowed_by: None,
                });
                break;
            }
        }
    }
    Ok(out)
}

/// Package versions named by malware advisories. Returns findings and notes for `skipped`.
fn advisories(
    cfg: &Config,
    lock: &Lockfile,
    cwd: &Path,
    extra: &[PathBuf],
) -> Result<(Vec<Finding>, Vec<String>)> {
    let (_, o) = cfg.rule("advisories", "");
    let mut sources: Vec<PathBuf> = o
        .sources
        .unwrap_or_default()
        .iter()
        .map(|s| cwd.join(s))
        .collect();
    sources.extend(extra.iter().map(|s| cwd.join(s)));
    if sources.is_empty() {
        return Ok((
            Vec::new(),
            vec!["advisories: no advisory source configured (rules.advisories.sources: OSV directories or zips, package@version lists)".into()],
        ));
    }
    let mut db = crate::advisories::Database::new();
    let mut notes = Vec::new();
    for s in &sources {
        let stats = db
            .load_path(s)
            .map_err(|e| Error::Config(format!("advisory source {}: {e}", s.display())))?;
        for e in stats.errors.iter().take(5) {
            notes.push(format!("advisories: skipped a record: {e}"));
        }
    }
    let mut out = Vec::new();
    for p in &lock.packages {
        let (lvl, _) = cfg.rule("advisories", &p.name);
        if lvl == Level::Off {
            continue;
        }
        let matches = db.check(&p.name, &p.version);
        if let Some(first) = matches.first() {
            out.push(Finding {
                rule: "advisories".into(),
                level: lvl,
                name: p.name.clone(),
                version: p.version.clone(),
                message: format!(
                    "named by {}{}",
                    first.advisory.id,
                    first
                        .advisory
                        .summary
                        .as_deref()
                        .map(|s| format!(": {s}"))
                        .unwrap_or_default()
                ),
                evidence: matches.iter().map(|m| m.evidence.clone()).collect(),
                allowed_by: None,
            });
        }
    }
    Ok((out, notes))
}

/// Names of the workspace packages (and the root): private by construction.
fn workspace_names(cwd: &Path, lock: &Lockfile) -> Vec<String> {
    let base = lock.path.parent().unwrap_or(cwd);
    let mut out = Vec::new();
    for dir in std::iter::once(String::new()).chain(lock.workspaces.iter().cloned()) {
        let pj = base.join(&dir).join("package.json");
        if let Ok(text) = std::fs::read_to_string(&pj) {
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                if let Some(n) = v.get("name").and_then(Value::as_str) {
                    out.push(n.to_string());
                }
            }
        }
    }
    out
}
