//! Policy: the rules a project commits (`prov-native.config.json`, or a `"prov-native"` key in
//! `package.json`), and their evaluation over audited packages. Pure: no I/O besides reading
//! the config file; `guard` gathers the inputs.
//!
//! Each rule is `"error"`, `"warn"`, `"off"`, or an object `{ level, packages, exclude, … }`
//! whose `packages`/`exclude` are names, scopes (`@corp/*`) or globs. A rule accepts only the
//! options it uses ([`RULE_OPTIONS`]); any other field is a configuration error. Exceptions name
//! a package (and optionally rules), give a non-blank reason and an expiry date; an expired
//! exception no longer applies and is itself a finding, reported once per exception.
//!
//! Fail closed: a rule that could not look at a package (no packument, provenance not checked,
//! nothing to compare with) adds a [`Note`]; the guard lists notes under `skipped`, with counts.
//!
//! Layout: [`RuleId`] names the rules (`rule_id.rs`); `config.rs` reads the policy file;
//! `rules/` holds one file per per-version rule, which [`evaluate`] calls in order;
//! `exceptions.rs` applies exceptions to the findings of every rule; `history.rs` and
//! `repo.rs` are what the rules compare with.

mod config;
mod exceptions;
mod finding;
mod history;
mod repo;
mod rule_id;
mod rules;

pub use config::{
    glob, glob_allow, has_visible, parse_date, wildcard, Config, Exception, Level, RuleOptions,
    MAX_NAME_LEN, MAX_POLICY_BYTES,
};
pub use exceptions::{apply_exceptions, settle};
pub use finding::{summarize_notes, Finding, Note};
pub use history::{
    earlier_versions, first_published, pair_previous, semver_cmp, Earlier, History,
    EARLIER_LOOKBACK,
};
pub use repo::{declared_repository, normalize_repo};
pub use rule_id::{AsRuleId, RuleId, COMMON_OPTIONS, RULES, RULE_OPTIONS};
pub use rules::install_scripts::{TarballHooks, WELL_KNOWN_BUILD_COMMANDS};

use crate::lockfile::{LockedPackage, Source};
use crate::report::Report;
use serde_json::Value;

/// A typosquat match whose package was first published more than this many days ago is a
/// warning, not an error (see `guard`'s typosquat step).
pub const TYPOSQUAT_OLD_DAYS: i64 = 365;

/// Everything the rules look at for one package version.
pub struct Inputs<'a> {
    pub locked: &'a LockedPackage,
    pub report: &'a Report,
    pub packument: Option<&'a Value>,
    /// The packument's history, when the caller ordered it once per name ([`History::of`]);
    /// `None`: ordered here from `packument`.
    pub history: Option<&'a History>,
    /// Why there is no packument (offline, network error, 404), when there is none.
    pub packument_error: Option<&'a str>,
    /// Version of this package in the previous lockfile ([`pair_previous`]), if it was there.
    pub previous_version: Option<&'a str>,
    pub earlier: Option<&'a Earlier>,
    /// The tarball's own install hooks, when the tarball was read.
    pub tarball_hooks: Option<&'a TarballHooks>,
    pub now: jiff::Timestamp,
}

/// Findings and what could not be checked.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
}

/// Evaluate every per-version rule for one registry package, in this order (the order of the
/// findings and notes): verification, requireProvenance, sourceMatch, provenanceRegression,
/// provenanceContinuity, majorUpdate, minReleaseAge, installScripts, publisherChange.
pub fn evaluate(cfg: &Config, i: &Inputs) -> Outcome {
    let owned_history;
    let history = match i.history {
        Some(h) => Some(h),
        None => {
            owned_history = i.packument.map(History::of);
            owned_history.as_ref()
        }
    };
    let p = rules::Package {
        i,
        name: i.locked.name.as_str(),
        version: i.locked.version.as_str(),
        manifest: history::manifest(i.packument, &i.locked.version),
        history,
    };
    let mut out = Outcome::default();
    rules::verification::check(cfg, &p, &mut out);
    rules::require_provenance::check(cfg, &p, &mut out);
    rules::source_match::check(cfg, &p, &mut out);
    rules::provenance_regression::check(cfg, &p, &mut out);
    rules::provenance_continuity::check(cfg, &p, &mut out);
    rules::major_update::check(cfg, &p, &mut out);
    rules::min_release_age::check(cfg, &p, &mut out);
    rules::install_scripts::check(cfg, &p, &mut out);
    rules::publisher_change::check(cfg, &p, &mut out);
    out
}

/// The rules that still mean something for a package that does not come from a registry
/// (git, remote tarball, `file:`, link): requireProvenance (no provenance can exist for it),
/// and installScripts for a remote tarball that was read (there is no registry history to
/// compare with, so any hook is reported). Typosquatting, advisories and dependency confusion
/// apply by name in `guard`.
///
/// `own`: the package is part of the project itself (a workspace, or a link to a directory
/// inside the project, as npm records workspaces): requireProvenance does not apply to the
/// project's own code.
pub fn evaluate_non_registry(
    cfg: &Config,
    p: &LockedPackage,
    tarball_hooks: Option<&TarballHooks>,
    own: bool,
) -> Vec<Finding> {
    let source = match &p.source {
        Source::Registry => return Vec::new(),
        Source::Git { url } => ("git dependency", url.as_str()),
        Source::File { path } => ("local file dependency", path.as_str()),
        Source::Tarball { url } => ("remote tarball dependency", url.as_str()),
        Source::Workspace { path } => ("workspace package", path.as_str()),
        Source::Link { path } => ("linked directory", path.as_str()),
    };
    let mut out = Vec::new();
    rules::require_provenance::non_registry(cfg, p, source, own, &mut out);
    rules::install_scripts::non_registry(cfg, p, source, tarball_hooks, &mut out);
    out
}

#[cfg(test)]
mod testing;

#[cfg(test)]
mod tests {
    //! Rules together, through [`evaluate`] and [`evaluate_non_registry`].
    use super::testing::*;
    use super::*;
    use serde_json::json;
    use std::collections::BTreeSet;

    #[test]
    fn no_packument_is_noted_per_rule() {
        let l = locked("pkg", "2.0.0");
        let r = report(None);
        let c = cfg(json!({"rules": {"minReleaseAge": "warn"}}));
        let mut i = inputs(&l, &r, None);
        i.packument_error = Some("offline: not fetching http://x/pkg");
        let o = run(&c, &i);
        let rules: BTreeSet<&str> = o.notes.iter().map(|n| n.rule.as_str()).collect();
        for rule in ["provenanceRegression", "installScripts", "publisherChange"] {
            assert!(rules.contains(rule), "{rule} not noted: {:?}", o.notes);
        }
        assert!(o.notes.iter().all(|n| n.reason.contains("offline")));
        // minReleaseAge cannot pass without a publish time: a warning, with the reason.
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "minReleaseAge")
            .unwrap();
        assert_eq!(f.level, Level::Warn);
        assert!(f.evidence[0].contains("offline"));
        let lines = summarize_notes(&o.notes);
        assert!(
            lines.iter().any(|s| s.starts_with(
                "installScripts: packument unavailable (offline: not fetching http://x/pkg): 1 package (pkg@2.0.0)"
            )),
            "{lines:?}"
        );
    }

    #[test]
    fn provenance_regression_and_continuity() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let c = Config::default();
        let earlier = Earlier {
            version: "1.0.0".into(),
            provenance: Ok(Some(prov("https://github.com/acme/pkg"))),
            without_provenance: Vec::new(),
            exhausted: true,
        };
        // Regression: the earlier version had verified provenance, this one has none.
        let r = report(None);
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&earlier);
        let o = run(&c, &i);
        assert!(rules_of(&o)
            .iter()
            .any(|s| s.starts_with("provenanceRegression:pkg@1.0.0 was published with verified")));
        // Continuity: same repository and workflow, another builder and workflow.
        let mut now = prov("https://github.com/acme/pkg");
        now.workflow_path = Some(".github/workflows/other.yml".into());
        let r = report(Some(now));
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&earlier);
        let o = run(&c, &i);
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "provenanceContinuity")
            .unwrap();
        assert_eq!(f.level, Level::Warn);
        assert_eq!(
            f.evidence,
            ["workflow .github/workflows/release.yml -> .github/workflows/other.yml"]
        );
        // Unchanged provenance: nothing.
        let r = report(Some(prov("https://github.com/acme/pkg")));
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&earlier);
        assert!(run(&c, &i).findings.is_empty());
        // Off.
        let c = cfg(json!({"rules": {"provenanceContinuity": "off"}}));
        let mut now = prov("https://github.com/evil/pkg");
        now.builder_id = None;
        let r = report(Some(now));
        let mut i = inputs(&l, &r, Some(&doc));
        i.earlier = Some(&earlier);
        assert!(!run(&c, &i)
            .findings
            .iter()
            .any(|f| f.rule == "provenanceContinuity"));
    }

    #[test]
    fn non_registry_dependencies_cannot_have_provenance() {
        let mut l = locked("from-git", "1.0.0");
        l.source = Source::Git {
            url: "git+ssh://git@github.com/example/from-git.git#0123".into(),
        };
        assert!(evaluate_non_registry(&Config::default(), &l, None, false).is_empty());
        let c = cfg(
            json!({"rules": {"requireProvenance": {"level": "error", "packages": ["from-*"]}}}),
        );
        let f = evaluate_non_registry(&c, &l, None, false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "git dependency: no provenance can exist");
        assert!(f[0].evidence[0].contains("git+ssh://"));
        l.source = Source::Tarball {
            url: "https://example.com/x.tgz".into(),
        };
        assert!(evaluate_non_registry(&c, &l, None, false)[0]
            .message
            .starts_with("remote tarball dependency"));
        let hooks = TarballHooks {
            hooks: vec![("postinstall".into(), "node x.js".into())],
            binding_gyp_implied: false,
        };
        let f = evaluate_non_registry(&Config::default(), &l, Some(&hooks), false);
        assert_eq!(
            f[0].message,
            "install script in a remote tarball dependency: postinstall: node x.js"
        );
        // The project's own code (a workspace or a link inside the project) needs no provenance.
        l.source = Source::Link {
            path: "packages/a".into(),
        };
        assert_eq!(evaluate_non_registry(&c, &l, None, false).len(), 1);
        assert!(evaluate_non_registry(&c, &l, None, true).is_empty());
    }
}
