//! `provenanceContinuity`: a version with provenance was built from the same repository, by
//! the same workflow and builder as the nearest earlier version with provenance.

use super::Package;
use crate::policy::repo::normalize_repo;
use crate::policy::{Config, Level, Outcome, RuleId};
use crate::sigstore::provenance::Provenance;

const RULE: RuleId = RuleId::ProvenanceContinuity;

pub fn check(cfg: &Config, p: &Package, out: &mut Outcome) {
    let (lvl, _) = cfg.rule(RULE, p.name);
    let has = p.has_provenance();
    if p.provenance_unknown() {
        if lvl != Level::Off {
            out.note(p, RULE, "provenance not checked".into());
        }
    } else if p.i.packument.is_none() && lvl != Level::Off && has {
        out.note(p, RULE, p.no_packument());
    }
    let Some(e) = p.i.earlier else {
        return;
    };
    if let (true, Err(why)) = (has && lvl != Level::Off, &e.provenance) {
        out.note(
            p,
            RULE,
            format!(
                "the provenance of {}@{} (the version to compare with) did not verify: {why}",
                p.name, e.version
            ),
        );
    }
    if let (true, Ok(None), false) = (has && lvl != Level::Off, &e.provenance, e.exhausted) {
        out.note(
            p,
            RULE,
            format!(
                "the {} nearest earlier versions with attestations have no provenance; older versions were not checked",
                e.without_provenance.len().max(1)
            ),
        );
    }
    if let (true, Some(now), Ok(Some(before))) =
        (has, p.report().provenance.as_ref(), &e.provenance)
    {
        let changes = changes(before, now);
        if !changes.is_empty() {
            out.finding(
                p,
                RULE,
                lvl,
                format!("provenance changed since {}", e.version),
                changes,
            );
        }
    }
}

/// What changed from `before` to `now`: the source repository, the workflow, the builder.
fn changes(before: &Provenance, now: &Provenance) -> Vec<String> {
    let norm = |x: &Option<String>| x.as_deref().and_then(normalize_repo);
    let mut changes = Vec::new();
    if norm(&now.source_repository) != norm(&before.source_repository) {
        changes.push(format!(
            "source repository {} -> {}",
            before.source_repository.as_deref().unwrap_or("?"),
            now.source_repository.as_deref().unwrap_or("?")
        ));
    }
    if now.workflow_path != before.workflow_path {
        changes.push(format!(
            "workflow {} -> {}",
            before.workflow_path.as_deref().unwrap_or("?"),
            now.workflow_path.as_deref().unwrap_or("?")
        ));
    }
    if now.builder_id != before.builder_id {
        changes.push(format!(
            "builder {} -> {}",
            before.builder_id.as_deref().unwrap_or("?"),
            now.builder_id.as_deref().unwrap_or("?")
        ));
    }
    changes
}
