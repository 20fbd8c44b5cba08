//! CDN URLs that name a file of an npm package version.
//!
//! 1. Parse the URL (`url` crate: percent-decoding, `//host` given `https:`).
//! 2. By host: jsDelivr `/npm/<pkg>@<version>/<file>` (and `/combine/`, `/+esm`), unpkg
//!    `/<pkg>@<version>/<file>` (and `?module`), JSPM `ga.jspm.io/npm:<pkg>@<version>/<file>`,
//!    cdnjs `/ajax/libs/<library>/<version>/<file>` (a library, not an npm address: the npm
//!    package of the same name is assumed, the file looked up by path suffix). Anything else is
//!    not an npm CDN.
//! 3. The version must be exact (`1.2.3`, a prerelease included): a range, a dist-tag or no
//!    version cannot be pinned.

use url::Url;

/// Which CDN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cdn {
    Jsdelivr,
    Unpkg,
    Jspm,
    Cdnjs,
}

impl Cdn {
    /// Whether the CDN serves the npm file's bytes unchanged at an exact-file URL (what `--fix`
    /// relies on). JSPM rewrites CommonJS packages; cdnjs is fed from other sources than npm.
    pub fn serves_npm_bytes(self) -> bool {
        matches!(self, Cdn::Jsdelivr | Cdn::Unpkg)
    }
}

/// An npm file named by a CDN URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmFile {
    pub cdn: Cdn,
    pub name: String,
    /// As written: an exact version, a range, a dist-tag, or empty.
    pub version: String,
    /// Path inside the package (`dist/x.js`); `None` when the URL names none (the CDN picks).
    pub file: Option<String>,
    /// The CDN builds these bytes itself (`+esm`, `/combine/`, `?module`): why.
    pub transformed: Option<&'static str>,
    /// cdnjs: the file is looked up by this path suffix in the npm tarball.
    pub by_suffix: bool,
}

impl NpmFile {
    /// Whether the version is exact.
    pub fn pinned(&self) -> bool {
        nodejs_semver::Version::parse(&self.version).is_ok()
    }
}

/// What a URL is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Npm(NpmFile),
    /// An absolute URL of another host (or another path form of a known CDN).
    NotNpmCdn,
    /// A relative or non-HTTP URL: served by the site itself, nothing to check against npm.
    Local,
}

/// `<pkg>@<version>` (scoped or not) at the start of `segs`; returns name, version and the
/// number of segments used.
fn package(segs: &[String]) -> Option<(String, String, usize)> {
    let first = segs.first()?;
    let (name_seg, used) = if first.starts_with('@') {
        let second = segs.get(1)?;
        (format!("{first}/{second}"), 2)
    } else {
        (first.clone(), 1)
    };
    // The version follows the last `@` that is not the scope's (not at index 0).
    let at = name_seg.rfind('@').filter(|&i| i > 0);
    let (name, version) = match at {
        Some(i) => (name_seg[..i].to_string(), name_seg[i + 1..].to_string()),
        None => (name_seg, String::new()),
    };
    if name.is_empty() || name.ends_with('/') {
        return None;
    }
    Some((name, version, used))
}

fn rest(segs: &[String]) -> Option<String> {
    let p = segs.join("/");
    (!p.is_empty()).then_some(p)
}

/// Classify a URL (see the module docs).
pub fn parse(raw: &str) -> Target {
    let raw = raw.trim();
    let with_scheme = if raw.starts_with("//") {
        format!("https:{raw}")
    } else {
        raw.to_string()
    };
    let Ok(u) = Url::parse(&with_scheme) else {
        return Target::Local;
    };
    if !matches!(u.scheme(), "http" | "https") {
        return if u.scheme() == "data" || u.scheme() == "blob" {
            Target::Local
        } else {
            Target::NotNpmCdn
        };
    }
    let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
    // Percent-decoded (`%40scope` is `@scope`); `+` stays `+` (jsDelivr's `/+esm`).
    let segs: Vec<String> = u
        .path_segments()
        .map(|s| s.map(percent_decode).collect())
        .unwrap_or_default();
    let segs: Vec<String> = {
        let mut s = segs;
        // A trailing slash names a directory listing, not a file.
        while s.last().is_some_and(String::is_empty) {
            s.pop();
        }
        s
    };
    let npm = |cdn, name, version, file: Option<String>, transformed| {
        Target::Npm(NpmFile {
            cdn,
            name,
            version,
            file,
            transformed,
            by_suffix: cdn == Cdn::Cdnjs,
        })
    };
    match host.as_str() {
        "cdn.jsdelivr.net" | "fastly.jsdelivr.net" | "gcore.jsdelivr.net"
        | "testingcf.jsdelivr.net" | "quantil.jsdelivr.net" | "originfastly.jsdelivr.net" => {
            match segs.first().map(String::as_str) {
                Some("npm") => match package(&segs[1..]) {
                    Some((name, version, used)) => {
                        let file = rest(&segs[1 + used..]);
                        let transformed = match file.as_deref() {
                            Some(f) if f == "+esm" || f.ends_with("/+esm") => {
                                Some("jsDelivr's /+esm is a bundle it builds, not a file npm published")
                            }
                            _ => None,
                        };
                        npm(Cdn::Jsdelivr, name, version, file, transformed)
                    }
                    None => Target::NotNpmCdn,
                },
                Some("combine") => match package(&segs[1..].iter().map(|s| s.trim_start_matches("npm/").to_string()).collect::<Vec<_>>()) {
                    Some((name, version, _)) => npm(
                        Cdn::Jsdelivr,
                        name,
                        version,
                        None,
                        Some("jsDelivr's /combine/ concatenates files itself: its bytes are not one npm file"),
                    ),
                    None => Target::NotNpmCdn,
                },
                _ => Target::NotNpmCdn,
            }
        }
        "unpkg.com" => match package(&segs) {
            Some((name, version, used)) => {
                let transformed = u
                    .query_pairs()
                    .any(|(k, _)| k == "module")
                    .then_some("unpkg's ?module rewrites import specifiers: its bytes are not the npm file");
                npm(Cdn::Unpkg, name, version, rest(&segs[used..]), transformed)
            }
            None => Target::NotNpmCdn,
        },
        "ga.jspm.io" => match segs.first().and_then(|s| s.strip_prefix("npm:")) {
            Some(first) => {
                let mut s = segs.clone();
                s[0] = first.to_string();
                match package(&s) {
                    Some((name, version, used)) => {
                        npm(Cdn::Jspm, name, version, rest(&s[used..]), None)
                    }
                    None => Target::NotNpmCdn,
                }
            }
            None => Target::NotNpmCdn,
        },
        "cdnjs.cloudflare.com" => match segs.as_slice() {
            [ajax, libs, lib, version, file @ ..] if ajax == "ajax" && libs == "libs" && !file.is_empty() => npm(
                Cdn::Cdnjs,
                lib.to_ascii_lowercase(),
                version.clone(),
                rest(file),
                None,
            ),
            _ => Target::NotNpmCdn,
        },
        _ => Target::NotNpmCdn,
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npm(u: &str) -> NpmFile {
        match parse(u) {
            Target::Npm(f) => f,
            t => panic!("{u}: {t:?}"),
        }
    }

    #[test]
    fn empty_and_non_ascii_segments_never_panic() {
        for u in [
            "https://unpkg.com//x.js",
            "https://cdn.jsdelivr.net/npm//x.js",
            "https://unpkg.com/%C3%A9@1.0.0/x.js",
            "https://cdn.jsdelivr.net/npm/%C3%A9/x.js",
            "https://unpkg.com/@/x.js",
            "https://unpkg.com/@@1/x.js",
        ] {
            let _ = parse(u);
        }
        let f = npm("https://unpkg.com/%C3%A9@1.0.0/x.js");
        assert_eq!((f.name.as_str(), f.version.as_str()), ("é", "1.0.0"));
    }

    #[test]
    fn forms() {
        let f = npm("https://cdn.jsdelivr.net/npm/bootstrap@5.3.8/dist/js/bootstrap.bundle.min.js");
        assert_eq!(
            (f.name.as_str(), f.version.as_str()),
            ("bootstrap", "5.3.8")
        );
        assert_eq!(f.file.as_deref(), Some("dist/js/bootstrap.bundle.min.js"));
        assert!(f.pinned() && f.transformed.is_none());
        let f = npm("https://cdn.jsdelivr.net/npm/@popperjs/core@2.11.8/dist/esm/popper.js");
        assert_eq!(f.name, "@popperjs/core");
        let f = npm("//unpkg.com/%40popperjs/core@2.11.8/dist/umd/popper.min.js");
        assert_eq!((f.name.as_str(), f.cdn), ("@popperjs/core", Cdn::Unpkg));
        assert!(npm("https://unpkg.com/react@18.2.0/index.js?module")
            .transformed
            .is_some());
        assert!(npm("https://cdn.jsdelivr.net/npm/preact@10.0.0/+esm")
            .transformed
            .is_some());
        assert!(
            npm("https://cdn.jsdelivr.net/combine/npm/a@1.0.0,npm/b@1.0.0")
                .transformed
                .is_some()
        );
        assert!(
            !npm("https://cdn.jsdelivr.net/npm/bootstrap@5/dist/css/bootstrap.min.css").pinned()
        );
        assert!(!npm("https://cdn.jsdelivr.net/npm/bootstrap@latest/dist/x.css").pinned());
        assert!(!npm("https://unpkg.com/bootstrap/dist/x.css").pinned());
        assert!(npm("https://cdn.jsdelivr.net/npm/leaflet@2.0.0-alpha.1/dist/leaflet.js").pinned());
        let f = npm("https://ga.jspm.io/npm:es-module-shims@1.5.5/dist/es-module-shims.js");
        assert_eq!((f.name.as_str(), f.cdn), ("es-module-shims", Cdn::Jspm));
        let f = npm("https://cdnjs.cloudflare.com/ajax/libs/Chart.js/2.8.0/Chart.min.js");
        assert_eq!(
            (f.name.as_str(), f.file.as_deref(), f.by_suffix),
            ("chart.js", Some("Chart.min.js"), true)
        );
        assert_eq!(
            parse("https://use.fontawesome.com/releases/v6.3.0/js/all.js"),
            Target::NotNpmCdn
        );
        assert_eq!(
            parse("https://cdn.jsdelivr.net/gh/user/repo@1.0.0/x.js"),
            Target::NotNpmCdn
        );
        assert_eq!(parse("js/scripts.js"), Target::Local);
        assert_eq!(parse("data:text/javascript,1"), Target::Local);
    }
}
