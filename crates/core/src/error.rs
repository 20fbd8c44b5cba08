//! Errors and their stable codes.
//!
//! Every error that can reach JavaScript carries a `code` string (`ERR_PROV_…`). The codes are a
//! contract: they are documented in the README and tested from JS. Add codes; never rename them.

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
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidArg(_) => "ERR_PROV_INVALID_ARG",
            Error::Json { .. } => "ERR_PROV_JSON",
            Error::BundleParse(_) => "ERR_PROV_BUNDLE_PARSE",
            Error::BundleVersion(_) => "ERR_PROV_BUNDLE_VERSION",
            Error::TrustRoot(_) => "ERR_PROV_TRUST_ROOT",
            Error::Keys(_) => "ERR_PROV_KEYS",
            Error::KeyUnknown(_) => "ERR_PROV_KEY_UNKNOWN",
            Error::KeyExpired(_) => "ERR_PROV_KEY_EXPIRED",
            Error::Signature(_) => "ERR_PROV_SIGNATURE",
            Error::Certificate(_) => "ERR_PROV_CERTIFICATE",
            Error::Identity(_) => "ERR_PROV_IDENTITY",
            Error::TlogSet(_) => "ERR_PROV_TLOG_SET",
            Error::TlogInclusion(_) => "ERR_PROV_TLOG_INCLUSION",
            Error::TlogCheckpoint(_) => "ERR_PROV_TLOG_CHECKPOINT",
            Error::TlogBody(_) => "ERR_PROV_TLOG_BODY",
            Error::TlogUnknown(_) => "ERR_PROV_TLOG_UNKNOWN_LOG",
            Error::TlogMissing(_) => "ERR_PROV_TLOG_MISSING",
            Error::Timestamp(_) => "ERR_PROV_TIMESTAMP",
            Error::Statement(_) => "ERR_PROV_STATEMENT",
            Error::SubjectDigest(_) => "ERR_PROV_SUBJECT_DIGEST",
            Error::SubjectName(_) => "ERR_PROV_SUBJECT_NAME",
            Error::PredicateType(_) => "ERR_PROV_PREDICATE_TYPE",
            Error::SriParse(_) => "ERR_PROV_SRI",
            Error::IntegrityMismatch(_) => "ERR_PROV_INTEGRITY",
            Error::Spec(_) => "ERR_PROV_SPEC",
            Error::NoMatchingVersion { .. } => "ERR_PROV_NO_MATCHING_VERSION",
            Error::NotFound(_) => "ERR_PROV_NOT_FOUND",
            Error::Network(_) => "ERR_PROV_NETWORK",
            Error::Config(_) | Error::Policy { .. } => "ERR_PROV_CONFIG",
            Error::Io { .. } => "ERR_PROV_IO",
            Error::TooLarge(_) => "ERR_PROV_TOO_LARGE",
            Error::Internal(_) => "ERR_PROV_INTERNAL",
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

    /// Map a `sigstore-verify` failure to the check that failed.
    pub(crate) fn from_sigstore(e: sigstore_verify::Error) -> Self {
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
            E::InvalidBundle(m) if m.contains("in-toto statement") => Error::Statement(msg),
            E::UnsupportedBundle(m) if m.contains("payload type") => Error::Statement(msg),
            E::InvalidBundle(_) | E::UnsupportedBundle(_) | E::Bundle(_) | E::Types(_) => {
                if msg.contains("inclusion proof")
                    || msg.contains("inclusion promise")
                    || msg.contains("tlog")
                    || msg.contains("transparency")
                {
                    Error::TlogMissing(msg)
                } else {
                    Error::BundleParse(msg)
                }
            }
            E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_) => {
                Error::TrustRoot(msg)
            }
            E::Crypto(_) => Error::Signature(msg),
            _ => Error::BundleParse(msg),
        }
    }
}
