//! What the rules report: findings (with their evidence) and notes (what a rule could not
//! check), and the notes' summary the guard lists under `skipped`.

use super::config::Level;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One finding, with its evidence (never empty).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub rule: String,
    pub level: Level,
    pub name: String,
    pub version: String,
    pub message: String,
    pub evidence: Vec<String>,
    /// Set when an exception allows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_by: Option<String>,
}

/// Something a rule could not check for one package: the guard counts these by rule and
/// reason under `skipped`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub rule: String,
    pub reason: String,
    /// `name@version`, or empty for a note about the whole tree.
    pub package: String,
}

impl Note {
    pub fn new(rule: &str, reason: impl Into<String>, package: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            reason: reason.into(),
            package: package.into(),
        }
    }
}

/// Notes grouped by rule and reason, each line with its count and a few packages:
/// `installScripts: packument unavailable: 3 packages (a@1.0.0, b@2.0.0, c@1.2.3)`.
pub fn summarize_notes(notes: &[Note]) -> Vec<String> {
    let mut order: Vec<(&str, &str)> = Vec::new();
    // Packages per group in first-seen order, and the set that keeps them unique.
    type Group<'a> = (Vec<&'a str>, HashSet<&'a str>);
    let mut groups: HashMap<(&str, &str), Group> = HashMap::new();
    for n in notes {
        let k = (n.rule.as_str(), n.reason.as_str());
        let g = groups.entry(k).or_insert_with(|| {
            order.push(k);
            Default::default()
        });
        if !n.package.is_empty() && g.1.insert(&n.package) {
            g.0.push(&n.package);
        }
    }
    order
        .into_iter()
        .map(|k| {
            let pkgs = &groups[&k].0;
            if pkgs.is_empty() {
                format!("{}: {}", k.0, k.1)
            } else {
                let more = if pkgs.len() > 5 { ", …" } else { "" };
                format!(
                    "{}: {}: {} package{} ({}{more})",
                    k.0,
                    k.1,
                    pkgs.len(),
                    if pkgs.len() == 1 { "" } else { "s" },
                    pkgs[..pkgs.len().min(5)].join(", ")
                )
            }
        })
        .collect()
}
