//! `publisherChange`: the npm user who published the version (`_npmUser`) or the maintainers
//! differ from those of the (stable) version published before.

use super::Package;
use crate::policy::history::manifest;
use crate::policy::{Config, Level, Outcome, RuleId};
use serde_json::Value;
use std::collections::BTreeSet;

const RULE: RuleId = RuleId::PublisherChange;

pub fn check(cfg: &Config, p: &Package, out: &mut Outcome) {
    let (lvl, _) = cfg.rule(RULE, p.name);
    if lvl == Level::Off {
        return;
    }
    let cur = match (p.i.packument, p.manifest) {
        (None, _) => return out.note(p, RULE, p.no_packument()),
        (Some(_), None) => return out.note(p, RULE, "this version is not in the packument".into()),
        (Some(_), Some(cur)) => cur,
    };
    let Some(prev) = p.previous_by_time(false) else {
        return;
    };
    let pm = manifest(p.i.packument, &prev);
    let user = |v: &Value| {
        v.pointer("/_npmUser/name")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut msg = Vec::new();
    let mut ev = Vec::new();
    if let (Some(a), Some(b)) = (pm.and_then(user), user(cur)) {
        if a != b {
            msg.push(format!("published by {b}; {prev} was published by {a}"));
            ev.push(format!("_npmUser {a} -> {b}"));
        }
    }
    if let (Some(a), Some(b)) = (pm.and_then(maintainers), maintainers(cur)) {
        if a != b {
            let added: Vec<&str> = b.difference(&a).map(String::as_str).collect();
            let removed: Vec<&str> = a.difference(&b).map(String::as_str).collect();
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("added {}", added.join(", ")));
            }
            if !removed.is_empty() {
                parts.push(format!("removed {}", removed.join(", ")));
            }
            msg.push(format!(
                "maintainers changed since {prev}: {}",
                parts.join("; ")
            ));
            let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
            ev.push(format!(
                "maintainers {prev}: [{}] -> {}: [{}]",
                list(&a),
                p.version,
                list(&b)
            ));
        }
    }
    if !msg.is_empty() {
        out.finding(p, RULE, lvl, msg.join("; "), ev);
    }
}

fn maintainers(m: &Value) -> Option<BTreeSet<String>> {
    let list = m.get("maintainers")?.as_array()?;
    Some(
        list.iter()
            .filter_map(|x| match x {
                Value::Object(o) => o.get("name")?.as_str().map(str::to_string),
                // "name <email> (url)"
                Value::String(s) => s.split(['<', '(']).next().map(|n| n.trim().to_string()),
                _ => None,
            })
            .filter(|n| !n.is_empty())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use crate::policy::testing::*;
    use crate::policy::*;
    use serde_json::json;

    #[test]
    fn publisher_change_compares_maintainers_too() {
        let mut doc = packument();
        let l = locked("pkg", "2.0.0");
        let r = report(None);
        let c = Config::default();
        assert!(!run(&c, &inputs(&l, &r, Some(&doc)))
            .findings
            .iter()
            .any(|f| f.rule == "publisherChange"));
        doc["versions"]["2.0.0"]["maintainers"] =
            json!([{"name": "alice"}, "mallory <m@example.com>"]);
        let o = run(&c, &inputs(&l, &r, Some(&doc)));
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "publisherChange")
            .unwrap();
        assert_eq!(
            f.message,
            "maintainers changed since 1.0.0: added mallory; removed bob"
        );
        assert_eq!(
            f.evidence,
            ["maintainers 1.0.0: [alice, bob] -> 2.0.0: [alice, mallory]"]
        );
    }
}
