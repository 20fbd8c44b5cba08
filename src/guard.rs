//! `guard`: the policy over a whole tree, before anything is installed.
//!
//! 1. Load the policy (`policy::Config`) from the project directory (the lockfile option's
//!    directory, else `cwd`), the tree (`audit::load_tree`) and the previous lockfile: the
//!    explicit one, else git `origin/$GITHUB_BASE_REF` (CI on a pull request), else git `HEAD`.
//! 2. Audit the tree (`audit::audit`, cached).
//! 3. Gather what the rules need: packuments (history, publish times, publishers, scripts) —
//!    a packument that cannot be fetched is noted per rule —, the nearest earlier version's
//!    provenance, fetched and verified cryptographically (not taken from metadata), for
//!    regression and continuity.
//! 4. Read the tarballs of packages new or changed since the previous lockfile (every package
//!    with `scan_all`), registry and remote-tarball dependencies: manifest confusion,
//!    suspicious code, unread install-script targets and entry points, and the install hooks
//!    npm will really run (package.json plus `binding.gyp`).
//! 5. Evaluate the per-version rules (`policy::evaluate`; non-registry dependencies:
//!    `policy::evaluate_non_registry`), then the tree-level signals: dependency confusion,
//!    typosquatting, malware advisories. Apply exceptions.
//! 6. Say what could not be checked and why (`skipped`, counted by rule and reason).

use crate::attestation;
use crate::audit::{self, AuditResult};
use crate::error::{Error, Result};
use crate::integrity::{Algorithm, Integrity};
use crate::lockfile::{Format, LockedPackage, Lockfile, Source};
use crate::policy::{self, Config, Earlier, Finding, Inputs, Level, Note, TarballHooks};
use crate::registry::Fetched;
use crate::report::CheckState;
use crate::verify::Context;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
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

/// Settings that usually come from the CI environment ([`Extra::from_env`]).
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Read every package's tarball, not only those new or changed since the previous
    /// lockfile (`PROV_NATIVE_SCAN_ALL=1`).
    pub scan_all: bool,
    /// The pull request's base branch (`GITHUB_BASE_REF`): without an explicit previous
    /// lockfile, the one at `origin/<base>` is the previous lockfile.
    pub base_ref: Option<String>,
}

impl Extra {
    /// `PROV_NATIVE_SCAN_ALL` (`1`/`true`) and `GITHUB_BASE_REF` (when not empty).
    pub fn from_env() -> Self {
        let scan_all = std::env::var("PROV_NATIVE_SCAN_ALL")
            .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"));
        let base_ref = std::env::var("GITHUB_BASE_REF")
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        Self { scan_all, base_ref }
    }
}

/// The guard's verdict.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardResult {
    pub config: String,
    pub lockfile: String,
    /// The previous lockfile compared with: a path, or `<rev>:<file> (git)`.
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

/// The project directory: the lockfile option's directory (or the directory holding the given
/// lockfile), else `cwd`. The policy file is looked for there.
pub fn project_dir(cwd: &Path, lockfile: Option<&Path>) -> PathBuf {
    match lockfile {
        Some(l) => {
            let l = cwd.join(l);
            if l.is_dir() {
                l
            } else {
                l.parent()
                    .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf)
            }
        }
        None => cwd.to_path_buf(),
    }
}

/// The text of `file` (a lockfile beside `dir`) at git revision `rev`.
fn git_show(dir: &Path, rev: &str, file: &str) -> std::result::Result<String, String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", &format!("{rev}:./{file}")])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err
            .lines()
            .next()
            .unwrap_or("git show failed")
            .trim()
            .to_string());
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

/// The previous lockfile and how to name it: explicit, else git `origin/<base>` when a base
/// branch is known, else git `HEAD`.
fn previous_lockfile(
    cwd: &Path,
    lock: &Lockfile,
    explicit: Option<&Path>,
    base_ref: Option<&str>,
    notes: &mut Vec<Note>,
) -> Result<Option<(Lockfile, String)>> {
    if let Some(p) = explicit {
        let p = cwd.join(p);
        let l = crate::lockfile::parse_file(&p)?;
        return Ok(Some((l, p.display().to_string())));
    }
    if lock.format == Format::NodeModules {
        return Ok(None);
    }
    let (Some(dir), Some(file)) = (
        lock.path.parent(),
        lock.path.file_name().and_then(|f| f.to_str()),
    ) else {
        return Ok(None);
    };
    let mut revs = Vec::new();
    if let Some(b) = base_ref {
        revs.push(format!("origin/{b}"));
    }
    revs.push("HEAD".to_string());
    for rev in revs {
        match git_show(dir, &rev, file) {
            Ok(text) => match crate::lockfile::parse_str(file, &text) {
                Ok(l) => return Ok(Some((l, format!("{rev}:{file} (git)")))),
                Err(e) => notes.push(Note::new(
                    "previous lockfile",
                    format!("the lockfile at git {rev} does not parse ({e})"),
                    "",
                )),
            },
            Err(e) if rev != "HEAD" => notes.push(Note::new(
                "previous lockfile",
                format!(
                    "GITHUB_BASE_REF is set but git {rev}:{file} is not available ({e}; fetch the base branch): compared with HEAD instead"
                ),
                "",
            )),
            Err(_) => {}
        }
    }
    Ok(None)
}

/// Run the guard with [`Extra::from_env`].
pub async fn guard(ctx: &Context, cwd: &Path, opts: &Options) -> Result<GuardResult> {
    guard_with(ctx, cwd, opts, &Extra::from_env()).await
}

/// Run the guard (the steps are in the module docs).
pub async fn guard_with(
    ctx: &Context,
    cwd: &Path,
    opts: &Options,
    extra: &Extra,
) -> Result<GuardResult> {
    let now = jiff::Timestamp::now();
    let mut notes: Vec<Note> = Vec::new();
    // 1.
    let dir = project_dir(cwd, opts.lockfile.as_deref());
    let cfg = {
        let (dir, p) = (dir.clone(), opts.config.clone());
        tokio::task::spawn_blocking(move || Config::load(&dir, p.as_deref()))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    let (lock, previous, prev_notes) = {
        let (cwd, l, pl, base) = (
            cwd.to_path_buf(),
            opts.lockfile.clone(),
            opts.previous_lockfile.clone(),
            extra.base_ref.clone(),
        );
        tokio::task::spawn_blocking(move || -> Result<_> {
            let lock = audit::load_tree(&cwd, l.as_deref())?;
            let mut n = Vec::new();
            let prev = previous_lockfile(&cwd, &lock, pl.as_deref(), base.as_deref(), &mut n)?;
            Ok((lock, prev, n))
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??
    };
    notes.extend(prev_notes);
    let base = previous.as_ref().map(|(_, label)| label.clone());
    if previous.is_none() {
        notes.push(Note::new(
            "majorUpdate, installScripts",
            "no previous lockfile (none given, none committed at git HEAD): no major update can be seen, install scripts are compared with the version published before, and every tarball is read",
            "",
        ));
    }
    // 2.
    let progress: Arc<dyn Fn(usize, usize) + Send + Sync> = Arc::new(|_, _| {});
    let audited = audit::audit(ctx, &lock, &opts.audit, progress).await?;

    // 3.
    let registry_pkgs: Vec<&LockedPackage> = lock
        .packages
        .iter()
        .filter(|p| p.source == Source::Registry)
        .collect();
    let (packuments, packument_errors, fetch_notes) =
        fetch_packuments(ctx, &audited, &registry_pkgs, &opts.audit).await;
    notes.extend(fetch_notes);
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
        notes.push(Note::new(
            "provenanceRegression, provenanceContinuity",
            "the registry serves no attestations (a mirror?), so earlier versions' provenance is unknown; set attestationsRegistry",
            "",
        ));
    }

    // 4. Tarballs: new or changed packages (all with scan_all).
    let prev_lock = previous.as_ref().map(|(l, _)| l);
    let tarball_pkgs: Vec<&LockedPackage> = lock
        .packages
        .iter()
        .filter(|p| matches!(p.source, Source::Registry | Source::Tarball { .. }))
        .collect();
    let (scan_now, unchanged): (Vec<&LockedPackage>, Vec<&LockedPackage>) =
        tarball_pkgs.iter().copied().partition(|p| {
            extra.scan_all
                || prev_lock.is_none_or(|prev| {
                    !prev
                        .packages
                        .iter()
                        .any(|q| q.name == p.name && q.version == p.version && q.source == p.source)
                })
        });
    if !unchanged.is_empty() {
        notes.push(Note::new(
            "manifestConfusion, suspiciousCode",
            format!(
                "{} packages unchanged since {}: tarballs not scanned (scanAll / --scan-all reads them)",
                unchanged.len(),
                base.as_deref().unwrap_or("the previous lockfile")
            ),
            "",
        ));
    }
    for p in &lock.packages {
        let what = match &p.source {
            Source::Git { .. } => "git dependency",
            Source::File { .. } => "local file dependency",
            Source::Link { .. } | Source::Workspace { .. } => "linked local directory",
            Source::Registry | Source::Tarball { .. } => continue,
        };
        if ["manifestConfusion", "suspiciousCode", "installScripts"]
            .iter()
            .any(|r| cfg.level(r, &p.name) != Level::Off)
        {
            notes.push(Note::new(
                "suspiciousCode, installScripts",
                format!("{what}: the guard reads registry and remote tarballs only, so its code and install scripts were not read"),
                format!("{}@{}", p.name, p.version),
            ));
        }
    }
    let scanned = tarball_rules(
        ctx,
        &cfg,
        &scan_now,
        &packuments,
        &packument_errors,
        &opts.audit,
    )
    .await;
    let mut findings = scanned.findings;
    notes.extend(scanned.notes);

    // 5. Per-version rules.
    let mut prev_by_name: HashMap<&str, Vec<&LockedPackage>> = HashMap::new();
    if let Some(prev) = prev_lock {
        for x in &prev.packages {
            prev_by_name.entry(x.name.as_str()).or_default().push(x);
        }
    }
    let reports: HashMap<(&str, &str), &crate::report::Report> = audited
        .packages
        .iter()
        .filter_map(|r| Some(((r.name.as_str(), r.version.as_deref()?), r)))
        .collect();
    for p in &lock.packages {
        if p.source != Source::Registry {
            findings.extend(policy::evaluate_non_registry(
                &cfg,
                p,
                scanned.hooks.get(&(p.name.clone(), p.version.clone())),
            ));
            continue;
        }
        let Some(report) = reports.get(&(p.name.as_str(), p.version.as_str())) else {
            notes.push(Note::new(
                "all rules",
                "no audit report for this package",
                format!("{}@{}", p.name, p.version),
            ));
            continue;
        };
        let previous_version = prev_by_name
            .get(p.name.as_str())
            .and_then(|vs| policy::pair_previous(p, vs));
        let inputs = Inputs {
            locked: p,
            report,
            packument: packuments.get(&p.name).map(|a| a.as_ref()),
            packument_error: packument_errors.get(&p.name).map(String::as_str),
            previous_version,
            earlier: earlier.get(&(p.name.clone(), p.version.clone())),
            tarball_hooks: scanned.hooks.get(&(p.name.clone(), p.version.clone())),
            now,
        };
        let out = policy::evaluate(&cfg, &inputs);
        findings.extend(out.findings);
        notes.extend(out.notes);
    }
    let (dc, dc_notes) = dependency_confusion(ctx, &cfg, &lock, &dir, &opts.audit).await;
    findings.extend(dc);
    notes.extend(dc_notes);
    let (ts, ts_notes) = typosquats(&cfg, &lock, &packuments, &packument_errors, now)?;
    findings.extend(ts);
    notes.extend(ts_notes);
    let (adv, adv_notes) = {
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
    notes.extend(adv_notes);

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
    // 6.
    Ok(GuardResult {
        config: cfg.source.clone(),
        lockfile: lock.path.display().to_string(),
        previous_lockfile: base,
        audit: audited.summary,
        findings,
        allowed,
        skipped: policy::summarize_notes(&notes),
        errors,
        warnings,
    })
}

/// Packuments for every registry name: those the audit fetched, the rest fetched now (the
/// packument cache makes that a revalidation). Names whose packument could not be had map to
/// a short reason (`offline`, `404 at <registry>`, `<code> from <registry>`) in the second
/// table; the notes give one full error per reason.
async fn fetch_packuments(
    ctx: &Context,
    audited: &AuditResult,
    pkgs: &[&LockedPackage],
    opts: &audit::Options,
) -> (
    HashMap<String, Arc<Value>>,
    HashMap<String, String>,
    Vec<Note>,
) {
    let mut have = audited.packuments.clone();
    let mut errors = HashMap::new();
    let mut examples: std::collections::BTreeMap<String, String> = Default::default();
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
            let r = match ctx.registry_for(&name, reg.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    return (
                        name,
                        Err(("no registry configured".to_string(), e.to_string())),
                    )
                }
            };
            let got = match ctx.client.packument(&r, &name).await {
                Ok(Fetched::Found(v)) => Ok(Arc::new(v)),
                Ok(Fetched::NotFound) => Err((format!("404 at {r}"), String::new())),
                Err(e) => {
                    let full = e.to_string();
                    let kind = if full.contains("offline") {
                        "offline".to_string()
                    } else {
                        format!("{} from {r}", e.code())
                    };
                    Err((kind, full))
                }
            };
            (name, got)
        });
    }
    while let Some(j) = set.join_next().await {
        match j {
            Ok((n, Ok(v))) => {
                have.insert(n, v);
            }
            Ok((n, Err((kind, full)))) => {
                if !full.is_empty() {
                    examples.entry(kind.clone()).or_insert(full);
                }
                errors.insert(n, kind);
            }
            Err(e) => {
                // A task that panicked: its name is unknown here; every name without a
                // packument is noted below.
                let _ = e;
            }
        }
    }
    for p in pkgs {
        if !have.contains_key(&p.name) && !errors.contains_key(&p.name) {
            errors.insert(p.name.clone(), "not fetched".into());
        }
    }
    let notes = examples
        .into_iter()
        .map(|(kind, full)| {
            let n = errors.values().filter(|k| **k == kind).count();
            Note::new(
                "packuments",
                format!("{n} could not be fetched ({kind}), e.g. {full}"),
                "",
            )
        })
        .collect();
    (have, errors, notes)
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

/// `host:port` of a URL (two registries on one host are different registries).
fn host_port(u: &str) -> Option<String> {
    let u = url::Url::parse(u).ok()?;
    Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?))
}

/// Dependency confusion. Private names are the config's `private` list, `.npmrc` scoped
/// registries and workspace packages (the root's, the lockfile's workspaces, and the root
/// package.json `workspaces` globs, which is all yarn classic records). For a private name:
/// 1. a registry package must have been resolved from its configured registry (the scope's,
///    else the default or another configured one); a lockfile without `resolved` URLs
///    (pnpm 9, yarn berry) is noted, not passed;
/// 2. a version like 99.x/999.x is a red flag;
/// 3. the name must not exist on the default registry (a publishable workspace — no
///    `"private": true` — that exists there is only a warning: it may be the project's own).
///
/// Lookup failures and an unknown default registry are noted, never taken as "absent".
async fn dependency_confusion(
    ctx: &Context,
    cfg: &Config,
    lock: &Lockfile,
    dir: &Path,
    opts: &audit::Options,
) -> (Vec<Finding>, Vec<Note>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    if lock
        .packages
        .iter()
        .all(|p| cfg.level("dependencyConfusion", &p.name) == Level::Off)
    {
        return (out, notes);
    }
    let scoped = ctx.client.config().scoped_registries();
    let default_registry = match ctx.registry_for("x", opts.registry.as_deref()) {
        Ok(r) => Some(r),
        Err(e) => {
            notes.push(Note::new(
                "dependencyConfusion",
                format!("the default registry is unknown ({e}): registry hosts and public names not checked"),
                "",
            ));
            None
        }
    };
    let (_, o) = cfg.rule("dependencyConfusion", "");
    let configured: Vec<String> = o.private.clone().unwrap_or_default();
    let workspaces = workspace_names(dir, lock);
    // Only what npm's configuration names counts (no registry host is built in): a private
    // package resolved from anywhere else, a public mirror included, is a finding.
    let known_hosts: Vec<String> = default_registry
        .iter()
        .chain(scoped.iter().map(|(_, r)| r))
        .filter_map(|r| host_port(r))
        .collect();
    let mut public_checked: BTreeSet<String> = BTreeSet::new();
    for p in &lock.packages {
        let lvl = cfg.level("dependencyConfusion", &p.name);
        if lvl == Level::Off {
            continue;
        }
        let id = format!("{}@{}", p.name, p.version);
        let scope_reg = scoped
            .iter()
            .find(|(s, _)| p.name.starts_with(&format!("{s}/")))
            .map(|(_, r)| r.clone());
        let workspace = workspaces.iter().find(|(n, _)| *n == p.name);
        let why_private = if let Some(r) = &scope_reg {
            format!("its scope is configured in .npmrc to come from {r}")
        } else if let Some(x) = configured.iter().find(|x| policy::glob(x, &p.name)) {
            format!("rules.dependencyConfusion.private: {x}")
        } else if let Some((_, dir)) = workspace {
            format!("a workspace package of this project ({dir})")
        } else {
            continue;
        };
        let mut push = |level: Level, message: String, mut evidence: Vec<String>| {
            evidence.push(format!("private because {why_private}"));
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
        // 1. Where a registry package (or a tarball the lockfile pins by URL) came from.
        if matches!(p.source, Source::Registry | Source::Tarball { .. }) {
            match p.resolved.as_deref().map(|r| (r, host_port(r))) {
                Some((r, Some(h))) => {
                    if let Some(reg) = &scope_reg {
                        if host_port(reg).as_deref() != Some(h.as_str()) {
                            push(
                                lvl,
                                format!("resolved from {h}, but its scope is configured to come from {reg}"),
                                vec![format!("lockfile resolved: {r}")],
                            );
                        }
                    } else if !known_hosts.is_empty() && !known_hosts.contains(&h) {
                        push(
                            lvl,
                            format!("private package resolved from {h}, which is not a configured registry"),
                            vec![
                                format!("lockfile resolved: {r}"),
                                format!("configured registries: {}", known_hosts.join(", ")),
                            ],
                        );
                    }
                }
                Some((r, None)) => notes.push(Note::new(
                    "dependencyConfusion",
                    format!("resolved {r:?} is not a URL: registry host not checked"),
                    id.clone(),
                )),
                None => notes.push(Note::new(
                    "dependencyConfusion",
                    format!(
                        "the {} lockfile records no resolved URL: the registry a private package came from could not be checked",
                        lock.format
                    ),
                    id.clone(),
                )),
            }
        }
        // 2. A version made to win resolution.
        if let Ok(v) = nodejs_semver::Version::parse(&p.version) {
            if v.major >= 99 {
                push(
                    lvl,
                    format!("private package at version {}: dependency-confusion packages publish 99.x/999.x to win resolution", p.version),
                    vec![format!("lockfile version: {}", p.version)],
                );
            }
        }
        // 3. The same name on the default (public) registry.
        let Some(default) = default_registry.as_deref() else {
            continue;
        };
        if scope_reg.as_deref() == Some(default) || !public_checked.insert(p.name.clone()) {
            continue;
        }
        match ctx.client.packument(default, &p.name).await {
            Ok(Fetched::Found(doc)) => {
                let versions: Vec<String> = doc
                    .get("versions")
                    .and_then(Value::as_object)
                    .map(|v| v.keys().rev().take(5).cloned().collect())
                    .unwrap_or_default();
                let publishable = workspace.is_some_and(|(_, _)| {
                    scope_reg.is_none()
                        && !configured.iter().any(|x| policy::glob(x, &p.name))
                        && !workspace_is_private(dir, lock, &p.name)
                });
                let mut ev = vec![format!("public versions: {}", versions.join(", "))];
                if let Some(t) = policy::first_published(&doc) {
                    ev.push(format!("first published there: {t}"));
                }
                if publishable {
                    ev.push("the workspace has no \"private\": true, so the public package may be this project's own".into());
                }
                push(
                    if publishable {
                        lvl.min(Level::Warn)
                    } else {
                        lvl
                    },
                    format!("private name {} also exists on {default}", p.name),
                    ev,
                );
            }
            Ok(Fetched::NotFound) => {}
            Err(e) => notes.push(Note::new(
                "dependencyConfusion",
                format!(
                    "could not look the name up on {default} ({e}): public existence not checked"
                ),
                id.clone(),
            )),
        }
    }
    (out, notes)
}

/// What the tarball step found.
#[derive(Default)]
struct Scanned {
    findings: Vec<Finding>,
    notes: Vec<Note>,
    /// Install hooks read from each tarball, by `(name, version)`.
    hooks: HashMap<(String, String), TarballHooks>,
}

/// One read tarball's results.
struct TarballResult {
    p: LockedPackage,
    mismatches: Option<Vec<crate::scan::Finding>>,
    signals: Vec<crate::scan::Finding>,
    unread_others: Vec<String>,
    hooks: TarballHooks,
}

/// Manifest confusion, suspicious code and the install hooks, from the tarballs of `pkgs`
/// (registry packages and remote-tarball dependencies). Bytes come from npm's cache when it
/// has them, else from the registry / URL; they must match the lockfile's integrity.
async fn tarball_rules(
    ctx: &Context,
    cfg: &Config,
    pkgs: &[&LockedPackage],
    packuments: &HashMap<String, Arc<Value>>,
    packument_errors: &HashMap<String, String>,
    opts: &audit::Options,
) -> Scanned {
    const MAX_TARBALL: usize = 64 * 1024 * 1024;
    let mut res = Scanned::default();
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.clamp(1, 16)));
    let mut set = tokio::task::JoinSet::new();
    let mut asked = 0usize;
    for p in pkgs {
        let mc = cfg.level("manifestConfusion", &p.name);
        let sc = cfg.level("suspiciousCode", &p.name);
        let is = cfg.level("installScripts", &p.name);
        if mc == Level::Off && sc == Level::Off && is == Level::Off {
            continue;
        }
        let manifest = packuments
            .get(&p.name)
            .and_then(|d| d.get("versions")?.get(&p.version).cloned());
        if p.source == Source::Registry && manifest.is_none() && mc != Level::Off {
            let why = match packument_errors.get(&p.name) {
                Some(e) => format!("packument unavailable ({e})"),
                None => "this version is not in the packument".to_string(),
            };
            res.notes.push(Note::new(
                "manifestConfusion",
                why,
                format!("{}@{}", p.name, p.version),
            ));
        }
        asked += 1;
        let (ctx, sem, p, npm_cache) = (
            ctx.clone(),
            sem.clone(),
            (*p).clone(),
            opts.npm_cache.clone(),
        );
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let id = format!("{}@{}", p.name, p.version);
            let bytes = match (&npm_cache, &p.integrity) {
                (Some(dir), Some(i)) => audit::cached_tarball(dir, i).await,
                _ => None,
            };
            let bytes = match bytes {
                Some(b) => b,
                None => {
                    let url = match &p.source {
                        Source::Tarball { url } => Some(url.clone()),
                        _ => manifest
                            .as_ref()
                            .and_then(|m| m.pointer("/dist/tarball"))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                            .or_else(|| p.resolved.clone()),
                    }
                    .ok_or_else(|| format!("{id}: no tarball URL"))?;
                    match ctx.client.bytes(&url, MAX_TARBALL).await {
                        Ok(Fetched::Found(b)) => b,
                        Ok(Fetched::NotFound) => return Err(format!("{url}: 404")),
                        Err(e) => return Err(format!("{id}: {e}")),
                    }
                }
            };
            let res = tokio::task::spawn_blocking(move || -> std::result::Result<_, String> {
                if let Some(i) = p.integrity.as_deref() {
                    let want = Integrity::parse(i).map_err(|e| e.to_string())?;
                    crate::integrity::check(&bytes, &want).map_err(|e| format!("{id}: {e}"))?;
                }
                let pkg = crate::tarball::read(&bytes, &crate::tarball::Limits::default())
                    .map_err(|e| format!("{id}: {e}"))?;
                let mismatches = manifest
                    .as_ref()
                    .map(|m| crate::scan::manifest_confusion_package(m, &pkg));
                let mut signals = crate::scan::scan_code(&pkg);
                let (unread, unread_others) = crate::scan::unread_files(&pkg);
                signals.extend(unread);
                Ok(TarballResult {
                    hooks: TarballHooks::of(&pkg),
                    p,
                    mismatches,
                    signals,
                    unread_others,
                })
            })
            .await
            .map_err(|e| e.to_string())?;
            res
        });
    }
    let mut failed = Vec::new();
    while let Some(j) = set.join_next().await {
        let t = match j {
            Ok(Ok(t)) => t,
            Ok(Err(why)) => {
                failed.push(why);
                continue;
            }
            Err(e) => {
                failed.push(e.to_string());
                continue;
            }
        };
        let p = &t.p;
        let id = format!("{}@{}", p.name, p.version);
        let mk = |rule: &str, level: Level, message: String, evidence: Vec<String>| Finding {
            rule: rule.into(),
            level,
            name: p.name.clone(),
            version: p.version.clone(),
            message,
            evidence,
            allowed_by: None,
        };
        let mc = cfg.level("manifestConfusion", &p.name);
        if let Some(mism) = t.mismatches.as_ref().filter(|m| !m.is_empty()) {
            if mc != Level::Off {
                let fields: Vec<&str> = mism
                    .iter()
                    .filter_map(|m| match &m.signal {
                        crate::scan::Signal::ManifestMismatch { field, .. } => Some(field.as_str()),
                        _ => None,
                    })
                    .collect();
                res.findings.push(mk(
                    "manifestConfusion",
                    mc,
                    format!(
                        "the registry manifest and the tarball's package.json differ in {}",
                        fields.join(", ")
                    ),
                    mism.iter().map(|m| m.evidence.clone()).collect(),
                ));
            }
        }
        let sc = cfg.level("suspiciousCode", &p.name);
        for s in &t.signals {
            let level = if s.severity == "error" {
                sc
            } else {
                sc.min(Level::Warn)
            };
            if level == Level::Off {
                continue;
            }
            res.findings.push(mk(
                "suspiciousCode",
                level,
                format!("{} in {}", s.rule, s.file.as_deref().unwrap_or("?")),
                vec![s.evidence.clone()],
            ));
        }
        if sc != Level::Off && !t.unread_others.is_empty() {
            res.notes.push(Note::new(
                "suspiciousCode",
                "files over the per-file read cap or the text budget were not scanned (not install-script targets or entry points)",
                format!("{id} ({})", t.unread_others[..t.unread_others.len().min(3)].join(", ")),
            ));
        }
        res.hooks
            .insert((p.name.clone(), p.version.clone()), t.hooks.clone());
    }
    if !failed.is_empty() {
        failed.sort();
        res.notes.push(Note::new(
            "manifestConfusion, suspiciousCode, installScripts",
            format!(
                "{} of {asked} tarballs not read: {}{}",
                failed.len(),
                failed[..failed.len().min(5)].join("; "),
                if failed.len() > 5 { "; …" } else { "" }
            ),
            "",
        ));
    }
    res
}

/// Names (and install aliases) that imitate a popular package.
///
/// The level follows the package's age, from its packument: a package first published more
/// than [`policy::TYPOSQUAT_OLD_DAYS`] days ago has survived a year of the registry's malware
/// takedowns and is at most a warning; a younger one, or one whose age is unknown (no
/// packument, not from a registry), keeps the rule's level (fail closed). Names in
/// `rules.typosquat.allow` are not checked.
fn typosquats(
    cfg: &Config,
    lock: &Lockfile,
    packuments: &HashMap<String, Arc<Value>>,
    packument_errors: &HashMap<String, String>,
    now: jiff::Timestamp,
) -> Result<(Vec<Finding>, Vec<Note>)> {
    let det = crate::typosquat::Detector::embedded()?;
    let mut out = Vec::new();
    for p in &lock.packages {
        let (lvl, o) = cfg.rule("typosquat", &p.name);
        if lvl == Level::Off {
            continue;
        }
        let allow = o.allow.as_deref().unwrap_or_default();
        for n in std::iter::once(&p.name).chain(p.alias.iter()) {
            if allow.iter().any(|a| policy::glob(a, n)) {
                continue;
            }
            let Some(f) = det.check(n) else {
                continue;
            };
            let mut evidence = vec![f.evidence];
            let first = packuments
                .get(&p.name)
                .and_then(|d| policy::first_published(d));
            let level = match first {
                Some(t) => {
                    let days = (now.as_second() - t.as_second()) / 86400;
                    if days > policy::TYPOSQUAT_OLD_DAYS {
                        evidence.push(format!(
                            "{} first published {t} ({days} days ago): an old package, so a warning (add it to rules.typosquat.allow once reviewed)",
                            p.name
                        ));
                        lvl.min(Level::Warn)
                    } else {
                        evidence.push(format!("{} first published {t} ({days} days ago)", p.name));
                        lvl
                    }
                }
                None => {
                    evidence.push(format!(
                        "first publish time unknown ({}): kept at the rule's level",
                        match (&p.source, packument_errors.get(&p.name)) {
                            (Source::Registry, Some(e)) => format!("packument unavailable: {e}"),
                            (Source::Registry, None) => "the packument has no times".to_string(),
                            _ => "not from a registry".to_string(),
                        }
                    ));
                    lvl
                }
            };
            out.push(Finding {
                rule: "typosquat".into(),
                level,
                name: p.name.clone(),
                version: p.version.clone(),
                message: format!("{n} imitates the popular package {}", f.target),
                evidence,
                allowed_by: None,
            });
            break;
        }
    }
    Ok((out, Vec::new()))
}

/// Package versions named by malware advisories. Policy sources are relative to the policy
/// file, extra ones to `cwd`.
fn advisories(
    cfg: &Config,
    lock: &Lockfile,
    cwd: &Path,
    extra: &[PathBuf],
) -> Result<(Vec<Finding>, Vec<Note>)> {
    let (_, o) = cfg.rule("advisories", "");
    let mut sources: Vec<PathBuf> = o
        .sources
        .unwrap_or_default()
        .iter()
        .map(|s| cfg.dir.join(s))
        .collect();
    sources.extend(extra.iter().map(|s| cwd.join(s)));
    if sources.is_empty() {
        return Ok((
            Vec::new(),
            vec![Note::new("advisories", "no advisory source configured (rules.advisories.sources: OSV directories or zips, package@version lists)", "")],
        ));
    }
    let mut db = crate::advisories::Database::new();
    let mut notes = Vec::new();
    for s in &sources {
        let stats = db
            .load_path(s)
            .map_err(|e| Error::Config(format!("advisory source {}: {e}", s.display())))?;
        for e in stats.errors.iter().take(5) {
            notes.push(Note::new(
                "advisories",
                format!("skipped a record: {e}"),
                "",
            ));
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

fn read_json(p: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(p).ok()?;
    serde_json::from_str(&text).ok()
}

/// `*` within one path segment.
fn segment_match(p: &[u8], n: &[u8]) -> bool {
    match p.split_first() {
        None => n.is_empty(),
        Some((b'*', rest)) => (0..=n.len()).any(|i| segment_match(rest, &n[i..])),
        Some((c, rest)) => n
            .split_first()
            .is_some_and(|(d, nr)| c == d && segment_match(rest, nr)),
    }
}

/// Directories under `base` matching a workspace glob (`packages/*`, `apps/**`, `tool`);
/// `node_modules` and dot directories are never entered. Bounded: 4,096 directories.
fn expand_workspace_glob(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let segs: Vec<&str> = pattern
        .trim_start_matches("./")
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let mut out = Vec::new();
    let mut budget = 4096usize;
    fn walk(dir: &Path, segs: &[&str], out: &mut Vec<PathBuf>, budget: &mut usize, depth: usize) {
        if *budget == 0 || depth > 12 {
            return;
        }
        *budget -= 1;
        let Some((first, rest)) = segs.split_first() else {
            out.push(dir.to_path_buf());
            return;
        };
        if *first == ".." {
            return;
        }
        let subdirs = || -> Vec<(String, PathBuf)> {
            std::fs::read_dir(dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.path())))
                        .filter(|(n, _)| n != "node_modules" && !n.starts_with('.'))
                        .collect()
                })
                .unwrap_or_default()
        };
        if *first == "**" {
            walk(dir, rest, out, budget, depth + 1);
            for (_, p) in subdirs() {
                walk(&p, segs, out, budget, depth + 1);
            }
        } else if first.contains('*') {
            for (n, p) in subdirs() {
                if segment_match(first.as_bytes(), n.as_bytes()) {
                    walk(&p, rest, out, budget, depth + 1);
                }
            }
        } else {
            let p = dir.join(first);
            if p.is_dir() {
                walk(&p, rest, out, budget, depth + 1);
            }
        }
    }
    walk(base, &segs, &mut out, &mut budget, 0);
    out
}

/// Workspace directories: the lockfile's, plus the root package.json `workspaces` globs
/// (an array, or `{ "packages": [...] }`), relative to the lockfile's directory.
fn workspace_dirs(dir: &Path, lock: &Lockfile) -> (PathBuf, Vec<PathBuf>) {
    let base = lock
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
    let base = if lock.format == Format::NodeModules {
        lock.path.clone()
    } else {
        base
    };
    let mut dirs: Vec<PathBuf> = vec![base.clone()];
    dirs.extend(lock.workspaces.iter().map(|w| base.join(w)));
    if let Some(root) = read_json(&base.join("package.json")) {
        let globs = match root.get("workspaces") {
            Some(Value::Array(a)) => a.clone(),
            Some(Value::Object(o)) => o
                .get("packages")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for g in globs.iter().filter_map(Value::as_str) {
            if g.starts_with('!') {
                continue;
            }
            dirs.extend(expand_workspace_glob(&base, g));
        }
    }
    dirs.sort();
    dirs.dedup();
    (base, dirs)
}

/// Names of the workspace packages (and the root), with the directory they are in:
/// private by construction.
fn workspace_names(dir: &Path, lock: &Lockfile) -> Vec<(String, String)> {
    let (base, dirs) = workspace_dirs(dir, lock);
    let mut out = Vec::new();
    for d in dirs {
        if let Some(n) = read_json(&d.join("package.json"))
            .as_ref()
            .and_then(|v| v.get("name"))
            .and_then(Value::as_str)
        {
            let rel = d
                .strip_prefix(&base)
                .map(|r| r.display().to_string())
                .unwrap_or_else(|_| d.display().to_string());
            out.push((n.to_string(), if rel.is_empty() { ".".into() } else { rel }));
        }
    }
    out
}

/// Whether the workspace package named `name` says `"private": true`.
fn workspace_is_private(dir: &Path, lock: &Lockfile, name: &str) -> bool {
    let (_, dirs) = workspace_dirs(dir, lock);
    dirs.iter().any(|d| {
        read_json(&d.join("package.json")).is_some_and(|v| {
            v.get("name").and_then(Value::as_str) == Some(name)
                && v.get("private") == Some(&Value::Bool(true))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data")
            .join(rel)
    }

    #[test]
    fn yarn_classic_workspaces_from_package_json_globs() {
        let dir = data("lockfiles/yarn-v1/excalidraw");
        let lock = crate::lockfile::parse_file(&dir.join("yarn.lock")).unwrap();
        assert!(
            lock.workspaces.is_empty(),
            "yarn classic records no workspaces"
        );
        let names: Vec<String> = workspace_names(&dir, &lock)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        for n in [
            "excalidraw-monorepo",
            "excalidraw-app",
            "@excalidraw/excalidraw",
            "@excalidraw/element",
            "with-nextjs",
            "with-script-in-browser",
        ] {
            assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
        }
        // `dev-docs` is not in the workspaces globs.
        assert!(!names.iter().any(|x| x == "docs"), "{names:?}");
        assert!(workspace_is_private(&dir, &lock, "excalidraw-app"));
        assert!(!workspace_is_private(&dir, &lock, "@excalidraw/element"));
    }

    #[test]
    fn globs_stay_inside_and_skip_node_modules() {
        let t = std::env::temp_dir().join(format!("prov-native-ws-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&t);
        for d in ["a/x", "a/node_modules/y", "b/c/d", ".hidden/z"] {
            std::fs::create_dir_all(t.join(d)).unwrap();
        }
        let rel = |v: Vec<PathBuf>| -> Vec<String> {
            let mut v: Vec<String> = v
                .into_iter()
                .map(|p| p.strip_prefix(&t).unwrap().display().to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(rel(expand_workspace_glob(&t, "a/*")), vec!["a/x"]);
        assert_eq!(rel(expand_workspace_glob(&t, "../*")), Vec::<String>::new());
        assert!(rel(expand_workspace_glob(&t, "**")).contains(&"b/c/d".to_string()));
        assert!(!rel(expand_workspace_glob(&t, "**"))
            .iter()
            .any(|p| p.contains("node_modules") || p.contains(".hidden")));
        let _ = std::fs::remove_dir_all(&t);
    }

    #[test]
    fn project_dir_follows_the_lockfile_option() {
        let d = data("lockfiles/npm-v3/uptime-kuma");
        assert_eq!(project_dir(Path::new("/x"), Some(&d)), d);
        assert_eq!(
            project_dir(Path::new("/x"), Some(&d.join("package-lock.json"))),
            d
        );
        assert_eq!(project_dir(Path::new("/x"), None), PathBuf::from("/x"));
    }
}
