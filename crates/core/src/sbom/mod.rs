//! `sbom`: a software bill of materials for a lockfile, with the provenance evidence the audit
//! established for each package.
//!
//! 1. Read the tree as the audit does ([`crate::audit::find_tree`]: every lockfile format, or
//!    `node_modules`) and the root project's `package.json` beside it.
//! 2. One component per installed location (`name@version|path` bom-refs, so a version
//!    installed twice is two components that do not collide), with its purl, the lockfile's
//!    integrity as hashes, its `resolved` URL as the distribution reference, its licence (npm
//!    lockfiles record it) and its dependency edges, from the lockfile model's graph
//!    ([`crate::lockfile::Dependencies`]: every format, each edge resolved to the install
//!    location the package manager uses). The root's edges are the lockfile's record of the
//!    root project's dependencies, else the manifest's dependencies resolved through
//!    [`Lockfile::direct`] (npm v1, yarn classic); their kind (prod, optional, peer, dev) is
//!    the manifest field that names them.
//! 3. Evidence: when an audit result is given (the caller runs it, from the cache when it
//!    already ran), each registry component gets its verdict, the state of every check, the
//!    source repository and commit, the build run, the builder and the attestation URL — as
//!    `prov-native:*` properties and `vcs`/`build-system`/`attestation` references.
//! 4. Serialise as CycloneDX 1.6 ([`cyclonedx`]) or SPDX 2.3 ([`spdx`]) JSON; reproducible
//!    mode leaves out the serial number and the time (SPDX, which requires a time, gets the
//!    epoch and a namespace derived from the content).

pub mod cyclonedx;
pub mod spdx;

use crate::audit::AuditResult;
use crate::error::{Error, Result};
use crate::lockfile::{DepKind, LockedPackage, Lockfile, Node, Source};
use crate::report::{CheckState, Report};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDx,
    Spdx,
}

impl Format {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "cyclonedx" => Ok(Format::CycloneDx),
            "spdx" => Ok(Format::Spdx),
            f => Err(Error::InvalidArg(format!(
                "format must be \"cyclonedx\" or \"spdx\", not {f:?}"
            ))),
        }
    }
}

/// How to write.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub format: Format,
    pub reproducible: bool,
}

/// The root project.
#[derive(Debug, Clone, Default)]
pub struct Root {
    pub name: String,
    pub version: String,
    pub license: Option<String>,
    pub repository: Option<String>,
    /// The manifest's direct dependencies: name, range, kind (a name in two fields counts
    /// once, by the first of dependencies, optionalDependencies, peerDependencies,
    /// devDependencies).
    pub direct: Vec<(String, String, DepKind)>,
}

impl Root {
    /// From `package.json` (missing fields: the directory's name, `0.0.0`).
    pub fn from_manifest(m: Option<&Value>, fallback_name: &str) -> Self {
        let s = |k: &str| {
            m.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let repository = m.and_then(|m| m.get("repository")).and_then(|r| match r {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("url").and_then(Value::as_str).map(str::to_string),
            _ => None,
        });
        let mut direct: Vec<(String, String, DepKind)> = Vec::new();
        for (field, kind) in [
            ("dependencies", DepKind::Prod),
            ("optionalDependencies", DepKind::Optional),
            ("peerDependencies", DepKind::Peer),
            ("devDependencies", DepKind::Dev),
        ] {
            let Some(Value::Object(d)) = m.and_then(|m| m.get(field)) else {
                continue;
            };
            for (n, r) in d {
                if !direct.iter().any(|(x, _, _)| x == n) {
                    direct.push((n.clone(), r.as_str().unwrap_or("").to_string(), kind));
                }
            }
        }
        Root {
            name: s("name").unwrap_or_else(|| fallback_name.to_string()),
            version: s("version").unwrap_or_else(|| "0.0.0".into()),
            license: s("license"),
            repository,
            direct,
        }
    }

    pub fn bom_ref(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// Evidence for one component.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// `verified`, `unsigned`, `invalid`, `unverifiable`, or `not-verifiable` (not from a
    /// registry), `not-checked` (no audit ran).
    pub verdict: String,
    pub reason: Option<String>,
    pub checks: Vec<(&'static str, String)>,
    pub source_repository: Option<String>,
    pub source_commit: Option<String>,
    pub source_ref: Option<String>,
    pub workflow: Option<String>,
    pub builder: Option<String>,
    pub build_run: Option<String>,
    pub attestation_url: Option<String>,
    pub publish_attestation_verified: Option<bool>,
    pub problems: Vec<String>,
}

fn state(s: CheckState) -> String {
    match s {
        CheckState::Passed => "passed",
        CheckState::Failed => "failed",
        CheckState::Skipped => "skipped",
        CheckState::Missing => "missing",
    }
    .into()
}

impl Evidence {
    fn from_report(r: &Report) -> Self {
        let p = r.provenance.as_deref();
        let c = &r.checks;
        let verified = r.status.map(|s| s.as_str().to_string());
        let passed = r.status == Some(crate::report::Status::Verified)
            || r.status == Some(crate::report::Status::Unsigned);
        // Provenance facts are evidence only when the provenance check passed and no other
        // check failed (a lockfile naming other bytes makes them about another tarball).
        let prov_ok =
            c.provenance == CheckState::Passed && r.status != Some(crate::report::Status::Invalid);
        let get = |f: fn(&crate::sigstore::provenance::Provenance) -> &Option<String>| {
            p.filter(|_| prov_ok).and_then(|p| f(p).clone())
        };
        Evidence {
            verdict: verified.unwrap_or_else(|| "unverifiable".into()),
            reason: (!passed)
                .then(|| r.problems.first().map(|p| p.message.clone()))
                .flatten(),
            checks: vec![
                ("integrity", state(c.integrity)),
                ("registry-signature", state(c.registry_signature)),
                ("publish-attestation", state(c.publish_attestation)),
                ("provenance", state(c.provenance)),
                ("transparency-log", state(c.transparency_log)),
            ],
            source_repository: get(|p| &p.source_repository),
            source_commit: get(|p| &p.source_commit),
            source_ref: get(|p| &p.source_ref),
            workflow: get(|p| &p.workflow_path),
            builder: get(|p| &p.builder_id),
            build_run: get(|p| &p.build_invocation_url),
            attestation_url: r
                .attestations_source
                .clone()
                .filter(|_| prov_ok || c.publish_attestation == CheckState::Passed),
            publish_attestation_verified: Some(c.publish_attestation == CheckState::Passed),
            problems: r
                .problems
                .iter()
                .map(|p| p.code.as_str().to_string())
                .collect(),
        }
    }

    /// `prov-native:*` properties, in a fixed order.
    pub fn properties(&self) -> Vec<(String, String)> {
        let mut v = vec![("prov-native:verdict".to_string(), self.verdict.clone())];
        if let Some(r) = &self.reason {
            v.push(("prov-native:reason".into(), r.clone()));
        }
        for (k, s) in &self.checks {
            v.push((format!("prov-native:check:{k}"), s.clone()));
        }
        if let Some(b) = self.publish_attestation_verified {
            v.push((
                "prov-native:publish-attestation-verified".into(),
                b.to_string(),
            ));
        }
        for (k, s) in [
            ("source-repository", &self.source_repository),
            ("source-commit", &self.source_commit),
            ("source-ref", &self.source_ref),
            ("workflow", &self.workflow),
            ("builder", &self.builder),
            ("build-run", &self.build_run),
            ("attestation-url", &self.attestation_url),
        ] {
            if let Some(s) = s {
                v.push((format!("prov-native:{k}"), s.clone()));
            }
        }
        if !self.problems.is_empty() {
            let mut p = self.problems.clone();
            p.sort();
            p.dedup();
            v.push(("prov-native:problems".into(), p.join(",")));
        }
        v
    }

    /// `vcs` at the commit (`git+<repo>#<commit>`).
    pub fn vcs_url(&self) -> Option<String> {
        let repo = self.source_repository.as_ref()?;
        let repo = if repo.starts_with("git+") {
            repo.clone()
        } else {
            format!("git+{repo}")
        };
        Some(match &self.source_commit {
            Some(c) => format!("{repo}#{c}"),
            None => repo,
        })
    }
}

/// One installed location of a package.
#[derive(Debug, Clone)]
pub struct Component<'a> {
    pub pkg: &'a LockedPackage,
    pub path: String,
    pub bom_ref: String,
    pub license: Option<String>,
    pub evidence: Option<Evidence>,
}

/// The graph the serialisers write.
pub struct Bom<'a> {
    pub root: Root,
    pub lock: &'a Lockfile,
    pub components: Vec<Component<'a>>,
    /// What the root depends on: component indices with the edge kind (`prod`, `dev`,
    /// `optional`, `peer`), sorted by bom-ref.
    pub root_edges: Vec<(usize, &'static str)>,
    /// Per component (same index), what it depends on, likewise.
    pub edges: Vec<Vec<(usize, &'static str)>>,
    /// The lockfile model has the graph (false: components only, e.g. a tree from a list).
    pub graph_complete: bool,
}

/// `pkg:npm/%40scope/name@version` (+ qualifiers for git and remote tarballs).
pub fn purl(p: &LockedPackage) -> String {
    let enc = |s: &str| {
        let mut o = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                o.push(b as char);
            } else {
                o.push_str(&format!("%{b:02X}"));
            }
        }
        o
    };
    let name = match p.name.split_once('/') {
        Some((scope, n)) if p.name.starts_with('@') => format!("{}/{}", enc(scope), enc(n)),
        _ => enc(&p.name),
    };
    let mut s = format!("pkg:npm/{name}@{}", enc(&p.version));
    match &p.source {
        Source::Git { url } => s.push_str(&format!("?vcs_url={}", enc(url))),
        Source::Tarball { url } => s.push_str(&format!("?download_url={}", enc(url))),
        _ => {}
    }
    s
}

/// The string `license` of each npm v2/v3 `packages` entry that has one, by install path
/// (only that field is read: the rest of each entry is skipped, not built).
fn npm_licenses(text: &str) -> Option<HashMap<String, String>> {
    #[derive(serde::Deserialize)]
    struct Doc {
        packages: Option<HashMap<String, Entry>>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        license: Option<Value>,
    }
    let d: Doc = serde_json::from_str(text).ok()?;
    Some(
        d.packages?
            .into_iter()
            .filter_map(|(k, e)| match e.license {
                Some(Value::String(l)) => Some((k, l)),
                _ => None,
            })
            .collect(),
    )
}

/// Steps 2–3.
pub fn build<'a>(
    lock: &'a Lockfile,
    lock_text: Option<&str>,
    root: Root,
    audit: Option<&AuditResult>,
) -> Bom<'a> {
    let licenses = lock_text.and_then(npm_licenses);
    let reports: HashMap<(&str, &str), &Report> = audit
        .map(|a| {
            a.packages
                .iter()
                .filter_map(|r| Some(((r.name.as_str(), r.version.as_deref()?), r)))
                .collect()
        })
        .unwrap_or_default();
    let skipped: HashMap<(&str, &str), &str> = audit
        .map(|a| {
            a.summary
                .skipped
                .iter()
                .map(|s| ((s.name.as_str(), s.version.as_str()), s.reason.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let mut components = Vec::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    for p in &lock.packages {
        let paths: Vec<String> = if p.paths.is_empty() {
            vec![String::new()]
        } else {
            p.paths.clone()
        };
        for path in paths {
            let mut bom_ref = if path.is_empty() {
                format!("{}@{}", p.name, p.version)
            } else {
                format!("{}@{}|{path}", p.name, p.version)
            };
            let mut n = 1;
            while used.contains(&bom_ref) {
                n += 1;
                bom_ref = format!("{}@{}|{path}#{n}", p.name, p.version);
            }
            used.insert(bom_ref.clone());
            let license = licenses.as_ref().and_then(|m| m.get(&path)).cloned();
            let evidence =
                audit.map(
                    |_| match reports.get(&(p.name.as_str(), p.version.as_str())) {
                        Some(r) if p.source == Source::Registry && !p.bundled => {
                            Evidence::from_report(r)
                        }
                        _ => Evidence {
                            verdict: "not-verifiable".into(),
                            reason: skipped
                                .get(&(p.name.as_str(), p.version.as_str()))
                                .map(|s| s.to_string())
                                .or_else(|| Some("not checked by the audit".into())),
                            ..Default::default()
                        },
                    },
                );
            components.push(Component {
                pkg: p,
                path,
                bom_ref,
                license,
                evidence,
            });
        }
    }
    // Edges: the lockfile's graph, from install locations to component indices.
    let mut first = Vec::with_capacity(lock.packages.len());
    let mut n = 0usize;
    for p in &lock.packages {
        first.push(n);
        n += p.paths.len().max(1);
    }
    let comp = |node: Node| -> Option<usize> {
        let i = first.get(node.package as usize)? + node.path as usize;
        (i < components.len()).then_some(i)
    };
    let deps = &lock.dependencies;
    let graph_complete = deps.recorded;
    let by_ref = |v: &mut Vec<(usize, &'static str)>| {
        v.sort_by(|a, b| components[a.0].bom_ref.cmp(&components[b.0].bom_ref));
        v.dedup_by(|b, a| a.0 == b.0);
    };
    let mut edges: Vec<Vec<(usize, &'static str)>> = vec![Vec::new(); components.len()];
    for (from, to, kind) in &deps.edges {
        if let (Some(f), Some(t)) = (comp(*from), comp(*to)) {
            edges[f].push((t, kind.as_str()));
        }
    }
    for v in &mut edges {
        if v.len() > 1 {
            by_ref(v);
        }
    }
    // The root: the lockfile's record, the kind from the manifest field that names it.
    let manifest_kind = |c: usize| -> Option<DepKind> {
        let p = components[c].pkg;
        let install = p.alias.as_deref().unwrap_or(&p.name);
        root.direct
            .iter()
            .find(|(n, _, _)| n == install || *n == p.name)
            .map(|(_, _, k)| *k)
    };
    let mut root_edges: Vec<(usize, &'static str)> = match &deps.roots {
        Some(r) if graph_complete => r
            .iter()
            .filter_map(|(node, kind)| {
                let c = comp(*node)?;
                Some((c, manifest_kind(c).unwrap_or(*kind).as_str()))
            })
            .collect(),
        _ if graph_complete => root
            .direct
            .iter()
            .filter_map(|(n, r, k)| Some((comp(lock.direct(n, r)?)?, k.as_str())))
            .collect(),
        _ => Vec::new(),
    };
    by_ref(&mut root_edges);
    Bom {
        root,
        lock,
        components,
        root_edges,
        edges,
        graph_complete,
    }
}

/// `created` / `timestamp`: now, whole seconds, UTC.
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A fresh `urn:uuid:` (v4).
pub fn uuid() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    uuid_from(b)
}

pub(crate) fn uuid_from(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `sha1-…`/`sha512-…` SRI → (CycloneDX alg, SPDX alg, hex), unknown or malformed skipped.
pub fn hashes(sri: Option<&str>) -> Vec<(&'static str, &'static str, String)> {
    let Some(i) = sri.and_then(|s| crate::npm::integrity::Integrity::parse(s).ok()) else {
        return Vec::new();
    };
    use crate::npm::integrity::Algorithm as A;
    let mut v: Vec<_> = i
        .hashes
        .iter()
        .map(|h| {
            let (c, s) = match h.algorithm {
                A::Sha1 => ("SHA-1", "SHA1"),
                A::Sha256 => ("SHA-256", "SHA256"),
                A::Sha384 => ("SHA-384", "SHA384"),
                A::Sha512 => ("SHA-512", "SHA512"),
            };
            (c, s, hex::encode(&h.digest))
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Step 4.
pub fn render(bom: &Bom, opts: &Options) -> Value {
    match opts.format {
        Format::CycloneDx => cyclonedx::render(bom, opts),
        Format::Spdx => spdx::render(bom, opts),
    }
}

#[cfg(test)]
mod tests;

/// Steps 1–4: the BOM for the tree at `cwd` (or `lockfile`), with evidence from an audit when
/// `audit` is given (its cache makes a second run offline).
pub async fn generate(
    ctx: &crate::verify::Context,
    cwd: &std::path::Path,
    lockfile: Option<&std::path::Path>,
    audit: Option<&crate::audit::Options>,
    opts: &Options,
) -> Result<Value> {
    let (cwd2, lf) = (
        cwd.to_path_buf(),
        lockfile.map(std::path::Path::to_path_buf),
    );
    let (lock, text, manifest) = tokio::task::spawn_blocking(move || -> Result<_> {
        let tree = crate::audit::find_tree(&cwd2, lf.as_deref())?;
        let text = match &tree {
            crate::audit::Tree::Lockfile { text, .. } => Some(text.clone()),
            crate::audit::Tree::NodeModules(_) => None,
        };
        let lock = tree.load()?;
        let dir = match &tree {
            crate::audit::Tree::NodeModules(d) => d.clone(),
            crate::audit::Tree::Lockfile { path, .. } => {
                let p = path.parent().unwrap_or(std::path::Path::new("."));
                // npm's hidden lockfile lives in node_modules/: the project is above it.
                if p.file_name()
                    .is_some_and(|n| n == "node_modules" || n == ".pnpm")
                {
                    p.ancestors()
                        .find(|a| a.join("package.json").exists())
                        .unwrap_or(p)
                        .to_path_buf()
                } else {
                    p.to_path_buf()
                }
            }
        };
        let manifest_path = dir.join("package.json");
        let manifest = match crate::files::read_capped_opt(&manifest_path, 16 * 1024 * 1024)? {
            Some(b) => Some(
                serde_json::from_slice::<Value>(&b)
                    .map_err(|e| Error::json(manifest_path.display().to_string(), e))?,
            ),
            None => None,
        };
        let fallback = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".into());
        Ok((lock, text, (manifest, fallback)))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))??;
    let result = match audit {
        Some(a) => Some(crate::audit::audit(ctx, &lock, a, std::sync::Arc::new(|_, _| {})).await?),
        None => None,
    };
    let root = Root::from_manifest(manifest.0.as_ref(), &manifest.1);
    let bom = build(&lock, text.as_deref(), root, result.as_ref());
    Ok(render(&bom, opts))
}
