//! The verification report: one per package version, plain data.
//!
//! Field names are a contract shared by the JS API and `--json` output.

use crate::code::Code;
use crate::error::Error;
use crate::sigstore::bundle::BundleFacts;
use crate::sigstore::provenance::Provenance;
use serde::Serialize;

/// A reason the package is not (fully) verified.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Problem {
    /// Stable `ERR_PROV_…` code.
    pub code: Code,
    pub message: String,
}

impl Problem {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<&Error> for Problem {
    fn from(e: &Error) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// Overall verdict.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every check ran and passed.
    Verified,
    /// The package has no provenance; everything that could be checked passed.
    Unsigned,
    /// A check ran and failed.
    Invalid,
    /// A check could not run (network, mirror without attestations, missing signature…).
    Unverifiable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Verified => "verified",
            Status::Unsigned => "unsigned",
            Status::Invalid => "invalid",
            Status::Unverifiable => "unverifiable",
        }
    }
}

/// State of one check.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    Passed,
    Failed,
    /// Could not be checked; `skipped` says why.
    #[default]
    Skipped,
    /// The thing to check does not exist (e.g. the package has no provenance).
    Missing,
}

/// The checks a report is made of.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Checks {
    pub resolve: CheckState,
    pub integrity: CheckState,
    pub registry_signature: CheckState,
    pub publish_attestation: CheckState,
    pub provenance: CheckState,
    pub transparency_log: CheckState,
}

/// A check that did not run, and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Skipped {
    pub check: String,
    pub reason: String,
}

/// The registry signature that verified.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrySignature {
    pub key_id: String,
    /// `embedded`, `file` or `registry`.
    pub key_source: String,
}

/// The report for one package version.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub spec: String,
    pub name: String,
    pub version: Option<String>,
    pub status: Option<Status>,
    pub registry: Option<String>,
    /// `dist.integrity` from the packument.
    pub integrity: Option<String>,
    /// Integrity computed over the tarball bytes.
    pub tarball_integrity: Option<String>,
    pub published_at: Option<String>,
    // Boxed: most reports of a large tree have none of these, and a report is kept per
    // package (inline, they made a report ~1.9 KB before any of its strings).
    pub provenance: Option<Box<Provenance>>,
    pub provenance_bundle: Option<Box<BundleFacts>>,
    pub publish_attestation: Option<Box<BundleFacts>>,
    pub registry_signature: Option<RegistrySignature>,
    /// Where attestations came from (URL or file), if anywhere.
    pub attestations_source: Option<String>,
    pub checks: Checks,
    pub problems: Vec<Problem>,
    pub skipped: Vec<Skipped>,
}

impl Report {
    pub fn new(spec: &str, name: &str) -> Self {
        Self {
            spec: spec.to_string(),
            name: name.to_string(),
            ..Default::default()
        }
    }

    pub fn problem(&mut self, e: &Error) {
        self.problems.push(Problem::from(e));
    }

    pub fn skip(&mut self, check: &str, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            check: check.to_string(),
            reason: reason.into(),
        });
    }

    /// Derive the status from the checks: fail closed.
    pub fn finish(&mut self) -> Status {
        let c = &self.checks;
        let all = [
            c.resolve,
            c.integrity,
            c.registry_signature,
            c.publish_attestation,
            c.provenance,
            c.transparency_log,
        ];
        let status = if all.contains(&CheckState::Failed) {
            Status::Invalid
        } else if all.iter().all(|s| *s == CheckState::Passed) && self.problems.is_empty() {
            Status::Verified
        } else if c.provenance == CheckState::Missing
            && c.publish_attestation == CheckState::Missing
            && [c.resolve, c.integrity, c.registry_signature]
                .iter()
                .all(|s| *s == CheckState::Passed)
            // Nothing wrong but the missing attestations themselves.
            && self.problems.iter().all(|p| {
                matches!(
                    p.code,
                    Code::NoProvenance | Code::PublishAttestationMissing
                )
            })
        {
            Status::Unsigned
        } else {
            Status::Unverifiable
        };
        if status != Status::Verified && self.problems.is_empty() {
            self.problems
                .push(Problem::new(Code::NotVerified, "not every check passed"));
        }
        self.status = Some(status);
        status
    }
}
