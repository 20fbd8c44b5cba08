//! `requireProvenance`: every version has verified SLSA provenance (and, with
//! `publishAttestation`, a verified npm publish attestation). For a dependency that does not
//! come from a registry no provenance can exist ([`non_registry`]), unless it is the project's
//! own code.

use super::{publish_attestation_evidence, Package};
use crate::policy::{Config, Finding, Level, Outcome, RuleId, RuleOptions};
use crate::report::CheckState;

const RULE: RuleId = RuleId::RequireProvenance;

/// The rule's options.
pub struct Options {
    /// Require the npm publish attestation too.
    pub publish_attestation: bool,
}

impl From<&RuleOptions> for Options {
    fn from(o: &RuleOptions) -> Self {
        Self {
            publish_attestation: o.publish_attestation == Some(true),
        }
    }
}

pub fn check(cfg: &Config, p: &Package, out: &mut Outcome) {
    let (lvl, o) = cfg.rule(RULE, p.name);
    let o = Options::from(o);
    if lvl == Level::Off {
        return;
    }
    let r = p.report();
    if !p.has_provenance() {
        out.finding(
            p,
            RULE,
            lvl,
            "no verified SLSA provenance".into(),
            p.prov_evidence(),
        );
    } else if o.publish_attestation && r.checks.publish_attestation != CheckState::Passed {
        out.finding(
            p,
            RULE,
            lvl,
            "no verified npm publish attestation".into(),
            publish_attestation_evidence(r),
        );
    }
}

/// A dependency from `location` (a `what`: git, file, remote tarball, link) cannot have
/// provenance; `own`: it is part of the project, and the rule does not apply.
pub fn non_registry(
    cfg: &Config,
    p: &crate::lockfile::LockedPackage,
    (what, location): (&str, &str),
    own: bool,
    out: &mut Vec<Finding>,
) {
    let (lvl, _) = cfg.rule(RULE, &p.name);
    if lvl != Level::Off && !own {
        out.push(Finding {
            rule: RULE.as_str().into(),
            level: lvl,
            name: p.name.clone(),
            version: p.version.clone(),
            message: format!("{what}: no provenance can exist"),
            evidence: vec![
                format!("source: {location}"),
                "npm provenance exists only for versions published to a registry".into(),
            ],
            allowed_by: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::testing::*;
    use crate::report::CheckState;
    use serde_json::json;

    #[test]
    fn require_provenance_with_publish_attestation() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let mut r = report(Some(prov("https://github.com/acme/pkg")));
        r.checks.publish_attestation = CheckState::Missing;
        let c = cfg(json!({"rules": {"requireProvenance": "error"}}));
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        let c = cfg(
            json!({"rules": {"requireProvenance": {"level": "error", "publishAttestation": true}}}),
        );
        let o = run(&c, &inputs(&l, &r, Some(&doc)));
        assert_eq!(
            rules_of(&o),
            ["requireProvenance:no verified npm publish attestation"]
        );
        assert_eq!(
            o.findings[0].evidence[0],
            "publish attestation check: missing"
        );
        // exclude and packages
        let c = cfg(
            json!({"rules": {"requireProvenance": {"level": "error", "publishAttestation": true, "exclude": ["p*"]}}}),
        );
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        let c = cfg(
            json!({"rules": {"requireProvenance": {"level": "error", "publishAttestation": true, "packages": ["@acme"]}}}),
        );
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
    }
}
