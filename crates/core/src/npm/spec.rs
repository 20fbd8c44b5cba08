//! Package specs (`name`, `name@1.2.3`, `@scope/name@^1`, `name@next`) and picking a version
//! from a packument the way npm does: an exact version, a dist-tag, or the highest version
//! in a node-semver range, preferring the `latest` tag when it satisfies.

use crate::error::{Error, Result};
use nodejs_semver::{Range, Version};
use serde_json::Value;

/// What the spec asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    Version(String),
    Tag(String),
    Range(String),
}

/// A parsed registry spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub raw: String,
    pub name: String,
    pub wanted: Wanted,
}

/// npm's package name rules (validate-npm-package-name), for names that may be fetched.
pub fn valid_name(name: &str) -> bool {
    let ok_part = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && !s.starts_with('_')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~!*'()".contains(&b))
    };
    if name.is_empty() || name.len() > 214 || name.trim() != name {
        return false;
    }
    match name.strip_prefix('@') {
        Some(rest) => match rest.split_once('/') {
            Some((scope, pkg)) => ok_part(scope) && ok_part(pkg) && !pkg.contains('/'),
            None => false,
        },
        None => ok_part(name),
    }
}

/// Parse `name[@wanted]`.
pub fn parse(raw: &str) -> Result<Spec> {
    let s = raw.trim();
    let split_at = if let Some(rest) = s.strip_prefix('@') {
        rest.find('@').map(|i| i + 1)
    } else {
        s.find('@')
    };
    let (name, wanted) = match split_at {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    if !valid_name(name) {
        return Err(Error::Spec(raw.to_string()));
    }
    let wanted = wanted.trim();
    let wanted = if wanted.is_empty() {
        Wanted::Tag("latest".into())
    } else if Version::parse(wanted).is_ok() && !wanted.starts_with(['=', 'v', '^', '~', '<', '>'])
    {
        Wanted::Version(wanted.to_string())
    } else if Range::parse(wanted).is_ok() {
        Wanted::Range(wanted.to_string())
    } else if wanted
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    {
        Wanted::Tag(wanted.to_string())
    } else {
        return Err(Error::Spec(raw.to_string()));
    };
    Ok(Spec {
        raw: raw.to_string(),
        name: name.to_string(),
        wanted,
    })
}

/// Choose the version a packument offers for `wanted`.
pub fn pick(name: &str, packument: &Value, wanted: &Wanted) -> Result<String> {
    let versions = packument
        .get("versions")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::NotFound(format!("{name}: packument has no versions")))?;
    let none = |w: &str| Error::NoMatchingVersion {
        name: name.to_string(),
        wanted: w.to_string(),
    };
    match wanted {
        Wanted::Version(v) => {
            if versions.contains_key(v) {
                return Ok(v.clone());
            }
            // `1.0.0` may be published as `v1.0.0`-normalised keys: compare parsed.
            let want = Version::parse(v).map_err(|_| none(v))?;
            versions
                .keys()
                .find(|k| Version::parse(k.as_str()).ok().as_ref() == Some(&want))
                .cloned()
                .ok_or_else(|| none(v))
        }
        Wanted::Tag(t) => packument
            .pointer(&format!("/dist-tags/{t}"))
            .and_then(Value::as_str)
            .filter(|v| versions.contains_key(*v))
            .map(str::to_string)
            .ok_or_else(|| none(t)),
        Wanted::Range(r) => {
            let range = Range::parse(r).map_err(|_| none(r))?;
            if let Some(latest) = packument
                .pointer("/dist-tags/latest")
                .and_then(Value::as_str)
            {
                if let Ok(v) = Version::parse(latest) {
                    if versions.contains_key(latest) && v.satisfies(&range) {
                        return Ok(latest.to_string());
                    }
                }
            }
            let mut parsed: Vec<(Version, &String)> = versions
                .keys()
                .filter_map(|k| Version::parse(k.as_str()).ok().map(|v| (v, k)))
                .filter(|(v, _)| v.satisfies(&range))
                .collect();
            parsed.sort_by(|a, b| a.0.cmp(&b.0));
            parsed
                .last()
                .map(|(_, k)| (*k).clone())
                .ok_or_else(|| none(r))
        }
    }
}

/// `@scope/name` → `@scope%2fname` for registry URLs.
pub fn escaped_name(name: &str) -> String {
    name.replacen('/', "%2f", 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_specs() {
        assert_eq!(parse("a").unwrap().wanted, Wanted::Tag("latest".into()));
        assert_eq!(
            parse("a@1.2.3").unwrap().wanted,
            Wanted::Version("1.2.3".into())
        );
        let s = parse("@s/a@^1").unwrap();
        assert_eq!(
            (s.name.as_str(), s.wanted),
            ("@s/a", Wanted::Range("^1".into()))
        );
        assert_eq!(parse("@s/a").unwrap().name, "@s/a");
        assert_eq!(parse("a@next").unwrap().wanted, Wanted::Tag("next".into()));
        for bad in ["", "@", "@s", "a b", "../x", "@s/a/b", "a@$$"] {
            assert_eq!(parse(bad).unwrap_err().code(), "ERR_PROV_SPEC", "{bad}");
        }
    }

    #[test]
    fn picks_like_npm() {
        let p = json!({"dist-tags":{"latest":"1.2.0","next":"2.0.0-rc.1"},
            "versions":{"1.0.0":{},"1.2.0":{},"1.3.0":{},"2.0.0-rc.1":{}}});
        assert_eq!(pick("a", &p, &Wanted::Range("^1".into())).unwrap(), "1.2.0");
        assert_eq!(
            pick("a", &p, &Wanted::Range(">1.2.0".into())).unwrap(),
            "1.3.0"
        );
        assert_eq!(
            pick("a", &p, &Wanted::Tag("next".into())).unwrap(),
            "2.0.0-rc.1"
        );
        assert_eq!(
            pick("a", &p, &Wanted::Version("9.9.9".into()))
                .unwrap_err()
                .code(),
            "ERR_PROV_NO_MATCHING_VERSION"
        );
    }
}
