//! `survey`: how much of a dependency tree (or of a list of packages) publishes with
//! provenance, from the audit's own verification.
//!
//! 1. The packages: a lockfile's registry packages (`audit`'s tree), or a list of names at
//!    their `latest` versions ([`resolve_list`]).
//! 2. Each package is verified by [`crate::audit::audit`] (its per-package cache included) and
//!    put in one [`Class`], fail closed: `provenance` only for a fully verified report;
//!    `unverifiable` whenever a check could not run (a mirror that strips signatures and
//!    attestations makes every package `unverifiable`, and the result's `mirror` says so).
//! 3. Splits: direct (named by the project's or a workspace's `package.json`) vs transitive,
//!    production vs dev (the lockfile's `dev` flag, which npm and the graph walk of pnpm/bun
//!    give; yarn lockfiles do not record it, so everything is production there).
//! 4. Regressions: for each package with no provenance, the nearest earlier version with
//!    provenance, verified (the guard's `provenanceRegression` look-back); notes say where
//!    that could not be checked.
//! 5. Builders: source host and CI system of each verified provenance.
//! 6. With a cache, a complete result (nothing unverifiable) is stored under a key of the
//!    lockfile's bytes and every input of the verdicts, so an unchanged tree answers from one
//!    file.

use crate::audit::{self, AuditResult};
use crate::error::{Error, Result};
use crate::lockfile::{LockedPackage, Lockfile, Source};
use crate::policy::{Config, History};
use crate::report::{CheckState, Report, Status};
use crate::verify::Context;
use crate::Code;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

/// What a package version publishes, as far as it could be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Class {
    /// Verified SLSA provenance (and every other check passed).
    Provenance,
    /// A verified npm publish attestation, no provenance.
    Attestation,
    /// A verified registry signature only.
    Signature,
    /// The registry serves signing data but this version has none of it.
    None,
    /// A check could not run (network, a mirror that strips signing data).
    Unverifiable,
    /// A check ran and failed.
    Invalid,
}

impl Class {
    pub const ALL: [Class; 6] = [
        Class::Provenance,
        Class::Attestation,
        Class::Signature,
        Class::None,
        Class::Unverifiable,
        Class::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Provenance => "provenance",
            Class::Attestation => "attestation",
            Class::Signature => "signature",
            Class::None => "none",
            Class::Unverifiable => "unverifiable",
            Class::Invalid => "invalid",
        }
    }

    /// The class of one audited report.
    pub fn of(r: &Report) -> Class {
        let c = &r.checks;
        let base_ok = [c.resolve, c.integrity]
            .iter()
            .all(|s| *s == CheckState::Passed);
        let only = |codes: &[Code]| r.problems.iter().all(|p| codes.contains(&p.code));
        match r.status {
            Some(Status::Invalid) => Class::Invalid,
            Some(Status::Verified) => Class::Provenance,
            Some(Status::Unsigned) => Class::Signature,
            // A verified publish attestation without provenance: every other check passed.
            _ if base_ok
                && c.registry_signature == CheckState::Passed
                && c.publish_attestation == CheckState::Passed
                && c.transparency_log == CheckState::Passed
                && c.provenance == CheckState::Missing
                && only(&[Code::NoProvenance, Code::NotVerified]) =>
            {
                Class::Attestation
            }
            // The registry serves keys (so attestations were asked for and are absent) and
            // this version carries no signature either.
            _ if base_ok
                && c.provenance == CheckState::Missing
                && c.publish_attestation == CheckState::Missing
                && c.registry_signature == CheckState::Skipped
                && only(&[
                    Code::NoProvenance,
                    Code::PublishAttestationMissing,
                    Code::RegistrySignatureMissing,
                    Code::NotVerified,
                ]) =>
            {
                Class::None
            }
            _ => Class::Unverifiable,
        }
    }
}

/// Counts per class.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub total: usize,
    pub provenance: usize,
    pub attestation: usize,
    pub signature: usize,
    pub none: usize,
    pub unverifiable: usize,
    pub invalid: usize,
}

impl Counts {
    fn add(&mut self, c: Class) {
        self.total += 1;
        *match c {
            Class::Provenance => &mut self.provenance,
            Class::Attestation => &mut self.attestation,
            Class::Signature => &mut self.signature,
            Class::None => &mut self.none,
            Class::Unverifiable => &mut self.unverifiable,
            Class::Invalid => &mut self.invalid,
        } += 1;
    }
}

/// The splits of the tree.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Groups {
    pub all: Counts,
    pub direct: Counts,
    pub transitive: Counts,
    pub production: Counts,
    pub dev: Counts,
}

/// One surveyed package version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Surveyed {
    pub name: String,
    pub version: String,
    pub class: Class,
    pub direct: bool,
    pub dev: bool,
    /// The verified provenance's source repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_repository: Option<String>,
    /// Why it is not `provenance`: the report's first problem (`CODE: message`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A package that used to publish with provenance and no longer does.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Regression {
    pub name: String,
    pub version: String,
    /// The nearest earlier version whose provenance verified.
    pub last_with_provenance: String,
    pub source_repository: Option<String>,
}

/// Where verified provenance says the packages were built.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Builder {
    /// Source host (`github.com`, `gitlab.com`, …) or `unknown`.
    pub host: String,
    /// CI system, from the signing certificate's OIDC issuer (`GitHub Actions`, `GitLab CI`,
    /// else the issuer URL).
    pub ci: String,
    /// `github-hosted` / `self-hosted` when the certificate says.
    pub runner: Option<String>,
    pub count: usize,
}

/// Why packages could not be classified: one line per code.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unverified {
    pub code: Code,
    pub count: usize,
    pub example: String,
}

/// The result of a survey.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SurveyResult {
    /// The lockfile read, or the list file.
    pub source: String,
    /// Lockfile format, or `list`.
    pub format: String,
    pub groups: Groups,
    /// Packages not from a registry (git, file, links, bundled): nothing to survey.
    pub not_from_registry: usize,
    pub regressions: Vec<Regression>,
    pub builders: Vec<Builder>,
    /// Why the `unverifiable` packages are, by code (most frequent first).
    pub unverifiable: Vec<Unverified>,
    /// Set when the registry served no signing data at all (a mirror that strips it): every
    /// package is `unverifiable`, and the survey measures the mirror, not the packages.
    pub mirror: Option<String>,
    /// What could not be checked (the regression look-back), one line per reason.
    pub skipped: Vec<String>,
    /// Whether the result came from the cache.
    pub cached: bool,
    pub packages: Vec<Surveyed>,
}

/// The names a project declares itself: its `package.json` and each workspace's
/// (`dependencies`, `devDependencies`, `optionalDependencies`, `peerDependencies`). A missing
/// or unreadable `package.json` declares nothing (the survey then has no direct packages and
/// says so in `skipped`).
pub fn direct_names(dir: &Path, workspaces: &[String]) -> (BTreeSet<String>, Vec<String>) {
    let mut out = BTreeSet::new();
    let mut skipped = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(workspaces.iter().map(|w| dir.join(w)));
    for d in dirs {
        let file = d.join("package.json");
        let doc = crate::files::read_capped_opt(&file, 16 * 1024 * 1024)
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        let Some(doc) = doc else {
            skipped.push(format!(
                "direct dependencies: {} could not be read",
                file.display()
            ));
            continue;
        };
        for key in [
            "dependencies",
            "devDependencies",
            "optionalDependencies",
            "peerDependencies",
        ] {
            if let Some(m) = doc.get(key).and_then(Value::as_object) {
                for (k, v) in m {
                    // An alias (`"x": "npm:real@^1"`) installs the real name.
                    let real = v
                        .as_str()
                        .and_then(|s| s.strip_prefix("npm:"))
                        .and_then(|s| {
                            let at = s.get(1..)?.find('@').map_or(s.len(), |i| i + 1);
                            s.get(..at)
                        })
                        .unwrap_or(k);
                    out.insert(real.to_string());
                }
            }
        }
    }
    (out, skipped)
}

/// A list of names (one per line; `name@version` pins a version; a tab-separated file's first
/// column; `#` comments and a `name` header are ignored), as the packages to survey: each at
/// its `latest` dist-tag unless pinned, with the registry's integrity.
pub async fn resolve_list(
    ctx: &Context,
    text: &str,
    opts: &audit::Options,
) -> Result<(Vec<LockedPackage>, Vec<String>)> {
    let mut wanted: Vec<(String, Option<String>)> = Vec::new();
    for line in text.lines() {
        let first = line.split('\t').next().unwrap_or("").trim();
        if first.is_empty() || first.starts_with('#') || first == "name" {
            continue;
        }
        let (name, version) = match crate::lockfile::split_at_version_pub(first) {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (first.to_string(), None),
        };
        crate::npm::spec::parse(&name)
            .map_err(|e| Error::InvalidArg(format!("list entry {first:?}: {e}")))?;
        wanted.push((name, version));
    }
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, (name, version)) in wanted.into_iter().enumerate() {
        let (ctx, sem, reg) = (ctx.clone(), sem.clone(), opts.registry.clone());
        set.spawn(async move {
            let _p = sem.acquire_owned().await;
            let got = async {
                let r = ctx.registry_for(&name, reg.as_deref())?;
                let doc = match ctx
                    .client
                    .packument_as(&r, &name, crate::net::registry::Form::Abbreviated)
                    .await?
                {
                    crate::net::registry::Fetched::Found(d) => d,
                    crate::net::registry::Fetched::NotFound => {
                        return Err(Error::NotFound(format!("{name} is not in {r}")))
                    }
                };
                let v = match version {
                    Some(v) => v,
                    None => doc
                        .pointer("/dist-tags/latest")
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            Error::NotFound(format!("{name} has no latest dist-tag at {r}"))
                        })?
                        .to_string(),
                };
                let integrity = doc
                    .get("versions")
                    .and_then(|vs| vs.get(&v))
                    .and_then(|m| m.pointer("/dist/integrity"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let mut p = LockedPackage::new(&name, &v, Source::Registry);
                p.integrity = integrity;
                Ok::<_, Error>(p)
            }
            .await;
            (i, name, got)
        });
    }
    let mut found: Vec<(usize, LockedPackage)> = Vec::new();
    let mut skipped = Vec::new();
    while let Some(j) = set.join_next().await {
        match j {
            Ok((i, _, Ok(p))) => found.push((i, p)),
            Ok((_, name, Err(e))) => {
                skipped.push(format!("{name}: not resolved ({}: {e})", e.code()))
            }
            Err(e) => skipped.push(format!("a resolution task failed: {e}")),
        }
    }
    found.sort_by_key(|(i, _)| *i);
    skipped.sort();
    Ok((found.into_iter().map(|(_, p)| p).collect(), skipped))
}

/// Host of a repository URL (`git+https://github.com/a/b.git` → `github.com`).
fn host_of(repo: &str) -> String {
    let s = repo.strip_prefix("git+").unwrap_or(repo);
    let s = s.split_once("://").map_or(s, |(_, r)| r);
    let s = s.rsplit_once('@').map_or(s, |(_, r)| r);
    s.split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("unknown")
        .to_ascii_lowercase()
}

fn ci_of(issuer: Option<&str>, builder: Option<&str>) -> String {
    match issuer {
        Some("https://token.actions.githubusercontent.com") => "GitHub Actions".into(),
        Some(i) if i.starts_with("https://gitlab.") => "GitLab CI".into(),
        Some(i) => i.to_string(),
        None => builder.unwrap_or("unknown").to_string(),
    }
}

/// Survey a parsed tree. `dir`: where the project's `package.json` is (direct dependencies).
pub async fn survey(
    ctx: &Context,
    lock: &Lockfile,
    dir: Option<&Path>,
    opts: &audit::Options,
) -> Result<SurveyResult> {
    let audited = audit::audit(ctx, lock, opts, Arc::new(|_, _| {})).await?;
    let (direct, mut skipped) = match dir {
        Some(d) => direct_names(d, &lock.workspaces),
        // A list: every name was asked for.
        None => (
            lock.packages.iter().map(|p| p.name.clone()).collect(),
            Vec::new(),
        ),
    };
    let (regressions, more) = regressions(ctx, lock, &audited, opts).await;
    skipped.extend(more);
    Ok(summarize(lock, audited, &direct, regressions, skipped))
}

/// The packages that used to publish with provenance: the guard's look-back over the
/// packuments (full ones: it needs publish times) of every package whose provenance is
/// `missing`.
async fn regressions(
    ctx: &Context,
    lock: &Lockfile,
    audited: &AuditResult,
    opts: &audit::Options,
) -> (Vec<Regression>, Vec<String>) {
    let reports: HashMap<(&str, &str), &Report> = audited
        .packages
        .iter()
        .map(|r| ((r.name.as_str(), r.version.as_deref().unwrap_or("")), r))
        .collect();
    let missing: Vec<&LockedPackage> = lock
        .packages
        .iter()
        .filter(|p| {
            reports
                .get(&(p.name.as_str(), p.version.as_str()))
                .is_some_and(|r| r.checks.provenance == CheckState::Missing)
        })
        .collect();
    let mut skipped = Vec::new();
    let unchecked = reports
        .values()
        .filter(|r| {
            matches!(
                r.checks.provenance,
                CheckState::Skipped | CheckState::Failed
            )
        })
        .count();
    if unchecked > 0 {
        skipped.push(format!(
            "regressions: {unchecked} packages whose provenance was not checked were not compared with earlier versions"
        ));
    }
    if missing.is_empty() {
        return (Vec::new(), skipped);
    }
    // Full packuments: the audit fetched abbreviated ones (no publish times).
    let empty = AuditResult {
        packuments: HashMap::new(),
        ..audited_head(audited)
    };
    let fetched = crate::guard::fetch_packuments(ctx, &empty, &missing, opts).await;
    skipped.extend(
        fetched
            .notes
            .iter()
            .map(|n| format!("regressions: {}", n.reason)),
    );
    let histories: HashMap<String, Arc<History>> = fetched
        .docs
        .iter()
        .map(|(n, d)| (n.clone(), Arc::new(History::of(d))))
        .collect();
    let cfg = Config::default();
    let (earlier, notes) = crate::guard::earlier_provenance(
        ctx,
        &cfg,
        &reports,
        &missing,
        &fetched.docs,
        &histories,
        opts,
    )
    .await;
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for n in notes {
        *by_reason.entry(n.reason).or_default() += 1;
    }
    skipped.extend(
        by_reason
            .into_iter()
            .map(|(r, n)| format!("regressions: {n} packages: {r}")),
    );
    let mut out: Vec<Regression> = earlier
        .into_iter()
        .filter_map(|((name, version), e)| match e.provenance {
            Ok(Some(p)) => Some(Regression {
                name,
                version,
                last_with_provenance: e.version,
                source_repository: p.source_repository,
            }),
            Ok(None) => None,
            Err(why) => {
                skipped.push(format!(
                    "regressions: {name}@{version}: the attestations of {} could not be verified ({why})",
                    e.version
                ));
                None
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    (out, skipped)
}

/// An `AuditResult` with the same head and no packages (for the guard's helpers).
fn audited_head(a: &AuditResult) -> AuditResult {
    AuditResult {
        lockfile: a.lockfile.clone(),
        format: a.format.clone(),
        summary: Default::default(),
        packages: Vec::new(),
        packuments: HashMap::new(),
        not_from_registry: a.not_from_registry,
    }
}

fn summarize(
    lock: &Lockfile,
    audited: AuditResult,
    direct: &BTreeSet<String>,
    regressions: Vec<Regression>,
    skipped: Vec<String>,
) -> SurveyResult {
    // Flags per name@version (a version installed twice counts once, dev only if every
    // copy is).
    let mut flags: HashMap<(&str, &str), bool> = HashMap::new();
    for p in &lock.packages {
        if p.source == Source::Registry && !p.bundled {
            // npm's `dev`: installed only for development (also the optional deps of dev deps).
            let dev = p.dev;
            flags
                .entry((p.name.as_str(), p.version.as_str()))
                .and_modify(|d| *d &= dev)
                .or_insert(dev);
        }
    }
    let mut groups = Groups::default();
    let mut builders: BTreeMap<(String, String, Option<String>), usize> = BTreeMap::new();
    let mut reasons: BTreeMap<Code, (usize, String)> = BTreeMap::new();
    let mut packages = Vec::with_capacity(audited.packages.len());
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut mirror_like = 0usize;
    for r in &audited.packages {
        let version = r.version.clone().unwrap_or_default();
        if !seen.insert((r.name.clone(), version.clone())) {
            continue;
        }
        let class = Class::of(r);
        let is_direct = direct.contains(&r.name);
        let dev = flags
            .get(&(r.name.as_str(), version.as_str()))
            .copied()
            .unwrap_or(false);
        groups.all.add(class);
        if is_direct {
            groups.direct.add(class)
        } else {
            groups.transitive.add(class)
        }
        if dev {
            groups.dev.add(class)
        } else {
            groups.production.add(class)
        }
        let prov = r
            .provenance
            .as_deref()
            .filter(|_| class == Class::Provenance);
        if let Some(p) = prov {
            let host = p
                .source_repository
                .as_deref()
                .map_or_else(|| "unknown".to_string(), host_of);
            let ci = ci_of(p.issuer.as_deref(), p.builder_id.as_deref());
            *builders
                .entry((host, ci, p.runner_environment.clone()))
                .or_default() += 1;
        }
        let reason = if class == Class::Provenance {
            None
        } else {
            r.problems.first()
        };
        if class == Class::Unverifiable {
            let code = reason.map_or(Code::NotVerified, |p| p.code);
            let e = reasons
                .entry(code)
                .or_insert_with(|| (0, format!("{}@{version}", r.name)));
            e.0 += 1;
            // A registry that serves neither signatures nor attestations nor keys.
            if r.skipped.iter().any(|s| {
                s.check == "attestations" && s.reason.contains("neither dist.attestations")
            }) {
                mirror_like += 1;
            }
        }
        packages.push(Surveyed {
            name: r.name.clone(),
            version,
            class,
            direct: is_direct,
            dev,
            source_repository: prov.and_then(|p| p.source_repository.clone()),
            reason: reason.map(|p| format!("{}: {}", p.code, p.message)),
        });
    }
    let mut unverifiable: Vec<Unverified> = reasons
        .into_iter()
        .map(|(code, (count, example))| Unverified {
            code,
            count,
            example,
        })
        .collect();
    unverifiable.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
    let mut builders: Vec<Builder> = builders
        .into_iter()
        .map(|((host, ci, runner), count)| Builder {
            host,
            ci,
            runner,
            count,
        })
        .collect();
    builders.sort_by_key(|b| std::cmp::Reverse(b.count));
    let total = groups.all.total;
    let mirror = (total > 0 && mirror_like * 2 >= total).then(|| {
        format!(
            "{mirror_like} of {total} packages: the registry serves neither signatures, attestations nor keys \
             (a mirror that strips them?): they are unverifiable, so this survey measures the mirror, not the \
             packages; pass attestationsRegistry (--attestations-registry URL) to take signing data from a \
             registry that has it"
        )
    });
    SurveyResult {
        source: audited.lockfile,
        format: audited.format,
        groups,
        not_from_registry: audited.not_from_registry,
        regressions,
        builders,
        unverifiable,
        mirror,
        skipped,
        cached: false,
        packages,
    }
}

/// The survey as JSON text, with a whole-result cache in front (see the module's step 6).
/// `list`: the text of a name list instead of a tree.
pub async fn survey_json(
    ctx: &Context,
    tree: Option<audit::Tree>,
    list: Option<(String, String)>,
    dir: &Path,
    opts: &audit::Options,
) -> Result<String> {
    let inputs = [
        opts.registry.clone().unwrap_or_default(),
        opts.attestations_registry.clone().unwrap_or_default(),
        ctx.trust.fingerprint.clone(),
        ctx.client
            .config()
            .scoped_registries()
            .into_iter()
            .map(|(s, r)| format!("{s}={r}"))
            .collect::<Vec<_>>()
            .join(" "),
    ];
    // Only a lockfile is keyed by its bytes: a list resolves `latest`, which moves.
    let key = match (&opts.cache, &tree) {
        (Some(_), Some(audit::Tree::Lockfile { path, text })) => {
            let p = path.display().to_string();
            let mut parts: Vec<&str> = vec!["survey-v1", &p, text];
            parts.extend(inputs.iter().map(String::as_str));
            Some(crate::net::cache::tree_key(&parts))
        }
        _ => None,
    };
    if let (Some(c), Some(k)) = (&opts.cache, &key) {
        if let Some((true, json)) = c.get_tree(k).await {
            return Ok(json);
        }
    }
    let result = match (tree, list) {
        (_, Some((origin, text))) => {
            let (packages, mut skipped) = resolve_list(ctx, &text, opts).await?;
            let lock = Lockfile {
                format: crate::lockfile::Format::NodeModules,
                lockfile_version: String::new(),
                path: origin.into(),
                packages,
                workspaces: Vec::new(),
                dependencies: Default::default(),
            };
            let mut r = survey(ctx, &lock, None, opts).await?;
            r.format = "list".into();
            skipped.append(&mut r.skipped);
            r.skipped = skipped;
            r
        }
        (Some(tree), None) => {
            let lock = tokio::task::spawn_blocking(move || tree.load())
                .await
                .map_err(|e| Error::Internal(e.to_string()))??;
            let project = lock
                .path
                .parent()
                .map_or(dir.to_path_buf(), Path::to_path_buf);
            survey(ctx, &lock, Some(&project), opts).await?
        }
        (None, None) => return Err(Error::InvalidArg("nothing to survey".into())),
    };
    let mut json = serde_json::to_string(&result).map_err(|e| Error::Internal(e.to_string()))?;
    if let (Some(c), Some(k)) = (&opts.cache, &key) {
        let complete = result.groups.all.unverifiable == 0 && result.skipped.is_empty();
        if complete {
            let mut stored = result;
            stored.cached = true;
            let text =
                serde_json::to_string(&stored).map_err(|e| Error::Internal(e.to_string()))?;
            // Best effort: a failed write costs a re-survey next time.
            let _ = c.put_tree(k, true, &text).await;
            json = serde_json::to_string(&SurveyResult {
                cached: false,
                ..stored
            })
            .map_err(|e| Error::Internal(e.to_string()))?;
        }
    }
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Problem;

    fn report(status: Status, checks: [CheckState; 6], problems: &[Code]) -> Report {
        let mut r = Report::new("a@1.0.0", "a");
        r.version = Some("1.0.0".into());
        r.status = Some(status);
        let [resolve, integrity, registry_signature, publish_attestation, provenance, transparency_log] =
            checks;
        r.checks = crate::report::Checks {
            resolve,
            integrity,
            registry_signature,
            publish_attestation,
            provenance,
            transparency_log,
        };
        r.problems = problems.iter().map(|c| Problem::new(*c, "x")).collect();
        r
    }

    use CheckState::{Failed as F, Missing as M, Passed as P, Skipped as S};

    #[test]
    fn classes_are_fail_closed() {
        assert_eq!(
            Class::of(&report(Status::Verified, [P; 6], &[])),
            Class::Provenance
        );
        assert_eq!(
            Class::of(&report(
                Status::Unverifiable,
                [P, P, P, P, M, P],
                &[Code::NoProvenance, Code::NotVerified]
            )),
            Class::Attestation
        );
        // The publish attestation's tlog entry was not checked: not "attestation".
        assert_eq!(
            Class::of(&report(
                Status::Unverifiable,
                [P, P, P, P, M, S],
                &[Code::NoProvenance]
            )),
            Class::Unverifiable
        );
        assert_eq!(
            Class::of(&report(
                Status::Unsigned,
                [P, P, P, M, M, S],
                &[Code::NoProvenance, Code::PublishAttestationMissing]
            )),
            Class::Signature
        );
        assert_eq!(
            Class::of(&report(
                Status::Unverifiable,
                [P, P, S, M, M, S],
                &[
                    Code::RegistrySignatureMissing,
                    Code::NoProvenance,
                    Code::PublishAttestationMissing
                ]
            )),
            Class::None
        );
        // Behind a mirror: attestations could not be asked for.
        assert_eq!(
            Class::of(&report(
                Status::Unverifiable,
                [P, P, S, S, S, S],
                &[
                    Code::RegistrySignatureMissing,
                    Code::AttestationsUnavailable
                ]
            )),
            Class::Unverifiable
        );
        assert_eq!(
            Class::of(&report(
                Status::Invalid,
                [P, F, P, P, P, P],
                &[Code::Integrity]
            )),
            Class::Invalid
        );
    }

    #[test]
    fn hosts_and_ci() {
        assert_eq!(host_of("git+https://github.com/a/b.git"), "github.com");
        assert_eq!(host_of("https://gitlab.com/a/b"), "gitlab.com");
        assert_eq!(host_of("git@github.com:a/b"), "github.com");
        assert_eq!(host_of(""), "unknown");
        assert_eq!(
            ci_of(Some("https://token.actions.githubusercontent.com"), None),
            "GitHub Actions"
        );
        assert_eq!(ci_of(Some("https://gitlab.com"), None), "GitLab CI");
    }

    #[test]
    fn direct_dependencies_come_from_package_json() {
        let dir = crate::testdata::path("../data/lockfiles/npm-v3/jellyfin-web");
        let (names, skipped) = direct_names(&dir, &[]);
        assert!(skipped.is_empty(), "{skipped:?}");
        assert!(!names.is_empty());
        let missing = crate::testdata::path("../data/lockfiles/nope");
        let (names, skipped) = direct_names(&missing, &[]);
        assert!(names.is_empty());
        assert_eq!(skipped.len(), 1);
    }
}
