//! Repository URLs as package.json and provenance give them, normalised so that they can be
//! compared (`sourceMatch`, `provenanceContinuity`).

use serde_json::Value;

/// The declared repository of a manifest, normalised to `https://host/owner/repo`.
pub fn declared_repository(manifest: &Value) -> Option<String> {
    let r = manifest.get("repository")?;
    let url = match r {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.get("url")?.as_str()?.to_string(),
        _ => return None,
    };
    normalize_repo(&url)
}

/// `git+https://github.com/o/r.git`, `git@github.com:o/r`, `github:o/r`, `o/r` →
/// `https://github.com/o/r` (lower-cased host and path, as GitHub is case-insensitive).
pub fn normalize_repo(url: &str) -> Option<String> {
    let u = url.trim();
    let u = u.strip_prefix("git+").unwrap_or(u);
    let (host, path) = if let Some(rest) = u.strip_prefix("github:") {
        ("github.com".to_string(), rest.to_string())
    } else if let Some(rest) = u.strip_prefix("gitlab:") {
        ("gitlab.com".to_string(), rest.to_string())
    } else if let Some(rest) = u.strip_prefix("git@") {
        let (h, p) = rest.split_once(':')?;
        (h.to_string(), p.to_string())
    } else if let Some(i) = u.find("://") {
        let rest = &u[i + 3..];
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let (h, p) = rest.split_once('/')?;
        (h.to_string(), p.to_string())
    } else if u.matches('/').count() == 1 && !u.starts_with('.') {
        ("github.com".to_string(), u.to_string())
    } else {
        return None;
    };
    let path = path.split(['#', '?']).next().unwrap_or("");
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = path.split('/').filter(|s| !s.is_empty());
    let (o, r) = (parts.next()?, parts.next()?);
    let host = host.split(':').next().unwrap_or(&host);
    Some(format!("https://{}/{}/{}", host, o, r).to_lowercase())
}

/// `host/owner` of a normalised repository URL (`https://github.com/o/r` → `github.com/o`).
pub(super) fn host_owner(repo: &str) -> Option<String> {
    let mut parts = repo.strip_prefix("https://")?.split('/');
    let (host, owner) = (parts.next()?, parts.next()?);
    (!host.is_empty() && !owner.is_empty()).then(|| format!("{host}/{owner}"))
}

/// An `owners` entry as `host/owner`, lower-cased: `acme` is `github.com/acme`;
/// `gitlab.com/acme`, `https://gitlab.com/acme` and `git@gitlab.com:acme` name that host.
pub(super) fn normalize_owner(x: &str) -> Option<String> {
    let x = x.trim().trim_end_matches('/');
    let x = x.strip_prefix("git+").unwrap_or(x);
    let rest = if let Some(i) = x.find("://") {
        let r = &x[i + 3..];
        r.rsplit_once('@').map_or(r, |(_, r)| r).to_string()
    } else if let Some(r) = x.strip_prefix("git@") {
        r.replacen(':', "/", 1)
    } else {
        x.to_string()
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let (host, owner) = match parts.as_slice() {
        [owner] => ("github.com", *owner),
        [host, owner] => (*host, *owner),
        _ => return None,
    };
    let host = host.split(':').next().unwrap_or(host);
    Some(format!("{host}/{owner}").to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_name_a_host_and_an_owner() {
        assert_eq!(
            host_owner("https://github.com/acme/pkg").as_deref(),
            Some("github.com/acme")
        );
        for (x, want) in [
            ("acme", "github.com/acme"),
            ("Acme", "github.com/acme"),
            ("gitlab.com/acme", "gitlab.com/acme"),
            ("https://gitlab.com/acme/", "gitlab.com/acme"),
            ("git@gitlab.com:acme", "gitlab.com/acme"),
            ("git+https://user@gitlab.com/acme", "gitlab.com/acme"),
        ] {
            assert_eq!(normalize_owner(x).as_deref(), Some(want), "{x}");
        }
        assert_eq!(normalize_owner("a/b/c"), None);
    }

    #[test]
    fn repos() {
        for u in [
            "git+https://github.com/Sigstore/sigstore-js.git",
            "https://github.com/sigstore/sigstore-js",
            "git@github.com:sigstore/sigstore-js.git",
            "github:sigstore/sigstore-js",
            "sigstore/sigstore-js",
            "git+https://github.com/sigstore/sigstore-js.git#main",
        ] {
            assert_eq!(
                normalize_repo(u).as_deref(),
                Some("https://github.com/sigstore/sigstore-js"),
                "{u}"
            );
        }
    }
}
