//! `verification`: the audit verdict itself. An invalid package is a finding at the rule's
//! level; one that could not be verified is at most a warning.

use super::Package;
use crate::policy::{Config, Level, Outcome, RuleId};
use crate::report::Status;

const RULE: RuleId = RuleId::Verification;

pub fn check(cfg: &Config, p: &Package, out: &mut Outcome) {
    let (lvl, _) = cfg.rule(RULE, p.name);
    let r = p.report();
    let problems = || {
        let mut v: Vec<String> = r
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.code, p.message))
            .collect();
        if v.is_empty() {
            v.push(format!(
                "audit status: {}",
                r.status.map_or("unknown", Status::as_str)
            ));
        }
        v
    };
    match r.status {
        Some(Status::Invalid) => {
            out.finding(p, RULE, lvl, "verification failed".into(), problems())
        }
        Some(Status::Unverifiable) => out.finding(
            p,
            RULE,
            lvl.min(Level::Warn),
            "could not be verified".into(),
            problems(),
        ),
        _ => {}
    }
}
