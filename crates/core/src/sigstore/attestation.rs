//! npm attestations: the SLSA provenance and the npm publish attestation of one version.
//!
//! On top of generic bundle verification, npm's rules (as npm's pacote applies them):
//! 1. The bundle holds a DSSE envelope with an in-toto Statement (v0.1 or v1).
//! 2. An attestation from a response (`{predicateType, bundle}`) declares its `predicateType`
//!    as a string equal to the statement's (a missing, `null` or non-string one fails); a bare
//!    bundle declares none.
//! 3. Exactly one subject, named `pkg:npm/<name>@<version>` (scope `@` as `%40`), whose
//!    `sha512` is the version's integrity.
//! 4. Publish attestations are keyed: the envelope's keyid equals `publicKey.hint` and is an npm
//!    `npm:attestations` key valid at the integrated time; the predicate names this version.
//! 5. Provenance attestations are signed with a Fulcio certificate and name no key id.
//! 6. The bundle verifies (see `bundle::verify`), bound to the sha512.

use crate::config::trust::TrustMaterial;
use crate::error::{Error, Result};
use crate::npm::integrity::Algorithm;
use crate::sigstore::bundle::{self, BundleFacts, VerifyOptions};
use crate::sigstore::provenance::{SLSA_V02, SLSA_V1};
use serde_json::Value;

pub const PUBLISH_V01: &str = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";
const STATEMENT_TYPES: [&str; 2] = [
    "https://in-toto.io/Statement/v0.1",
    "https://in-toto.io/Statement/v1",
];
/// At most this many attestations per version are looked at.
const MAX_ATTESTATIONS: usize = 16;

/// The package version attestations must be about.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub version: String,
    /// SHA-512 of the tarball, as the registry (and the bytes) say.
    pub sha512: Vec<u8>,
}

impl Target {
    /// The purl npm writes in subjects.
    pub fn purl(&self) -> String {
        let name = match self.name.strip_prefix('@') {
            Some(rest) => format!("%40{rest}"),
            None => self.name.clone(),
        };
        format!("pkg:npm/{name}@{}", self.version)
    }
}

/// What an attestation response says an attestation's predicate type is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declared {
    /// A bare bundle: no wrapper, nothing declared.
    Bare,
    /// The wrapper's `predicateType` string.
    Type(String),
    /// The wrapper's `predicateType` is missing or not a string (its JSON, for the message).
    Invalid(String),
}

/// One attestation: the response's declared predicate type and the bundle.
#[derive(Debug, Clone)]
pub struct Entry {
    pub declared_predicate_type: Declared,
    pub bundle: Value,
}

/// Read attestations from JSON documents: npm attestation responses
/// (`{attestations:[{predicateType,bundle}]}`) and bare bundles, in any mix.
pub fn entries(docs: Vec<Value>) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for doc in docs {
        if let Some(list) = doc.get("attestations") {
            let list = list
                .as_array()
                .ok_or_else(|| Error::BundleParse("\"attestations\" is not an array".into()))?;
            for a in list {
                let bundle = a
                    .get("bundle")
                    .cloned()
                    .ok_or_else(|| Error::BundleParse("attestation without bundle".into()))?;
                let declared = match a.get("predicateType") {
                    Some(Value::String(t)) => Declared::Type(t.clone()),
                    Some(other) => Declared::Invalid(other.to_string()),
                    None => Declared::Invalid("missing".into()),
                };
                out.push(Entry {
                    declared_predicate_type: declared,
                    bundle,
                });
            }
        } else if doc.get("mediaType").is_some() {
            out.push(Entry {
                declared_predicate_type: Declared::Bare,
                bundle: doc,
            });
        } else {
            return Err(Error::BundleParse(
                "neither an attestations response nor a Sigstore bundle".into(),
            ));
        }
    }
    if out.len() > MAX_ATTESTATIONS {
        return Err(Error::TooLarge(format!(
            "more than {MAX_ATTESTATIONS} attestations"
        )));
    }
    Ok(out)
}

/// What an attestation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Provenance,
    Publish,
}

impl Kind {
    /// The report check this kind feeds.
    pub fn check_name(self) -> &'static str {
        match self {
            Kind::Provenance => "provenance",
            Kind::Publish => "publishAttestation",
        }
    }
}

/// Verify one attestation against the target. Returns its kind and facts.
pub fn verify_one(
    entry: &Entry,
    target: &Target,
    trust: &TrustMaterial,
) -> (Option<Kind>, Result<BundleFacts>) {
    // Know the kind even when verification fails, so the report can say which one failed.
    let statement = bundle::statement(&entry.bundle);
    let kind = kind_of(entry, statement.as_ref().ok().and_then(Option::as_ref));
    (kind, check(entry, statement, kind, target, trust))
}

fn kind_of(entry: &Entry, statement: Option<&bundle::Statement>) -> Option<Kind> {
    let declared = match &entry.declared_predicate_type {
        Declared::Type(t) => t.as_str(),
        Declared::Bare | Declared::Invalid(_) => statement.map(|s| s.predicate_type.as_str())?,
    };
    match declared {
        PUBLISH_V01 => Some(Kind::Publish),
        SLSA_V02 | SLSA_V1 => Some(Kind::Provenance),
        _ => None,
    }
}

fn check(
    entry: &Entry,
    statement: Result<Option<bundle::Statement>>,
    kind: Option<Kind>,
    target: &Target,
    trust: &TrustMaterial,
) -> Result<BundleFacts> {
    let pb = bundle::parse_value(entry.bundle.clone())?;
    // 1.
    let st = statement?
        .ok_or_else(|| Error::Statement("npm attestations carry a DSSE envelope".into()))?;
    let payload_type = pb
        .raw
        .pointer("/dsseEnvelope/payloadType")
        .and_then(Value::as_str);
    if payload_type != Some("application/vnd.in-toto+json") {
        return Err(Error::Statement(format!(
            "payloadType {payload_type:?} is not in-toto"
        )));
    }
    if !STATEMENT_TYPES.contains(&st.statement_type.as_str()) {
        return Err(Error::Statement(format!(
            "unknown statement _type {}",
            st.statement_type
        )));
    }
    // 2.
    match &entry.declared_predicate_type {
        Declared::Bare => {}
        Declared::Type(d) if *d == st.predicate_type => {}
        Declared::Type(d) => {
            return Err(Error::PredicateType(format!(
                "response says {d}, statement says {}",
                st.predicate_type
            )))
        }
        Declared::Invalid(v) => {
            return Err(Error::PredicateType(format!(
                "the attestation's predicateType is {v}, not the statement's {}",
                st.predicate_type
            )))
        }
    }
    let kind = kind.ok_or_else(|| {
        Error::PredicateType(format!(
            "unknown attestation predicate {}",
            st.predicate_type
        ))
    })?;
    // 3.
    let [subject] = st.subjects.as_slice() else {
        return Err(Error::SubjectName(format!(
            "npm attestations have exactly one subject, this one has {}",
            st.subjects.len()
        )));
    };
    if subject.name != target.purl() {
        return Err(Error::SubjectName(format!(
            "{} is not {}",
            subject.name,
            target.purl()
        )));
    }
    let want = hex::encode(&target.sha512);
    match subject.digest.get("sha512") {
        Some(d) if d.eq_ignore_ascii_case(&want) => {}
        Some(d) => {
            return Err(Error::SubjectDigest(format!(
                "subject sha512 {d} is not the tarball's {want}"
            )))
        }
        None => return Err(Error::SubjectDigest("subject has no sha512 digest".into())),
    }
    let keyed = pb.raw.pointer("/verificationMaterial/publicKey").is_some();
    match kind {
        // 4.
        Kind::Publish => {
            if !keyed {
                return Err(Error::Certificate(
                    "an npm publish attestation is signed by the registry key, not a certificate"
                        .into(),
                ));
            }
            let hint = pb
                .raw
                .pointer("/verificationMaterial/publicKey/hint")
                .and_then(Value::as_str);
            let keyid = pb
                .raw
                .pointer("/dsseEnvelope/signatures/0/keyid")
                .and_then(Value::as_str);
            if hint.is_none() || keyid != hint {
                return Err(Error::KeyUnknown(format!(
                    "envelope keyid {keyid:?} does not match publicKey.hint {hint:?}"
                )));
            }
            let pname = st.predicate.get("name").and_then(Value::as_str);
            let pver = st.predicate.get("version").and_then(Value::as_str);
            if pname != Some(target.name.as_str()) || pver != Some(target.version.as_str()) {
                return Err(Error::SubjectName(format!(
                    "publish predicate names {pname:?}@{pver:?}, not {}@{}",
                    target.name, target.version
                )));
            }
        }
        // 5.
        Kind::Provenance => {
            if keyed {
                return Err(Error::Certificate(
                    "npm provenance must be signed with a Fulcio certificate".into(),
                ));
            }
            // Keyless: npm writes an empty keyid; any other names a key that does not sign here.
            let keyid = pb
                .raw
                .pointer("/dsseEnvelope/signatures/0/keyid")
                .and_then(Value::as_str);
            if !matches!(keyid, None | Some("")) {
                return Err(Error::KeyUnknown(format!(
                    "keyless provenance names key id {keyid:?}"
                )));
            }
        }
    }
    // 6.
    let opts = VerifyOptions {
        digest: Some((Algorithm::Sha512, target.sha512.clone())),
        ..Default::default()
    };
    bundle::verify_with_statement(&pb, &opts, trust, Some(st))
}

/// The verified attestations of one version.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    pub provenance: Option<crate::sigstore::provenance::Provenance>,
    pub provenance_bundle: Option<BundleFacts>,
    pub publish_attestation: Option<BundleFacts>,
}

/// Verify every attestation about `target`; the first failure is the error.
///
/// Fails closed: an empty list is an error, and so is an attestation of unknown kind. Several
/// attestations of one kind must all verify; the first one's facts are reported.
pub fn verify_all(entries: &[Entry], target: &Target, trust: &TrustMaterial) -> Result<Verified> {
    if entries.is_empty() {
        return Err(Error::BundleParse("no attestations given".into()));
    }
    let mut out = Verified {
        provenance: None,
        provenance_bundle: None,
        publish_attestation: None,
    };
    for e in entries {
        let (kind, res) = verify_one(e, target, trust);
        let facts = res?;
        let slot = match kind {
            Some(Kind::Provenance) => &mut out.provenance_bundle,
            Some(Kind::Publish) => &mut out.publish_attestation,
            None => return Err(Error::PredicateType("unknown attestation kind".into())),
        };
        slot.get_or_insert(facts);
    }
    // Reported once, beside the bundle facts.
    out.provenance = out
        .provenance_bundle
        .as_mut()
        .and_then(|f| f.provenance.take());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;
    use crate::Code;

    fn target(version: &str, tarball: &str) -> Target {
        Target {
            name: "sigstore".into(),
            version: version.into(),
            sha512: testdata::sha512(tarball),
        }
    }

    fn sigstore_1_0_0() -> Vec<Entry> {
        let doc = testdata::json("attestations/sigstore-1.0.0.json");
        entries(vec![doc]).unwrap()
    }

    #[test]
    fn both_attestations_of_a_real_response_verify() {
        let es = sigstore_1_0_0();
        assert_eq!(es.len(), 2);
        let v = verify_all(
            &es,
            &target("1.0.0", "tarballs/sigstore-1.0.0.tgz"),
            &testdata::trust(),
        )
        .unwrap();
        assert!(v.provenance.is_some() && v.publish_attestation.is_some());
    }

    #[test]
    fn another_version_other_bytes_or_nothing_are_refused() {
        let (es, t) = (sigstore_1_0_0(), testdata::trust());
        let tarball = "tarballs/sigstore-1.0.0.tgz";
        let e = verify_all(&es, &target("1.0.1", tarball), &t).unwrap_err();
        assert_eq!(e.code(), Code::SubjectName, "{e}");
        let e = verify_all(&es, &target("1.0.0", "tarballs/sigstore-0.4.0.tgz"), &t).unwrap_err();
        assert_eq!(e.code(), Code::SubjectDigest, "{e}");
        let e = verify_all(&[], &target("1.0.0", tarball), &t).unwrap_err();
        assert_eq!(e.code(), Code::BundleParse, "{e}");
        assert_eq!(
            target("1.0.0", tarball).purl(),
            "pkg:npm/sigstore@1.0.0",
            "purl"
        );
    }

    #[test]
    fn the_declared_predicate_type_must_be_the_statements() {
        let mut doc = testdata::json("attestations/sigstore-1.0.0.json");
        doc["attestations"][0]["predicateType"] = serde_json::json!(7);
        let es = entries(vec![doc]).unwrap();
        let e = verify_all(
            &es,
            &target("1.0.0", "tarballs/sigstore-1.0.0.tgz"),
            &testdata::trust(),
        )
        .unwrap_err();
        assert_eq!(e.code(), Code::PredicateType, "{e}");
    }

    #[test]
    fn malformed_responses_have_codes() {
        for doc in [
            serde_json::json!({ "attestations": {} }),
            serde_json::json!({ "attestations": [1] }),
            serde_json::json!(3),
        ] {
            let e = entries(vec![doc.clone()]).unwrap_err();
            assert_ne!(e.code(), Code::Internal, "{doc}: {e}");
        }
    }
}
