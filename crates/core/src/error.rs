//! Errors and their stable codes.
//!
//! Every error that can reach JavaScript carries a `code` string (`ERR_PROV_…`). The codes are a
//! contract: they are documented in the README and tested from JS. Add codes; never rename them.

pub use crate::code::Code;
use thiserror::Error;

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure the core can report.
///
/// The variant decides the code; the message carries the context.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A caller passed an argument of the wrong shape or value.
    #[error("{0}")]
    InvalidArg(String),
    /// Text that should be JSON is not.
    #[error("malformed JSON in {what}: {message}")]
    Json { what: String, message: String },
    /// Input is JSON but not a Sigstore bundle we can read.
    #[error("not a valid Sigstore bundle: {0}")]
    BundleParse(String),
    /// A bundle media type we do not know.
    #[error("unsupported bundle media type: {0}")]
    BundleVersion(String),
    /// The trusted root could not be loaded.
    #[error("invalid trusted root: {0}")]
    TrustRoot(String),
    /// npm registry keys could not be loaded.
    #[error("invalid npm registry keys: {0}")]
    Keys(String),
    /// A key id that no trusted key has.
    #[error("unknown key id {0}")]
    KeyUnknown(String),
    /// A key that exists but was not valid at the time that matters.
    #[error("{0}")]
    KeyExpired(String),
    /// A signature (DSSE, registry, message) did not verify.
    #[error("signature does not verify: {0}")]
    Signature(String),
    /// The certificate chain, validity or SCT failed.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The certificate has a valid chain but does not name the expected identity or issuer.
    #[error("identity: {0}")]
    Identity(String),
    /// The Signed Entry Timestamp (inclusion promise) failed.
    #[error("transparency log SET: {0}")]
    TlogSet(String),
    /// The RFC 6962 inclusion proof failed.
    #[error("transparency log inclusion proof: {0}")]
    TlogInclusion(String),
    /// The checkpoint (signed tree head) failed.
    #[error("transparency log checkpoint: {0}")]
    TlogCheckpoint(String),
    /// The log entry body does not describe this bundle.
    #[error("transparency log entry: {0}")]
    TlogBody(String),
    /// The log is not in the trusted root, or not valid at that time.
    #[error("transparency log: {0}")]
    TlogUnknown(String),
    /// No transparency log entry or trusted timestamp.
    #[error("no transparency: {0}")]
    TlogMissing(String),
    /// An RFC 3161 timestamp failed.
    #[error("timestamp: {0}")]
    Timestamp(String),
    /// The in-toto statement is malformed or has the wrong type.
    #[error("in-toto statement: {0}")]
    Statement(String),
    /// A subject digest does not match the artifact.
    #[error("subject digest: {0}")]
    SubjectDigest(String),
    /// The subject names another package or version.
    #[error("subject name: {0}")]
    SubjectName(String),
    /// The attestation predicate type is unknown or inconsistent.
    #[error("predicate type: {0}")]
    PredicateType(String),
    /// An SRI string could not be parsed.
    #[error("invalid SRI string: {0}")]
    SriParse(String),
    /// Bytes do not match an integrity string.
    #[error("integrity mismatch: {0}")]
    IntegrityMismatch(String),
    /// A package spec could not be parsed.
    #[error("invalid package spec {0:?}")]
    Spec(String),
    /// Nothing in the packument satisfies the spec.
    #[error("no version of {name} satisfies {wanted}")]
    NoMatchingVersion { name: String, wanted: String },
    /// Registry answered 404 for the package.
    #[error("not found: {0}")]
    NotFound(String),
    /// Network failure or unexpected HTTP status.
    #[error("network: {0}")]
    Network(String),
    /// npm configuration could not be read.
    #[error("npm config: {0}")]
    Config(String),
    /// The project's policy (`prov-native.config.json`, a `--config` file, or the
    /// `"prov-native"` key of package.json) is invalid. Same code as [`Error::Config`]: both are
    /// configuration errors; the message says which file.
    #[error("policy file {file}: {message}")]
    Policy { file: String, message: String },
    /// Reading a local file failed.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    /// An input exceeded a size budget.
    #[error("{0}")]
    TooLarge(String),
    /// A bug: a worker panicked or a runtime could not start.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable code for this error.
    pub fn code(&self) -> Code {
        match self {
            Error::InvalidArg(_) => Code::InvalidArg,
            Error::Json { .. } => Code::Json,
            Error::BundleParse(_) => Code::BundleParse,
            Error::BundleVersion(_) => Code::BundleVersion,
            Error::TrustRoot(_) => Code::TrustRoot,
            Error::Keys(_) => Code::Keys,
            Error::KeyUnknown(_) => Code::KeyUnknown,
            Error::KeyExpired(_) => Code::KeyExpired,
            Error::Signature(_) => Code::Signature,
            Error::Certificate(_) => Code::Certificate,
            Error::Identity(_) => Code::Identity,
            Error::TlogSet(_) => Code::TlogSet,
            Error::TlogInclusion(_) => Code::TlogInclusion,
            Error::TlogCheckpoint(_) => Code::TlogCheckpoint,
            Error::TlogBody(_) => Code::TlogBody,
            Error::TlogUnknown(_) => Code::TlogUnknownLog,
            Error::TlogMissing(_) => Code::TlogMissing,
            Error::Timestamp(_) => Code::Timestamp,
            Error::Statement(_) => Code::Statement,
            Error::SubjectDigest(_) => Code::SubjectDigest,
            Error::SubjectName(_) => Code::SubjectName,
            Error::PredicateType(_) => Code::PredicateType,
            Error::SriParse(_) => Code::Sri,
            Error::IntegrityMismatch(_) => Code::Integrity,
            Error::Spec(_) => Code::Spec,
            Error::NoMatchingVersion { .. } => Code::NoMatchingVersion,
            Error::NotFound(_) => Code::NotFound,
            Error::Network(_) => Code::Network,
            Error::Config(_) | Error::Policy { .. } => Code::Config,
            Error::Io { .. } => Code::Io,
            Error::TooLarge(_) => Code::TooLarge,
            Error::Internal(_) => Code::Internal,
        }
    }

    pub fn json(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        Error::Json {
            what: what.into(),
            message: e.to_string(),
        }
    }

    pub fn io(path: impl AsRef<std::path::Path>, e: impl std::fmt::Display) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            message: e.to_string(),
        }
    }

    /// Map a `sigstore-verify` failure to the check that failed, by its error types. Two
    /// branches read the message, because 0.15 gives them no type of their own: an in-toto
    /// statement that does not parse, and a DSSE payload type other than in-toto's. Each branch
    /// is pinned by a test (`sigstore_errors_map_to_their_codes`) so an upgrade that changes
    /// them fails there.
    pub(crate) fn from_sigstore(e: sigstore_verify::Error) -> Self {
        use sigstore_verify::bundle::Error as B;
        use sigstore_verify::{
            CertificateError as C, Error as E, TimestampError as TS, TransparencyLogError as T,
        };
        let msg = e.to_string();
        match e {
            E::IdentityMismatch { .. } | E::IssuerMismatch { .. } => Error::Identity(msg),
            E::SignatureInvalid(_) => Error::Signature(msg),
            E::ArtifactMismatch(_) => Error::SubjectDigest(msg),
            E::Certificate(C::Sct(_)) => Error::Certificate(msg),
            E::Certificate(_) => Error::Certificate(msg),
            E::TransparencyLog(t) => match t {
                T::InclusionProof(_) => Error::TlogInclusion(msg),
                T::Checkpoint(_) => Error::TlogCheckpoint(msg),
                T::InclusionPromise(_) => Error::TlogSet(msg),
                T::EntryMismatch(_) | T::MalformedEntry(_) => Error::TlogBody(msg),
                T::UnknownLog { .. } => Error::TlogUnknown(msg),
                // The log saw the signature outside the certificate's validity (or in the future).
                T::IntegratedTime(_) => Error::Certificate(msg),
                _ => Error::TlogBody(msg),
            },
            // No SET and no RFC 3161 timestamp: nothing says when the signature was made.
            E::Timestamp(TS::NoVerifiedTimestamp(_)) => Error::TlogMissing(msg),
            E::Timestamp(_) => Error::Timestamp(msg),
            E::InvalidBundle(m) if m.starts_with("failed to parse in-toto statement") => {
                Error::Statement(msg)
            }
            E::UnsupportedBundle(m) if m.starts_with("unsupported DSSE payload type") => {
                Error::Statement(msg)
            }
            // What the media type requires of the log evidence is missing.
            E::Bundle(
                B::MissingInclusionPromise(_)
                | B::MissingInclusionProof(_)
                | B::MissingSigningTimeEvidence
                | B::MissingTimestamp
                | B::MissingCheckpoint,
            ) => Error::TlogMissing(msg),
            E::Bundle(B::LogIndexOutOfRange { .. } | B::CheckpointRootMismatch) => {
                Error::TlogInclusion(msg)
            }
            E::InvalidBundle(_) | E::UnsupportedBundle(_) | E::Bundle(_) | E::Types(_) => {
                Error::BundleParse(msg)
            }
            E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_) => {
                Error::TrustRoot(msg)
            }
            E::Crypto(_) => Error::Signature(msg),
            _ => Error::BundleParse(msg),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigstore_verify::bundle::Error as B;
    use sigstore_verify::types::MediaType;
    use sigstore_verify::{
        CertificateError as C, Error as E, TimestampError as TS, TransparencyLogError as T,
    };

    /// Every `sigstore-verify` 0.15 error this crate classifies, with the messages it writes
    /// where the message decides (copied from its sources: `artifact.rs`).
    #[test]
    fn sigstore_errors_map_to_their_codes() {
        let s = || "x".to_string();
        let cases: Vec<(E, Code)> = vec![
            (E::SignatureInvalid(s()), Code::Signature),
            (E::ArtifactMismatch(s()), Code::SubjectDigest),
            (E::Certificate(C::Sct(s())), Code::Certificate),
            (E::Certificate(C::Malformed(s())), Code::Certificate),
            (E::Certificate(C::ChainInvalid(s())), Code::Certificate),
            (E::TransparencyLog(T::InclusionProof(s())), Code::TlogInclusion),
            (E::TransparencyLog(T::Checkpoint(s())), Code::TlogCheckpoint),
            (E::TransparencyLog(T::InclusionPromise(s())), Code::TlogSet),
            (E::TransparencyLog(T::EntryMismatch(s())), Code::TlogBody),
            (E::TransparencyLog(T::MalformedEntry(s())), Code::TlogBody),
            (E::TransparencyLog(T::IntegratedTime(s())), Code::Certificate),
            (E::Timestamp(TS::NoVerifiedTimestamp(s())), Code::TlogMissing),
            (E::Timestamp(TS::Invalid(s())), Code::Timestamp),
            (
                E::InvalidBundle("failed to parse in-toto statement: EOF".into()),
                Code::Statement,
            ),
            (
                E::UnsupportedBundle(
                    "unsupported DSSE payload type \"text/plain\": cannot bind artifact to attestation"
                        .into(),
                ),
                Code::Statement,
            ),
            (E::InvalidBundle("bundle has no signing certificate".into()), Code::BundleParse),
            (E::UnsupportedBundle(s()), Code::BundleParse),
            (
                E::Bundle(B::MissingInclusionPromise(MediaType::Bundle0_1)),
                Code::TlogMissing,
            ),
            (
                E::Bundle(B::MissingInclusionProof(MediaType::Bundle0_2)),
                Code::TlogMissing,
            ),
            (E::Bundle(B::MissingSigningTimeEvidence), Code::TlogMissing),
            (E::Bundle(B::MissingTimestamp), Code::TlogMissing),
            (E::Bundle(B::MissingCheckpoint), Code::TlogMissing),
            (E::Bundle(B::CheckpointRootMismatch), Code::TlogInclusion),
            (
                E::Bundle(B::LogIndexOutOfRange {
                    log_index: 9,
                    tree_size: 3,
                }),
                Code::TlogInclusion,
            ),
            (E::Bundle(B::UnsupportedVerificationMaterial), Code::BundleParse),
            (E::InvalidTrustRoot(s()), Code::TrustRoot),
        ];
        for (e, code) in cases {
            let what = format!("{e:?}");
            assert_eq!(Error::from_sigstore(e).code(), code, "{what}");
        }
    }
}
