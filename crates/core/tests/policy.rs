//! The policy file against its shipped JSON Schema (`schema/prov-native.config.schema.json`):
//! the schema and the code name the same rules and options (both ways), the README's example
//! validates under both, and configs that one rejects the other rejects too.
//!
//! The validator below covers the part of JSON Schema the schema uses (`type`, `enum`, `oneOf`,
//! `properties`, `additionalProperties: false`, `required`, `items`, `minLength`, `minimum`,
//! `pattern`); a keyword it does not know fails the test, so the schema cannot outgrow it
//! unnoticed.

use prov_native_core::policy::{Config, COMMON_OPTIONS, RULES, RULE_OPTIONS};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The repository's root (the schema and README are the addon package's).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema() -> Value {
    let p = root().join("schema/prov-native.config.schema.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

const KNOWN: &[&str] = &[
    "$schema",
    "$id",
    "title",
    "description",
    "type",
    "enum",
    "oneOf",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "minLength",
    "minimum",
    "pattern",
];

/// Errors of `v` against `s`, with JSON-pointer-ish paths.
fn validate(s: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let o = s.as_object().expect("schema node is an object");
    for k in o.keys() {
        assert!(
            KNOWN.contains(&k.as_str()),
            "the test validator does not know {k:?} (at {at})"
        );
    }
    if let Some(t) = o.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64(),
            other => panic!("type {other}"),
        };
        if !ok {
            errs.push(format!("{at}: not a {t}"));
            return;
        }
    }
    if let Some(e) = o.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errs.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let Some(alts) = o.get("oneOf").and_then(Value::as_array) {
        let mut all = Vec::new();
        let passing = alts
            .iter()
            .filter(|a| {
                let mut e = Vec::new();
                validate(a, v, at, &mut e);
                all.extend(e.clone());
                e.is_empty()
            })
            .count();
        if passing != 1 {
            errs.push(format!(
                "{at}: {passing} of oneOf match ({})",
                all.join("; ")
            ));
        }
    }
    if let (Some(n), Some(s)) = (o.get("minLength").and_then(Value::as_u64), v.as_str()) {
        if (s.chars().count() as u64) < n {
            errs.push(format!("{at}: shorter than {n}"));
        }
    }
    if let (Some(p), Some(s)) = (o.get("pattern").and_then(Value::as_str), v.as_str()) {
        if !regex::Regex::new(p).unwrap().is_match(s) {
            errs.push(format!("{at}: {s:?} does not match {p}"));
        }
    }
    if let (Some(m), Some(x)) = (o.get("minimum").and_then(Value::as_f64), v.as_f64()) {
        if x < m {
            errs.push(format!("{at}: below {m}"));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = o.get("properties").and_then(Value::as_object);
        if let Some(req) = o.get("required").and_then(Value::as_array) {
            for r in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    errs.push(format!("{at}: missing {r}"));
                }
            }
        }
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(ps, x, &format!("{at}/{k}"), errs),
                None if o.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errs.push(format!("{at}: unknown field {k:?}"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (o.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate(items, x, &format!("{at}/{i}"), errs);
        }
    }
}

fn schema_errors(v: &Value) -> Vec<String> {
    let mut e = Vec::new();
    validate(&schema(), v, "", &mut e);
    e
}

#[test]
fn schema_and_code_name_the_same_rules_and_options() {
    let s = schema();
    let rules = s
        .pointer("/properties/rules/properties")
        .and_then(Value::as_object)
        .unwrap();
    let in_schema: BTreeSet<&str> = rules.keys().map(String::as_str).collect();
    let in_code: BTreeSet<&str> = RULES.iter().map(|(n, _)| *n).collect();
    assert_eq!(in_schema, in_code, "rules");
    let in_table: BTreeSet<&str> = RULE_OPTIONS.iter().map(|(n, _)| *n).collect();
    assert_eq!(in_table, in_code, "RULE_OPTIONS covers every rule");
    for (rule, opts) in RULE_OPTIONS {
        let alts = rules[*rule]["oneOf"].as_array().unwrap();
        assert_eq!(alts[0]["enum"], json!(["error", "warn", "off"]), "{rule}");
        let props: BTreeSet<&str> = alts[1]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let code: BTreeSet<&str> = COMMON_OPTIONS.iter().chain(opts.iter()).copied().collect();
        assert_eq!(props, code, "options of {rule}");
        assert_eq!(alts[1]["additionalProperties"], json!(false), "{rule}");
        // The default level in the description matches the code's.
        let default = RULES.iter().find(|(n, _)| n == rule).unwrap().1;
        let word = serde_json::to_value(default).unwrap();
        let desc = rules[*rule]["description"].as_str().unwrap();
        assert!(
            desc.contains(&format!("Default {}.", word.as_str().unwrap())),
            "{rule}: {desc}"
        );
    }
    let exc_rules: BTreeSet<&str> = s
        .pointer("/properties/exceptions/items/properties/rules/items/enum")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(exc_rules, in_code, "exception rules");
}

/// The first ```json block of the README's "Policy" section.
fn readme_example() -> Value {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let policy = &text[text
        .find("\n## Policy")
        .expect("README has a Policy section")..];
    // The fence may carry more words (```json runnable <file>: __test__/readme.test.js runs it).
    let open = policy.find("```json").unwrap();
    let start = open + policy[open..].find('\n').unwrap() + 1;
    let end = start + policy[start..].find("```").unwrap();
    serde_json::from_str(&policy[start..end]).unwrap()
}

#[test]
fn the_readme_example_validates() {
    let v = readme_example();
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    Config::from_value(v, "README").unwrap();
}

/// Configs the tests use (Rust and `__test__/guard.test.js` validates its own), and more: each
/// is accepted by both the schema and `Config`, or rejected by both.
#[test]
fn schema_and_config_agree() {
    let valid = [
        json!({}),
        json!({"$schema": "./x.json", "rules": {}}),
        json!({"rules": {"sourceMatch": "error", "typosquat": "off"}}),
        json!({"rules": {"sourceMatch": {"level": "error", "owners": ["sigstore"]}}}),
        json!({"rules": {"sourceMatch": {"level": "error", "repositories": ["a/b"], "workflows": [".github/workflows/*.yml"], "refs": ["refs/tags/*"], "builders": ["https://x"], "denySelfHosted": true}}}),
        json!({"rules": {"requireProvenance": {"level": "error", "packages": ["sigstore", "tuf-*"], "publishAttestation": true}}}),
        json!({"rules": {"provenanceRegression": {"level": "warn", "includePrereleases": true}}}),
        json!({"rules": {"majorUpdate": {"level": "error", "publishAttestation": true}, "minReleaseAge": {"level": "warn", "days": 36500}}}),
        json!({"rules": {"dependencyConfusion": {"level": "error", "private": ["internal-*"]}}}),
        json!({"rules": {"installScripts": {"allow": ["esbuild"], "exclude": ["@corp/*"]}}}),
        json!({"rules": {"typosquat": {"level": "error", "allow": ["args-parser"]}}}),
        json!({"rules": {"advisories": {"level": "error", "sources": ["./osv"]}}}),
        json!({"exceptions": [{"package": "left-pad@1.3.0", "rules": ["requireProvenance"], "reason": "vendored", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "a", "reason": "r", "expires": "2027-03-31T12:00:00Z"}]}),
        json!({"exceptions": [{"package": "a", "reason": "r", "expires": "2027-03-31T12:00:00.5+02:00"}]}),
        json!({"exceptions": [{"package": "a", "reason": "\u{200B}ok\u{200B}", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "a", "reason": "审阅", "expires": "2027-03-31"}]}),
        json!({"watch": {"packages": ["sigstore", "@corp/*"], "changesFeed": "https://feed.example/db"}}),
        json!({"watch": {}}),
    ];
    let invalid = [
        json!({"rules": {"requireProvenanse": "error"}}),
        json!({"rules": {"typosquat": {"private": ["x"]}}}),
        json!({"rules": {"installScripts": {"days": 3}}}),
        json!({"rules": {"sourceMatch": {"repo": []}}}),
        json!({"rules": {"sourceMatch": "errror"}}),
        json!({"rules": {"minReleaseAge": {"days": -1}}}),
        json!({"rules": {"sourceMatch": {"owners": "sigstore"}}}),
        json!({"other": 1}),
        json!({"watch": {"packages": ["  "]}}),
        json!({"watch": {"changesFeed": "ftp://feed.example/"}}),
        json!({"watch": {"feed": "https://feed.example/"}}),
        json!({"exceptions": [{"package": "a", "reason": "r", "expires": "soon"}]}),
        json!({"exceptions": [{"package": "a", "reason": "r", "expires": "2027-3-31"}]}),
        json!({"exceptions": [{"package": "a", "reason": "", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "a", "reason": "   ", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "a", "reason": "\u{200B}", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "a", "reason": "\u{200C}\u{200D}\u{2060}", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "a", "reason": " \u{FEFF}\u{00AD}\u{202E}\u{2066} ", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "a", "reason": "\u{E0041}\u{3000}", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "", "reason": "r", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "a", "expires": "2027-03-31"}]}),
        json!({"exceptions": [{"package": "a", "reason": "r", "expires": "2027-03-31", "rules": ["nope"]}]}),
        json!({"exceptions": [{"package": "a", "reason": "r", "expires": "2027-03-31", "until": "x"}]}),
    ];
    for v in &valid {
        assert_eq!(schema_errors(v), Vec::<String>::new(), "{v}");
        Config::from_value(v.clone(), "t").unwrap_or_else(|e| panic!("{v}: {e}"));
    }
    for v in &invalid {
        assert!(!schema_errors(v).is_empty(), "the schema accepts {v}");
        assert!(
            Config::from_value(v.clone(), "t").is_err(),
            "Config accepts {v}"
        );
    }
}
