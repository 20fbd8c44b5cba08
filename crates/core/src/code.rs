//! The stable `ERR_PROV_…` codes: one enum, the only place a code is spelled.
//!
//! Errors ([`crate::Error::code`]), report problems ([`crate::report::Problem`]) and CLI/SARIF
//! output carry a [`Code`]. The README's table, the `ErrorCode` union in `index.d.ts`
//! (`types.d.ts`) and `schema/codes.json` (the CLI's and SARIF's descriptions) are checked
//! against [`Code::ALL`] by `tests/codes.rs`. Codes are a contract: add them, never rename one.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! codes {
    ($($(#[$doc:meta])* $v:ident = $s:literal, $kind:ident, $meaning:literal;)*) => {
        /// A stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* $v,)*
        }

        impl Code {
            /// Every code, in the README's order.
            pub const ALL: &'static [Code] = &[$(Code::$v,)*];

            /// `ERR_PROV_…`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$v => $s,)*
                }
            }

            /// What it means, one line (the README's table, the CLI, SARIF rules).
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Code::$v => $meaning,)*
                }
            }

            /// Whether it rejects a call ([`Kind::Error`]) or only appears in reports.
            pub const fn kind(self) -> Kind {
                match self {
                    $(Code::$v => Kind::$kind,)*
                }
            }
        }
    };
}

/// Where a code appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A rejection (`err.code`), also a report problem when one check fails with it.
    Error,
    /// Only a report problem or a CLI/SARIF result: nothing rejects with it.
    Report,
}

codes! {
    InvalidArg = "ERR_PROV_INVALID_ARG", Error, "an argument has the wrong type or value";
    Json = "ERR_PROV_JSON", Error, "text that must be JSON is not";
    Spec = "ERR_PROV_SPEC", Error, "a package spec that cannot be parsed";
    Config = "ERR_PROV_CONFIG", Error, "npm configuration, a registry URL or the policy file is unusable (the message says which; a policy error starts `policy file <path>:`)";
    Io = "ERR_PROV_IO", Error, "a local file cannot be read, or is not a regular file (a directory, a FIFO, a device)";
    TooLarge = "ERR_PROV_TOO_LARGE", Error, "an input is over its size budget";
    TrustRoot = "ERR_PROV_TRUST_ROOT", Error, "the trusted root cannot be loaded";
    Keys = "ERR_PROV_KEYS", Error, "the npm registry keys cannot be loaded";
    BundleParse = "ERR_PROV_BUNDLE_PARSE", Error, "not a Sigstore bundle, or signer fields its media type does not have";
    BundleVersion = "ERR_PROV_BUNDLE_VERSION", Error, "an unknown bundle media type";
    Signature = "ERR_PROV_SIGNATURE", Error, "a signature does not verify";
    Certificate = "ERR_PROV_CERTIFICATE", Error, "certificate chain, validity or SCT fails, or the wrong kind of signer";
    Identity = "ERR_PROV_IDENTITY", Error, "certificate identity or issuer differs from the one required";
    KeyUnknown = "ERR_PROV_KEY_UNKNOWN", Error, "no trusted key has that key id";
    KeyExpired = "ERR_PROV_KEY_EXPIRED", Error, "the key was not valid at the time that matters";
    TlogSet = "ERR_PROV_TLOG_SET", Error, "the transparency log's Signed Entry Timestamp does not verify";
    TlogInclusion = "ERR_PROV_TLOG_INCLUSION", Error, "the inclusion proof does not verify, or its tree size or root hash is not the checkpoint's";
    TlogCheckpoint = "ERR_PROV_TLOG_CHECKPOINT", Error, "the checkpoint does not verify, or its envelope is not exactly a signed note";
    TlogBody = "ERR_PROV_TLOG_BODY", Error, "the transparency log entry does not describe this bundle";
    TlogUnknownLog = "ERR_PROV_TLOG_UNKNOWN_LOG", Error, "the log is not in the trusted root, or not valid at that time";
    TlogMissing = "ERR_PROV_TLOG_MISSING", Error, "no log entry, or a SET / proof / checkpoint the media type requires is missing";
    Timestamp = "ERR_PROV_TIMESTAMP", Error, "an RFC 3161 timestamp fails";
    Statement = "ERR_PROV_STATEMENT", Error, "the in-toto statement is not what npm writes";
    PredicateType = "ERR_PROV_PREDICATE_TYPE", Error, "the predicate type is unknown or differs from the one declared";
    SubjectName = "ERR_PROV_SUBJECT_NAME", Error, "the attestation is about another package or version";
    SubjectDigest = "ERR_PROV_SUBJECT_DIGEST", Error, "the attestation is about other bytes";
    Sri = "ERR_PROV_SRI", Error, "a malformed SRI integrity string";
    Integrity = "ERR_PROV_INTEGRITY", Error, "tarball or lockfile integrity does not match the registry";
    NotFound = "ERR_PROV_NOT_FOUND", Error, "the registry has no such package";
    NoMatchingVersion = "ERR_PROV_NO_MATCHING_VERSION", Error, "no version satisfies the spec";
    ManifestMismatch = "ERR_PROV_MANIFEST_MISMATCH", Report, "the registry's manifest names another package or version";
    Network = "ERR_PROV_NETWORK", Error, "the registry could not be reached or answered an error (after retries)";
    Internal = "ERR_PROV_INTERNAL", Error, "a bug; please report it";
    Load = "ERR_PROV_LOAD", Error, "the native addon could not be loaded: the CLI names the platform package and file it looked for, and the fix";
    RegistrySignature = "ERR_PROV_REGISTRY_SIGNATURE", Report, "the registry's signature does not verify";
    RegistrySignatureMissing = "ERR_PROV_REGISTRY_SIGNATURE_MISSING", Report, "the registry served no signature for this version";
    AttestationsUnavailable = "ERR_PROV_ATTESTATIONS_UNAVAILABLE", Report, "attestations could not be fetched (a mirror that strips them, or no attestations registry)";
    NoProvenance = "ERR_PROV_NO_PROVENANCE", Report, "the version has no SLSA provenance attestation";
    PublishAttestationMissing = "ERR_PROV_PUBLISH_ATTESTATION_MISSING", Report, "the version has provenance but no npm publish attestation";
    IntegrityMissing = "ERR_PROV_INTEGRITY_MISSING", Report, "the registry gave no integrity for the tarball";
    IntegrityWeak = "ERR_PROV_INTEGRITY_WEAK", Report, "only a weak (sha1) integrity: never verified";
    NotVerified = "ERR_PROV_NOT_VERIFIED", Report, "not verified (the report's other problems say why)";
    NotVerifiable = "ERR_PROV_NOT_VERIFIABLE", Report, "not from a registry (git, file, tarball URL, link): cannot carry signatures or provenance";
}

impl Code {
    /// The code spelled `s`, if any.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// A transparency-log check.
    pub fn is_tlog(self) -> bool {
        self.as_str().starts_with("ERR_PROV_TLOG_")
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tests and callers compare with the wire spelling.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Code::parse(&s).ok_or_else(|| serde::de::Error::custom(format_args!("unknown code {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &c in Code::ALL {
            assert!(c.as_str().starts_with("ERR_PROV_"), "{c}");
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(Code::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), c);
            assert!(!c.meaning().is_empty());
        }
        assert!(serde_json::from_str::<Code>("\"ERR_PROV_NOPE\"").is_err());
        assert_eq!(Code::parse("ERR_PROV_"), None);
    }
}
