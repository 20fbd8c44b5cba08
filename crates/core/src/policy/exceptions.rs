//! Exceptions: a finding an exception covers is allowed (`allowed_by`) until the exception
//! expires; then the exception is itself a finding (`exceptionExpired`), once per exception.

use super::config::{glob_allow, Config, Exception, Level, MAX_NAME_LEN};
use super::finding::Finding;
use super::rule_id::RuleId;

fn exception_matches(e: &Exception, f: &Finding) -> bool {
    let pkg_ok = glob_allow(&e.package, &f.name)
        || (f.name.len() <= MAX_NAME_LEN && e.package == format!("{}@{}", f.name, f.version));
    pkg_ok && (e.rules.is_empty() || e.rules.contains(&f.rule))
}

/// Apply the exceptions and split the findings into (allowed, reported), the reported ones
/// errors first, then by package and rule: what the guard and the linter both return.
pub fn settle(
    cfg: &Config,
    mut findings: Vec<Finding>,
    now: jiff::Timestamp,
) -> (Vec<Finding>, Vec<Finding>) {
    apply_exceptions(cfg, &mut findings, now);
    let (allowed, mut reported): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(|f| f.allowed_by.is_some());
    reported.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| (&a.name, &a.version, &a.rule).cmp(&(&b.name, &b.version, &b.rule)))
    });
    (allowed, reported)
}

/// Apply exceptions: matching findings get `allowed_by` from an exception that has not
/// expired. Every expired exception adds one `exceptionExpired` finding (whether or not it
/// still matches a finding; it allows nothing), saying what it would still cover.
pub fn apply_exceptions(cfg: &Config, findings: &mut Vec<Finding>, now: jiff::Timestamp) {
    let mut still: Vec<Vec<String>> = vec![Vec::new(); cfg.exceptions.len()];
    for f in findings.iter_mut() {
        for (k, (e, expires)) in cfg.exceptions.iter().enumerate() {
            if !exception_matches(e, f) {
                continue;
            }
            if *expires < now {
                still[k].push(format!("{} {}@{}", f.rule, f.name, f.version));
            } else if f.allowed_by.is_none() {
                f.allowed_by = Some(format!("{} (until {})", e.reason, e.expires));
            }
        }
    }
    for (k, (e, expires)) in cfg.exceptions.iter().enumerate() {
        if *expires >= now {
            continue;
        }
        let (name, version) = match e.package.rfind('@') {
            Some(at) if at > 0 => (e.package[..at].to_string(), e.package[at + 1..].to_string()),
            _ => (e.package.clone(), "*".to_string()),
        };
        let lvl = cfg.level(RuleId::ExceptionExpired, &name);
        if lvl == Level::Off {
            continue;
        }
        let mut evidence = vec![
            format!("reason given: {}", e.reason),
            format!(
                "rules: {}",
                if e.rules.is_empty() {
                    "all".to_string()
                } else {
                    e.rules.join(", ")
                }
            ),
        ];
        let hits = &still[k];
        evidence.push(if hits.is_empty() {
            "it matches no finding now: remove it from the policy".into()
        } else {
            format!(
                "it no longer allows {} finding{}: {}{}",
                hits.len(),
                if hits.len() == 1 { "" } else { "s" },
                hits[..hits.len().min(5)].join(", "),
                if hits.len() > 5 { ", …" } else { "" }
            )
        });
        findings.push(Finding {
            rule: RuleId::ExceptionExpired.as_str().into(),
            level: lvl,
            name,
            version,
            message: format!("the exception for {} expired on {}", e.package, e.expires),
            evidence,
            allowed_by: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::cfg;
    use serde_json::json;

    fn finding(rule: &str, name: &str, version: &str) -> Finding {
        Finding {
            rule: rule.into(),
            level: Level::Error,
            name: name.into(),
            version: version.into(),
            message: "m".into(),
            evidence: vec!["e".into()],
            allowed_by: None,
        }
    }

    #[test]
    fn every_expired_exception_is_reported_once() {
        let c = cfg(json!({"exceptions": [
            { "package": "a", "reason": "old", "expires": "2020-01-01" },
            { "package": "unused@1.0.0", "rules": ["typosquat"], "reason": "gone", "expires": "2021-05-05" },
            { "package": "a", "rules": ["typosquat"], "reason": "current", "expires": "2099-01-01" }
        ]}));
        let mut f = vec![
            finding("typosquat", "a", "1.0.0"),
            finding("advisories", "a", "1.0.0"),
            finding("typosquat", "a", "2.0.0"),
        ];
        apply_exceptions(&c, &mut f, "2026-12-01T00:00:00Z".parse().unwrap());
        let expired: Vec<&Finding> = f.iter().filter(|x| x.rule == "exceptionExpired").collect();
        assert_eq!(expired.len(), 2, "{expired:?}");
        assert_eq!(
            (expired[0].name.as_str(), expired[0].version.as_str()),
            ("a", "*")
        );
        assert!(expired[0].evidence[2].contains("no longer allows 3 findings"));
        assert_eq!(
            (expired[1].name.as_str(), expired[1].version.as_str()),
            ("unused", "1.0.0")
        );
        assert!(expired[1].evidence[2].contains("matches no finding"));
        // The valid exception still allows the typosquat findings; nothing allows advisories.
        assert!(f
            .iter()
            .filter(|x| x.rule == "typosquat")
            .all(|x| x.allowed_by.as_deref() == Some("current (until 2099-01-01)")));
        assert!(f
            .iter()
            .any(|x| x.rule == "advisories" && x.allowed_by.is_none()));
        // Level off: none.
        let c2 = cfg(json!({"rules": {"exceptionExpired": "off"},
            "exceptions": [{ "package": "a", "reason": "old", "expires": "2020-01-01" }]}));
        let mut f = vec![finding("typosquat", "a", "1.0.0")];
        apply_exceptions(&c2, &mut f, "2026-12-01T00:00:00Z".parse().unwrap());
        assert_eq!(f.len(), 1);
    }
}
