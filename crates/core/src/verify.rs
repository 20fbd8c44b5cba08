//! `verify(spec)`: one package version, end to end. Fails closed.
//!
//! 1. Resolve the spec through the registry npm's configuration names (exact version,
//!    dist-tag or range).
//! 2. Integrity: the tarball bytes (downloaded, or given) match `dist.integrity`.
//! 3. Registry signature over `name@version:integrity`, key valid at publish time.
//! 4. Attestations, from a file, an attestations registry, or the registry itself: the npm
//!    publish attestation and the SLSA provenance, each bound to the version's sha512.
//! 5. Transparency log for every bundle (inside step 4's bundle verification).
//! 6. Provenance facts into the report.
//!
//! Usage and configuration errors are returned as `Err`; everything about the package itself
//! (network failures included) lands in the report.

use crate::code::Code;
use crate::config::npmrc::{self, NpmConfig};
use crate::config::trust::{parse_npm_keys, NpmKey, TrustMaterial};
use crate::error::{Error, Result};
use crate::net::registry::{Client, Fetched, DEFAULT_MAX_TARBALL_BYTES};
use crate::npm::integrity::{self, Algorithm, Integrity};
use crate::npm::registry_url::RegistryUrl;
use crate::npm::spec;
use crate::report::{CheckState, Problem, RegistrySignature, Report};
use crate::sigstore::attestation::{self, Entry, Kind, Target};
use crate::sigstore::bundle;
use crate::sigstore::registry_sig;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// Where attestations come from, besides the registry.
#[derive(Debug, Clone)]
pub enum AttestationSource {
    /// JSON or JSONL text: attestation responses and/or bundles, any mix.
    Text { text: String, origin: String },
}

/// One verification request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub spec: String,
    /// Registry URL; default from npm's configuration.
    pub registry: Option<String>,
    /// A registry that serves `/-/npm/v1/attestations`, keys and signatures when the primary
    /// registry is a mirror that strips them.
    pub attestations_registry: Option<String>,
    pub attestations: Option<AttestationSource>,
    /// The tarball's bytes, instead of downloading.
    pub tarball: Option<Vec<u8>>,
    pub max_tarball_bytes: Option<usize>,
    /// The lockfile's integrity for this version: it must agree with the registry's, and it
    /// is what attestations are bound to.
    pub lock_integrity: Option<String>,
    /// The lockfile's `resolved` URL for this version: when it is a registry tarball URL, it
    /// must be this name and version's (what the package manager downloads).
    pub lock_resolved: Option<String>,
    /// Do not download the tarball: integrity is then the agreement of the lockfile with the
    /// registry (and with `tarball` when given). The package manager checks the bytes it
    /// installs against the lockfile.
    pub skip_download: bool,
    /// A packument already fetched (an audit fetches each name once).
    pub packument: Option<Arc<Value>>,
}

/// Shared context: config, client, trust.
#[derive(Clone)]
pub struct Context {
    pub cwd: PathBuf,
    pub client: Client,
    pub trust: Arc<TrustMaterial>,
    /// What `npm config get registry` answered (or why not): asked once per context, not
    /// once per package name of a tree.
    npm_cli_registry: Arc<std::sync::OnceLock<std::result::Result<String, String>>>,
}

impl Context {
    pub fn new(cwd: PathBuf, trust: Arc<TrustMaterial>) -> Result<Self> {
        Self::with_overrides(cwd, trust, &[])
    }

    /// [`Context::new`] with npm config `key=value` pairs above every layer (options such as
    /// `fetchTimeout`; see [`NpmConfig::with_overrides`]).
    pub fn with_overrides(
        cwd: PathBuf,
        trust: Arc<TrustMaterial>,
        overrides: &[(String, String)],
    ) -> Result<Self> {
        let config = NpmConfig::load(&cwd)?.with_overrides(overrides);
        Ok(Self {
            client: Client::new(Arc::new(config))?,
            cwd,
            trust,
            npm_cli_registry: Arc::default(),
        })
    }

    /// The registry for `name`: explicit, else npm config, else `npm config get registry`
    /// (asked once per process and project directory).
    pub fn registry_for(&self, name: &str, explicit: Option<&str>) -> Result<String> {
        if let Some(r) = explicit {
            return RegistryUrl::normalize(r);
        }
        match self.client.config().registry_for(name) {
            Some(r) => RegistryUrl::normalize(&r),
            None => self
                .npm_cli_registry
                .get_or_init(|| {
                    npmrc::registry_from_npm_cli(&self.cwd).map_err(|e| match e {
                        Error::Config(m) => m,
                        e => e.to_string(),
                    })
                })
                .clone()
                .map_err(Error::Config),
        }
    }
}

/// Verify one spec.
pub async fn verify(ctx: &Context, req: &Request) -> Result<Report> {
    let parsed = spec::parse(&req.spec)?;
    let registry = ctx.registry_for(&parsed.name, req.registry.as_deref())?;
    let att_registry = req
        .attestations_registry
        .as_deref()
        .map(RegistryUrl::normalize)
        .transpose()?;
    // A given attestation file must parse: that is the caller's input, not the package's.
    let given_entries = match &req.attestations {
        Some(AttestationSource::Text { text, origin }) => Some((
            attestation::entries(bundle::json_documents(text, origin)?)?,
            origin.clone(),
        )),
        None => None,
    };
    let mut r = Report::new(&req.spec, &parsed.name);
    r.registry = Some(registry.clone());

    // 1. Resolve.
    let fetched = match &req.packument {
        Some(p) => Ok(Fetched::Found(p.clone())),
        None => ctx
            .client
            .packument(&registry, &parsed.name)
            .await
            .map(|f| match f {
                Fetched::Found(p) => Fetched::Found(Arc::new(p)),
                Fetched::NotFound => Fetched::NotFound,
            }),
    };
    let packument = match fetched {
        Ok(Fetched::Found(p)) => p,
        Ok(Fetched::NotFound) => {
            r.checks.resolve = CheckState::Failed;
            r.problem(&Error::NotFound(format!(
                "{} is not in {registry}",
                parsed.name
            )));
            r.finish();
            return Ok(r);
        }
        Err(e) => {
            r.skip("resolve", e.to_string());
            r.problem(&e);
            r.finish();
            return Ok(r);
        }
    };
    let version = match spec::pick(&parsed.name, &packument, &parsed.wanted) {
        Ok(v) => v,
        Err(e) => {
            r.checks.resolve = CheckState::Failed;
            r.problem(&e);
            r.finish();
            return Ok(r);
        }
    };
    r.version = Some(version.clone());
    let manifest = packument
        .pointer(&format!("/versions/{}", json_pointer_escape(&version)))
        .cloned()
        .unwrap_or(Value::Null);
    // The registry must answer for the name and version asked: a packument or manifest for
    // another name is a substitution, not a resolution.
    let doc_name = packument.get("name").and_then(Value::as_str);
    let m_name = manifest.get("name").and_then(Value::as_str);
    let m_version = manifest.get("version").and_then(Value::as_str);
    if doc_name.is_some_and(|n| n != parsed.name)
        || m_name != Some(parsed.name.as_str())
        || m_version != Some(version.as_str())
    {
        r.checks.resolve = CheckState::Failed;
        r.problems.push(Problem::new(
            Code::ManifestMismatch,
            format!(
                "asked for {}@{version}; the registry's manifest names {}@{}",
                parsed.name,
                m_name.unwrap_or("<none>"),
                m_version.unwrap_or("<none>")
            ),
        ));
    } else {
        r.checks.resolve = CheckState::Passed;
    }
    let published = packument
        .pointer(&format!("/time/{}", json_pointer_escape(&version)))
        .and_then(Value::as_str)
        .map(str::to_string);
    r.published_at = published.clone();
    // The abbreviated packument has no `time`, only `modified`: no version was published
    // after it, so it bounds the publish time from above (what a key's expiry is checked
    // against).
    let published_ts = published
        .or_else(|| {
            packument
                .get("time")
                .is_none()
                .then(|| packument.get("modified")?.as_str().map(str::to_string))
                .flatten()
        })
        .and_then(|s| s.parse::<jiff::Timestamp>().ok());

    // Upstream packument (signatures, integrity) when the primary registry is a mirror.
    let upstream = match &att_registry {
        Some(a) => match ctx.client.packument(a, &parsed.name).await {
            Ok(Fetched::Found(p)) => p
                .pointer(&format!("/versions/{}", json_pointer_escape(&version)))
                .cloned(),
            Ok(Fetched::NotFound) => None,
            Err(e) => {
                r.problem(&e);
                None
            }
        },
        None => None,
    };

    // 2. Integrity.
    let sri = manifest
        .pointer("/dist/integrity")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            let sha1 = manifest.pointer("/dist/shasum").and_then(Value::as_str)?;
            let bytes = hex::decode(sha1).ok()?;
            Some(
                integrity::Hash {
                    algorithm: Algorithm::Sha1,
                    digest: bytes,
                }
                .to_sri(),
            )
        });
    r.integrity = sri.clone();
    let expected = match sri.as_deref().map(Integrity::parse) {
        Some(Ok(i)) => match i.sha512() {
            Ok(_) => Some(i),
            Err(e) => {
                r.checks.integrity = CheckState::Failed;
                r.problem(&Error::IntegrityMismatch(format!(
                    "the registry's dist.integrity: {e}"
                )));
                None
            }
        },
        Some(Err(e)) => {
            r.checks.integrity = CheckState::Failed;
            r.problem(&e);
            None
        }
        None => {
            r.skip(
                "integrity",
                "the packument gives no dist.integrity or dist.shasum",
            );
            r.problems
                .push(Problem::new(Code::IntegrityMissing, "no dist.integrity"));
            None
        }
    };
    if let (Some(up), Some(exp)) = (&upstream, &expected) {
        let up_sri = up
            .pointer("/dist/integrity")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if up_sri != exp.to_sri() && Integrity::parse(up_sri).ok().as_ref() != Some(exp) {
            r.checks.integrity = CheckState::Failed;
            r.problem(&Error::IntegrityMismatch(format!(
                "the registry says {}, the attestations registry says {up_sri}",
                exp.to_sri()
            )));
        }
    }
    // The lockfile must point at this version's tarball.
    if let Some(url) = &req.lock_resolved {
        if let Some(v) = crate::lockfile::registry_tarball_version(url, &parsed.name) {
            if v != version {
                r.checks.integrity = CheckState::Failed;
                r.problem(&Error::IntegrityMismatch(format!(
                    "the lockfile locks {}@{version} but resolves it to the tarball of {v}: {url}",
                    parsed.name
                )));
            }
        }
    }
    // The lockfile must name the same bytes as the registry: compared directly where they
    // share an algorithm, else through the tarball's bytes (below).
    let mut lock_agrees = false;
    let mut lock_unbound = None;
    if let (Some(lock), Some(exp)) = (&req.lock_integrity, &expected) {
        match Integrity::parse(lock).and_then(|li| li.sha512().map(|_| li.clone())) {
            // Bound only when they agree on sha512, the digest attestations name; agreeing
            // on a weaker hash leaves the lockfile's sha512 unproven, so the bytes decide.
            Ok(li) => match integrity::agree_on(&li, exp) {
                Some((Algorithm::Sha512, true)) => lock_agrees = true,
                Some((_, true)) | None => lock_unbound = Some(li),
                Some((_, false)) => {
                    r.checks.integrity = CheckState::Failed;
                    r.problem(&Error::IntegrityMismatch(format!(
                        "the lockfile says {lock}, the registry says {}",
                        exp.to_sri()
                    )));
                }
            },
            Err(e) => {
                r.checks.integrity = CheckState::Failed;
                r.problem(&e);
            }
        }
    }
    // What attestations are bound to: the one sha512 the registry names.
    let sha512 = expected
        .as_ref()
        .and_then(|i| i.sha512().ok().flatten())
        .map(|h| h.digest.clone());
    if let Some(exp) = &expected {
        if exp.strongest().is_some_and(|h| h.algorithm.is_weak()) {
            r.problems.push(Problem::new(
                Code::IntegrityWeak,
                "the registry gives only a sha1 integrity: a match proves little",
            ));
        }
        let bytes = match &req.tarball {
            Some(b) => Some(b.clone()),
            None if req.skip_download && lock_unbound.is_none() => {
                if lock_agrees && r.checks.integrity != CheckState::Failed {
                    r.checks.integrity = CheckState::Passed;
                } else if req.lock_integrity.is_none() {
                    r.skip("integrity", "no tarball bytes and no lockfile integrity");
                }
                None
            }
            None => fetch_tarball(ctx, &manifest, req.max_tarball_bytes, &mut r).await,
        };
        // A lockfile hash the registry does not share (sha1 against sha512): the bytes must
        // match both, or nothing ties the install to what the registry signed.
        if let Some(li) = &lock_unbound {
            match &bytes {
                Some(b) => {
                    if let Err(e) = integrity::check(b, li) {
                        r.checks.integrity = CheckState::Failed;
                        r.problem(&Error::IntegrityMismatch(format!(
                            "the lockfile's {}: {e}",
                            li.to_sri()
                        )));
                    }
                }
                None => r.skip(
                    "integrity",
                    format!(
                        "the lockfile ({}) and the registry share no hash algorithm and no tarball was read",
                        li.to_sri()
                    ),
                ),
            }
        }
        if let Some(bytes) = bytes {
            r.tarball_integrity = Some(integrity::compute(&bytes, &[Algorithm::Sha512]).to_sri());
            match integrity::check(&bytes, exp) {
                Ok(c) if !c.algorithm.is_weak() && r.checks.integrity != CheckState::Failed => {
                    r.checks.integrity = CheckState::Passed
                }
                Ok(_) => {
                    if r.checks.integrity != CheckState::Failed {
                        r.skip("integrity", "only sha1 is known");
                    }
                }
                Err(e) => {
                    r.checks.integrity = CheckState::Failed;
                    r.problem(&e);
                }
            }
        }
    }

    // 3. Registry signature.
    let primary_keys = match ctx.client.keys(&registry).await {
        Ok(Fetched::Found(doc)) => Some(parse_npm_keys(&doc, "registry")),
        Ok(Fetched::NotFound) => None,
        Err(e) => Some(Err(e)),
    };
    let serves_signing_data = matches!(primary_keys, Some(Ok(_)));
    // Only the trust material's keys (embedded TUF keys or the caller's) can verify. Keys the
    // registry serves are not trusted: a mirror that serves its own key could otherwise sign
    // bytes of its own. A signature by such a key is reported as not checkable.
    let keys: &[NpmKey] = &ctx.trust.npm_keys;
    let served_only: Vec<String> = match &primary_keys {
        Some(Ok(served)) => served
            .iter()
            .filter(|k| !keys.iter().any(|t| t.key_id == k.key_id))
            .map(|k| k.key_id.clone())
            .collect(),
        _ => Vec::new(),
    };
    if let Some(Err(e)) = &primary_keys {
        r.problem(e);
    }
    let mut sig_origin = registry.clone();
    let mut sigs = registry_sig::signatures(&manifest);
    if matches!(&sigs, Ok(s) if s.is_empty()) {
        if let (Some(up), Some(a)) = (&upstream, &att_registry) {
            sigs = registry_sig::signatures(up);
            sig_origin = a.clone();
        }
    }
    let sigs = match sigs {
        Ok(s) => s,
        Err(e) => {
            r.checks.registry_signature = CheckState::Failed;
            r.problems.push(Problem::new(
                Code::RegistrySignature,
                format!("dist.signatures from {sig_origin}: {e}"),
            ));
            Vec::new()
        }
    };
    let untrusted_key = sigs.iter().find(|s| served_only.contains(&s.keyid));
    match (&sri, sigs.is_empty()) {
        _ if r.checks.registry_signature == CheckState::Failed => {}
        (Some(_), false) if untrusted_key.is_some() => {
            let why = format!(
                "signed with key {} which {registry} serves but the trusted npm keys ({}) do not hold; \
                 to trust that registry's key, pass it in npmKeys / PROV_NATIVE_NPM_KEYS",
                untrusted_key.map(|s| s.keyid.as_str()).unwrap_or_default(),
                ctx.trust.npm_keys_source
            );
            r.skip("registrySignature", why.clone());
            r.problems.push(Problem::new(Code::KeyUnknown, why));
        }
        (None, _) => r.skip("registrySignature", "no integrity to check it over"),
        (Some(_), true) => {
            let why = if serves_signing_data {
                "the registry serves keys but this version has no dist.signatures"
            } else {
                "the registry serves no dist.signatures and no /-/npm/v1/keys (a mirror that strips them?); set attestationsRegistry"
            };
            r.skip("registrySignature", why);
            r.problems
                .push(Problem::new(Code::RegistrySignatureMissing, why));
        }
        (Some(i), false) => {
            match registry_sig::verify(&parsed.name, &version, i, &sigs, keys, published_ts) {
                Ok(v) => {
                    r.checks.registry_signature = CheckState::Passed;
                    r.registry_signature = Some(RegistrySignature {
                        key_id: v.key_id,
                        key_source: v.key_source.to_string(),
                    });
                }
                Err(e) => {
                    r.checks.registry_signature = CheckState::Failed;
                    r.problems.push(Problem {
                        code: if e.code() == Code::Signature {
                            Code::RegistrySignature
                        } else {
                            e.code()
                        },
                        message: format!("registry signature from {sig_origin}: {e}"),
                    });
                }
            }
        }
    }

    // 4. Attestations.
    let entries: Option<(Vec<Entry>, String)> = if let Some((entries, origin)) = given_entries {
        let target_purl = sha512.as_ref().map(|_| {
            Target {
                name: parsed.name.clone(),
                version: version.clone(),
                sha512: vec![],
            }
            .purl()
        });
        // Keep the entries about this version (and any whose statement cannot be read, so they fail).
        let mine: Vec<Entry> = entries
            .into_iter()
            .filter(|e| match bundle::statement(&e.bundle) {
                Ok(Some(st)) => {
                    st.subjects
                        .iter()
                        .any(|s| Some(&s.name) == target_purl.as_ref())
                        || st.subjects.len() != 1
                }
                _ => true,
            })
            .collect();
        if mine.is_empty() {
            r.skip(
                "attestations",
                format!("{origin} has no attestation for {}@{version}", parsed.name),
            );
            r.problems.push(Problem::new(
                Code::AttestationsUnavailable,
                format!("{origin} has no attestation for {}@{version}", parsed.name),
            ));
            None
        } else {
            Some((mine, origin))
        }
    } else {
        let (source, url_registry) = match &att_registry {
            Some(a) => (Some(a.clone()), a.clone()),
            None => (None, registry.clone()),
        };
        let advertised = manifest
            .pointer("/dist/attestations/url")
            .and_then(Value::as_str)
            .map(str::to_string);
        let fetched = if source.is_some() || advertised.is_some() || serves_signing_data {
            let res = match (&source, &advertised) {
                (None, Some(url)) => ctx
                    .client
                    .get_json(url, crate::net::registry::MAX_SMALL_JSON_BYTES)
                    .await
                    .map(|f| (f, url.clone())),
                _ => ctx
                    .client
                    .attestations(&url_registry, &parsed.name, &version)
                    .await
                    .map(|f| {
                        (
                            f,
                            format!(
                                "{url_registry}-/npm/v1/attestations/{}@{version}",
                                parsed.name
                            ),
                        )
                    }),
            };
            Some(res)
        } else {
            None
        };
        match fetched {
            None => {
                let why = "the registry serves neither dist.attestations nor /-/npm/v1/keys (a mirror?): provenance cannot be checked; set attestationsRegistry or attestations";
                r.skip("attestations", why);
                r.problems
                    .push(Problem::new(Code::AttestationsUnavailable, why));
                None
            }
            Some(Ok((Fetched::Found(doc), url))) => match attestation::entries(vec![doc]) {
                Ok(e) => Some((e, url)),
                Err(e) => {
                    r.checks.provenance = CheckState::Failed;
                    r.problem(&e);
                    None
                }
            },
            Some(Ok((Fetched::NotFound, url))) => {
                if advertised.is_some() && source.is_none() {
                    let why =
                        format!("the packument advertises attestations but {url} answered 404");
                    r.skip("attestations", why.clone());
                    r.problems
                        .push(Problem::new(Code::AttestationsUnavailable, why));
                } else {
                    r.checks.provenance = CheckState::Missing;
                    r.checks.publish_attestation = CheckState::Missing;
                    r.checks.transparency_log = CheckState::Missing;
                    r.problems.push(Problem::new(
                        Code::NoProvenance,
                        format!(
                            "{}@{version} has no attestations ({url} answered 404)",
                            parsed.name
                        ),
                    ));
                }
                None
            }
            Some(Err(e)) => {
                r.skip("attestations", e.to_string());
                r.problem(&e);
                None
            }
        }
    };

    if let Some((entries, origin)) = entries {
        r.attestations_source = Some(origin);
        match &sha512 {
            None => {
                let why = "the packument has no sha512 integrity to bind attestations to";
                r.skip("attestations", why);
                r.problems.push(Problem::new(Code::IntegrityWeak, why));
            }
            Some(d) => {
                let target = Target {
                    name: parsed.name.clone(),
                    version: version.clone(),
                    sha512: d.clone(),
                };
                check_entries(&entries, &target, &ctx.trust, &mut r);
            }
        }
    }

    r.finish();
    Ok(r)
}

fn check_entries(entries: &[Entry], target: &Target, trust: &TrustMaterial, r: &mut Report) {
    let mut tlog_ok = 0;
    let mut tlog_failed = false;
    let mut seen = (false, false);
    for e in entries {
        let (kind, res) = attestation::verify_one(e, target, trust);
        // A transparency-log failure fails that check; the bundle's own check is then not
        // positively verified, so it is skipped (never passed).
        let state = match &res {
            Ok(_) => CheckState::Passed,
            Err(err) if err.code().is_tlog() => {
                tlog_failed = true;
                r.skip(
                    kind.map_or("attestation", Kind::check_name),
                    "its transparency log entry did not verify",
                );
                CheckState::Skipped
            }
            Err(_) => CheckState::Failed,
        };
        if let Err(err) = &res {
            r.problem(err);
        }
        if let Ok(f) = &res {
            if f.tlog_verified {
                tlog_ok += 1;
            }
        }
        // Several bundles of one kind: the worst state wins.
        let merge = |slot: &mut CheckState, seen: &mut bool| {
            *slot = if !*seen {
                state
            } else if *slot == CheckState::Failed || state == CheckState::Failed {
                CheckState::Failed
            } else if *slot == CheckState::Passed {
                state
            } else {
                *slot
            };
            *seen = true;
        };
        match kind {
            Some(Kind::Provenance) => {
                merge(&mut r.checks.provenance, &mut seen.0);
                if let Ok(mut f) = res {
                    // Reported once, at the top of the report.
                    r.provenance = f.provenance.take().map(Box::new);
                    r.provenance_bundle = Some(Box::new(f));
                }
            }
            Some(Kind::Publish) => {
                merge(&mut r.checks.publish_attestation, &mut seen.1);
                if let Ok(f) = res {
                    r.publish_attestation = Some(Box::new(f));
                }
            }
            None => {
                // An attestation we cannot classify is never silently ignored.
                r.checks.provenance = CheckState::Failed;
            }
        }
    }
    if !seen.0 && r.checks.provenance != CheckState::Failed {
        r.checks.provenance = CheckState::Missing;
        r.problems.push(Problem::new(
            Code::NoProvenance,
            "no SLSA provenance attestation",
        ));
    }
    if !seen.1 {
        r.checks.publish_attestation = CheckState::Missing;
        r.problems.push(Problem::new(
            Code::PublishAttestationMissing,
            "no npm publish attestation",
        ));
    }
    r.checks.transparency_log = if tlog_failed {
        CheckState::Failed
    } else if tlog_ok == entries.len() && tlog_ok > 0 {
        CheckState::Passed
    } else {
        CheckState::Skipped
    };
}

async fn fetch_tarball(
    ctx: &Context,
    manifest: &Value,
    max: Option<usize>,
    r: &mut Report,
) -> Option<Vec<u8>> {
    let Some(url) = manifest.pointer("/dist/tarball").and_then(Value::as_str) else {
        r.skip("integrity", "the packument gives no dist.tarball");
        return None;
    };
    match ctx
        .client
        .bytes(url, max.unwrap_or(DEFAULT_MAX_TARBALL_BYTES))
        .await
    {
        Ok(Fetched::Found(b)) => Some(b),
        Ok(Fetched::NotFound) => {
            r.skip("integrity", format!("{url} answered 404"));
            r.problems.push(Problem::new(
                Code::NotFound,
                format!("tarball {url} answered 404"),
            ));
            None
        }
        Err(e) => {
            r.skip("integrity", e.to_string());
            r.problem(&e);
            None
        }
    }
}

/// Escape a key for a JSON pointer (`~` → `~0`, `/` → `~1`).
fn json_pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn checked(version: &str, tarball: &str, edit: impl Fn(&mut Value)) -> Report {
        let mut doc = testdata::json("attestations/sigstore-1.0.0.json");
        edit(&mut doc);
        let entries = attestation::entries(vec![doc]).unwrap();
        let target = Target {
            name: "sigstore".into(),
            version: version.into(),
            sha512: testdata::sha512(tarball),
        };
        let mut r = Report::new(&format!("sigstore@{version}"), "sigstore");
        check_entries(&entries, &target, &testdata::trust(), &mut r);
        r
    }

    #[test]
    fn real_attestations_pass_every_attestation_check() {
        let r = checked("1.0.0", "tarballs/sigstore-1.0.0.tgz", |_| {});
        assert_eq!(r.checks.provenance, CheckState::Passed);
        assert_eq!(r.checks.publish_attestation, CheckState::Passed);
        assert_eq!(r.checks.transparency_log, CheckState::Passed);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let p = r.provenance.as_ref().unwrap();
        assert!(p
            .source_repository
            .as_deref()
            .unwrap_or("")
            .contains("sigstore"));
    }

    #[test]
    fn attestations_about_something_else_fail_and_say_why() {
        let r = checked("1.0.1", "tarballs/sigstore-1.0.0.tgz", |_| {});
        assert_eq!(r.checks.provenance, CheckState::Failed);
        assert_eq!(r.checks.publish_attestation, CheckState::Failed);
        assert!(r.problems.iter().all(|p| p.code == Code::SubjectName));
        let r = checked("1.0.0", "tarballs/sigstore-0.4.0.tgz", |_| {});
        assert!(r.problems.iter().any(|p| p.code == Code::SubjectDigest));
    }

    #[test]
    fn a_missing_kind_is_missing_and_a_broken_log_entry_skips_not_passes() {
        // Only the provenance attestation: the publish attestation is missing, not passed.
        let r = checked("1.0.0", "tarballs/sigstore-1.0.0.tgz", |d| {
            let a = d["attestations"].as_array_mut().unwrap();
            a.retain(|x| {
                x["predicateType"]
                    .as_str()
                    .is_some_and(|t| t.contains("slsa"))
            });
        });
        assert_eq!(r.checks.publish_attestation, CheckState::Missing);
        assert!(r
            .problems
            .iter()
            .any(|p| p.code == Code::PublishAttestationMissing));
        // A transparency-log failure: that bundle's check is skipped, the log check failed.
        let r = checked("1.0.0", "tarballs/sigstore-1.0.0.tgz", |d| {
            for a in d["attestations"].as_array_mut().unwrap() {
                let e = &mut a["bundle"]["verificationMaterial"]["tlogEntries"][0];
                let set = e["inclusionPromise"]["signedEntryTimestamp"]
                    .as_str()
                    .unwrap();
                let mut b = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, set)
                    .unwrap();
                b[8] ^= 1;
                e["inclusionPromise"]["signedEntryTimestamp"] =
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b).into();
            }
        });
        assert_eq!(r.checks.transparency_log, CheckState::Failed);
        assert_ne!(r.checks.provenance, CheckState::Passed);
        assert!(r.problems.iter().any(|p| p.code.is_tlog()));
    }

    #[test]
    fn json_pointer_segments_are_escaped() {
        assert_eq!(json_pointer_escape("@a/b~c"), "@a~1b~0c");
    }
}
