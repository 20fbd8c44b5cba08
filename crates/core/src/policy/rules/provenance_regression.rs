//! `provenanceRegression`: a version without provenance whose earlier version (the nearest
//! one with provenance, [`crate::policy::Earlier`]) was published with verified provenance.

use super::Package;
use crate::policy::{Config, Level, Outcome, RuleId};

const RULE: RuleId = RuleId::ProvenanceRegression;

pub fn check(cfg: &Config, p: &Package, out: &mut Outcome) {
    let (lvl, _) = cfg.rule(RULE, p.name);
    if p.provenance_unknown() {
        if lvl != Level::Off {
            out.note(p, RULE, "provenance not checked".into());
        }
    } else if p.i.packument.is_none() && lvl != Level::Off && p.provenance_missing() {
        out.note(p, RULE, p.no_packument());
    }
    let (Some(e), true) = (p.i.earlier, p.provenance_missing()) else {
        return;
    };
    let (name, version) = (p.name, p.version);
    match &e.provenance {
        Ok(Some(before)) => out.finding(
            p,
            RULE,
            lvl,
            format!(
                "{name}@{} was published with verified provenance; {version} has none",
                e.version
            ),
            vec![
                format!(
                    "{}@{} provenance: {} @ {}",
                    name,
                    e.version,
                    before.source_repository.as_deref().unwrap_or("?"),
                    before.source_commit.as_deref().unwrap_or("?")
                ),
                format!("{version}: {}", p.prov_evidence().join("; ")),
            ],
        ),
        // No earlier version has provenance, as far as the search went.
        Ok(None) if e.exhausted => {}
        Ok(None) => {
            if lvl != Level::Off {
                out.note(
                    p,
                    RULE,
                    format!(
                        "the {} nearest earlier versions with attestations have no provenance; older versions were not checked",
                        e.without_provenance.len().max(1)
                    ),
                );
            }
        }
        Err(why) => out.finding(
            p,
            RULE,
            lvl.min(Level::Warn),
            format!(
                "{name}@{} advertises attestations that could not be verified (so a regression can be neither shown nor ruled out); {version} has no provenance",
                e.version
            ),
            vec![why.clone()],
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::testing::*;
    use crate::policy::*;
    use serde_json::json;

    #[test]
    fn regression_lookback_that_stopped_is_noted_not_passed() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let r = report(None);
        let c = Config::default();
        // Every earlier version with attestations was looked at: none had provenance.
        let done = Earlier {
            version: "1.0.0".into(),
            provenance: Ok(None),
            without_provenance: vec!["1.0.0".into()],
            exhausted: true,
        };
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&done);
        let o = run(&c, &i);
        assert!(!o.findings.iter().any(|f| f.rule == "provenanceRegression"));
        assert!(!o.notes.iter().any(|n| n.rule == "provenanceRegression"));
        // The lookback bound stopped the search: said, not silently passed.
        let stopped = Earlier {
            exhausted: false,
            without_provenance: vec!["1.0.0".into(); EARLIER_LOOKBACK],
            ..done.clone()
        };
        i.earlier = Some(&stopped);
        let o = run(&c, &i);
        let n = o
            .notes
            .iter()
            .find(|n| n.rule == "provenanceRegression")
            .expect("a note");
        assert!(
            n.reason.contains("the 8 nearest earlier versions"),
            "{}",
            n.reason
        );
        // An earlier version whose attestations did not verify: a warning, with why.
        let failed = Earlier {
            version: "1.0.0".into(),
            provenance: Err("ERR_PROV_SUBJECT: subject mismatch".into()),
            without_provenance: Vec::new(),
            exhausted: true,
        };
        i.earlier = Some(&failed);
        let o = run(&c, &i);
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "provenanceRegression")
            .expect("a finding");
        assert_eq!(f.level, Level::Warn);
        assert!(f.evidence.iter().any(|e| e.contains("ERR_PROV_SUBJECT")));
    }

    #[test]
    fn include_prereleases_counts_prerelease_versions() {
        let doc = packument();
        assert_eq!(earlier_versions(Some(&doc), "2.0.0", false), ["1.0.0"]);
        assert_eq!(
            earlier_versions(Some(&doc), "2.0.0", true),
            ["2.0.0-rc.1", "1.0.0"]
        );
        let c = cfg(
            json!({"rules": {"provenanceRegression": {"level": "error", "includePrereleases": true}}}),
        );
        assert_eq!(
            c.rule("provenanceRegression", "pkg").1.include_prereleases,
            Some(true)
        );
    }
}
