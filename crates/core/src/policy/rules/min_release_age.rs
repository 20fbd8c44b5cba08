//! `minReleaseAge`: a version must have been public for `days` days (default 7). A version
//! whose publish time is unknown cannot pass: at most a warning, saying why.

use super::Package;
use crate::policy::history::publish_time;
use crate::policy::{Config, Level, Outcome, RuleId, RuleOptions};

const RULE: RuleId = RuleId::MinReleaseAge;

/// The rule's options.
pub struct Options {
    /// Days a version must have been public.
    pub days: f64,
}

impl From<&RuleOptions> for Options {
    fn from(o: &RuleOptions) -> Self {
        Self {
            days: o.days.unwrap_or(7.0),
        }
    }
}

pub fn check(cfg: &Config, p: &Package, out: &mut Outcome) {
    let (lvl, o) = cfg.rule(RULE, p.name);
    if lvl == Level::Off {
        return;
    }
    let days = Options::from(o).days;
    let version = p.version;
    match publish_time(p.i.packument, version) {
        Some(t) => {
            let age = p.i.now.as_second().saturating_sub(t.as_second()) as f64 / 86400.0;
            if age < days {
                out.finding(
                    p,
                    RULE,
                    lvl,
                    format!("published {age:.1} days ago; the policy asks for {days} days"),
                    vec![format!("time[{version}] = {t}")],
                );
            }
        }
        None => out.finding(
            p,
            RULE,
            lvl.min(Level::Warn),
            "publish time unknown".into(),
            vec![if p.i.packument.is_none() {
                p.no_packument()
            } else {
                format!("the packument has no time[{version}]")
            }],
        ),
    }
}
