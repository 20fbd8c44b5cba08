//! The policy file: rules with their levels and options, exceptions, where the file is found
//! and how it is read; and the name patterns (`packages`, `exclude`, `allow`, exceptions).

use super::rule_id::{AsRuleId, RuleId, COMMON_OPTIONS, RULES};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Warn,
    Error,
}

/// Options of one rule, as the policy file gives them. Each rule accepts only its own fields
/// ([`RuleId::options`]); the rules read them through typed views (`rules::*::Options`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleOptions {
    pub level: Option<Level>,
    /// Names, scopes or globs the rule applies to (default: every package).
    pub packages: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    /// requireProvenance / majorUpdate: require the npm publish attestation too.
    pub publish_attestation: Option<bool>,
    /// sourceMatch: allowed source repositories (URLs), owners, workflow paths, refs, builders.
    pub repositories: Option<Vec<String>>,
    pub owners: Option<Vec<String>>,
    pub workflows: Option<Vec<String>>,
    pub refs: Option<Vec<String>>,
    pub builders: Option<Vec<String>>,
    pub deny_self_hosted: Option<bool>,
    /// provenanceRegression: count prerelease versions as earlier versions.
    pub include_prereleases: Option<bool>,
    /// minReleaseAge: days a version must have been public.
    pub days: Option<f64>,
    /// installScripts: packages allowed to have install scripts. typosquat: names that are
    /// not typosquats (reviewed), permanently.
    pub allow: Option<Vec<String>>,
    /// dependencyConfusion: private names/scopes (besides `.npmrc` scopes and workspaces).
    pub private: Option<Vec<String>>,
    /// advisories: OSV directories / zips and `package@version` lists to load, relative to
    /// the config file.
    pub sources: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RuleSpec {
    Level(Level),
    Options(Value),
}

/// An exception: `package` (name, `name@version` or glob), optional `rules`, a `reason`, an
/// `expires` date (YYYY-MM-DD or RFC 3339).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exception {
    pub package: String,
    #[serde(default)]
    pub rules: Vec<String>,
    pub reason: String,
    pub expires: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(rename = "$schema", default)]
    _schema: Option<String>,
    #[serde(default)]
    rules: BTreeMap<String, RuleSpec>,
    #[serde(default)]
    exceptions: Vec<Exception>,
    #[serde(default)]
    watch: Option<WatchSection>,
}

/// The policy file's `watch` section: what `prov-native watch` follows.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WatchSection {
    /// Names, scopes (`@corp/*`) or globs. Exact names are watched as they are; scopes and
    /// globs select among the project's lockfile packages.
    #[serde(default)]
    packages: Vec<String>,
    /// A CouchDB-style changes feed (`<url>/_changes?since=…`) to follow instead of polling
    /// each name.
    #[serde(default)]
    changes_feed: Option<String>,
}

/// A loaded policy.
#[derive(Debug, Clone)]
pub struct Config {
    pub rules: BTreeMap<RuleId, RuleOptions>,
    pub exceptions: Vec<(Exception, jiff::Timestamp)>,
    /// Where it came from (`<defaults>` when no file).
    pub source: String,
    /// The directory relative paths in it (advisory `sources`) start from.
    pub dir: PathBuf,
    /// `watch.packages`: names, scopes or globs `prov-native watch` follows.
    pub watch: Vec<String>,
    /// `watch.changesFeed`: the changes feed `prov-native watch` follows (an http(s) URL).
    pub watch_feed: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            rules: BTreeMap::new(),
            exceptions: Vec::new(),
            source: "<defaults>".into(),
            dir: PathBuf::from("."),
            watch: Vec::new(),
            watch_feed: None,
        }
    }
}

/// Whether `s` has a character a reader can see. Whitespace, control characters and the
/// characters that render as nothing count as blank: Unicode format characters (zero-width
/// space, joiners, word joiner, byte-order mark, soft hyphen, bidi controls, tags, …), the
/// other default-ignorable code points (variation selectors, Hangul fillers, …) and the blank
/// Braille pattern.
pub fn has_visible(s: &str) -> bool {
    s.chars().any(|c| !is_blank_char(c))
}

fn is_blank_char(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            u32::from(c),
            0x00AD
                | 0x034F
                | 0x0600..=0x0605
                | 0x061C
                | 0x06DD
                | 0x070F
                | 0x0890..=0x0891
                | 0x08E2
                | 0x115F..=0x1160
                | 0x17B4..=0x17B5
                | 0x180B..=0x180F
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x206F
                | 0x2800
                | 0x3164
                | 0xFE00..=0xFE0F
                | 0xFEFF
                | 0xFFA0
                | 0xFFF0..=0xFFFB
                | 0x110BD
                | 0x110CD
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                | 0xE0000..=0xE0FFF
        )
}

/// `YYYY-MM-DD` (the end of that day, UTC) or an RFC 3339 timestamp.
pub fn parse_date(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    let b = s.as_bytes();
    // Only the plain calendar form: jiff would also take `2027-03-31T10` and the like.
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let d: jiff::civil::Date = s.parse().ok()?;
    d.at(23, 59, 59, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

impl Config {
    /// Parse a config document.
    pub fn from_value(v: Value, source: &str) -> Result<Self> {
        let bad = |message: String| Error::Policy {
            file: source.to_string(),
            message,
        };
        if !v.is_object() {
            return Err(bad("the policy must be a JSON object".into()));
        }
        let raw: RawConfig = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
        let mut rules = BTreeMap::new();
        for (name, spec) in raw.rules {
            let Some(id) = RuleId::parse(&name) else {
                return Err(bad(format!(
                    "unknown rule {name:?} (known: {})",
                    RULES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                )));
            };
            let own = id.options();
            let opts = match spec {
                RuleSpec::Level(l) => RuleOptions {
                    level: Some(l),
                    ..Default::default()
                },
                RuleSpec::Options(Value::Object(o)) => {
                    // An option of another rule is an error here, not silently ignored.
                    for k in o.keys() {
                        if !COMMON_OPTIONS.contains(&k.as_str()) && !own.contains(&k.as_str()) {
                            let takes: Vec<&str> =
                                COMMON_OPTIONS.iter().chain(own.iter()).copied().collect();
                            return Err(bad(format!(
                                "rules.{name}: option {k:?} is not used by this rule (it takes: {})",
                                takes.join(", ")
                            )));
                        }
                    }
                    serde_json::from_value(Value::Object(o))
                        .map_err(|e| bad(format!("rules.{name}: {e}")))?
                }
                RuleSpec::Options(other) => {
                    return Err(bad(format!(
                    "rules.{name}: expected \"error\", \"warn\", \"off\" or an object, got {other}"
                )))
                }
            };
            if let Some(d) = opts.days {
                if !(d.is_finite() && d >= 0.0) {
                    return Err(bad(format!(
                        "rules.{name}.days must be a non-negative number"
                    )));
                }
            }
            rules.insert(id, opts);
        }
        let mut exceptions = Vec::new();
        for e in raw.exceptions {
            if e.package.trim().is_empty() {
                return Err(bad("an exception needs a package".into()));
            }
            if !has_visible(&e.reason) {
                return Err(bad(format!(
                    "exception for {}: a reason is required (one with a visible character)",
                    e.package
                )));
            }
            let t = parse_date(&e.expires).ok_or_else(|| {
                bad(format!(
                    "exception for {}: expires {:?} is not a date (YYYY-MM-DD or RFC 3339)",
                    e.package, e.expires
                ))
            })?;
            for r in &e.rules {
                if RuleId::parse(r).is_none() {
                    return Err(bad(format!(
                        "exception for {}: unknown rule {r:?}",
                        e.package
                    )));
                }
            }
            exceptions.push((e, t));
        }
        let section = raw.watch.unwrap_or_default();
        let (watch, watch_feed) = (section.packages, section.changes_feed);
        if let Some(f) = &watch_feed {
            if !(f.starts_with("http://") || f.starts_with("https://")) {
                return Err(bad(format!(
                    "watch.changesFeed: {f:?} is not an http(s) URL"
                )));
            }
        }
        if let Some(bad_name) = watch.iter().find(|w| w.trim().is_empty()) {
            return Err(bad(format!("watch.packages: {bad_name:?} is blank")));
        }
        Ok(Self {
            rules,
            exceptions,
            source: source.into(),
            dir: PathBuf::from("."),
            watch,
            watch_feed,
        })
    }

    /// `prov-native.config.json` in `dir`, else the `"prov-native"` key of its package.json,
    /// else defaults. An explicit `path` (relative to `dir`) must exist.
    ///
    /// Each file is read through [`crate::files`] (at most [`MAX_POLICY_BYTES`]); something
    /// at one of these paths that is not a regular file (a directory, a FIFO, a device) is
    /// `ERR_PROV_IO`, never skipped.
    pub fn load(dir: &Path, path: Option<&Path>) -> Result<Self> {
        // Errors name the file and say what it is: the policy, or the package.json read for it.
        let relabel = |e: Error, label: &str| match e {
            Error::Io { message, .. } => Error::Io {
                path: label.to_string(),
                message,
            },
            e => e,
        };
        let parse = |bytes: Vec<u8>, label: String| -> Result<Value> {
            serde_json::from_slice(&bytes).map_err(|e| Error::json(label, e))
        };
        let read = |p: &Path, label: String| -> Result<Value> {
            let bytes =
                crate::files::read_capped(p, MAX_POLICY_BYTES).map_err(|e| relabel(e, &label))?;
            parse(bytes, label)
        };
        let read_opt = |p: &Path, label: String| -> Result<Option<Value>> {
            crate::files::read_capped_opt(p, MAX_POLICY_BYTES)
                .map_err(|e| relabel(e, &label))?
                .map(|b| parse(b, label))
                .transpose()
        };
        let at = |mut c: Config, file: &Path| {
            c.dir = file
                .parent()
                .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
            c
        };
        if let Some(p) = path {
            let p: PathBuf = dir.join(p);
            return Ok(at(
                Self::from_value(
                    read(&p, format!("policy file {}", p.display()))?,
                    &p.display().to_string(),
                )?,
                &p,
            ));
        }
        let file = dir.join("prov-native.config.json");
        if let Some(v) = read_opt(&file, format!("policy file {}", file.display()))? {
            return Ok(at(Self::from_value(v, &file.display().to_string())?, &file));
        }
        let pj = dir.join("package.json");
        let label = format!("{} (read for its \"prov-native\" policy)", pj.display());
        if let Some(doc) = read_opt(&pj, label)? {
            if let Some(v) = doc.get("prov-native") {
                return Ok(at(
                    Self::from_value(v.clone(), &format!("{} (\"prov-native\")", pj.display()))?,
                    &pj,
                ));
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            ..Self::default()
        })
    }

    /// The options of `rule`, and its level for `name` (Off when excluded or not matched, or
    /// when `rule` names no rule).
    ///
    /// `packages` uses [`glob`] (any name, however long, can be included); `exclude` turns a
    /// rule off, so it uses [`glob_allow`]: a name no registry accepts is never excluded.
    pub fn rule(&self, rule: impl AsRuleId, name: &str) -> (Level, &RuleOptions) {
        static NO_OPTIONS: RuleOptions = RuleOptions {
            level: None,
            packages: None,
            exclude: None,
            publish_attestation: None,
            repositories: None,
            owners: None,
            workflows: None,
            refs: None,
            builders: None,
            deny_self_hosted: None,
            include_prereleases: None,
            days: None,
            allow: None,
            private: None,
            sources: None,
        };
        let rule = rule.rule_id();
        let default = rule.map_or(Level::Off, RuleId::default_level);
        let opts = rule.and_then(|r| self.rules.get(&r)).unwrap_or(&NO_OPTIONS);
        let level = opts.level.unwrap_or(default);
        let included = opts
            .packages
            .as_ref()
            .is_none_or(|ps| ps.iter().any(|p| glob(p, name)));
        let excluded = opts
            .exclude
            .as_ref()
            .is_some_and(|ps| ps.iter().any(|p| glob_allow(p, name)));
        (
            if included && !excluded {
                level
            } else {
                Level::Off
            },
            opts,
        )
    }

    /// The level of `rule` for `name` (see [`Config::rule`]).
    pub fn level(&self, rule: impl AsRuleId, name: &str) -> Level {
        self.rule(rule, name).0
    }
}

/// The longest package name npm accepts.
pub const MAX_NAME_LEN: usize = 214;

/// Largest policy file (or package.json holding the policy) read.
pub const MAX_POLICY_BYTES: u64 = 16 * 1024 * 1024;

/// `*` matches any run of characters; `@scope` alone matches the scope's packages. Any length
/// (see [`wildcard`]): a long name is matched like any other, so a rule's `packages` or a
/// `private` list is never turned off by it. Lists that *allow* something use [`glob_allow`].
pub fn glob(pattern: &str, name: &str) -> bool {
    if let Some(scope) = pattern.strip_prefix('@').filter(|p| !p.contains('/')) {
        return name
            .strip_prefix('@')
            .and_then(|n| n.strip_prefix(scope))
            .is_some_and(|rest| rest.starts_with('/'));
    }
    wildcard(pattern, name)
}

/// [`glob`] for lists that allow, exempt or excuse (`exclude`, `allow`, exceptions): a name
/// longer than npm accepts ([`MAX_NAME_LEN`]) matches nothing there, so it cannot be let off.
pub fn glob_allow(pattern: &str, name: &str) -> bool {
    name.len() <= MAX_NAME_LEN && glob(pattern, name)
}

/// `*` matches any run of bytes (`/` included); everything else matches itself. Iterative:
/// on a mismatch only the last `*` is retried one byte further, so the cost is at most
/// `pattern.len() × text.len()` steps, never exponential.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    // The last `*` seen, and the text position it currently swallows up to.
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::RULE_OPTIONS;
    use serde_json::json;

    #[cfg(unix)]
    #[test]
    fn policy_files_that_cannot_be_read_are_errors_not_defaults() {
        use crate::files::testing::{code, make, quick, tmp, ALL};
        for bad in ALL {
            let dir = tmp(&format!("policy-{bad:?}"));
            // Named with --config.
            make(&dir.join("p.json"), bad);
            let e =
                quick("--config", || Config::load(&dir, Some(Path::new("p.json")))).unwrap_err();
            assert_eq!(
                e.code(),
                code(bad, "ERR_PROV_TOO_LARGE"),
                "--config {bad:?}: {e}"
            );
            // Found: prov-native.config.json, then package.json's "prov-native".
            for file in ["prov-native.config.json", "package.json"] {
                let d = dir.join(file.replace('.', "-"));
                make(&d.join(file), bad);
                let e = quick(file, || Config::load(&d, None)).unwrap_err();
                assert_eq!(
                    e.code(),
                    code(bad, "ERR_PROV_TOO_LARGE"),
                    "{file} {bad:?}: {e}"
                );
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
        let e = quick("/dev/zero", || {
            Config::load(Path::new("/"), Some(Path::new("/dev/zero")))
        });
        assert_eq!(e.unwrap_err().code(), "ERR_PROV_IO");
    }

    #[test]
    fn a_reason_needs_a_visible_character() {
        for blank in [
            "",
            " \t\n",
            "\u{200B}",
            "\u{200C}\u{200D}",
            "\u{2060}",
            "\u{FEFF}",
            "\u{00AD}",
            "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}\u{200E}\u{200F}\u{061C}",
            "\u{00A0}\u{3000}\u{2028}",
            "\u{FE0F}\u{3164}\u{2800}",
            "\u{E0041}\u{E007F}",
            "\u{0007}",
        ] {
            assert!(!has_visible(blank), "{blank:?}");
        }
        for visible in ["r", "\u{200B}a", "审阅", "é", "-", "\u{1F600}"] {
            assert!(has_visible(visible), "{visible:?}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob("*", "@a/b"));
        assert!(glob("@corp/*", "@corp/x"));
        assert!(glob("@corp", "@corp/x"));
        assert!(!glob("@corp", "@corpx/y"));
        assert!(glob("lodash*", "lodash.merge"));
        assert!(!glob("react", "react-dom"));
        assert!(glob("a*b*c", "a-x-b-y-c"));
        assert!(!glob("a*b*c", "a-x-c-y-b"));
        assert!(glob("**", ""));
        // Iterative: a pattern built to backtrack finishes (the old recursion took 2^n steps).
        let text = "a".repeat(200);
        let pattern = format!("{}b", "*a".repeat(40));
        assert!(!wildcard(&pattern, &text));
        assert!(wildcard(&format!("{}a", "*a".repeat(40)), &text));
        // Any length matches `packages` / `private`, but nothing over npm's limit is let off.
        let long = format!("evil-{}", "x".repeat(MAX_NAME_LEN));
        assert!(glob("evil-*", &long));
        assert!(!glob_allow("evil-*", &long));
        assert!(glob_allow("evil-*", "evil-x"));
    }

    #[test]
    fn config_errors_are_clear() {
        let e = Config::from_value(
            serde_json::json!({"rules": {"requireProvenanse": "error"}}),
            "x",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown rule"), "{e}");
        let e = Config::from_value(
            serde_json::json!({"rules": {"sourceMatch": {"repo": []}}}),
            "x",
        )
        .unwrap_err();
        assert!(e.to_string().contains("rules.sourceMatch"), "{e}");
        let e = Config::from_value(
            serde_json::json!({"exceptions": [{"package": "a", "reason": "r", "expires": "soon"}]}),
            "x",
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a date"), "{e}");
        assert_eq!(e.code(), "ERR_PROV_CONFIG");
    }

    #[test]
    fn options_are_checked_per_rule() {
        for (v, want) in [
            (
                json!({"rules": {"typosquat": {"private": ["x"]}}}),
                "rules.typosquat: option \"private\" is not used by this rule",
            ),
            (
                json!({"rules": {"installScripts": {"days": 3}}}),
                "option \"days\" is not used",
            ),
            (
                json!({"rules": {"sourceMatch": {"allow": []}}}),
                "rules.sourceMatch: option \"allow\"",
            ),
            (
                json!({"rules": {"verification": "errror"}}),
                "rules.verification: expected",
            ),
            (
                json!({"rules": {"minReleaseAge": {"days": -1}}}),
                "non-negative",
            ),
            (
                json!({"exceptions": [{"package": "a", "reason": "  ", "expires": "2027-01-01"}]}),
                "a reason is required",
            ),
            (
                json!({"exceptions": [{"package": "a", "reason": "\u{200B}", "expires": "2027-01-01"}]}),
                "a reason is required",
            ),
            (
                json!({"exceptions": [{"package": "a", "reason": "r", "expires": "2027-1-1"}]}),
                "not a date",
            ),
            (
                json!({"exceptions": [{"package": "a", "reason": "r", "expires": "2027-01-01T10"}]}),
                "not a date",
            ),
            (json!([]), "must be a JSON object"),
        ] {
            let e = Config::from_value(v.clone(), "x").unwrap_err();
            assert!(e.to_string().contains(want), "{v}: {e}");
            assert_eq!(e.code(), "ERR_PROV_CONFIG");
        }
        for (rule, opts) in RULE_OPTIONS {
            let mut o = serde_json::Map::new();
            o.insert("level".into(), json!("warn"));
            for k in *opts {
                o.insert(
                    (*k).into(),
                    match *k {
                        "days" => json!(1),
                        "publishAttestation" | "denySelfHosted" | "includePrereleases" => {
                            json!(true)
                        }
                        _ => json!(["x"]),
                    },
                );
            }
            Config::from_value(json!({"rules": {*rule: o}}), "x").unwrap();
        }
        assert!(parse_date("2027-03-31").is_some());
        // The message says it is the policy file, and which one.
        let e = Config::from_value(
            json!({"rules": {"nope": "error"}}),
            "/p/prov-native.config.json",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("policy file /p/prov-native.config.json: unknown rule"),
            "{e}"
        );
        assert!(!e.to_string().contains("npm config"), "{e}");
        assert!(parse_date("2027-03-31T12:00:00Z").is_some());
    }
}
