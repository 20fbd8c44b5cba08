//! What the static signals report (manifest confusion, suspicious code): plain data.

use serde::Serialize;

/// What was seen, as typed data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Signal {
    /// The registry manifest and the tarball's package.json disagree.
    ManifestMismatch {
        field: String,
        registry: String,
        tarball: String,
    },
    /// A static code pattern.
    SuspiciousCode {
        file: String,
        rule: String,
        excerpt: String,
    },
}

/// One finding: plain data for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable id: `manifest-confusion`, `code.…`.
    pub rule: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// What was seen, for a person.
    pub evidence: String,
    /// The file, for code findings (`package.json#scripts.<hook>` for a hook's command text).
    pub file: Option<String>,
    /// The same, as data.
    pub signal: Signal,
}
