//! `majorUpdate`: stricter for a major update since the previous lockfile: the new version
//! needs verified provenance (and, with `publishAttestation`, a publish attestation).

use super::{publish_attestation_evidence, Package};
use crate::policy::history::major;
use crate::policy::{Config, Level, Outcome, RuleId, RuleOptions};
use crate::report::CheckState;

const RULE: RuleId = RuleId::MajorUpdate;

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
    let Some(prev) = p.i.previous_version else {
        return;
    };
    let version = p.version;
    if lvl == Level::Off || major(prev) == major(version) || major(prev).is_none() {
        return;
    }
    let r = p.report();
    let mut ev = vec![format!("previous lockfile: {}@{prev}", p.name)];
    if !p.has_provenance() {
        ev.extend(p.prov_evidence());
        out.finding(
            p,
            RULE,
            lvl,
            format!("major update {prev} -> {version} without verified provenance"),
            ev,
        );
    } else if o.publish_attestation && r.checks.publish_attestation != CheckState::Passed {
        ev.extend(publish_attestation_evidence(r));
        out.finding(
            p,
            RULE,
            lvl,
            format!("major update {prev} -> {version} without a publish attestation"),
            ev,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::testing::*;
    use crate::policy::*;
    use serde_json::json;

    #[test]
    fn major_update_pairs_by_path_then_major() {
        let mut a = locked("pkg", "1.0.0");
        let mut b = locked("pkg", "5.0.0");
        b.paths = vec!["node_modules/x/node_modules/pkg".into()];
        let prev = [&a, &b];
        // 1.3.0 at the root path pairs with 1.0.0 (not the highest, 5.0.0).
        let cur = locked("pkg", "1.3.0");
        assert_eq!(pair_previous(&cur, &prev), Some("1.0.0"));
        let mut cur = locked("pkg", "5.0.1");
        cur.paths = vec!["node_modules/x/node_modules/pkg".into()];
        assert_eq!(pair_previous(&cur, &prev), Some("5.0.0"));
        // Elsewhere: the same major, else the highest.
        let mut cur = locked("pkg", "1.9.0");
        cur.paths = vec!["node_modules/y/node_modules/pkg".into()];
        assert_eq!(pair_previous(&cur, &prev), Some("1.0.0"));
        cur.version = "3.0.0".into();
        assert_eq!(pair_previous(&cur, &prev), Some("5.0.0"));
        a.version = "3.0.0".into();
        assert_eq!(pair_previous(&cur, &[&a, &b]), Some("3.0.0"));
        assert_eq!(pair_previous(&cur, &[]), None);
        // And the rule: a major update without provenance.
        let doc = packument();
        let l = locked("pkg", "2.0.0");
        let r = report(None);
        let c = cfg(json!({"rules": {"majorUpdate": "error"}}));
        let mut i = inputs(&l, &r, Some(&doc));
        i.previous_version = Some("1.0.0");
        let o = run(&c, &i);
        let f = o.findings.iter().find(|f| f.rule == "majorUpdate").unwrap();
        assert_eq!(f.evidence[0], "previous lockfile: pkg@1.0.0");
    }
}
