//! Test inputs for the rules: SYNTHETIC reports, packuments and lockfile entries made up here,
//! each shaped like the real thing, so that only the check under test fails.

use super::{evaluate, Config, Inputs, Outcome};
use crate::lockfile::{LockedPackage, Source};
use crate::report::{CheckState, Checks, Report, Status};
use crate::sigstore::provenance::Provenance;
use serde_json::{json, Value};

pub(crate) fn locked(name: &str, version: &str) -> LockedPackage {
    LockedPackage {
        name: name.into(),
        version: version.into(),
        alias: None,
        integrity: None,
        checksum: None,
        resolved: None,
        source: Source::Registry,
        dev: false,
        optional: false,
        dev_optional: false,
        bundled: false,
        has_install_script: None,
        paths: vec![format!("node_modules/{name}")],
    }
}

pub(crate) fn prov(repo: &str) -> Provenance {
    Provenance {
        source_repository: Some(repo.into()),
        source_commit: Some("0123456789abcdef".into()),
        source_ref: Some("refs/tags/v1.0.0".into()),
        workflow_path: Some(".github/workflows/release.yml".into()),
        builder_id: Some("https://github.com/actions/runner/github-hosted".into()),
        runner_environment: Some("github-hosted".into()),
        ..Default::default()
    }
}

pub(crate) fn report(p: Option<Provenance>) -> Report {
    let passed = CheckState::Passed;
    Report {
        name: "pkg".into(),
        version: Some("2.0.0".into()),
        status: Some(Status::Verified),
        checks: Checks {
            resolve: passed,
            integrity: passed,
            registry_signature: passed,
            publish_attestation: passed,
            provenance: if p.is_some() {
                passed
            } else {
                CheckState::Missing
            },
            transparency_log: passed,
        },
        provenance: p.map(Box::new),
        ..Default::default()
    }
}

pub(crate) fn packument() -> Value {
    json!({
        "name": "pkg",
        "time": {
            "created": "2020-01-01T00:00:00.000Z",
            "1.0.0": "2020-01-01T00:00:00.000Z",
            "2.0.0-rc.1": "2021-01-01T00:00:00.000Z",
            "2.0.0": "2021-06-01T00:00:00.000Z"
        },
        "versions": {
            "1.0.0": { "_id": "pkg@1.0.0", "name": "pkg", "version": "1.0.0",
                       "repository": "github:acme/pkg", "_npmUser": { "name": "alice" },
                       "maintainers": [{ "name": "alice" }, { "name": "bob" }] },
            "2.0.0-rc.1": { "_id": "pkg@2.0.0-rc.1", "name": "pkg", "version": "2.0.0-rc.1",
                            "repository": "github:acme/pkg" },
            "2.0.0": { "_id": "pkg@2.0.0", "name": "pkg", "version": "2.0.0",
                       "repository": { "type": "git", "url": "git+https://github.com/acme/pkg.git" },
                       "_npmUser": { "name": "alice" },
                       "maintainers": [{ "name": "alice" }, { "name": "bob" }] }
        }
    })
}

pub(crate) fn cfg(v: Value) -> Config {
    Config::from_value(v, "test").unwrap()
}

pub(crate) fn run(cfg: &Config, i: &Inputs) -> Outcome {
    let o = evaluate(cfg, i);
    for f in &o.findings {
        assert!(!f.evidence.is_empty(), "finding without evidence: {f:?}");
    }
    o
}

pub(crate) fn inputs<'a>(l: &'a LockedPackage, r: &'a Report, p: Option<&'a Value>) -> Inputs<'a> {
    Inputs {
        locked: l,
        report: r,
        packument: p,
        history: None,
        packument_error: None,
        previous_version: None,
        earlier: None,
        tarball_hooks: None,
        now: "2026-12-01T00:00:00Z".parse().unwrap(),
    }
}

pub(crate) fn rules_of(o: &Outcome) -> Vec<String> {
    o.findings
        .iter()
        .map(|f| format!("{}:{}", f.rule, f.message))
        .collect()
}
