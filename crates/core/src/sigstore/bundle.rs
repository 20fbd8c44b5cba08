//! Sigstore bundles: parse, verify, and report what was verified.
//!
//! Verification is delegated to the Sigstore org's `sigstore-verify` crate, which was measured
//! against every fixture (see README, design notes). The steps, in order:
//! 1. Bound the input and parse it as JSON; the media type must be bundle v0.1, v0.2 or v0.3.
//! 2. Parse it into typed `sigstore_types::Bundle` (no cryptography yet), then check that its
//!    fields are the ones its media type has (as the bundle spec and sigstore-js's bundle
//!    validation require; [`check_media_type`]) and that every inclusion proof carries a
//!    checkpoint in the exact signed-note form, naming the proof's tree size and root hash
//!    ([`crate::sigstore::tlog::check_inclusion_proofs`]).
//! 3. Bind the artifact: its bytes, or a digest; given both, the digest must be the bytes'.
//! 4. Choose the policy: a public key (given, or the npm key named by `publicKey.hint`)
//!    for keyed bundles, the Fulcio chain of the trusted root for certificate bundles; options
//!    that do not fit the bundle's kind are refused. Every log entry must be in a log of the
//!    trusted root valid at its integrated time.
//! 5. `Verifier::verify`: certificate chain at the log's integrated time, SCT, DSSE or message
//!    signature, tlog entry body vs the envelope, SET, inclusion proof and signed checkpoint,
//!    artifact digest vs the in-toto subjects (inside [`crate::sigstore::crypto::scoped`], so the SET it
//!    checks twice costs one verification).
//! 6. For keyed npm bundles, the key must have been valid at the integrated time.
//! 7. Read the facts (statement, signer, log entry) from the verified bundle.

use crate::config::trust::{KeyUsage, TrustMaterial};
use crate::error::{Error, Result};
use crate::npm::integrity::Algorithm;
use crate::sigstore::provenance::{self, Provenance};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sigstore_verify::types::{Artifact, ArtifactDigest, Bundle, DerPublicKey, HashAlgorithm};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy};

/// Largest bundle accepted, in bytes of JSON.
pub const MAX_BUNDLE_BYTES: usize = 16 * 1024 * 1024;

/// Media types a bundle may declare.
pub const MEDIA_TYPES: [&str; 4] = [
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
];

/// A bundle that parsed: the raw JSON (for facts) and the typed form (for verification).
#[derive(Debug, Clone)]
pub struct ParsedBundle {
    pub raw: Value,
    pub bundle: Bundle,
}

/// Parse one bundle from JSON text.
pub fn parse(text: &str) -> Result<ParsedBundle> {
    if text.len() > MAX_BUNDLE_BYTES {
        return Err(Error::TooLarge(format!(
            "bundle larger than {MAX_BUNDLE_BYTES} bytes"
        )));
    }
    let raw: Value = serde_json::from_str(text).map_err(|e| Error::json("bundle", e))?;
    parse_value(raw)
}

/// Parse one bundle from a JSON value.
pub fn parse_value(raw: Value) -> Result<ParsedBundle> {
    let Some(obj) = raw.as_object() else {
        return Err(Error::BundleParse("not a JSON object".into()));
    };
    let media_type = obj
        .get("mediaType")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::BundleParse("no mediaType".into()))?;
    if !MEDIA_TYPES.contains(&media_type) {
        return Err(Error::BundleVersion(media_type.to_string()));
    }
    let checkpoints = crate::sigstore::tlog::checkpoints(&raw)?;
    let bundle = Bundle::deserialize(&raw).map_err(|e| Error::BundleParse(e.to_string()))?;
    check_media_type(media_type, &raw)?;
    crate::sigstore::tlog::check_inclusion_proofs(&bundle, &checkpoints)?;
    Ok(ParsedBundle { raw, bundle })
}

/// A present JSON field (`null` is absent, as protobuf JSON reads it).
fn present<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.get(key).filter(|x| !x.is_null())
}

/// Step 2, media type: the fields a bundle carries must be the ones its version has.
/// - v0.1: every transparency log entry carries an inclusion promise (SET);
/// - v0.2 and v0.3: every entry carries an inclusion proof with a checkpoint;
/// - v0.1 and v0.2 are signed by `x509CertificateChain` or `publicKey`; v0.3 by `certificate`
///   or `publicKey` (the single `certificate` field first appeared in v0.3). Exactly one of
///   them.
///
/// A missing SET, proof or checkpoint is `ERR_PROV_TLOG_MISSING`; signer fields the media type
/// does not have are `ERR_PROV_BUNDLE_PARSE`.
pub fn check_media_type(media_type: &str, raw: &Value) -> Result<()> {
    let version = match media_type {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => "v0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => "v0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.3"
        | "application/vnd.dev.sigstore.bundle.v0.3+json" => "v0.3",
        other => return Err(Error::BundleVersion(other.to_string())),
    };
    let vm = present(raw, "verificationMaterial")
        .ok_or_else(|| Error::BundleParse("no verificationMaterial".into()))?;
    let signers: Vec<&str> = ["certificate", "x509CertificateChain", "publicKey"]
        .into_iter()
        .filter(|k| present(vm, k).is_some())
        .collect();
    let allowed: [&str; 2] = if version == "v0.3" {
        ["certificate", "publicKey"]
    } else {
        ["x509CertificateChain", "publicKey"]
    };
    match signers.as_slice() {
        [one] if allowed.contains(one) => {}
        [one] => {
            return Err(Error::BundleParse(format!(
                "a {version} bundle is signed by {} or {}, not verificationMaterial.{one}",
                allowed[0], allowed[1]
            )))
        }
        [] => {
            return Err(Error::BundleParse(format!(
                "a {version} bundle names its signer in verificationMaterial.{} or .{}",
                allowed[0], allowed[1]
            )))
        }
        many => {
            return Err(Error::BundleParse(format!(
                "verificationMaterial names more than one signer: {}",
                many.join(", ")
            )))
        }
    }
    let entries = match present(vm, "tlogEntries") {
        None => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return Err(Error::BundleParse(
                "verificationMaterial.tlogEntries is not a list".into(),
            ))
        }
    };
    for (i, e) in entries.iter().enumerate() {
        if version == "v0.1" && present(e, "inclusionPromise").is_none() {
            return Err(Error::TlogMissing(format!(
                "a v0.1 bundle carries an inclusion promise (SET) on every log entry; entry {i} has none"
            )));
        }
        if version != "v0.1" {
            let proof = present(e, "inclusionProof").ok_or_else(|| {
                Error::TlogMissing(format!(
                    "a {version} bundle carries an inclusion proof on every log entry; entry {i} has none"
                ))
            })?;
            let envelope = present(proof, "checkpoint").and_then(|c| present(c, "envelope"));
            if envelope.is_none_or(|v| v.as_str().is_none_or(str::is_empty)) {
                return Err(Error::TlogMissing(format!(
                    "a {version} bundle's inclusion proofs carry a checkpoint; entry {i}'s has none"
                )));
            }
        }
    }
    Ok(())
}

/// What the caller binds the bundle to and who must have signed.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The artifact's bytes.
    pub artifact: Option<Vec<u8>>,
    /// Or its digest.
    pub digest: Option<(Algorithm, Vec<u8>)>,
    /// Required certificate SAN (exact).
    pub certificate_identity: Option<String>,
    /// Required OIDC issuer (exact).
    pub certificate_issuer: Option<String>,
    /// DER SPKI of the key a keyed bundle must be signed with.
    pub public_key: Option<Vec<u8>>,
}

/// One in-toto subject.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Subject {
    pub name: String,
    /// Algorithm → hex digest.
    pub digest: std::collections::BTreeMap<String, String>,
}

/// The in-toto statement inside a DSSE bundle.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    #[serde(rename = "type")]
    pub statement_type: String,
    pub predicate_type: String,
    pub subjects: Vec<Subject>,
    #[serde(skip)]
    pub predicate: Value,
}

/// Facts about a verified bundle. Only produced after every check passed.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleFacts {
    pub media_type: String,
    /// `certificate` or `publicKey`.
    pub signer_kind: String,
    pub certificate_identity: Option<String>,
    pub certificate_issuer: Option<String>,
    /// `verificationMaterial.publicKey.hint` of a keyed bundle.
    pub public_key_hint: Option<String>,
    /// Rekor integrated time, seconds since the epoch (as verified).
    pub integrated_time: Option<i64>,
    pub log_index: Option<String>,
    /// Rekor log id, base64.
    pub log_id: Option<String>,
    /// e.g. `intoto/0.0.2`, `dsse/0.0.1`, `hashedrekord/0.0.1`.
    pub tlog_kind: Option<String>,
    pub inclusion_proof: bool,
    pub certificate_verified: bool,
    pub sct_verified: bool,
    pub tlog_verified: bool,
    pub statement: Option<Statement>,
    pub provenance: Option<Provenance>,
}

/// Read the in-toto statement of a DSSE bundle, if it has one.
pub fn statement(raw: &Value) -> Result<Option<Statement>> {
    let Some(env) = raw.get("dsseEnvelope") else {
        return Ok(None);
    };
    let payload = env
        .get("payload")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::BundleParse("dsseEnvelope has no payload".into()))?;
    let bytes = STANDARD
        .decode(payload)
        .map_err(|e| Error::BundleParse(format!("dsseEnvelope.payload is not base64: {e}")))?;
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::Statement(format!("payload: {e}")))?;
    let statement_type = v
        .get("_type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Statement("no _type".into()))?
        .to_string();
    let predicate_type = v
        .get("predicateType")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Statement("no predicateType".into()))?
        .to_string();
    let mut subjects = Vec::new();
    for s in v
        .get("subject")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = s
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let digest = s
            .get("digest")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        subjects.push(Subject { name, digest });
    }
    let predicate = v.get("predicate").cloned().unwrap_or(Value::Null);
    Ok(Some(Statement {
        statement_type,
        predicate_type,
        subjects,
        predicate,
    }))
}

fn hash_algorithm(a: Algorithm) -> Result<HashAlgorithm> {
    match a {
        Algorithm::Sha256 => Ok(HashAlgorithm::Sha2256),
        Algorithm::Sha384 => Ok(HashAlgorithm::Sha2384),
        Algorithm::Sha512 => Ok(HashAlgorithm::Sha2512),
        Algorithm::Sha1 => Err(Error::InvalidArg(
            "sha1 digests cannot bind a bundle".into(),
        )),
    }
}

/// Verify a parsed bundle. Fails closed: any check that cannot be made is an error.
pub fn verify(
    pb: &ParsedBundle,
    opts: &VerifyOptions,
    trust: &TrustMaterial,
) -> Result<BundleFacts> {
    verify_with_statement(pb, opts, trust, None)
}

/// [`verify`] for a caller that has read the bundle's [`statement`] already (it is then not
/// decoded again for the facts).
pub fn verify_with_statement(
    pb: &ParsedBundle,
    opts: &VerifyOptions,
    trust: &TrustMaterial,
    known_statement: Option<Statement>,
) -> Result<BundleFacts> {
    let raw = &pb.raw;
    // Step 3: given both, the digest must be the bytes' (never one of them silently ignored).
    if let (Some(bytes), Some((alg, d))) = (&opts.artifact, &opts.digest) {
        hash_algorithm(*alg)?;
        let actual = crate::npm::integrity::digest(bytes, *alg);
        if actual != *d {
            return Err(Error::IntegrityMismatch(format!(
                "the artifact's {} is {}, the digest given is {}",
                alg.name(),
                hex::encode(&actual),
                hex::encode(d)
            )));
        }
    }
    let artifact: Artifact = match (&opts.artifact, &opts.digest) {
        (Some(bytes), _) => Artifact::from_blob(bytes),
        (None, Some((alg, d))) => Artifact::from_digest(
            ArtifactDigest::new(hash_algorithm(*alg)?, d.clone())
                .map_err(|e| Error::InvalidArg(format!("digest: {e}")))?,
        ),
        (None, None) => return Err(Error::InvalidArg(
            "an artifact or a digest is required: a bundle is only meaningful for what it signs"
                .into(),
        )),
    };
    let hint = raw
        .pointer("/verificationMaterial/publicKey/hint")
        .and_then(Value::as_str)
        .map(str::to_string);
    let keyed = raw.pointer("/verificationMaterial/publicKey").is_some();
    // An option that cannot apply to this kind of bundle is a mismatch, not a no-op.
    if keyed && (opts.certificate_identity.is_some() || opts.certificate_issuer.is_some()) {
        return Err(Error::Identity(
            "a certificate identity or issuer was required, but the bundle is signed with a key, not a certificate"
                .into(),
        ));
    }
    if !keyed && opts.public_key.is_some() {
        return Err(Error::Certificate(
            "a public key was given, but the bundle is signed with a certificate".into(),
        ));
    }
    check_logs(&pb.bundle, trust)?;

    let (result, npm_key) = if keyed {
        // Step 4, keyed: the given key, else the npm attestation key named by the hint.
        let (spki, npm_key) = match (&opts.public_key, &hint) {
            (Some(k), _) => (k.clone(), None),
            (None, Some(h)) => {
                let candidates: Vec<_> = trust.npm_keys_by_id(h, KeyUsage::Attestations).collect();
                let first = candidates
                    .first()
                    .ok_or_else(|| Error::KeyUnknown(h.clone()))?;
                (
                    first.spki.clone(),
                    Some(candidates.into_iter().cloned().collect::<Vec<_>>()),
                )
            }
            (None, None) => {
                return Err(Error::KeyUnknown(
                    "keyed bundle without publicKey.hint and no publicKey option".into(),
                ))
            }
        };
        let policy = PublicKeyVerificationPolicy::new(DerPublicKey::new(spki));
        let r = crate::sigstore::crypto::scoped(|| {
            trust.verifier.verify(artifact, &pb.bundle, &policy)
        })
        .map_err(Error::from_sigstore)?;
        (r, npm_key)
    } else {
        let mut policy = VerificationPolicy::any_identity();
        if let Some(id) = &opts.certificate_identity {
            policy = policy.require_identity(id.as_str());
        }
        if let Some(iss) = &opts.certificate_issuer {
            policy = policy.require_issuer(iss.as_str());
        }
        let r = crate::sigstore::crypto::scoped(|| {
            trust.verifier.verify(artifact, &pb.bundle, &policy)
        })
        .map_err(Error::from_sigstore)?;
        (r, None)
    };

    let integrated_time = result.integrated_time().map(|t| t.as_second());
    // Step 6: an npm key must have been valid when the log saw the signature.
    if let Some(keys) = npm_key {
        let t = result.integrated_time().ok_or_else(|| {
            Error::TlogMissing("no verified integrated time for a keyed bundle".into())
        })?;
        if !keys.iter().any(|k| k.valid_at(t)) {
            return Err(Error::KeyExpired(format!(
                "npm key {} was not valid at {t}",
                hint.unwrap_or_default()
            )));
        }
    }
    if !result.tlog_verified() {
        return Err(Error::TlogMissing(
            "the transparency log entry was not verified".into(),
        ));
    }

    // Step 7: facts.
    let entry = raw.pointer("/verificationMaterial/tlogEntries/0");
    let st = match known_statement {
        Some(st) => Some(st),
        None => statement(raw)?,
    };
    let cert = result.certificate();
    let prov = st.as_ref().and_then(|s| {
        matches!(
            s.predicate_type.as_str(),
            provenance::SLSA_V02 | provenance::SLSA_V1
        )
        .then(|| provenance::extract(cert, &s.predicate_type, &s.predicate))
    });
    Ok(BundleFacts {
        media_type: raw
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        signer_kind: if keyed { "publicKey" } else { "certificate" }.to_string(),
        certificate_identity: result.identity().map(|i| i.as_str().to_string()),
        certificate_issuer: result.issuer().map(str::to_string),
        public_key_hint: hint,
        integrated_time,
        log_index: entry.and_then(|e| e.get("logIndex")).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        log_id: entry
            .and_then(|e| e.pointer("/logId/keyId"))
            .and_then(Value::as_str)
            .map(str::to_string),
        tlog_kind: entry.and_then(|e| {
            Some(format!(
                "{}/{}",
                e.pointer("/kindVersion/kind")?.as_str()?,
                e.pointer("/kindVersion/version")?.as_str()?
            ))
        }),
        inclusion_proof: entry
            .and_then(|e| e.get("inclusionProof"))
            .is_some_and(|p| !p.is_null()),
        certificate_verified: result.certificate_verified(),
        sct_verified: result.sct_verified(),
        tlog_verified: result.tlog_verified(),
        statement: st,
        provenance: prov,
    })
}

/// Step 4, logs: every entry is in a transparency log of the trusted root whose key was valid
/// at the entry's integrated time. (`sigstore-verify` reports an unknown log as a failed SET;
/// checked first so the report names the real cause.)
fn check_logs(bundle: &Bundle, trust: &TrustMaterial) -> Result<()> {
    for e in &bundle.verification_material.tlog_entries {
        let id = e.log_id.key_id.as_bytes();
        let logs: Vec<_> = trust
            .trusted_root
            .tlogs
            .iter()
            .filter(|l| l.log_id.key_id.as_bytes() == id)
            .collect();
        if logs.is_empty() {
            return Err(Error::TlogUnknown(format!(
                "log {} is not in the trusted root",
                STANDARD.encode(id)
            )));
        }
        if let Some(t) = e.integrated_time {
            if !logs.iter().any(|l| {
                l.public_key
                    .valid_for
                    .as_ref()
                    .is_none_or(|r| r.contains(t))
            }) {
                return Err(Error::TlogUnknown(format!(
                    "log {} was not valid at the entry's integrated time {t}",
                    STANDARD.encode(id)
                )));
            }
        }
    }
    Ok(())
}

/// Parse `sha256:<hex>` / `sha512:<hex>` (also `sha384`).
pub fn parse_digest(s: &str) -> Result<(Algorithm, Vec<u8>)> {
    let (alg, hexd) = s
        .split_once(':')
        .ok_or_else(|| Error::InvalidArg(format!("digest {s:?} is not <algorithm>:<hex>")))?;
    let alg = Algorithm::parse(alg)
        .filter(|a| !a.is_weak())
        .ok_or_else(|| Error::InvalidArg(format!("unsupported digest algorithm {alg:?}")))?;
    let bytes = hex::decode(hexd).map_err(|e| Error::InvalidArg(format!("digest hex: {e}")))?;
    Ok((alg, bytes))
}

/// The DER bytes of a PEM `PUBLIC KEY` (the key a keyed bundle is checked against).
pub fn parse_public_key_pem(pem: &str) -> Result<Vec<u8>> {
    sigstore_verify::types::DerPublicKey::from_pem(pem)
        .map(|k| k.as_bytes().to_vec())
        .map_err(|e| Error::InvalidArg(format!("publicKey: {e}")))
}

/// Split text holding one JSON document or JSON Lines into values.
pub fn json_documents(text: &str, what: &str) -> Result<Vec<Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Ok(vec![v]),
        Err(whole) => {
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            if lines.len() < 2 {
                return Err(Error::json(what, whole));
            }
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    serde_json::from_str(l)
                        .map_err(|e| Error::json(format!("{what} line {}", i + 1), e))
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;
    use crate::Code;

    const BUNDLE: &str = "bundles/sigstore-2.2.0.provenance.bundle-v0.3.json";
    const TARBALL: &str = "tarballs/sigstore-2.2.0.tgz";

    fn digest() -> Option<(Algorithm, Vec<u8>)> {
        Some((Algorithm::Sha512, testdata::sha512(TARBALL)))
    }

    #[test]
    fn a_real_bundle_verifies_against_its_tarball() {
        let pb = parse(&testdata::text(BUNDLE)).unwrap();
        let opts = VerifyOptions {
            digest: digest(),
            ..Default::default()
        };
        let facts = verify(&pb, &opts, &testdata::trust()).unwrap();
        assert_eq!(facts.signer_kind, "certificate");
        // The same bytes, given as the artifact.
        let opts = VerifyOptions {
            artifact: Some(testdata::bytes(TARBALL)),
            ..Default::default()
        };
        verify(&pb, &opts, &testdata::trust()).unwrap();
    }

    #[test]
    fn other_bytes_or_a_contradicting_digest_are_refused() {
        let pb = parse(&testdata::text(BUNDLE)).unwrap();
        let t = testdata::trust();
        let other = VerifyOptions {
            digest: Some((
                Algorithm::Sha512,
                testdata::sha512("tarballs/sigstore-2.1.0.tgz"),
            )),
            ..Default::default()
        };
        assert_eq!(
            verify(&pb, &other, &t).unwrap_err().code(),
            Code::SubjectDigest
        );
        let both = VerifyOptions {
            artifact: Some(testdata::bytes(TARBALL)),
            digest: Some((Algorithm::Sha512, vec![0; 64])),
            ..Default::default()
        };
        assert_eq!(verify(&pb, &both, &t).unwrap_err().code(), Code::Integrity);
    }

    #[test]
    fn one_changed_field_is_refused() {
        let raw: Value = serde_json::from_str(&testdata::text(BUNDLE)).unwrap();
        let t = testdata::trust();
        let opts = VerifyOptions {
            digest: digest(),
            ..Default::default()
        };
        let check = |edit: &dyn Fn(&mut Value)| {
            let mut v = raw.clone();
            edit(&mut v);
            parse_value(v).and_then(|pb| verify(&pb, &opts, &t).map(|_| ()))
        };
        // The DSSE signature.
        let e = check(&|v| {
            let s = v["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap();
            let mut b = STANDARD.decode(s).unwrap();
            b[10] ^= 1;
            v["dsseEnvelope"]["signatures"][0]["sig"] = STANDARD.encode(b).into();
        })
        .unwrap_err();
        assert_eq!(e.code(), Code::Signature, "{e}");
        // The inclusion proof's tree size.
        let e = check(&|v| {
            let p = &mut v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"];
            let n: u64 = p["treeSize"].as_str().unwrap().parse().unwrap();
            p["treeSize"] = (n + 1).to_string().into();
        })
        .unwrap_err();
        assert!(e.code().is_tlog(), "{e}");
        // An unknown media type; a bundle with no verification material.
        let e = check(&|v| v["mediaType"] = "application/vnd.dev.sigstore.bundle.v9+json".into())
            .unwrap_err();
        assert_eq!(e.code(), Code::BundleVersion, "{e}");
        let e = check(&|v| {
            v.as_object_mut().unwrap().remove("verificationMaterial");
        })
        .unwrap_err();
        assert!(
            matches!(e.code(), Code::BundleParse | Code::TlogMissing),
            "{e}"
        );
    }

    #[test]
    fn malformed_inputs_have_codes() {
        assert_eq!(parse("{").unwrap_err().code(), Code::Json);
        assert_eq!(parse("[]").unwrap_err().code(), Code::BundleParse);
        assert_eq!(parse("{}").unwrap_err().code(), Code::BundleParse);
        assert_eq!(parse_digest("sha512").unwrap_err().code(), Code::InvalidArg);
        assert_eq!(
            parse_digest("sha1:00").unwrap_err().code(),
            Code::InvalidArg
        );
        assert_eq!(
            parse_digest("sha256:zz").unwrap_err().code(),
            Code::InvalidArg
        );
        assert_eq!(parse_digest("sha256:00ff").unwrap().1, vec![0, 255]);
        assert_eq!(
            parse_public_key_pem("not a key").unwrap_err().code(),
            Code::InvalidArg
        );
        assert_eq!(json_documents("{}\n{}\n", "x").unwrap().len(), 2);
        assert_eq!(
            json_documents("{} nope", "x").unwrap_err().code(),
            Code::Json
        );
    }
}
