//! yarn.lock: classic (v1, its own indented format) and berry (YAML with `__metadata`).

use super::{source_of, split_at_version, Format, LockedPackage, Source};
use crate::error::{Error, Result};
use serde_json::Value;

type Parsed = (Format, Vec<LockedPackage>, Vec<String>);

pub(super) fn parse(text: &str, file: &str) -> Result<Parsed> {
    let berry = text.lines().any(|l| l.starts_with("__metadata:"));
    if berry {
        berry_parse(text, file)
    } else if text.contains("# yarn lockfile v1") || text.trim().is_empty() {
        classic(text, file)
    } else {
        Err(Error::json(
            file,
            "neither a yarn classic lockfile (\"# yarn lockfile v1\") nor a berry one (__metadata)",
        ))
    }
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

/// Name and (real name, alias) from a descriptor like `a@^1`, `"@s/a@^1"`, `a-cjs@npm:a@^4`.
fn descriptor(d: &str) -> Option<(String, Option<String>)> {
    let (name, range) = split_at_version(unquote(d))?;
    match range.strip_prefix("npm:").and_then(|r| {
        // `npm:real@range` is an alias; `npm:1.2.3` (berry) is not.
        split_at_version(r).filter(|(n, _)| !n.is_empty() && !n.starts_with(char::is_numeric))
    }) {
        Some((real, _)) if real != name => Some((real.to_string(), Some(name.to_string()))),
        _ => Some((name.to_string(), None)),
    }
}

fn classic(text: &str, file: &str) -> Result<Parsed> {
    let mut out = Vec::new();
    let mut cur: Option<(String, Option<String>, String)> = None; // name, alias, header
    let mut fields: Vec<(String, String)> = Vec::new();
    let flush = |cur: &mut Option<(String, Option<String>, String)>,
                 fields: &mut Vec<(String, String)>,
                 out: &mut Vec<LockedPackage>|
     -> Result<()> {
        if let Some((name, alias, header)) = cur.take() {
            let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
            let version = get("version")
                .ok_or_else(|| Error::json(file, format!("entry {header:?} has no version")))?;
            let resolved = get("resolved");
            let source = match &resolved {
                Some(r) => source_of(r, &name),
                None => Source::Registry,
            };
            let mut p = LockedPackage::new(&name, &version, source);
            p.alias = alias;
            p.integrity = get("integrity").or_else(|| {
                // Old entries carry only `#<sha1>` on the resolved URL.
                let sha1 = resolved.as_deref()?.rsplit_once('#')?.1;
                let bytes = hex::decode(sha1).ok().filter(|b| b.len() == 20)?;
                use base64::Engine;
                Some(format!(
                    "sha1-{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                ))
            });
            p.resolved = resolved;
            p.paths.push(header);
            out.push(p);
        }
        fields.clear();
        Ok(())
    };
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            flush(&mut cur, &mut fields, &mut out)?;
            let header = line.trim_end().strip_suffix(':').ok_or_else(|| {
                Error::json(file, format!("line {}: expected `<descriptors>:`", n + 1))
            })?;
            let first = header.split(", ").next().unwrap_or(header);
            let (name, alias) = descriptor(first).ok_or_else(|| {
                Error::json(file, format!("line {}: bad descriptor {first:?}", n + 1))
            })?;
            cur = Some((name, alias, header.to_string()));
        } else if line.starts_with("  ") && !line.starts_with("    ") {
            if cur.is_none() {
                return Err(Error::json(
                    file,
                    format!("line {}: field outside an entry", n + 1),
                ));
            }
            let l = line.trim();
            if let Some((k, v)) = l.split_once(' ') {
                fields.push((unquote(k).to_string(), unquote(v).to_string()));
            }
        }
    }
    flush(&mut cur, &mut fields, &mut out)?;
    Ok((Format::YarnClassic, out, Vec::new()))
}

fn berry_parse(text: &str, file: &str) -> Result<Parsed> {
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| Error::json(file, e))?;
    let map = doc
        .as_object()
        .ok_or_else(|| Error::json(file, "not a YAML mapping"))?;
    let mut out = Vec::new();
    let mut workspaces = Vec::new();
    for (key, e) in map {
        if key == "__metadata" {
            continue;
        }
        let resolution = e
            .get("resolution")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::json(file, format!("entry {key:?} has no resolution")))?;
        let version = e
            .get("version")
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        let (rname, reference) = split_at_version(resolution)
            .ok_or_else(|| Error::json(file, format!("bad resolution {resolution:?}")))?;
        let install: Option<String> = key
            .split(", ")
            .next()
            .and_then(|d| split_at_version(unquote(d)))
            .map(|(n, _)| n.to_string());
        let (mut name, source) = if reference.starts_with("npm:") {
            (rname.to_string(), Source::Registry)
        } else if let Some(ws) = reference.strip_prefix("workspace:") {
            if ws != "." {
                workspaces.push(ws.to_string());
            }
            continue;
        } else if let Some(inner) = reference.strip_prefix("patch:") {
            // `name@patch:name@npm%3A1.2.3#…`: a patched registry package; verify the original.
            let inner = inner.split('#').next().unwrap_or(inner).replace("%3A", ":");
            match split_at_version(&inner) {
                Some((n, r)) if r.starts_with("npm:") => (n.to_string(), Source::Registry),
                _ => (rname.to_string(), source_of(reference, rname)),
            }
        } else if let Some(p) = reference
            .strip_prefix("link:")
            .or(reference.strip_prefix("portal:"))
        {
            (
                rname.to_string(),
                Source::Link {
                    path: p.to_string(),
                },
            )
        } else if let Some(p) = reference.strip_prefix("file:") {
            (
                rname.to_string(),
                Source::File {
                    path: p.to_string(),
                },
            )
        } else {
            (rname.to_string(), source_of(reference, rname))
        };
        if name.is_empty() {
            name = rname.to_string();
        }
        let mut p = LockedPackage::new(&name, &version, source);
        p.alias = install.filter(|n| *n != name);
        p.checksum = e
            .get("checksum")
            .and_then(Value::as_str)
            .map(str::to_string);
        p.resolved = Some(resolution.to_string());
        p.paths.push(key.clone());
        out.push(p);
    }
    Ok((Format::YarnBerry, out, workspaces))
}
