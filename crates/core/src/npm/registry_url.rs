//! Registry URLs: the one parser and the identities built on it (what is the same registry,
//! which host a request goes to, npm's "nerf dart" for credentials).
//!
//! Parsed with `url::Url` — the WHATWG parser the HTTP client itself uses — so a credential is
//! matched against exactly the host a request will contact. Stricter than WHATWG on input
//! where parsers are known to disagree: whitespace, controls and `\` anywhere, `%` or non-ASCII
//! in the host are refused rather than normalised.

use crate::error::{Error, Result};
use url::Url;

/// An `http(s)` URL with a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryUrl(Url);

impl RegistryUrl {
    /// `None` unless `s` is an `http(s)` URL with a host that every parser reads the same way.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim_matches(|c: char| c <= ' ');
        if s.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        {
            return None;
        }
        let (scheme, rest) = s.split_once("://")?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return None;
        }
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if host.contains('%') || !host.is_ascii() {
            return None;
        }
        let mut u = Url::parse(s).ok()?;
        u.host_str().filter(|h| !h.is_empty())?;
        // Identity is scheme, host, port and path.
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u.set_query(None);
        u.set_fragment(None);
        Some(Self(u))
    }

    /// The host, lower-case (IPv6 in brackets).
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// The URL as the registry's base: `http(s)`, no credentials, query or fragment, one
    /// trailing slash. `ERR_PROV_CONFIG` when it is not one.
    pub fn normalize(s: &str) -> Result<String> {
        let u = Url::parse(s.trim()).map_err(|e| Error::Config(format!("registry {s:?}: {e}")))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(Error::Config(format!("registry {s:?} is not http(s)")));
        }
        let mut out = u.to_string();
        if !out.ends_with('/') {
            out.push('/');
        }
        Ok(out)
    }

    /// Lower-case host (IPv6 in brackets), with `:port` when it is not the scheme's default.
    pub fn authority(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        match self.0.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        }
    }

    /// `host:port`, the port always given: the server a request goes to.
    pub fn host_port(&self) -> String {
        format!(
            "{}:{}",
            self.0.host_str().unwrap_or_default(),
            self.0.port_or_known_default().unwrap_or_default()
        )
    }

    /// One key per registry: `host:port/path/` — `https://r.example/npm` and
    /// `https://R.example:443/npm/` are the same registry.
    pub fn key(&self) -> String {
        format!(
            "{}{}/",
            self.host_port(),
            self.0.path().trim_end_matches('/')
        )
    }

    /// `//host[:port]/full/path`: where npm-registry-fetch starts looking for credentials.
    pub fn nerf_base(&self) -> String {
        format!("//{}{}", self.authority(), self.0.path())
    }

    /// npm's `nerfDart`: `//host[:port]/dir/` (the path up to its last `/`).
    pub fn nerf_dart(&self) -> String {
        let path = self.0.path();
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!(
            "//{}{}",
            self.authority(),
            if dir.is_empty() { "/" } else { dir }
        )
    }
}

/// `host:port` of a URL, if it is a registry URL.
pub fn host_port(u: &str) -> Option<String> {
    RegistryUrl::parse(u).map(|u| u.host_port())
}

/// Whether two URLs name the same registry ([`RegistryUrl::key`]); text that is not a
/// registry URL is the same only as itself.
pub fn same_registry(a: &str, b: &str) -> bool {
    match (RegistryUrl::parse(a), RegistryUrl::parse(b)) {
        (Some(x), Some(y)) => x.key() == y.key(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nerf_darts_and_keys() {
        let u =
            RegistryUrl::parse("HTTPS://User:Pw@Registry.NPM.Example:0443/a/./b/../c?q#f").unwrap();
        assert_eq!(u.nerf_base(), "//registry.npm.example/a/c");
        assert_eq!(u.nerf_dart(), "//registry.npm.example/a/");
        assert_eq!(u.host_port(), "registry.npm.example:443");
        assert_eq!(u.key(), "registry.npm.example:443/a/c/");
        let u = RegistryUrl::parse("http://[::1]:4873").unwrap();
        assert_eq!(u.nerf_base(), "//[::1]:4873/");
        assert_eq!(u.nerf_dart(), "//[::1]:4873/");
        assert!(same_registry(
            "https://r.example/npm",
            "https://R.example:443/npm/"
        ));
        assert!(!same_registry(
            "https://r.example/npm",
            "https://r.example:8443/npm"
        ));
        assert!(!same_registry("https://r.example/", "not a url"));
        assert!(same_registry("not a url", "not a url"));
        for bad in [
            "http://",
            "http://:80/",
            "http://a:99999/",
            "http://a:1:2/",
            "http://[zz]/",
            "http://a b/",
            "https:/x",
            "http://a\\b/",
            "http://a%2eb/",
            "http://ä.example/",
            "ftp://a/",
        ] {
            assert_eq!(RegistryUrl::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn normalize_requires_http_and_adds_one_slash() {
        assert_eq!(
            RegistryUrl::normalize("https://r.example/npm").unwrap(),
            "https://r.example/npm/"
        );
        assert_eq!(
            RegistryUrl::normalize(" https://r.example/ ").unwrap(),
            "https://r.example/"
        );
        assert_eq!(
            RegistryUrl::normalize("file:///x").unwrap_err().code(),
            "ERR_PROV_CONFIG"
        );
        assert_eq!(
            RegistryUrl::normalize("nope").unwrap_err().code(),
            "ERR_PROV_CONFIG"
        );
    }
}
