//! `lintSync`: what can be known about a project's lockfile without the network, at once.
//!
//! ESLint rules are synchronous and run on every save: they cannot wait for a registry. This
//! check reads only local state:
//! 1. the lockfile (the one `audit` would pick) and the project's policy;
//! 2. the audit's verdict cache (`net::cache`): each registry package with a stored
//!    `verified` / `unsigned` verdict for its exact `name@version`, lockfile integrity,
//!    registry and this build's trust material is reported so; every other one is `unknown`
//!    (never verified here, or its last check did not pass — the cache keeps only verdicts that
//!    passed), with nothing inferred;
//! 3. the offline policy rules: typosquatting (by name; a look-alike's age — an old one is a
//!    warning, as in the guard — from the packument cache when the guard stored it), malware
//!    advisories (the policy's sources), dependency confusion by configuration (scope
//!    registries, `rules.dependencyConfusion.private`, 99.x versions; the public-name lookup
//!    needs the network and is listed under `skipped`); exceptions apply as in the guard.
//!
//! Results are kept per process, keyed by the lockfile's bytes, the policy file's bytes and
//! the options; the verdict cache's tree directory time is part of the key, so an
//! `audit` run that writes a tree entry is seen at the next call.

use crate::audit;
use crate::error::{Error, Result};
use crate::lockfile::Source;
use crate::net::cache::{self, Cache};
use crate::policy::{self, Config, Finding, Level, Note};
use crate::report::Status;
use crate::verify::Context;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where the project is looked for (a lockfile there, else in a parent directory).
    pub cwd: PathBuf,
    /// An explicit lockfile (relative to `cwd`).
    pub lockfile: Option<PathBuf>,
    /// An explicit policy file (relative to the project directory).
    pub config: Option<PathBuf>,
    pub registry: Option<String>,
    /// Read the verdict cache (else every registry package is `unknown`).
    pub cache: bool,
    pub cache_dir: Option<PathBuf>,
    /// The `key` of a result the caller holds: when it is still the answer, only
    /// `{"key":…,"unchanged":true}` is returned (no result to copy and parse again).
    pub if_none_match: Option<String>,
}

/// One locked package and what the cache says of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// `verified` / `unsigned` (a stored verdict), `unknown` (none), `notRegistry`.
    pub status: &'static str,
    /// Installed at the top of the tree (npm: `node_modules/<name>`).
    pub top: bool,
    /// Why `unknown` / `notRegistry`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Counts by status.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub total: usize,
    pub verified: usize,
    pub unsigned: usize,
    pub unknown: usize,
    pub not_registry: usize,
}

/// The offline verdict.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintResult {
    /// What the result depends on, hashed (see [`Options::if_none_match`]).
    pub key: String,
    /// The lockfile read; `None` when the project has none.
    pub lockfile: Option<String>,
    pub config: String,
    /// The verdict cache read, if any.
    pub cache_dir: Option<String>,
    pub counts: Counts,
    pub packages: Vec<Package>,
    /// Offline findings not allowed by an exception, errors first.
    pub findings: Vec<Finding>,
    pub allowed: Vec<Finding>,
    /// What could not be checked, and why.
    pub skipped: Vec<String>,
}

type Memo = HashMap<String, Arc<String>>;
static MEMO: Mutex<Option<Memo>> = Mutex::new(None);
/// Keys kept at most (one per project and lockfile state; an editor session has few).
const MEMO_MAX: usize = 64;

/// How many results were computed (not served from the per-process memo).
static COMPUTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many checks this process computed (memo misses).
pub fn computed() -> usize {
    COMPUTED.load(std::sync::atomic::Ordering::Relaxed)
}

/// The nearest directory from `cwd` up that holds a lockfile, with that lockfile.
fn find_lockfile(cwd: &Path) -> Option<(PathBuf, PathBuf)> {
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        if let Some(l) = crate::lockfile::find(d) {
            return Some((d.to_path_buf(), l));
        }
        dir = d.parent();
    }
    None
}

fn mtime(p: &Path) -> String {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().to_string())
        .unwrap_or_default()
}

/// The offline check as JSON text (see the module docs), memoised per process.
pub fn check_json(opts: &Options) -> Result<Arc<String>> {
    let (dir, lockfile) = match &opts.lockfile {
        Some(l) => {
            let l = opts.cwd.join(l);
            (crate::guard::project_dir(&opts.cwd, Some(&l)), Some(l))
        }
        None => match find_lockfile(&opts.cwd) {
            Some((d, l)) => (d, Some(l)),
            None => (opts.cwd.clone(), None),
        },
    };
    let cfg = Config::load(&dir, opts.config.as_deref())?;
    let text = match &lockfile {
        Some(l) => Some(crate::lockfile::read_text(l)?),
        None => None,
    };
    let cache = if opts.cache {
        let dir = match &opts.cache_dir {
            Some(d) => Some(opts.cwd.join(d)),
            None => Cache::default_dir(&crate::config::npmrc::NpmConfig::load(&dir)?),
        };
        match dir {
            Some(d) => Some(Cache::open(&d)?),
            None => None,
        }
    } else {
        None
    };
    // The key: everything the answer depends on that can change while a process lives.
    let policy_bytes = if cfg.source.starts_with('<') {
        Vec::new()
    } else {
        crate::files::read_capped(Path::new(&cfg.source), 16 * 1024 * 1024).unwrap_or_default()
    };
    let (_, adv) = cfg.rule("advisories", "");
    let sources: Vec<String> = adv
        .sources
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let p = cfg.dir.join(s);
            format!("{}@{}", p.display(), mtime(&p))
        })
        .collect();
    let key = {
        let mut h = Sha256::new();
        let lock_path = lockfile.as_ref().map(|l| l.display().to_string());
        let dir_text = dir.to_string_lossy().into_owned();
        let sources = sources.join("\n");
        let (cache_dir, trees) = match &cache {
            Some(c) => (
                c.dir().to_string_lossy().into_owned(),
                mtime(&c.dir().join("v1").join("trees")),
            ),
            None => Default::default(),
        };
        let parts: [&[u8]; 9] = [
            dir_text.as_bytes(),
            lock_path.as_deref().unwrap_or("").as_bytes(),
            text.as_deref().unwrap_or("").as_bytes(),
            cfg.source.as_bytes(),
            &policy_bytes,
            sources.as_bytes(),
            opts.registry.as_deref().unwrap_or("").as_bytes(),
            cache_dir.as_bytes(),
            trees.as_bytes(),
        ];
        for p in parts {
            h.update((p.len() as u64).to_be_bytes());
            h.update(p);
        }
        hex::encode(h.finalize())
    };
    if opts.if_none_match.as_deref() == Some(key.as_str()) {
        return Ok(Arc::new(format!(
            "{{\"key\":\"{key}\",\"unchanged\":true}}"
        )));
    }
    if let Some(hit) = MEMO
        .lock()
        .ok()
        .and_then(|m| m.as_ref().and_then(|m| m.get(&key).cloned()))
    {
        return Ok(hit);
    }
    let mut result = check(&dir, &cfg, lockfile.as_deref(), text, cache.as_ref(), opts)?;
    result.key = key.clone();
    let json =
        Arc::new(serde_json::to_string(&result).map_err(|e| Error::Internal(e.to_string()))?);
    COMPUTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Ok(mut m) = MEMO.lock() {
        let m = m.get_or_insert_with(HashMap::new);
        if m.len() >= MEMO_MAX {
            m.clear();
        }
        m.insert(key, json.clone());
    }
    Ok(json)
}

fn check(
    dir: &Path,
    cfg: &Config,
    lockfile: Option<&Path>,
    text: Option<String>,
    cache: Option<&Cache>,
    opts: &Options,
) -> Result<LintResult> {
    let mut result = LintResult {
        key: String::new(),
        lockfile: lockfile.map(|l| l.display().to_string()),
        config: cfg.source.clone(),
        cache_dir: cache.map(|c| c.dir().display().to_string()),
        counts: Counts::default(),
        packages: Vec::new(),
        findings: Vec::new(),
        allowed: Vec::new(),
        skipped: Vec::new(),
    };
    let (Some(path), Some(text)) = (lockfile, text) else {
        result.skipped.push(format!(
            "no lockfile in {} or a parent directory: nothing is locked, nothing could be checked",
            dir.display()
        ));
        return Ok(result);
    };
    let lock = crate::lockfile::parse_text(path, &text)?;
    drop(text);
    let trust = crate::config::trust::TrustMaterial::default_shared()?;
    let mut ctx = Context::new(dir.to_path_buf(), trust.clone())?;
    ctx.client = ctx.client.clone().offline(true);
    let mut notes: Vec<Note> = Vec::new();

    // 2. Stored verdicts.
    let mut registries: HashMap<String, Result<String>> = HashMap::new();
    for p in &lock.packages {
        let top = p.paths.iter().any(|x| {
            x.strip_prefix("node_modules/")
                .is_some_and(|n| n == p.alias.as_deref().unwrap_or(&p.name))
        });
        let mut pkg = Package {
            name: p.name.clone(),
            version: p.version.clone(),
            alias: p.alias.clone(),
            status: "unknown",
            top,
            reason: None,
        };
        let not_registry = match &p.source {
            Source::Registry if p.bundled => Some("bundled inside its parent's tarball".into()),
            Source::Registry => None,
            Source::Git { url } => Some(format!("git dependency ({url})")),
            Source::File { path } => Some(format!("local file dependency ({path})")),
            Source::Tarball { url } => Some(format!("remote tarball dependency ({url})")),
            Source::Workspace { path } => Some(format!("workspace package ({path})")),
            Source::Link { path } => Some(format!("linked directory ({path})")),
        };
        if let Some(why) = not_registry {
            pkg.status = "notRegistry";
            pkg.reason = Some(why);
            result.counts.not_registry += 1;
            result.packages.push(pkg);
            continue;
        }
        let scope = p.name.split_once('/').map_or("", |(s, _)| s).to_string();
        let registry = registries
            .entry(scope)
            .or_insert_with(|| ctx.registry_for(&p.name, opts.registry.as_deref()));
        let found = match (cache, audit::lock_evidence(p), &*registry) {
            (None, _, _) => Err("the verdict cache is off (cache: false)".to_string()),
            (_, None, _) => Err("the lockfile pins no integrity for it".to_string()),
            (_, _, Err(e)) => Err(format!("its registry is unknown ({e})")),
            (Some(c), Some(evidence), Ok(registry)) => {
                // `audit` stores under the abbreviated-packument key, `guard` under the full.
                ["#abbreviated", ""]
                    .iter()
                    .find_map(|att| {
                        c.get_blocking(&cache::Key {
                            name: &p.name,
                            version: &p.version,
                            integrity: &evidence,
                            registry,
                            attestations: att,
                            trust: &trust.fingerprint,
                        })
                    })
                    .ok_or_else(|| {
                        "no verified verdict in the cache: never verified with this lockfile \
                         entry, registry and trust material, or its last check did not pass \
                         (run `prov-native audit`)"
                            .to_string()
                    })
            }
        };
        match found {
            Ok(r) if r.status == Some(Status::Verified) => {
                pkg.status = "verified";
                result.counts.verified += 1;
            }
            Ok(r) if r.status == Some(Status::Unsigned) => {
                pkg.status = "unsigned";
                result.counts.unsigned += 1;
            }
            // The cache stores only `verified` / `unsigned`; anything else is not a verdict.
            found => {
                let why = found.err().unwrap_or_else(|| {
                    "the cached entry is not a verified or unsigned verdict".to_string()
                });
                pkg.reason = Some(why);
                result.counts.unknown += 1;
            }
        }
        result.packages.push(pkg);
    }
    result.counts.total = result.packages.len();

    // 3. Offline rules.
    let now = jiff::Timestamp::now();
    let lock = Arc::new(lock);
    let no_packuments = HashMap::new();
    let offline: HashMap<String, String> = lock
        .packages
        .iter()
        .filter(|p| p.source == Source::Registry)
        .map(|p| (p.name.clone(), "the linter reads no packument".to_string()))
        .collect();
    // The dependency-confusion rule's public-name lookup is the only part that needs the
    // network: with an offline client it fails at once and is noted. The runtime also reads
    // the packument cache.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let (mut ts, mut ts_notes) =
        crate::guard::typosquats(cfg, &lock, &no_packuments, &offline, now)?;
    // A look-alike's age (an old one is a warning, as in the guard) from the packument the
    // guard cached, when there is one: publish times do not change.
    let mut docs: HashMap<String, Arc<serde_json::Value>> = HashMap::new();
    if let Some(c) = cache {
        for f in &ts {
            if docs.contains_key(&f.name) {
                continue;
            }
            let Some(Ok(registry)) = registries.get(f.name.split_once('/').map_or("", |(s, _)| s))
            else {
                continue;
            };
            let key = crate::net::registry::packument_cache_key(
                registry,
                &f.name,
                crate::net::registry::Form::Full,
            );
            let max = crate::net::registry::MAX_PACKUMENT_BYTES as u64 + 1024;
            if let Some((_, body)) = rt.block_on(c.get_packument(&key, max)) {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                    docs.insert(f.name.clone(), Arc::new(v));
                }
            }
        }
    }
    if !docs.is_empty() {
        (ts, ts_notes) = crate::guard::typosquats(cfg, &lock, &docs, &offline, now)?;
    }
    let mut findings = ts;
    notes.extend(ts_notes);
    let (adv, adv_notes) = crate::guard::advisories(cfg, &lock, dir, &[])?;
    findings.extend(adv);
    notes.extend(adv_notes);
    let (_, workspaces) = crate::guard::workspace_names(dir, &lock)?;
    let audit_opts = audit::Options {
        registry: opts.registry.clone(),
        concurrency: 1,
        ..Default::default()
    };
    let (dc, dc_notes) = rt.block_on(crate::guard::dependency_confusion(
        &ctx,
        cfg,
        &lock,
        &workspaces,
        &no_packuments,
        &Default::default(),
        &audit_opts,
    ));
    findings.extend(dc);
    notes.extend(dc_notes);
    let (allowed, findings) = policy::settle(cfg, findings, now);
    result.findings = findings;
    result.allowed = allowed;
    notes.push(Note::new(
        "provenanceRegression, requireProvenance, publisherChange, installScripts, suspiciousCode",
        "need packuments, attestations or tarballs (network): run by `prov-native guard`, not by the linter",
        "",
    ));
    if cfg.level("typosquat", "") != Level::Off {
        notes.push(Note::new(
            "typosquat",
            "a look-alike's age is read from the packument cache (filled by `prov-native guard`); without a cached packument it is unknown and the finding keeps the rule's level (the guard lowers old packages to a warning)",
            "",
        ));
    }
    result.skipped = policy::summarize_notes(&notes);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests count the process-wide memo's misses: one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());
    fn serial() -> std::sync::MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn project(lock: &str, policy: Option<&str>) -> PathBuf {
        static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("prov-native-lint-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("package-lock.json"), lock).unwrap();
        std::fs::write(dir.join(".npmrc"), "registry=http://127.0.0.1:9/\n").unwrap();
        if let Some(p) = policy {
            std::fs::write(dir.join("prov-native.config.json"), p).unwrap();
        }
        dir
    }

    const LOCK: &str = r#"{"name":"x","version":"1.0.0","lockfileVersion":3,"packages":{
        "":{"name":"x","version":"1.0.0","dependencies":{"jqeury":"1.0.0","@corp/lib":"99.0.0"}},
        "node_modules/jqeury":{"version":"1.0.0","resolved":"http://127.0.0.1:9/jqeury/-/jqeury-1.0.0.tgz","integrity":"sha512-AAAA"},
        "node_modules/@corp/lib":{"version":"99.0.0","resolved":"http://127.0.0.1:9/@corp/lib/-/lib-99.0.0.tgz","integrity":"sha512-BBBB"}}}"#;

    /// Offline: nothing is `verified` without a stored verdict; the typosquat and the 99.x
    /// private package are found; an unchanged project is answered from the memo.
    #[test]
    fn offline_findings_and_unknown_verdicts() {
        let _serial = serial();
        let dir = project(
            LOCK,
            Some(r#"{"rules":{"dependencyConfusion":{"level":"error","private":["@corp/*"]}}}"#),
        );
        let cache_dir = dir.join("cache");
        let opts = Options {
            cwd: dir.clone(),
            cache: true,
            cache_dir: Some(cache_dir),
            ..Default::default()
        };
        let before = computed();
        let json = check_json(&opts).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["counts"]["unknown"], 2, "{v}");
        assert_eq!(v["counts"]["verified"], 0);
        let rules: Vec<(&str, &str)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["rule"].as_str().unwrap(), f["name"].as_str().unwrap()))
            .collect();
        assert!(rules.contains(&("typosquat", "jqeury")), "{rules:?}");
        assert!(
            rules.contains(&("dependencyConfusion", "@corp/lib")),
            "{rules:?}"
        );
        assert!(v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["top"] == true));
        let again = check_json(&opts).unwrap();
        assert!(Arc::ptr_eq(&json, &again));
        assert_eq!(computed(), before + 1);
        // A caller holding this result gets a short answer.
        let key = v["key"].as_str().unwrap().to_string();
        let short = check_json(&Options {
            if_none_match: Some(key.clone()),
            ..opts.clone()
        })
        .unwrap();
        assert_eq!(*short, format!("{{\"key\":\"{key}\",\"unchanged\":true}}"));
        // A changed lockfile is checked again.
        std::fs::write(dir.join("package-lock.json"), LOCK.replace("AAAA", "CCCC")).unwrap();
        check_json(&opts).unwrap();
        assert_eq!(computed(), before + 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The age of a look-alike comes from the packument the guard cached: an old one is a
    /// warning, as in the guard.
    #[test]
    fn an_old_look_alike_in_the_packument_cache_is_a_warning() {
        let _serial = serial();
        let dir = project(LOCK, None);
        let cache_dir = dir.join("cache");
        let c = Cache::open(&cache_dir).unwrap();
        let key = crate::net::registry::packument_cache_key(
            "http://127.0.0.1:9/",
            "jqeury",
            crate::net::registry::Form::Full,
        );
        let doc = serde_json::json!({
            "name": "jqeury",
            "time": { "created": "2015-01-01T00:00:00.000Z", "1.0.0": "2015-01-01T00:00:00.000Z" },
            "versions": { "1.0.0": {} }
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(c.put_packument(&key, "\"e1\"", &doc.to_string()))
            .unwrap();
        let opts = Options {
            cwd: dir.clone(),
            cache: true,
            cache_dir: Some(cache_dir),
            ..Default::default()
        };
        let v: serde_json::Value = serde_json::from_str(&check_json(&opts).unwrap()).unwrap();
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "typosquat" && f["name"] == "jqeury")
            .expect("the typosquat finding");
        assert_eq!(f["level"], "warn", "{f}");
        assert!(
            f["evidence"]
                .to_string()
                .contains("first published 2015-01-01"),
            "{f}"
        );
        // Without the cache, the age is unknown: the rule's level.
        let v: serde_json::Value = serde_json::from_str(
            &check_json(&Options {
                cache: false,
                ..opts
            })
            .unwrap(),
        )
        .unwrap();
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "typosquat")
            .unwrap();
        assert_eq!(f["level"], "error", "{f}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_broken_lockfile_is_an_error_not_a_clean_result() {
        let _serial = serial();
        let dir = project("{ not json", None);
        let opts = Options {
            cwd: dir.clone(),
            ..Default::default()
        };
        assert!(check_json(&opts).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
