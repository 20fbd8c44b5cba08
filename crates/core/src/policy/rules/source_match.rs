//! `sourceMatch`: the provenance's source repository is in the allowed lists when lists are
//! given (`repositories`, `owners`), else equals the repository package.json declares
//! (StarJacking). The workflow, ref and builder lists and self-hosted runners are checked
//! either way.

use super::Package;
use crate::policy::repo::{declared_repository, host_owner, normalize_owner, normalize_repo};
use crate::policy::{glob, Config, Level, Outcome, RuleId, RuleOptions};
use crate::sigstore::provenance::Provenance;

const RULE: RuleId = RuleId::SourceMatch;

/// The rule's options: allowed source repositories (URLs), owners, workflow paths, refs and
/// builders (each list unchecked when absent), and whether self-hosted runners are denied.
pub struct Options<'a> {
    pub repositories: Option<&'a [String]>,
    pub owners: Option<&'a [String]>,
    pub workflows: Option<&'a [String]>,
    pub refs: Option<&'a [String]>,
    pub builders: Option<&'a [String]>,
    pub deny_self_hosted: bool,
}

impl<'a> From<&'a RuleOptions> for Options<'a> {
    fn from(o: &'a RuleOptions) -> Self {
        Self {
            repositories: o.repositories.as_deref(),
            owners: o.owners.as_deref(),
            workflows: o.workflows.as_deref(),
            refs: o.refs.as_deref(),
            builders: o.builders.as_deref(),
            deny_self_hosted: o.deny_self_hosted == Some(true),
        }
    }
}

/// The provenance and package.json lines every finding of the rule cites.
struct Evidence {
    src: String,
    declared: String,
}

pub fn check(cfg: &Config, p: &Package, out: &mut Outcome) {
    let (lvl, o) = cfg.rule(RULE, p.name);
    let o = Options::from(o);
    if lvl != Level::Off && p.provenance_unknown() {
        out.note(p, RULE, "provenance not checked".into());
    }
    let Some(prov) = p
        .report()
        .provenance
        .as_ref()
        .filter(|_| p.has_provenance())
    else {
        return;
    };
    if lvl == Level::Off {
        return;
    }
    let m = p.manifest;
    let ev = Evidence {
        declared: format!(
            "manifest repository: {}",
            m.and_then(declared_repository)
                .as_deref()
                .unwrap_or(if m.is_some() {
                    "(none declared)"
                } else {
                    "(packument unavailable)"
                })
        ),
        src: format!(
            "provenance sourceRepository: {}",
            prov.source_repository.as_deref().unwrap_or("(none)")
        ),
    };
    if o.repositories.is_some() || o.owners.is_some() {
        against_lists(p, lvl, &o, prov, &ev, out);
    } else {
        against_declared(p, lvl, prov, &ev, out);
    }
    workflow_ref_builder(p, lvl, &o, prov, &ev, out);
}

/// The source repository is in `repositories` or belongs to one of `owners`.
fn against_lists(
    p: &Package,
    lvl: Level,
    o: &Options,
    prov: &Provenance,
    ev: &Evidence,
    out: &mut Outcome,
) {
    let src = prov.source_repository.as_deref().and_then(normalize_repo);
    let in_list = |s: &str| {
        o.repositories
            .is_some_and(|l| l.iter().any(|x| normalize_repo(x).as_deref() == Some(s)))
            || o.owners.is_some_and(|l| {
                host_owner(s).is_some_and(|ho| {
                    l.iter()
                        .any(|x| normalize_owner(x).as_deref() == Some(ho.as_str()))
                })
            })
    };
    let allowed_ev = format!(
        "allowed: repositories [{}], owners [{}]",
        o.repositories.unwrap_or_default().join(", "),
        o.owners.unwrap_or_default().join(", ")
    );
    match &src {
        Some(s) if in_list(s) => {}
        Some(s) => out.finding(
            p,
            RULE,
            lvl,
            format!("built from {s}, which is not in the allowed repositories or owners"),
            vec![ev.src.clone(), allowed_ev, ev.declared.clone()],
        ),
        None => out.finding(
            p,
            RULE,
            lvl,
            "the provenance names no source repository".into(),
            vec![ev.src.clone(), allowed_ev],
        ),
    }
}

/// The source repository is the one package.json declares.
fn against_declared(p: &Package, lvl: Level, prov: &Provenance, ev: &Evidence, out: &mut Outcome) {
    let src = prov.source_repository.as_deref().and_then(normalize_repo);
    let declared = p.manifest.and_then(declared_repository);
    match (&src, &declared) {
        (Some(s), Some(d)) if s != d => out.finding(
            p,
            RULE,
            lvl,
            format!("built from {s}, but package.json declares {d}"),
            vec![
                format!("provenance sourceRepository: {s}"),
                format!("manifest repository: {d}"),
            ],
        ),
        (Some(_), Some(_)) => {}
        (Some(_), None) if p.manifest.is_none() => out.note(p, RULE, p.no_packument()),
        (Some(_), None) => out.note(
            p,
            RULE,
            "package.json declares no repository to compare the provenance with".into(),
        ),
        (None, _) => out.finding(
            p,
            RULE,
            lvl,
            "the provenance names no source repository".into(),
            vec![ev.src.clone(), ev.declared.clone()],
        ),
    }
}

/// The workflow, ref and builder lists, and self-hosted runners.
fn workflow_ref_builder(
    p: &Package,
    lvl: Level,
    o: &Options,
    prov: &Provenance,
    ev: &Evidence,
    out: &mut Outcome,
) {
    let check_list = |what: &str, val: Option<&str>, list: Option<&[String]>| {
        let l = list?;
        let v = val.unwrap_or("");
        (!l.iter().any(|x| glob(x, v))).then(|| {
            (
                format!(
                    "{what} {} is not allowed",
                    if v.is_empty() { "(none)" } else { v }
                ),
                vec![
                    format!(
                        "provenance {what}: {}",
                        if v.is_empty() { "(none)" } else { v }
                    ),
                    format!("allowed {what}s: {}", l.join(", ")),
                    ev.src.clone(),
                ],
            )
        })
    };
    for (msg, evidence) in [
        check_list("workflow", prov.workflow_path.as_deref(), o.workflows),
        check_list("ref", prov.source_ref.as_deref(), o.refs),
        check_list("builder", prov.builder_id.as_deref(), o.builders),
    ]
    .into_iter()
    .flatten()
    {
        out.finding(p, RULE, lvl, msg, evidence);
    }
    if o.deny_self_hosted && prov.runner_environment.as_deref() == Some("self-hosted") {
        out.finding(
            p,
            RULE,
            lvl,
            "built on a self-hosted runner".into(),
            vec![
                "certificate runner environment: self-hosted".into(),
                format!(
                    "build: {}",
                    prov.build_invocation_url
                        .as_deref()
                        .unwrap_or("(no run URL)")
                ),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::testing::*;
    use serde_json::json;

    #[test]
    fn source_match_lists_apply_even_when_the_declared_repository_agrees() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let r = report(Some(prov("https://github.com/acme/pkg")));
        // Declared and built from the same repository: no finding without lists.
        let c = cfg(json!({"rules": {"sourceMatch": "error"}}));
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        // Same repository, but the owner is not in `owners`.
        let c = cfg(json!({"rules": {"sourceMatch": {"level": "error", "owners": ["other"]}}}));
        let o = run(&c, &inputs(&l, &r, Some(&doc)));
        assert_eq!(o.findings.len(), 1, "{:?}", rules_of(&o));
        assert!(o.findings[0].message.contains("not in the allowed"));
        assert!(o.findings[0]
            .evidence
            .iter()
            .any(|e| e.contains("owners [other]")));
        // ... and in `repositories` it passes; `owners` matches case-insensitively.
        for opts in [
            json!({"level": "error", "repositories": ["git+https://github.com/ACME/pkg.git"]}),
            json!({"level": "error", "owners": ["Acme"]}),
        ] {
            let c = cfg(json!({"rules": {"sourceMatch": opts}}));
            assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        }
        let c = cfg(
            json!({"rules": {"sourceMatch": {"level": "error", "repositories": ["acme/other"]}}}),
        );
        assert_eq!(run(&c, &inputs(&l, &r, Some(&doc))).findings.len(), 1);
    }

    #[test]
    fn source_match_workflows_refs_builders_and_self_hosted() {
        let (l, doc) = (locked("pkg", "2.0.0"), packument());
        let r = report(Some(prov("https://github.com/acme/pkg")));
        let ok = [
            json!({"workflows": [".github/workflows/*.yml"]}),
            json!({"refs": ["refs/tags/v*"]}),
            json!({"builders": ["https://github.com/actions/runner/github-hosted"]}),
            json!({"denySelfHosted": true}),
        ];
        let bad = [
            (
                json!({"workflows": [".github/workflows/publish.yml"]}),
                "workflow",
            ),
            (json!({"refs": ["refs/heads/main"]}), "ref"),
            (
                json!({"builders": ["https://example.com/builder"]}),
                "builder",
            ),
        ];
        for mut o in ok {
            o["level"] = json!("error");
            let c = cfg(json!({"rules": {"sourceMatch": o}}));
            assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
        }
        for (mut o, what) in bad {
            o["level"] = json!("error");
            let c = cfg(json!({"rules": {"sourceMatch": o}}));
            let out = run(&c, &inputs(&l, &r, Some(&doc)));
            assert_eq!(out.findings.len(), 1, "{what}");
            assert!(
                out.findings[0].message.starts_with(what),
                "{:?}",
                out.findings[0]
            );
        }
        let mut p = prov("https://github.com/acme/pkg");
        p.runner_environment = Some("self-hosted".into());
        let r = report(Some(p));
        let c = cfg(json!({"rules": {"sourceMatch": {"level": "error", "denySelfHosted": true}}}));
        let out = run(&c, &inputs(&l, &r, Some(&doc)));
        assert_eq!(
            rules_of(&out),
            ["sourceMatch:built on a self-hosted runner"]
        );
        // Without denySelfHosted the runner is not judged.
        let c = cfg(json!({"rules": {"sourceMatch": "error"}}));
        assert!(run(&c, &inputs(&l, &r, Some(&doc))).findings.is_empty());
    }
}
