//! YAML text to `serde_json::Value`, bounded, for pnpm-lock.yaml and yarn berry's yarn.lock.
//!
//! The parser is `saphyr-parser` (pure safe Rust, event based and iterative, flow nesting
//! limited); this file only builds values from its events, with an explicit stack:
//! 1. nesting deeper than [`MAX_DEPTH`] is an error (nothing here recurses on input depth, and
//!    dropping the result recurses at most that deep);
//! 2. aliases (`*a`) are refused: no lockfile writer emits them, and refusing them removes
//!    alias-expansion bombs altogether;
//! 3. duplicate mapping keys are an error, as they are for js-yaml (pnpm) and yarn;
//! 4. plain scalars `true`/`false` become booleans, `null`/`~`/empty become null, everything
//!    else stays a string exactly as written (`lockfileVersion: 5.4` is the string `"5.4"`, so
//!    `5.10` would not turn into `5.1`).

use crate::error::{Error, Result};
use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

/// Deepest mapping/sequence nesting accepted. Lockfiles nest about 5 deep.
pub(super) const MAX_DEPTH: usize = 64;

enum Frame {
    Seq(Vec<Value>),
    Map(Map<String, Value>, Option<String>),
}

/// Every document of a YAML stream.
pub(super) fn documents(text: &str, what: &str) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.map_err(|e| Error::json(what, format!("YAML: {e}")))?;
        let at = || format!("line {}", span.start.line());
        let value = match ev {
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => continue,
            Event::Alias(_) => {
                return Err(Error::json(
                    what,
                    format!("{}: YAML aliases are not used in lockfiles", at()),
                ))
            }
            Event::Scalar(v, style, _, _) => scalar(&v, style),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Error::TooLarge(format!(
                        "{what}: {}: YAML nests deeper than {MAX_DEPTH}",
                        at()
                    )));
                }
                stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq(Vec::new())
                } else {
                    Frame::Map(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(v)) => Value::Array(v),
                _ => return Err(Error::json(what, format!("{}: unbalanced YAML", at()))),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(m, None)) => Value::Object(m),
                _ => return Err(Error::json(what, format!("{}: unbalanced YAML", at()))),
            },
        };
        match stack.last_mut() {
            None => docs.push(value),
            Some(Frame::Seq(v)) => v.push(value),
            Some(Frame::Map(m, key)) => match key.take() {
                None => {
                    *key = Some(match value {
                        Value::String(s) => s,
                        Value::Bool(b) => b.to_string(),
                        Value::Null => "null".to_string(),
                        _ => {
                            return Err(Error::json(
                                what,
                                format!("{}: a mapping key that is not a scalar", at()),
                            ))
                        }
                    })
                }
                Some(k) => {
                    if m.contains_key(&k) {
                        return Err(Error::json(what, format!("{}: duplicate key {k:?}", at())));
                    }
                    m.insert(k, value);
                }
            },
        }
    }
    if !stack.is_empty() {
        return Err(Error::json(what, "YAML ends inside a collection"));
    }
    Ok(docs)
}

fn scalar(v: &str, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::String(v.to_string());
    }
    match v {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        _ => Value::String(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let d = documents("a: 5.4\nb: '9.0'\nc: true\nd: ~\ne: [x, {f: 1}]\n", "t").unwrap();
        assert_eq!(
            d[0],
            serde_json::json!({"a": "5.4", "b": "9.0", "c": true, "d": null, "e": ["x", {"f": "1"}]})
        );
    }

    #[test]
    fn two_documents() {
        let d = documents("---\na: 1\n---\nb: 2\n", "t").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[1]["b"], "2");
    }

    #[test]
    fn hostile_inputs_are_errors() {
        // Deep block nesting: saphyr's own tree loader overflows the stack on this.
        let deep = "- ".repeat(100_000) + "x";
        assert_eq!(
            documents(&deep, "t").unwrap_err().code(),
            "ERR_PROV_TOO_LARGE"
        );
        // Deep flow nesting: libyaml ports take seconds (quadratic) on this.
        let flow = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(documents(&flow, "t").is_err());
        // Alias expansion ("billion laughs").
        let mut laughs = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for c in b'b'..=b'j' {
            let p = (c - 1) as char;
            let c = c as char;
            laughs.push_str(&format!(
                "{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            ));
        }
        assert_eq!(documents(&laughs, "t").unwrap_err().code(), "ERR_PROV_JSON");
        assert!(documents("a: 1\na: 2\n", "t").is_err(), "duplicate keys");
        assert!(documents("a: [1, 2\n", "t").is_err());
        assert!(documents("{a: 1}: 2\n", "t").is_err());
    }
}
