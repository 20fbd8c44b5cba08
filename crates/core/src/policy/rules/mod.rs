//! The per-version rules, one file per rule. Each file's `check(cfg, p, out)` looks at one
//! registry package ([`Package`]) and pushes its findings and notes to `out`;
//! [`super::evaluate`] calls them in a fixed order, which is the order of what they report.
//!
//! The other rules look at the whole tree and run in `guard` (typosquat, dependencyConfusion,
//! manifestConfusion, suspiciousCode, advisories), or in [`super::exceptions`]
//! (exceptionExpired).

pub(super) mod install_scripts;
pub(super) mod major_update;
pub(super) mod min_release_age;
pub(super) mod provenance_continuity;
pub(super) mod provenance_regression;
pub(super) mod publisher_change;
pub(super) mod require_provenance;
pub(super) mod source_match;
pub(super) mod verification;

use super::config::Level;
use super::finding::{Finding, Note};
use super::history::History;
use super::rule_id::RuleId;
use super::{Inputs, Outcome};
use crate::report::{CheckState, Report};
use serde_json::Value;

/// One registry package version as the rules see it: the inputs, and what every rule reads
/// from them.
pub(super) struct Package<'a> {
    pub i: &'a Inputs<'a>,
    pub name: &'a str,
    pub version: &'a str,
    /// This version's manifest in the packument.
    pub manifest: Option<&'a Value>,
    /// The packument's history (the caller's, or ordered once by [`super::evaluate`]).
    pub history: Option<&'a History>,
}

impl<'a> Package<'a> {
    pub fn report(&self) -> &'a Report {
        self.i.report
    }

    /// The provenance check's state.
    pub fn prov(&self) -> CheckState {
        self.i.report.checks.provenance
    }

    pub fn has_provenance(&self) -> bool {
        self.prov() == CheckState::Passed
    }

    pub fn provenance_missing(&self) -> bool {
        self.prov() == CheckState::Missing
    }

    /// Provenance was not checked, or its check failed: nothing to say about it either way.
    pub fn provenance_unknown(&self) -> bool {
        matches!(self.prov(), CheckState::Skipped | CheckState::Failed)
    }

    /// The provenance check's state with the report's reasons.
    pub fn prov_evidence(&self) -> Vec<String> {
        check_evidence(
            self.report(),
            "provenance",
            self.prov(),
            &["provenance", "attestations"],
        )
    }

    /// The note for a rule that needs the packument when there is none.
    pub fn no_packument(&self) -> String {
        format!(
            "packument unavailable ({})",
            self.i.packument_error.unwrap_or("not fetched")
        )
    }

    /// The version published just before this one (prereleases only with `prereleases`).
    pub fn previous_by_time(&self, prereleases: bool) -> Option<String> {
        self.history.and_then(|h| {
            h.earlier(self.version, prereleases)
                .next()
                .map(str::to_string)
        })
    }
}

impl Outcome {
    /// A finding of `rule` about `p`; none when `level` is off.
    pub(super) fn finding(
        &mut self,
        p: &Package,
        rule: RuleId,
        level: Level,
        message: String,
        evidence: Vec<String>,
    ) {
        if level != Level::Off {
            self.findings.push(Finding {
                rule: rule.as_str().into(),
                level,
                name: p.name.into(),
                version: p.version.into(),
                message,
                evidence,
                allowed_by: None,
            });
        }
    }

    /// Something `rule` could not check for `p`.
    pub(super) fn note(&mut self, p: &Package, rule: RuleId, reason: String) {
        self.notes.push(Note::new(
            rule.as_str(),
            reason,
            format!("{}@{}", p.name, p.version),
        ));
    }
}

fn state(s: CheckState) -> &'static str {
    match s {
        CheckState::Passed => "passed",
        CheckState::Failed => "failed",
        CheckState::Skipped => "skipped",
        CheckState::Missing => "missing",
    }
}

/// `<what> check: <state>`, with the report's reasons for that check.
fn check_evidence(r: &Report, what: &str, s: CheckState, keys: &[&str]) -> Vec<String> {
    let mut ev = vec![format!("{what} check: {}", state(s))];
    ev.extend(
        r.skipped
            .iter()
            .filter(|k| keys.contains(&k.check.as_str()))
            .map(|k| format!("{}: {}", k.check, k.reason)),
    );
    ev
}

/// The publish attestation check's state with the report's reasons.
fn publish_attestation_evidence(r: &Report) -> Vec<String> {
    check_evidence(
        r,
        "publish attestation",
        r.checks.publish_attestation,
        &["publishAttestation", "attestations"],
    )
}
