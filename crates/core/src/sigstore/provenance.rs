//! Provenance facts: where and how a package was built.
//!
//! Read from two places. The Fulcio certificate's extensions (OID arc
//! `1.3.6.1.4.1.57264.1`) are vouched for by Fulcio from the CI provider's OIDC token; the SLSA
//! predicate is written by the build itself. Certificate claims win; the predicate fills gaps
//! (builder id, and fields that early 2023 certificates lack).

use serde::Serialize;
use serde_json::Value;
use sigstore_verify::crypto::CertificateInfo;

pub const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// What a verified provenance attestation says about the build.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// Source repository URL, e.g. `https://github.com/sigstore/sigstore-js`.
    pub source_repository: Option<String>,
    /// Commit the package was built from.
    pub source_commit: Option<String>,
    /// Git ref, e.g. `refs/tags/v2.2.0`.
    pub source_ref: Option<String>,
    /// Workflow file path inside the repository, e.g. `.github/workflows/release.yml`.
    pub workflow_path: Option<String>,
    /// The SLSA builder id.
    pub builder_id: Option<String>,
    /// URL of the CI run.
    pub build_invocation_url: Option<String>,
    /// OIDC issuer of the signing certificate.
    pub issuer: Option<String>,
    /// `github-hosted` or `self-hosted`.
    pub runner_environment: Option<String>,
    /// Event that triggered the build, e.g. `push`.
    pub build_trigger: Option<String>,
    /// The certificate's SAN: the workflow identity that signed.
    pub certificate_identity: Option<String>,
    /// Visibility of the source repository when signed (`public`/`private`).
    pub source_repository_visibility: Option<String>,
    /// SLSA predicate type.
    pub predicate_type: Option<String>,
    /// SLSA build type.
    pub build_type: Option<String>,
}

fn s(v: &Value, ptr: &str) -> Option<String> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Strip `git+` and a trailing `@ref` from a SLSA v0.2 configSource uri.
fn repo_from_git_uri(uri: &str) -> (String, Option<String>) {
    let u = uri.strip_prefix("git+").unwrap_or(uri);
    match u.rsplit_once('@') {
        Some((repo, r)) if r.starts_with("refs/") => (repo.to_string(), Some(r.to_string())),
        _ => (u.to_string(), None),
    }
}

/// Workflow path from a build config URI `https://github.com/o/r/.github/workflows/x.yml@ref`.
fn workflow_from_config_uri(uri: &str, repo: Option<&str>) -> Option<String> {
    let no_ref = uri.split_once('@').map_or(uri, |(a, _)| a);
    if let Some(repo) = repo {
        if let Some(rest) = no_ref.strip_prefix(repo) {
            return Some(rest.trim_start_matches('/').to_string());
        }
    }
    no_ref
        .find("/.github/")
        .map(|i| no_ref[i + 1..].to_string())
}

/// `.github/workflows/x.yml` from `owner/repo/.github/workflows/x.yml@ref` or the plain path.
fn workflow_path(entry: &str) -> String {
    let no_ref = entry.split_once('@').map_or(entry, |(a, _)| a);
    match no_ref.find("/.github/") {
        Some(i) => no_ref[i + 1..].to_string(),
        None => no_ref.to_string(),
    }
}

/// Combine certificate claims and the predicate.
pub fn extract(
    cert: Option<&CertificateInfo>,
    predicate_type: &str,
    predicate: &Value,
) -> Provenance {
    let mut p = Provenance {
        predicate_type: Some(predicate_type.to_string()),
        ..Default::default()
    };
    if let Some(c) = cert {
        let ci = &c.ci_claims;
        let dep = &ci.deprecated_github;
        p.issuer = c.issuer.clone();
        p.certificate_identity = c.identity.as_ref().map(|i| i.as_str().to_string());
        p.source_repository = ci.source_repository_uri.clone().or_else(|| {
            let short = dep.workflow_repository.as_ref()?;
            (c.issuer.as_deref() == Some(GITHUB_ISSUER))
                .then(|| format!("https://github.com/{short}"))
        });
        p.source_commit = ci
            .source_repository_digest
            .clone()
            .or_else(|| dep.workflow_sha.clone());
        p.source_ref = ci
            .source_repository_ref
            .clone()
            .or_else(|| dep.workflow_ref.clone());
        p.workflow_path = ci
            .build_config_uri
            .as_deref()
            .and_then(|u| workflow_from_config_uri(u, p.source_repository.as_deref()));
        p.build_invocation_url = ci.run_invocation_uri.clone();
        p.runner_environment = ci.runner_environment.clone();
        p.build_trigger = ci
            .build_trigger
            .clone()
            .or_else(|| dep.workflow_trigger.clone());
        p.source_repository_visibility = ci.source_repository_visibility_at_signing.clone();
    }
    match predicate_type {
        SLSA_V02 => {
            p.builder_id = s(predicate, "/builder/id");
            p.build_type = s(predicate, "/buildType");
            if let Some(uri) = s(predicate, "/invocation/configSource/uri") {
                let (repo, r) = repo_from_git_uri(&uri);
                p.source_repository.get_or_insert(repo);
                if let Some(r) = r {
                    p.source_ref.get_or_insert(r);
                }
            }
            if let Some(c) = s(predicate, "/invocation/configSource/digest/sha1") {
                p.source_commit.get_or_insert(c);
            }
            if let Some(e) = s(predicate, "/invocation/configSource/entryPoint") {
                // Early npm provenance writes `owner/repo/.github/workflows/x.yml@ref`.
                p.workflow_path.get_or_insert(workflow_path(&e));
            }
            if let Some(id) = s(predicate, "/metadata/buildInvocationId") {
                // GitHub's v0.2 invocation id is `<run id>-<attempt>`: keep it only if it is a URL.
                if id.starts_with("https://") {
                    p.build_invocation_url.get_or_insert(id);
                }
            }
        }
        SLSA_V1 => {
            p.builder_id = s(predicate, "/runDetails/builder/id");
            p.build_type = s(predicate, "/buildDefinition/buildType");
            let wf = "/buildDefinition/externalParameters/workflow";
            if let Some(r) = s(predicate, &format!("{wf}/repository")) {
                p.source_repository.get_or_insert(r);
            }
            if let Some(r) = s(predicate, &format!("{wf}/ref")) {
                p.source_ref.get_or_insert(r);
            }
            if let Some(r) = s(predicate, &format!("{wf}/path")) {
                p.workflow_path.get_or_insert(r);
            }
            if let Some(c) = s(
                predicate,
                "/buildDefinition/resolvedDependencies/0/digest/gitCommit",
            ) {
                p.source_commit.get_or_insert(c);
            }
            if let Some(u) = s(predicate, "/runDetails/metadata/invocationId") {
                p.build_invocation_url.get_or_insert(u);
            }
        }
        _ => {}
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_uri() {
        assert_eq!(
            repo_from_git_uri("git+https://github.com/a/b@refs/tags/v1"),
            ("https://github.com/a/b".into(), Some("refs/tags/v1".into()))
        );
        assert_eq!(
            workflow_from_config_uri(
                "https://github.com/a/b/.github/workflows/r.yml@refs/tags/v1",
                Some("https://github.com/a/b")
            ),
            Some(".github/workflows/r.yml".into())
        );
        assert_eq!(
            workflow_path("sigstore/sigstore-js/.github/workflows/publish.yml@refs/tags/v1.0.0"),
            ".github/workflows/publish.yml"
        );
        assert_eq!(
            workflow_path(".github/workflows/release.yml"),
            ".github/workflows/release.yml"
        );
    }
}
