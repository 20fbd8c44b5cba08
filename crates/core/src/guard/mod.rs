//! `guard`: the policy over a whole tree, before anything is installed.
//!
//! 1. Load the policy (`policy::Config`) from the project directory (the lockfile option's
//!    directory, else `cwd`), the tree (`audit::load_tree`), the project's workspace packages
//!    and the previous lockfile: the explicit one, else — on a pull request
//!    (`GITHUB_BASE_REF`) — git `origin/<base>` only (HEAD is the merge commit there, with the
//!    new lockfile; without the base branch there is no previous lockfile), else git `HEAD`.
//! 2. Audit the tree (`audit::audit`, cached).
//! 3. Gather what the rules need: packuments (history, publish times, publishers, scripts) —
//!    a packument that cannot be fetched is noted per rule —, each name's publish history
//!    ordered once, the nearest earlier version's provenance, fetched and verified
//!    cryptographically (not taken from metadata), for regression and continuity.
//! 4. Read the tarballs of packages new or changed since the previous lockfile (same name,
//!    version, source, integrity and resolved URL; every package with `scan_all`), registry
//!    and remote-tarball dependencies, each checked against the lockfile's integrity (else
//!    the registry's): manifest confusion, suspicious code, unread install-script targets and
//!    entry points, and the install hooks npm will really run (package.json plus
//!    `binding.gyp`). The reader sees what npm extracts (`tarball`); whatever keeps the guard
//!    from seeing it — bytes that do not match, bytes that could not be fetched, a tarball
//!    over the reader's limits or one npm's extraction of which differs between platforms —
//!    is an error finding.
//! 5. Evaluate the per-version rules (`policy::evaluate`; non-registry dependencies:
//!    `policy::evaluate_non_registry`), then the tree-level signals: dependency confusion,
//!    typosquatting (once per name), malware advisories. Apply exceptions.
//! 6. Say what could not be checked and why (`skipped`, counted by rule and reason).

use crate::audit::{self, AuditResult};
use crate::code::Code;
use crate::error::{Error, Result};
use crate::lockfile::{Format, LockedPackage, Lockfile, Source};
use crate::net::registry::Fetched;
use crate::npm::integrity::{Algorithm, Integrity};
use crate::npm::registry_url::{host_port, same_registry};
use crate::policy::{self, Config, Earlier, Finding, History, Inputs, Level, Note, TarballHooks};
use crate::report::{CheckState, Report};
use crate::sigstore::attestation;
use crate::sigstore::provenance::Provenance;
use crate::verify::Context;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
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

/// Settings that usually come from the CI environment.
pub use crate::env::Ci as Extra;

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

/// The text of `file` (a lockfile beside `dir`) at git revision `rev`, at most
/// [`MAX_LOCKFILE_BYTES`](crate::lockfile::MAX_LOCKFILE_BYTES): git's output is read through a
/// cap, and git is stopped when it writes more (`ERR_PROV_TOO_LARGE`). A revision git cannot
/// show is `ERR_PROV_INVALID_ARG` with git's first line of complaint.
fn git_show(dir: &Path, rev: &str, file: &str) -> Result<String> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    const MAX: u64 = crate::lockfile::MAX_LOCKFILE_BYTES;
    // A revision is never an option (`--output=…` would make git write a file).
    if rev.is_empty() || rev.starts_with('-') {
        return Err(Error::InvalidArg(format!("{rev:?} is not a git revision")));
    }
    let what = format!("git show {rev}:{file}");
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", &format!("{rev}:./{file}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::InvalidArg(format!("git: {e}")))?;
    // stderr on its own thread (bounded), so that a full stderr pipe cannot stall stdout.
    let stderr = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut err).take(64 * 1024).read_to_end(&mut buf);
            // Drain the rest without keeping it.
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            buf
        })
    });
    let mut out = Vec::new();
    let read = match child.stdout.take() {
        Some(stdout) => stdout.take(MAX + 1).read_to_end(&mut out),
        None => Ok(0),
    };
    let over = out.len() as u64 > MAX;
    if over || read.is_err() {
        // Stop git rather than wait for the rest of an oversized blob.
        let _ = child.kill();
    }
    let status = child.wait();
    let err = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if over {
        return Err(Error::TooLarge(format!(
            "{what}: more than {MAX} bytes (the lockfile limit)"
        )));
    }
    read.map_err(|e| Error::InvalidArg(format!("{what}: {e}")))?;
    match status {
        Ok(s) if s.success() => {}
        Ok(_) => {
            let err = String::from_utf8_lossy(&err);
            return Err(Error::InvalidArg(
                err.lines()
                    .next()
                    .unwrap_or("git show failed")
                    .trim()
                    .to_string(),
            ));
        }
        Err(e) => return Err(Error::InvalidArg(format!("{what}: {e}"))),
    }
    String::from_utf8(out).map_err(|e| Error::InvalidArg(format!("{what}: {e}")))
}

/// The previous lockfile and how to name it: explicit, else git `origin/<base>` when a base
/// branch is known (and nothing else: on a pull request HEAD is the merge commit, whose
/// lockfile is the new one), else git `HEAD`.
fn previous_lockfile(
    cwd: &Path,
    lock: &Lockfile,
    explicit: Option<&Path>,
    extra: &Extra,
    notes: &mut Vec<Note>,
) -> Result<Option<(Lockfile, String)>> {
    if let Some(p) = explicit {
        let full = cwd.join(p);
        // `<rev>:<file>` (not a Windows drive letter), when no such file exists: read with git,
        // `<file>` relative to the lockfile's directory.
        let rev_file = p
            .to_str()
            .and_then(|s| s.split_once(':'))
            .filter(|(rev, file)| rev.len() > 1 && !file.is_empty());
        if let (false, Some((rev, file))) = (full.is_file(), rev_file) {
            let dir = lock.path.parent().unwrap_or(cwd);
            let text = git_show(dir, rev, file).map_err(|e| match e {
                Error::InvalidArg(e) => {
                    Error::InvalidArg(format!("--previous-lockfile {rev}:{file}: git: {e}"))
                }
                Error::TooLarge(e) => Error::TooLarge(format!("--previous-lockfile {e}")),
                e => e,
            })?;
            let l = crate::lockfile::parse_str(file, &text)?;
            return Ok(Some((l, format!("{rev}:{file} (git)"))));
        }
        let l = crate::lockfile::parse_file(&full)?;
        return Ok(Some((l, full.display().to_string())));
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
    let rev = match &extra.base {
        Some((rev, _)) => rev.clone(),
        None => "HEAD".to_string(),
    };
    // In CI without a base revision, HEAD's lockfile is usually the one under review (a push
    // build): comparing it with itself would leave every tarball unread.
    // Compared without carriage returns (git may convert line endings on checkout); a
    // working copy that cannot be read counts as the one under review.
    let under_review = |text: &str| {
        let strip = |b: &[u8]| -> Vec<u8> { b.iter().copied().filter(|c| *c != b'\r').collect() };
        extra.base.is_none()
            && extra.ci
            && crate::files::read_capped(&lock.path, crate::lockfile::MAX_LOCKFILE_BYTES)
                .map_or(true, |now| strip(&now) == strip(text.as_bytes()))
    };
    match git_show(dir, &rev, file) {
        Ok(text) if under_review(&text) => {
            notes.push(Note::new(
                "previous lockfile",
                format!("CI is set and the lockfile is the one committed at git HEAD: there is no previous lockfile, so every package counts as new (pass --previous-lockfile <rev>:{file} to compare with another commit)"),
                "",
            ))
        }
        Ok(text) => match crate::lockfile::parse_str(file, &text) {
            Ok(l) => return Ok(Some((l, format!("{rev}:{file} (git)")))),
            Err(e) => notes.push(Note::new(
                "previous lockfile",
                format!("the lockfile at git {rev} does not parse ({e}): there is no previous lockfile, so every package counts as new"),
                "",
            )),
        },
        Err(e) if extra.base.is_some() => notes.push(Note::new(
            "previous lockfile",
            format!(
                "{} is set but git {rev}:{file} is not available ({e}; fetch the base branch, e.g. actions/checkout with fetch-depth: 0): HEAD is the request's merge commit, so there is no previous lockfile and every package counts as new",
                extra.base.as_ref().map_or("", |b| b.1)
            ),
            "",
        )),
        Err(e @ Error::TooLarge(_)) => notes.push(Note::new(
            "previous lockfile",
            format!("the lockfile at git {rev} could not be read ({e}): there is no previous lockfile, so every package counts as new"),
            "",
        )),
        Err(_) => {}
    }
    Ok(None)
}

/// A workspace package of the project (or the root), read once.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    name: String,
    /// Directory relative to the lockfile's (`.` for the root).
    dir: String,
    /// Its package.json says `"private": true`.
    private: bool,
}

/// What step 1 reads from disk.
struct Loaded {
    lock: Lockfile,
    previous: Option<(Lockfile, String)>,
    notes: Vec<Note>,
    /// The lockfile's directory (workspace and link paths are relative to it).
    base: PathBuf,
    workspaces: Vec<Workspace>,
}

/// Run the guard with the process's CI settings ([`crate::env::Ci::from_process`]).
pub async fn guard(ctx: &Context, cwd: &Path, opts: &Options) -> Result<GuardResult> {
    guard_with(ctx, cwd, opts, &Extra::from_process()).await
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::Internal(e.to_string())
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
        Arc::new(
            tokio::task::spawn_blocking(move || Config::load(&dir, p.as_deref()))
                .await
                .map_err(join_error)??,
        )
    };
    let loaded = {
        let (cwd, dir, l, pl, base) = (
            cwd.to_path_buf(),
            dir.clone(),
            opts.lockfile.clone(),
            opts.previous_lockfile.clone(),
            extra.clone(),
        );
        tokio::task::spawn_blocking(move || -> Result<Loaded> {
            let lock = audit::load_tree(&cwd, l.as_deref())?;
            let mut notes = Vec::new();
            let previous = previous_lockfile(&cwd, &lock, pl.as_deref(), &base, &mut notes)?;
            let (base, workspaces) = workspace_names(&dir, &lock)?;
            Ok(Loaded {
                lock,
                previous,
                notes,
                base,
                workspaces,
            })
        })
        .await
        .map_err(join_error)??
    };
    let Loaded {
        lock,
        previous,
        notes: prev_notes,
        base: lock_dir,
        workspaces,
    } = loaded;
    let lock = Arc::new(lock);
    notes.extend(prev_notes);
    let base = previous.as_ref().map(|(_, label)| label.clone());
    if previous.is_none() {
        notes.push(Note::new(
            "majorUpdate, installScripts",
            "no previous lockfile: no major update can be seen, install scripts are compared with the version published before, and every tarball is read",
            "",
        ));
    }
    // 2.
    let progress: Arc<dyn Fn(usize, usize) + Send + Sync> = Arc::new(|_, _| {});
    let audited = audit::audit(ctx, &lock, &opts.audit, progress).await?;
    // One lockfile may lock one name@version as two artifacts (other integrity or URL): the
    // rules see the worse of their reports, so a forged copy cannot borrow a verified one.
    let mut reports: HashMap<(&str, &str), &Report> = HashMap::new();
    for r in &audited.packages {
        let Some(v) = r.version.as_deref() else {
            continue;
        };
        let slot = reports.entry((r.name.as_str(), v)).or_insert(r);
        if status_rank(r) < status_rank(slot) {
            *slot = r;
        }
    }

    // 3.
    let registry_pkgs: Vec<&LockedPackage> = lock
        .packages
        .iter()
        .filter(|p| p.source == Source::Registry)
        .collect();
    let fetched = fetch_packuments(ctx, &audited, &registry_pkgs, &opts.audit).await;
    notes.extend(fetched.notes);
    let (packuments, packument_errors) = (fetched.docs, fetched.errors);
    let histories: HashMap<String, Arc<History>> = packuments
        .iter()
        .map(|(n, d)| (n.clone(), Arc::new(History::of(d))))
        .collect();
    let (earlier, earlier_notes) = earlier_provenance(
        ctx,
        &cfg,
        &reports,
        &registry_pkgs,
        &packuments,
        &histories,
        &opts.audit,
    )
    .await;
    notes.extend(earlier_notes);
    if opts.audit.attestations_registry.is_none()
        && audited.packages.iter().any(|r| {
            r.problems
                .iter()
                .any(|p| p.code == Code::AttestationsUnavailable)
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
    let before: HashSet<PackageKey> = prev_lock
        .map(|prev| prev.packages.iter().map(PackageKey::of).collect())
        .unwrap_or_default();
    let (scan_now, unchanged): (Vec<&LockedPackage>, Vec<&LockedPackage>) = lock
        .packages
        .iter()
        .filter(|p| matches!(p.source, Source::Registry | Source::Tarball { .. }))
        .partition(|p| {
            let k = PackageKey::of(p);
            extra.scan_all || prev_lock.is_none() || !k.pins_bytes() || !before.contains(&k)
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
    for p in &lock.packages {
        let hooks = scanned.hooks.get(&(p.name.clone(), p.version.clone()));
        if p.source != Source::Registry {
            let own = is_own(p, &lock_dir);
            findings.extend(policy::evaluate_non_registry(&cfg, p, hooks, own));
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
            history: histories.get(&p.name).map(|h| h.as_ref()),
            packument_error: packument_errors.get(&p.name).map(String::as_str),
            previous_version,
            earlier: earlier.get(&(p.name.clone(), p.version.clone())),
            tarball_hooks: hooks,
            now,
        };
        let out = policy::evaluate(&cfg, &inputs);
        findings.extend(out.findings);
        notes.extend(out.notes);
    }
    let (dc, dc_notes) = dependency_confusion(
        ctx,
        &cfg,
        &lock,
        &workspaces,
        &packuments,
        &fetched.not_found,
        &opts.audit,
    )
    .await;
    findings.extend(dc);
    notes.extend(dc_notes);
    // Typosquatting and advisories side by side on the blocking pool (the popular-name index
    // is built on first use); an unreadable advisory source fails the guard without waiting
    // for the index.
    let ts = {
        let (cfg, lock, docs, errs) = (
            cfg.clone(),
            lock.clone(),
            packuments.clone(),
            packument_errors.clone(),
        );
        async move {
            tokio::task::spawn_blocking(move || typosquats(&cfg, &lock, &docs, &errs, now))
                .await
                .map_err(join_error)?
        }
    };
    let adv = {
        let (cfg, lock, cwd, extra) = (
            cfg.clone(),
            lock.clone(),
            cwd.to_path_buf(),
            opts.advisories.clone(),
        );
        async move {
            tokio::task::spawn_blocking(move || advisories(&cfg, &lock, &cwd, &extra))
                .await
                .map_err(join_error)?
        }
    };
    let ((ts, ts_notes), (adv, adv_notes)) = tokio::try_join!(ts, adv)?;
    findings.extend(ts);
    notes.extend(ts_notes);
    findings.extend(adv);
    notes.extend(adv_notes);

    let (allowed, findings) = policy::settle(&cfg, findings, now);
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

/// Worse first: invalid (or no status), unverifiable, unsigned, verified.
fn status_rank(r: &Report) -> u8 {
    match r.status {
        None | Some(crate::report::Status::Invalid) => 0,
        Some(crate::report::Status::Unverifiable) => 1,
        Some(crate::report::Status::Unsigned) => 2,
        Some(crate::report::Status::Verified) => 3,
    }
}

/// What makes a lockfile entry "the same" as one in the previous lockfile: name, version,
/// source, integrity, yarn berry's checksum and resolved URL (the same version re-pointed at
/// other bytes is new). An entry with neither integrity nor checksum pins no bytes, so it is
/// never "the same" ([`PackageKey::pins_bytes`]).
#[derive(PartialEq, Eq, Hash)]
struct PackageKey<'a> {
    name: &'a str,
    version: &'a str,
    source: (u8, &'a str),
    integrity: Option<&'a str>,
    checksum: Option<&'a str>,
    resolved: Option<&'a str>,
}

impl<'a> PackageKey<'a> {
    fn of(p: &'a LockedPackage) -> Self {
        let source = match &p.source {
            Source::Registry => (0, ""),
            Source::Git { url } => (1, url.as_str()),
            Source::File { path } => (2, path.as_str()),
            Source::Tarball { url } => (3, url.as_str()),
            Source::Workspace { path } => (4, path.as_str()),
            Source::Link { path } => (5, path.as_str()),
        };
        Self {
            name: &p.name,
            version: &p.version,
            source,
            integrity: p.integrity.as_deref(),
            checksum: p.checksum.as_deref(),
            resolved: p.resolved.as_deref(),
        }
    }

    fn pins_bytes(&self) -> bool {
        self.integrity.is_some() || self.checksum.is_some()
    }
}

/// A non-registry package that is the project's own code: a workspace, or a link to a
/// directory inside the project (by path only: a name proves nothing).
fn is_own(p: &LockedPackage, base: &Path) -> bool {
    match &p.source {
        Source::Workspace { .. } => true,
        Source::Link { path } => inside(base, path),
        _ => false,
    }
}

/// Whether `path` (relative to `base`, or absolute) stays inside `base`, `..` resolved
/// lexically (`/project/../elsewhere` is outside).
fn inside(base: &Path, path: &str) -> bool {
    let p = Path::new(path);
    // `/x` on Windows has a root but no drive: not relative either.
    let rel = if p.is_absolute() || p.has_root() {
        match p.strip_prefix(base) {
            Ok(r) => r.to_string_lossy().into_owned(),
            Err(_) => return false,
        }
    } else {
        path.to_string()
    };
    let mut depth = 0usize;
    for c in rel.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ => depth += 1,
        }
    }
    true
}

/// The packuments step 3 gathered.
pub(crate) struct Packuments {
    pub(crate) docs: HashMap<String, Arc<Value>>,
    /// Why a name has no packument: a short reason (`offline`, `404 at <registry>`,
    /// `<code> from <registry>`).
    pub(crate) errors: HashMap<String, String>,
    /// Names the registry answered 404 for (from `registry_for(name)`).
    pub(crate) not_found: HashSet<String>,
    /// One full error per reason.
    pub(crate) notes: Vec<Note>,
}

/// Packuments for every registry name: those the audit fetched, the rest fetched now (the
/// packument cache makes that a revalidation). Names whose packument could not be had map to
/// a short reason in `errors`; the notes give one full error per reason.
pub(crate) async fn fetch_packuments(
    ctx: &Context,
    audited: &AuditResult,
    pkgs: &[&LockedPackage],
    opts: &audit::Options,
) -> Packuments {
    let mut have = audited.packuments.clone();
    let mut errors = HashMap::new();
    let mut not_found = HashSet::new();
    let mut examples: BTreeMap<String, String> = Default::default();
    let mut names: Vec<String> = pkgs
        .iter()
        .map(|p| p.name.clone())
        .filter(|n| !have.contains_key(n))
        .collect();
    names.sort();
    names.dedup();
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut ids = HashMap::new();
    for name in names {
        let (ctx, sem, reg) = (ctx.clone(), sem.clone(), opts.registry.clone());
        let n = name.clone();
        let h = set.spawn(async move {
            let _p = sem.acquire_owned().await;
            let r = match ctx.registry_for(&name, reg.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    return (
                        name,
                        Err(("no registry configured".to_string(), e.to_string(), false)),
                    )
                }
            };
            let got = match ctx.client.packument(&r, &name).await {
                Ok(Fetched::Found(v)) => Ok(Arc::new(v)),
                Ok(Fetched::NotFound) => Err((format!("404 at {r}"), String::new(), true)),
                Err(e) => {
                    let full = e.to_string();
                    let kind = if full.contains("offline") {
                        "offline".to_string()
                    } else {
                        format!("{} from {r}", e.code())
                    };
                    Err((kind, full, false))
                }
            };
            (name, got)
        });
        ids.insert(h.id(), n);
    }
    while let Some(j) = set.join_next_with_id().await {
        match j {
            Ok((_, (n, Ok(v)))) => {
                have.insert(n, v);
            }
            Ok((_, (n, Err((kind, full, missing))))) => {
                if !full.is_empty() {
                    examples.entry(kind.clone()).or_insert(full);
                }
                if missing {
                    not_found.insert(n.clone());
                }
                errors.insert(n, kind);
            }
            Err(e) => {
                if let Some(n) = ids.get(&e.id()) {
                    let kind = "the fetch task failed".to_string();
                    examples.entry(kind.clone()).or_insert(e.to_string());
                    errors.insert(n.clone(), kind);
                }
            }
        }
    }
    for p in pkgs {
        if !have.contains_key(&p.name) && !errors.contains_key(&p.name) {
            errors.insert(p.name.clone(), "not fetched".into());
        }
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for k in errors.values() {
        *counts.entry(k.as_str()).or_default() += 1;
    }
    let notes = examples
        .iter()
        .map(|(kind, full)| {
            let n = counts.get(kind.as_str()).copied().unwrap_or(0);
            Note::new(
                "packuments",
                format!("{n} could not be fetched ({kind}), e.g. {full}"),
                "",
            )
        })
        .collect();
    Packuments {
        docs: have,
        errors,
        not_found,
        notes,
    }
}

/// Which rules want the earlier provenance of one installed version.
struct Wanted {
    version: String,
    prereleases: bool,
    /// `provenanceRegression` (no provenance now) or `provenanceContinuity` (provenance now).
    rule: &'static str,
}

/// Whether `version`'s manifest advertises attestations.
fn advertises(doc: &Value, version: &str) -> bool {
    doc.get("versions")
        .and_then(|v| v.get(version))
        .and_then(|m| m.pointer("/dist/attestations"))
        .is_some()
}

/// For each version whose provenance matters to regression or continuity: the nearest
/// earlier version whose attestations carry provenance, verified. Per name (one task):
/// 1. the history where attestations live: the attestations registry's packument when one is
///    set (a mirror strips `dist.attestations`), fetched once per name — a failure is a note
///    for each version that wanted it, never a silent fall back to the mirror's copy; else the
///    packument and history of step 3;
/// 2. for each version, the earlier versions advertising attestations, newest first: each is
///    verified (once per name) until one has provenance or does not verify; versions whose
///    attestations verify without provenance are looked past, at most
///    [`policy::EARLIER_LOOKBACK`] of them.
///
/// A task that fails (panics) is a note for each of its versions.
pub(crate) async fn earlier_provenance(
    ctx: &Context,
    cfg: &Config,
    reports: &HashMap<(&str, &str), &Report>,
    pkgs: &[&LockedPackage],
    packuments: &HashMap<String, Arc<Value>>,
    histories: &HashMap<String, Arc<History>>,
    opts: &audit::Options,
) -> (HashMap<(String, String), Earlier>, Vec<Note>) {
    let mut wanted: BTreeMap<&str, Vec<Wanted>> = BTreeMap::new();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for p in pkgs {
        if !seen.insert((p.name.as_str(), p.version.as_str())) {
            continue;
        }
        let Some(report) = reports.get(&(p.name.as_str(), p.version.as_str())) else {
            continue;
        };
        let (reg_lvl, reg_opts) = cfg.rule("provenanceRegression", &p.name);
        let cont_lvl = cfg.level("provenanceContinuity", &p.name);
        let rule = match report.checks.provenance {
            CheckState::Missing if reg_lvl != Level::Off => "provenanceRegression",
            CheckState::Passed if cont_lvl != Level::Off => "provenanceContinuity",
            _ => continue,
        };
        // Without a packument the policy notes the rule as not checked.
        if !packuments.contains_key(&p.name) {
            continue;
        }
        wanted.entry(p.name.as_str()).or_default().push(Wanted {
            version: p.version.clone(),
            prereleases: reg_opts.include_prereleases.unwrap_or(false),
            rule,
        });
    }
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    // Per task: the name and the (version, rule) pairs it answers for.
    type Asked = (String, Vec<(String, &'static str)>);
    let mut ids: HashMap<tokio::task::Id, Asked> = HashMap::new();
    for (name, versions) in wanted {
        let (Some(doc), Some(history)) = (packuments.get(name), histories.get(name)) else {
            continue;
        };
        let who: Vec<(String, &'static str)> = versions
            .iter()
            .map(|w| (w.version.clone(), w.rule))
            .collect();
        let (ctx, sem, name_owned) = (ctx.clone(), sem.clone(), name.to_string());
        let (doc, history) = (doc.clone(), history.clone());
        let (reg, att) = (opts.registry.clone(), opts.attestations_registry.clone());
        let h = set.spawn(async move {
            let name = name_owned;
            let _permit = sem.acquire_owned().await;
            // 1.
            let (doc, history) = match &att {
                Some(a) => match ctx.client.packument(a, &name).await {
                    Ok(Fetched::Found(d)) => {
                        let h = History::of(&d);
                        (Arc::new(d), Arc::new(h))
                    }
                    Ok(Fetched::NotFound) => {
                        return Err(format!(
                            "not on the attestations registry {a}: earlier provenance unknown"
                        ))
                    }
                    Err(e) => {
                        return Err(format!(
                            "the attestations registry's packument could not be fetched ({}): earlier provenance unknown",
                            e.code()
                        ))
                    }
                },
                None => (doc, history),
            };
            // 2.
            let mut verified: HashMap<String, std::result::Result<Option<Provenance>, String>> =
                HashMap::new();
            let mut out = Vec::new();
            let mut unknown: Vec<(String, &'static str)> = Vec::new();
            for w in versions {
                if !history.knows(&w.version) {
                    unknown.push((w.version, w.rule));
                    continue;
                }
                let mut looked: Vec<String> = Vec::new();
                let mut found: Option<(String, std::result::Result<Option<Provenance>, String>)> =
                    None;
                let mut exhausted = true;
                let candidates: Vec<String> = history
                    .earlier(&w.version, w.prereleases)
                    .filter(|v| advertises(&doc, v))
                    .map(str::to_string)
                    .collect();
                for v in candidates {
                    if looked.len() >= policy::EARLIER_LOOKBACK {
                        exhausted = false;
                        break;
                    }
                    let r = match verified.get(&v) {
                        Some(r) => r.clone(),
                        None => {
                            let r = verify_earlier(
                                &ctx,
                                &doc,
                                &name,
                                &v,
                                reg.as_deref(),
                                att.as_deref(),
                            )
                            .await;
                            verified.insert(v.clone(), r.clone());
                            r
                        }
                    };
                    match r {
                        Ok(None) => looked.push(v),
                        r => {
                            found = Some((v, r));
                            break;
                        }
                    }
                }
                let e = match found {
                    Some((version, provenance)) => Earlier {
                        version,
                        provenance,
                        without_provenance: looked,
                        exhausted: true,
                    },
                    // No earlier version advertises attestations.
                    None if looked.is_empty() => continue,
                    None => Earlier {
                        version: looked.last().cloned().unwrap_or_default(),
                        provenance: Ok(None),
                        without_provenance: looked,
                        exhausted,
                    },
                };
                out.push(((name.clone(), w.version), e));
            }
            Ok((name, out, unknown))
        });
        ids.insert(h.id(), (name.to_string(), who));
    }
    let mut out = HashMap::new();
    let mut notes = Vec::new();
    let note_all =
        |notes: &mut Vec<Note>, who: &(String, Vec<(String, &'static str)>), why: &str| {
            for (v, rule) in &who.1 {
                notes.push(Note::new(rule, why, format!("{}@{v}", who.0)));
            }
        };
    while let Some(j) = set.join_next_with_id().await {
        match j {
            Ok((_, Ok((name, v, unknown)))) => {
                out.extend(v);
                for (version, rule) in unknown {
                    notes.push(Note::new(
                        rule,
                        "the packument gives this version no publish time: earlier versions cannot be told apart, so none was compared",
                        format!("{name}@{version}"),
                    ));
                }
            }
            Ok((id, Err(why))) => {
                if let Some(who) = ids.get(&id) {
                    note_all(&mut notes, who, &why);
                }
            }
            Err(e) => {
                if let Some(who) = ids.get(&e.id()) {
                    note_all(
                        &mut notes,
                        who,
                        &format!("the earlier-provenance check failed ({e})"),
                    );
                }
            }
        }
    }
    (out, notes)
}

/// Fetch and verify the attestations `version` of `name` advertises: its provenance (or
/// `None`: they verified and carry none), or why they could not be verified.
async fn verify_earlier(
    ctx: &Context,
    doc: &Value,
    name: &str,
    version: &str,
    registry: Option<&str>,
    att_registry: Option<&str>,
) -> std::result::Result<Option<Provenance>, String> {
    let m = doc.get("versions").and_then(|v| v.get(version));
    let Some(sri) = m
        .and_then(|m| m.pointer("/dist/integrity"))
        .and_then(Value::as_str)
    else {
        return Err("no dist.integrity".into());
    };
    let Some(sha512) = Integrity::parse(sri)
        .ok()
        .and_then(|i| i.get(Algorithm::Sha512).map(|h| h.digest.clone()))
    else {
        return Err("no sha512 integrity".into());
    };
    let reg = match att_registry {
        Some(a) => a.to_string(),
        None => ctx
            .registry_for(name, registry)
            .map_err(|e| e.to_string())?,
    };
    let fetched = match m
        .and_then(|m| m.pointer("/dist/attestations/url"))
        .and_then(Value::as_str)
        .filter(|_| att_registry.is_none())
    {
        Some(url) => {
            ctx.client
                .get_json(url, crate::net::registry::MAX_SMALL_JSON_BYTES)
                .await
        }
        None => ctx.client.attestations(&reg, name, version).await,
    };
    let doc = match fetched {
        Ok(Fetched::Found(d)) => d,
        Ok(Fetched::NotFound) => {
            return Err(format!(
                "{name}@{version} advertises attestations but they answer 404"
            ))
        }
        Err(e) => return Err(e.to_string()),
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
        Ok(Ok(v)) => Ok(v.provenance),
        Ok(Err(e)) => Err(format!("{}: {e}", e.code())),
        Err(e) => Err(e.to_string()),
    }
}

/// One private name to look up on the default registry (step 3 of [`dependency_confusion`]).
struct PublicLookup<'a> {
    p: &'a LockedPackage,
    level: Level,
    why_private: String,
    publishable: bool,
}

fn confusion_finding(
    p: &LockedPackage,
    level: Level,
    why_private: &str,
    message: String,
    mut evidence: Vec<String>,
) -> Finding {
    evidence.push(format!("private because {why_private}"));
    Finding {
        rule: "dependencyConfusion".into(),
        level,
        name: p.name.clone(),
        version: p.version.clone(),
        message,
        evidence,
        allowed_by: None,
    }
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
///    A packument step 3 already fetched from that registry is reused; the other names are
///    looked up concurrently (bounded).
///
/// Lookup failures and an unknown default registry are noted, never taken as "absent".
pub(crate) async fn dependency_confusion(
    ctx: &Context,
    cfg: &Config,
    lock: &Lockfile,
    workspaces: &[Workspace],
    packuments: &HashMap<String, Arc<Value>>,
    not_found: &HashSet<String>,
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
    let configured: &[String] = o.private.as_deref().unwrap_or_default();
    // Only what npm's configuration names counts (no registry host is built in): a private
    // package resolved from anywhere else, a public mirror included, is a finding.
    let known_hosts: Vec<String> = default_registry
        .iter()
        .chain(scoped.iter().map(|(_, r)| r))
        .filter_map(|r| host_port(r))
        .collect();
    let mut public_checked: HashSet<&str> = HashSet::new();
    let mut lookups: Vec<PublicLookup> = Vec::new();
    for p in &lock.packages {
        let lvl = cfg.level("dependencyConfusion", &p.name);
        if lvl == Level::Off {
            continue;
        }
        let id = format!("{}@{}", p.name, p.version);
        let scope_reg = scoped
            .iter()
            .find(|(s, _)| {
                p.name
                    .strip_prefix(s.as_str())
                    .is_some_and(|r| r.starts_with('/'))
            })
            .map(|(_, r)| r.clone());
        let workspace = workspaces.iter().find(|w| w.name == p.name);
        let in_config = configured.iter().find(|x| policy::glob(x, &p.name));
        let why_private = if let Some(r) = &scope_reg {
            format!("its scope is configured in .npmrc to come from {r}")
        } else if let Some(x) = in_config {
            format!("rules.dependencyConfusion.private: {x}")
        } else if let Some(w) = workspace {
            format!("a workspace package of this project ({})", w.dir)
        } else {
            continue;
        };
        // 1. Where a registry package (or a tarball the lockfile pins by URL) came from.
        if matches!(p.source, Source::Registry | Source::Tarball { .. }) {
            match p.resolved.as_deref().map(|r| (r, host_port(r))) {
                Some((r, Some(h))) => {
                    if let Some(reg) = &scope_reg {
                        if host_port(reg).as_deref() != Some(h.as_str()) {
                            out.push(confusion_finding(
                                p,
                                lvl,
                                &why_private,
                                format!("resolved from {h}, but its scope is configured to come from {reg}"),
                                vec![format!("lockfile resolved: {r}")],
                            ));
                        }
                    } else if !known_hosts.is_empty() && !known_hosts.contains(&h) {
                        out.push(confusion_finding(
                            p,
                            lvl,
                            &why_private,
                            format!("private package resolved from {h}, which is not a configured registry"),
                            vec![
                                format!("lockfile resolved: {r}"),
                                format!("configured registries: {}", known_hosts.join(", ")),
                            ],
                        ));
                    }
                }
                // A URL the package manager fetches, whose host cannot be told for sure:
                // not checked is not passed.
                Some((r, None)) if r.contains("://") => out.push(confusion_finding(
                    p,
                    lvl,
                    &why_private,
                    "its resolved URL cannot be read as an http(s) registry URL: the host npm fetches it from was not checked".to_string(),
                    vec![format!("lockfile resolved: {r}")],
                )),
                // A reference, not a URL (yarn berry `name@npm:1.2.3`, bun): fetched from the
                // configured registry.
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
                out.push(confusion_finding(
                    p,
                    lvl,
                    &why_private,
                    format!("private package at version {}: dependency-confusion packages publish 99.x/999.x to win resolution", p.version),
                    vec![format!("lockfile version: {}", p.version)],
                ));
            }
        }
        // 3. The same name on the default (public) registry, once per name.
        let Some(default) = default_registry.as_deref() else {
            continue;
        };
        if scope_reg
            .as_deref()
            .is_some_and(|r| same_registry(r, default))
            || !public_checked.insert(p.name.as_str())
        {
            continue;
        }
        lookups.push(PublicLookup {
            p,
            level: lvl,
            why_private,
            publishable: workspace
                .is_some_and(|w| scope_reg.is_none() && in_config.is_none() && !w.private),
        });
    }
    let Some(default) = default_registry else {
        return (out, notes);
    };
    // 3. Reuse what step 3 fetched from the same registry; look the rest up concurrently.
    let same_as_default = |name: &str| {
        ctx.registry_for(name, opts.registry.as_deref())
            .is_ok_and(|r| same_registry(&r, &default))
    };
    let mut answers: HashMap<usize, crate::error::Result<Fetched<Arc<Value>>>> = HashMap::new();
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut ids = HashMap::new();
    for (k, l) in lookups.iter().enumerate() {
        let name = l.p.name.as_str();
        if same_as_default(name) {
            if let Some(doc) = packuments.get(name) {
                answers.insert(k, Ok(Fetched::Found(doc.clone())));
                continue;
            }
            if not_found.contains(name) {
                answers.insert(k, Ok(Fetched::NotFound));
                continue;
            }
        }
        let (ctx, sem, default, name) =
            (ctx.clone(), sem.clone(), default.clone(), name.to_string());
        let h = set.spawn(async move {
            let _p = sem.acquire_owned().await;
            let got = match ctx.client.packument(&default, &name).await {
                Ok(Fetched::Found(d)) => Ok(Fetched::Found(Arc::new(d))),
                Ok(Fetched::NotFound) => Ok(Fetched::NotFound),
                Err(e) => Err(e),
            };
            (k, got)
        });
        ids.insert(h.id(), k);
    }
    while let Some(j) = set.join_next_with_id().await {
        match j {
            Ok((_, (k, got))) => {
                answers.insert(k, got);
            }
            Err(e) => {
                if let Some(k) = ids.get(&e.id()) {
                    answers.insert(*k, Err(Error::Internal(e.to_string())));
                }
            }
        }
    }
    for (k, l) in lookups.iter().enumerate() {
        let p = l.p;
        let id = format!("{}@{}", p.name, p.version);
        match answers.remove(&k) {
            Some(Ok(Fetched::Found(doc))) => {
                // The newest versions there, by semver.
                let mut versions: Vec<&str> = doc
                    .get("versions")
                    .and_then(Value::as_object)
                    .map(|v| v.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                versions.sort_by(|a, b| policy::semver_cmp(b, a));
                versions.truncate(5);
                let mut ev = vec![format!("public versions (newest): {}", versions.join(", "))];
                if let Some(t) = policy::first_published(&doc) {
                    ev.push(format!("first published there: {t}"));
                }
                if l.publishable {
                    ev.push("the workspace has no \"private\": true, so the public package may be this project's own".into());
                }
                out.push(confusion_finding(
                    p,
                    if l.publishable {
                        l.level.min(Level::Warn)
                    } else {
                        l.level
                    },
                    &l.why_private,
                    format!("private name {} also exists on {default}", p.name),
                    ev,
                ));
            }
            Some(Ok(Fetched::NotFound)) => {}
            Some(Err(e)) => notes.push(Note::new(
                "dependencyConfusion",
                format!(
                    "could not look the name up on {default} ({e}): public existence not checked"
                ),
                id,
            )),
            None => notes.push(Note::new(
                "dependencyConfusion",
                format!("could not look the name up on {default} (no answer): public existence not checked"),
                id,
            )),
        }
    }
    (out, notes)
}

/// What the tarball step found.
#[derive(Default)]
pub(crate) struct Scanned {
    pub(crate) findings: Vec<Finding>,
    pub(crate) notes: Vec<Note>,
    /// Install hooks read from each tarball, by `(name, version)`.
    pub(crate) hooks: HashMap<(String, String), TarballHooks>,
}

/// One read tarball's results.
struct TarballResult {
    mismatches: Option<Vec<crate::signals::Finding>>,
    signals: Vec<crate::signals::Finding>,
    unread_others: Vec<String>,
    hooks: TarballHooks,
    /// Why the bytes were not checked against the lockfile's integrity, when they were not.
    unproven: Option<String>,
    /// npm's cache held other bytes under the lockfile's integrity (read from the URL instead).
    cache_mismatch: bool,
    /// Error anomalies of the reader (`path: reason`).
    uncertain: Vec<String>,
    /// Warning anomalies of the reader (`path: reason`), at most 10.
    crafted: Vec<String>,
}

/// Why a tarball's code could not be judged. Every one is an error finding: the guard judges
/// the bytes npm installs, and these are bytes it has not seen (or cannot see as npm does).
enum TarballProblem {
    /// The bytes npm installs could not be had (network, 404, no URL).
    NotFetched(String),
    /// No copy read has the pinned integrity. `npm_refuses`: the copy npm fetches was read and
    /// does not match either (npm fails with EINTEGRITY); otherwise npm's copy was not seen.
    Mismatch {
        expected: String,
        reads: Vec<String>,
        npm_url: Option<String>,
        npm_refuses: bool,
    },
    /// npm's view cannot be reproduced: over the reader's limits, not a tarball npm
    /// extracts, or an extraction whose result depends on how npm reads the file.
    Unreadable { why: String, from: String },
}

/// The lockfile's integrity is what the bytes must match (see [`read_tarball`]).
const LOCKFILE_INTEGRITY: &str = "the lockfile's integrity";

/// The bytes npm installs for `p`, checked against `want`. Steps:
/// 1. Which URLs: a remote-tarball dependency's own URL. When the lockfile pins an integrity,
///    any copy with it is the same bytes: the registry's first, unless the lockfile resolves
///    the package from another host (a private package resolved elsewhere) — then that one,
///    which is what npm fetches. Without a pin, what npm fetches: the lockfile's URL, else the
///    registry's.
/// 2. Read them in order; the first whose bytes match `want` is used, hashed off the runtime.
///    A copy that does not match is never scanned.
async fn read_tarball(
    ctx: &Context,
    p: &LockedPackage,
    registry_url: Option<String>,
    lock_url: Option<String>,
    want: Option<(Integrity, &'static str)>,
    max: usize,
) -> std::result::Result<(Vec<u8>, String), TarballProblem> {
    // 1.
    let npm_url = match &p.source {
        Source::Tarball { url } => Some(url.clone()),
        _ => lock_url.clone().or(registry_url.clone()),
    };
    let mut urls: Vec<String> = match &p.source {
        Source::Tarball { url } => vec![url.clone()],
        _ if want
            .as_ref()
            .is_some_and(|(_, what)| *what == LOCKFILE_INTEGRITY) =>
        {
            let elsewhere = matches!((&lock_url, &registry_url), (Some(l), Some(r)) if host_port(l) != host_port(r));
            if elsewhere {
                lock_url.into_iter().chain(registry_url).collect()
            } else {
                registry_url.into_iter().chain(lock_url).collect()
            }
        }
        _ => npm_url.iter().cloned().collect(),
    };
    urls.dedup();
    if urls.is_empty() {
        return Err(TarballProblem::NotFetched(format!(
            "{}@{}: neither the lockfile nor the registry gives a tarball URL",
            p.name, p.version
        )));
    }
    // 2.
    let mut failures = Vec::new();
    let mut mismatches: Vec<(String, String)> = Vec::new();
    for url in urls {
        match ctx.client.bytes(&url, max).await {
            Ok(Fetched::Found(b)) => {
                let Some((w, _)) = &want else {
                    return Ok((b, url));
                };
                let w = w.clone();
                let checked = tokio::task::spawn_blocking(move || {
                    let r = crate::npm::integrity::check(&b, &w)
                        .map(|_| ())
                        .map_err(|e| e.to_string());
                    (b, r)
                })
                .await;
                match checked {
                    Ok((b, Ok(()))) => return Ok((b, url)),
                    Ok((_, Err(detail))) => mismatches.push((url, detail)),
                    Err(e) => failures.push(format!("{url}: {e}")),
                }
            }
            Ok(Fetched::NotFound) => failures.push(format!("{url}: 404")),
            Err(Error::TooLarge(why)) => return Err(TarballProblem::Unreadable { why, from: url }),
            Err(e) => failures.push(format!("{url}: {e}")),
        }
    }
    let Some((w, what)) = want.filter(|_| !mismatches.is_empty()) else {
        return Err(TarballProblem::NotFetched(failures.join("; ")));
    };
    let npm_refuses = npm_url
        .as_ref()
        .is_some_and(|u| mismatches.iter().any(|(m, _)| m == u));
    let mut reads: Vec<String> = mismatches
        .into_iter()
        .map(|(u, d)| format!("read from {u}: {d}"))
        .collect();
    reads.extend(failures.into_iter().map(|f| format!("not read: {f}")));
    Err(TarballProblem::Mismatch {
        expected: format!("{what}: {}", w.to_sri()),
        reads,
        npm_url,
        npm_refuses,
    })
}

/// The rule a tarball-level finding is filed under: the first of suspiciousCode,
/// manifestConfusion, installScripts that applies to the package.
fn tarball_rule(cfg: &Config, name: &str) -> Option<(&'static str, Level)> {
    ["suspiciousCode", "manifestConfusion", "installScripts"]
        .into_iter()
        .map(|r| (r, cfg.level(r, name)))
        .find(|(_, l)| *l != Level::Off)
}

/// Manifest confusion, suspicious code and the install hooks, from the tarballs of `pkgs`
/// (registry packages and remote-tarball dependencies). Steps, per tarball:
/// 1. the bytes: npm's cache when it has them, else the URLs [`read_tarball`] picks (at most
///    the reader's `max_compressed`); bytes that could not be fetched are an error finding;
/// 2. checked against the lockfile's integrity, else the registry manifest's
///    `dist.integrity`; bytes that do not match are never scanned, and when no copy matches
///    that is an error finding; with neither integrity, they are read and the lack of proof
///    is noted;
/// 3. read (`tarball::read`) as npm extracts it: over the limits, unreadable, or with files
///    whose bytes depend on the platform is an error finding;
/// 4. what runs what worked out once (`code::Contexts`), then manifest confusion, the code
///    scan and unread install targets / entry points; `info` signals are notes.
pub(crate) async fn tarball_rules(
    ctx: &Context,
    cfg: &Config,
    pkgs: &[&LockedPackage],
    packuments: &HashMap<String, Arc<Value>>,
    packument_errors: &HashMap<String, String>,
    opts: &audit::Options,
) -> Scanned {
    let limits = crate::npm::tarball::Limits::default();
    let max_tarball = usize::try_from(limits.max_compressed).unwrap_or(usize::MAX);
    let mut res = Scanned::default();
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.clamp(1, 16)));
    let mut set = tokio::task::JoinSet::new();
    let mut ids: HashMap<tokio::task::Id, String> = HashMap::new();
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
        let (ctx, sem, pk, npm_cache) = (
            ctx.clone(),
            sem.clone(),
            (*p).clone(),
            opts.npm_cache.clone(),
        );
        let h = set.spawn(async move {
            let p = pk;
            let _permit = sem.acquire_owned().await;
            let id = format!("{}@{}", p.name, p.version);
            // 2. What the bytes must match.
            let registry_sri = manifest
                .as_ref()
                .and_then(|m| m.pointer("/dist/integrity"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let usable = |s: &str| Integrity::parse(s).ok().filter(|w| w.strongest().is_some());
            let lock_want = p.integrity.as_deref().and_then(usable);
            let reg_want = registry_sri.as_deref().and_then(usable);
            let (want, unproven) = match (lock_want, reg_want) {
                (Some(w), _) => (Some((w, LOCKFILE_INTEGRITY)), None),
                (None, Some(w)) => (
                    Some((w, "the registry's dist.integrity")),
                    // npm installs what the lockfile points at; the registry's hash is what
                    // those bytes must then match.
                    p.integrity.as_ref().map(|i| format!("the lockfile's integrity {i:?} is not usable: the tarball was checked against the registry's")),
                ),
                (None, None) => (None, Some("neither the lockfile nor the registry gives a usable integrity: the tarball was scanned without proof that it is the one npm installs".to_string())),
            };
            // 1. The bytes.
            let mut cache_mismatch = false;
            let mut bytes = match (&npm_cache, &p.integrity) {
                (Some(dir), Some(i)) => audit::cached_tarball(dir, i).await,
                _ => None,
            };
            if let (Some(b), Some((w, _))) = (&bytes, &want) {
                if crate::npm::integrity::check(b, w).is_err() {
                    // A cache entry that is not what its key says: npm would not use it either.
                    cache_mismatch = true;
                    bytes = None;
                }
            }
            let (bytes, from) = match bytes {
                Some(b) => (b, "npm's cache".to_string()),
                None => {
                    let registry_url = manifest
                        .as_ref()
                        .and_then(|m| m.pointer("/dist/tarball"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    // yarn berry's `resolved` is a descriptor (`name@npm:1.2.3`), bun's may be
                    // empty: only an http(s) URL is one.
                    let lock_url = p
                        .resolved
                        .clone()
                        .filter(|r| r.starts_with("https://") || r.starts_with("http://"));
                    match read_tarball(&ctx, &p, registry_url, lock_url, want.clone(), max_tarball).await {
                        Ok(got) => got,
                        Err(problem) => return (p, Err(problem)),
                    }
                }
            };
            let r = tokio::task::spawn_blocking(move || -> std::result::Result<TarballResult, TarballProblem> {
                // 3.
                let pkg = crate::npm::tarball::read(&bytes, &limits).map_err(|e| {
                    TarballProblem::Unreadable {
                        why: format!("{}: {e}", e.code()),
                        from: from.clone(),
                    }
                })?;
                // 4.
                let cx = crate::signals::code::Contexts::of(&pkg);
                let mismatches = manifest
                    .as_ref()
                    .map(|m| crate::signals::manifest::manifest_confusion_package(m, &pkg));
                let mut signals = crate::signals::code::scan_code_in(&pkg, &cx);
                let (unread, unread_others) = crate::signals::code::unread_files_in(&pkg, &cx);
                signals.extend(unread);
                let said = |sev: &str, max: usize| -> Vec<String> {
                    pkg.anomalies
                        .iter()
                        .filter(|a| a.severity == sev)
                        .take(max)
                        .map(|a| if a.path.is_empty() { a.reason.clone() } else { format!("{}: {}", a.path, a.reason) })
                        .collect()
                };
                Ok(TarballResult {
                    uncertain: said("error", usize::MAX),
                    crafted: said("warning", 10),
                    hooks: TarballHooks::of(&pkg),
                    mismatches,
                    signals,
                    unread_others,
                    unproven,
                    cache_mismatch,
                })
            })
            .await;
            match r {
                Ok(r) => (p, r),
                Err(e) => (p, Err(TarballProblem::NotFetched(format!("{id}: {e}")))),
            }
        });
        ids.insert(h.id(), format!("{}@{}", p.name, p.version));
    }
    let mut failed = Vec::new();
    while let Some(j) = set.join_next_with_id().await {
        let (p, t) = match j {
            Ok((_, (p, t))) => (p, t),
            Err(e) => {
                let who = ids.get(&e.id()).map_or("?", String::as_str);
                failed.push(format!("{who}: {e}"));
                continue;
            }
        };
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
        let t = match t {
            Ok(t) => t,
            Err(TarballProblem::NotFetched(why)) => {
                if let Some((rule, level)) = tarball_rule(cfg, &p.name) {
                    res.findings.push(mk(
                        rule,
                        level,
                        "the tarball npm installs could not be read: its manifest, code and install scripts were not checked".into(),
                        vec![
                            why,
                            "the guard judges the bytes npm installs; run it where the registry (or npm's cache) has them".into(),
                        ],
                    ));
                } else {
                    failed.push(why);
                }
                continue;
            }
            Err(TarballProblem::Mismatch {
                expected,
                reads,
                npm_url,
                npm_refuses,
            }) => {
                if let Some((rule, level)) = tarball_rule(cfg, &p.name) {
                    let mut evidence = vec![expected];
                    evidence.extend(reads);
                    evidence.push(match (npm_refuses, npm_url) {
                        (true, Some(u)) => format!("npm fetches {u} and refuses these bytes (EINTEGRITY); nothing read from them is trusted"),
                        (_, Some(u)) => format!("npm fetches {u}, whose bytes were not seen here: what npm would install was not checked"),
                        (_, None) => "no URL says where npm fetches it from: what npm would install was not checked".into(),
                    });
                    res.findings.push(mk(
                        rule,
                        level,
                        "the tarball does not match its integrity: its manifest, code and install scripts cannot be judged".into(),
                        evidence,
                    ));
                }
                continue;
            }
            Err(TarballProblem::Unreadable { why, from }) => {
                if let Some((rule, level)) = tarball_rule(cfg, &p.name) {
                    let l = crate::npm::tarball::Limits::default();
                    // Whatever the registry says about install scripts: the reader could not
                    // see what npm extracts, so nothing about it is known.
                    res.findings.push(mk(
                        rule,
                        level,
                        "the tarball cannot be read as npm reads it: its manifest, code and install scripts were not checked".into(),
                        vec![
                            format!("{why} (from {from})"),
                            format!(
                                "reader limits: {} bytes compressed, {} bytes inflated, {} entries",
                                l.max_compressed, l.max_uncompressed, l.max_entries
                            ),
                        ],
                    ));
                }
                continue;
            }
        };
        // npm's view of a judged file depends on the platform (or on how the file is read):
        // an error; signs of a crafted archive the reader still reads as npm does: a warning.
        if let Some((rule, level)) = tarball_rule(cfg, &p.name) {
            if !t.uncertain.is_empty() {
                res.findings.push(mk(
                    rule,
                    level,
                    "npm's extraction of this tarball differs between platforms for files the guard judges: what npm installs there was not checked".into(),
                    t.uncertain.clone(),
                ));
            }
            if !t.crafted.is_empty() {
                res.findings.push(mk(
                    rule,
                    level.min(Level::Warn),
                    "the tarball has entries npm pack never writes (read here as npm reads them)"
                        .into(),
                    t.crafted.clone(),
                ));
            }
        }
        let mc = cfg.level("manifestConfusion", &p.name);
        if let Some(mism) = t.mismatches.as_ref().filter(|m| !m.is_empty()) {
            if mc != Level::Off {
                let fields: Vec<&str> = mism
                    .iter()
                    .filter_map(|m| match &m.signal {
                        crate::signals::Signal::ManifestMismatch { field, .. } => {
                            Some(field.as_str())
                        }
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
            let level = match s.severity.as_str() {
                "error" => sc,
                "warning" => sc.min(Level::Warn),
                _ => {
                    // Info: not a finding; said under "not checked" when the scan stopped.
                    if sc != Level::Off {
                        let reason = if s.rule == "code.budget" {
                            "files not scanned: the package's scan budget was spent (not install-script targets or entry points)".to_string()
                        } else if s.rule == "code.reach" {
                            s.evidence.clone()
                        } else {
                            format!("{}: info-level signal, not a finding", s.rule)
                        };
                        res.notes.push(Note::new(
                            "suspiciousCode",
                            reason,
                            format!("{id} ({})", s.file.as_deref().unwrap_or(&s.evidence)),
                        ));
                    }
                    continue;
                }
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
                "files over the per-file read cap or the text budget, binary files and native addons were not scanned (not install-script targets or entry points that run as JavaScript)",
                format!("{id} ({})", t.unread_others[..t.unread_others.len().min(3)].join(", ")),
            ));
        }
        if let Some(u) = &t.unproven {
            res.notes.push(Note::new(
                "manifestConfusion, suspiciousCode",
                u.clone(),
                id.clone(),
            ));
        }
        if t.cache_mismatch {
            res.notes.push(Note::new(
                "manifestConfusion, suspiciousCode",
                "npm's cache held other bytes under the lockfile's integrity: the tarball was read from the registry instead",
                id.clone(),
            ));
        }
        // Two artifacts of one name@version: the hooks of both.
        res.hooks
            .entry((p.name.clone(), p.version.clone()))
            .and_modify(|h| {
                for x in &t.hooks.hooks {
                    if !h.hooks.contains(x) {
                        h.hooks.push(x.clone());
                    }
                }
                h.binding_gyp_implied |= t.hooks.binding_gyp_implied;
            })
            .or_insert_with(|| t.hooks.clone());
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

/// Names (and install aliases) that imitate a popular package. Each distinct name is checked
/// once, however many versions of it the tree holds. Runs on the blocking pool: the
/// popular-name index is built on first use.
///
/// The level follows the package's age, from its packument: a package first published more
/// than [`policy::TYPOSQUAT_OLD_DAYS`] days ago has survived a year of the registry's malware
/// takedowns and is at most a warning; a younger one keeps the rule's level. When the age is
/// unknown (no packument, not from a registry) the popularity decides: the rule's level when
/// the gap makes the imitation likely (`Finding::strong`), a warning otherwise. Names in
/// `rules.typosquat.allow` are not checked.
pub(crate) fn typosquats(
    cfg: &Config,
    lock: &Lockfile,
    packuments: &HashMap<String, Arc<Value>>,
    packument_errors: &HashMap<String, String>,
    now: jiff::Timestamp,
) -> Result<(Vec<Finding>, Vec<Note>)> {
    let det = crate::signals::typosquat::Detector::embedded()?;
    let mut checked: HashMap<&str, Option<crate::signals::typosquat::Finding>> = HashMap::new();
    let mut out = Vec::new();
    for p in &lock.packages {
        let (lvl, o) = cfg.rule("typosquat", &p.name);
        if lvl == Level::Off {
            continue;
        }
        let allow: &[String] = o.allow.as_deref().unwrap_or_default();
        for n in std::iter::once(&p.name).chain(p.alias.iter()) {
            if allow.iter().any(|a| policy::glob_allow(a, n)) {
                continue;
            }
            let Some(f) = checked
                .entry(n.as_str())
                .or_insert_with(|| det.check(n))
                .clone()
            else {
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
                    let why = match (&p.source, packument_errors.get(&p.name)) {
                        (Source::Registry, Some(e)) => format!("packument unavailable: {e}"),
                        (Source::Registry, None) => "the packument has no times".to_string(),
                        _ => "not from a registry".to_string(),
                    };
                    if f.strong {
                        evidence.push(format!(
                            "first publish time unknown ({why}): graded by popularity, the gap to {} makes the imitation likely, so the rule's level",
                            f.target
                        ));
                        lvl
                    } else {
                        evidence.push(format!(
                            "first publish time unknown ({why}): graded by popularity, too small a gap to {} to be sure, so a warning",
                            f.target
                        ));
                        lvl.min(Level::Warn)
                    }
                }
            };
            out.push(Finding {
                rule: "typosquat".into(),
                level,
                name: p.name.clone(),
                version: p.version.clone(),
                message: format!(
                    "{n} imitates the popular package {} ({} imitation)",
                    f.target,
                    format!("{:?}", f.kind).to_lowercase()
                ),
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
pub(crate) fn advisories(
    cfg: &Config,
    lock: &Lockfile,
    cwd: &Path,
    extra: &[PathBuf],
) -> Result<(Vec<Finding>, Vec<Note>)> {
    let (_, o) = cfg.rule("advisories", "");
    let from_policy = o.sources.as_deref().unwrap_or_default().len();
    let mut sources: Vec<PathBuf> = o
        .sources
        .as_deref()
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
    let mut db = crate::signals::advisories::Database::new();
    let mut notes = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        let stats = db.load_path(s).map_err(|e| {
            let message = format!("advisory source {}: {e}", s.display());
            if i < from_policy {
                Error::Policy {
                    file: cfg.source.clone(),
                    message: format!("rules.advisories.sources: {message}"),
                }
            } else {
                Error::Config(message)
            }
        })?;
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

/// A workspace's package.json (a regular file, at most 16 MiB): `None` when there is none or
/// it does not parse; something there that cannot be read (a directory, a FIFO, a device, too
/// large) is an error, not a workspace silently left out.
fn read_json(p: &Path) -> Result<Option<Value>> {
    let bytes =
        crate::files::read_capped_opt(p, crate::net::registry::MAX_SMALL_JSON_BYTES as u64)?;
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Directories under `base` matching a workspace glob (`packages/*`, `apps/**`, `tool`; `*`
/// within a segment is [`policy::wildcard`]);
/// `node_modules` and dot directories are never entered. Bounded: 4,096 directories visited,
/// 100,000 entries looked at in each (a workspace not found is not exempted from anything).
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
                    rd.take(100_000)
                        .filter_map(|e| e.ok())
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
                if policy::wildcard(first, &n) {
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
fn workspace_dirs(dir: &Path, lock: &Lockfile) -> Result<(PathBuf, Vec<PathBuf>)> {
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
    if let Some(root) = read_json(&base.join("package.json"))? {
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
    Ok((base, dirs))
}

/// The workspace packages (and the root): name, directory, and whether it says
/// `"private": true` — each package.json read once. Private by construction for dependency
/// confusion. Blocking (file system): call it on the blocking pool.
pub(crate) fn workspace_names(dir: &Path, lock: &Lockfile) -> Result<(PathBuf, Vec<Workspace>)> {
    let (base, dirs) = workspace_dirs(dir, lock)?;
    let mut out = Vec::new();
    for d in dirs {
        let Some(v) = read_json(&d.join("package.json"))? else {
            continue;
        };
        let Some(n) = v.get("name").and_then(Value::as_str) else {
            continue;
        };
        let rel = d
            .strip_prefix(&base)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| d.display().to_string());
        out.push(Workspace {
            name: n.to_string(),
            dir: if rel.is_empty() { ".".into() } else { rel },
            private: v.get("private") == Some(&Value::Bool(true)),
        });
    }
    Ok((base, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_inside_the_project_are_its_own_code() {
        let base = Path::new("/work/project");
        for p in ["packages/a", "./a/../b", "/work/project/tools/x"] {
            assert!(inside(base, p), "{p}");
        }
        for p in [
            "../elsewhere",
            "a/../../x",
            "/tmp/x",
            "/work/project/../evil",
            "/work/project-other/x",
        ] {
            assert!(!inside(base, p), "{p}");
        }
    }

    fn data(rel: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/data")
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
        let ws = workspace_names(&dir, &lock).unwrap().1;
        let names: Vec<String> = ws.iter().map(|w| w.name.clone()).collect();
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
        let private = |n: &str| ws.iter().find(|w| w.name == n).map(|w| w.private);
        assert_eq!(private("excalidraw-app"), Some(true));
        assert_eq!(private("@excalidraw/element"), Some(false));
        assert_eq!(
            ws.iter()
                .find(|w| w.name == "with-nextjs")
                .map(|w| w.dir.as_str()),
            Some("examples/with-nextjs")
        );
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
