//! yarn.lock of yarn classic (`# yarn lockfile v1`).
//!
//! The syntax is yarn's own (not YAML). This is a port of yarn's tokenizer and parser
//! (`src/lockfile/parse.js`): indentation in steps of two spaces, `key value` or `key:`
//! followed by an indented block, comma-separated keys sharing one value, JSON-quoted strings,
//! `#` comments. It is stricter than yarn in two places: a stray indented line at the top
//! level is an error (yarn silently stops reading there), and nesting is bounded.
//!
//! Mapping to packages:
//! 1. each top-level block is one resolved package; its keys are the descriptors
//!    (`name@range`, `alias@npm:real@range`) that resolved to it;
//! 2. the real name comes from an `npm:` alias, else the descriptor name;
//! 3. the source comes from the descriptor range (`file:`, `link:`, git specs, URLs) and from
//!    `resolved` (git hosts, registry tarball URLs, other URLs);
//! 4. `integrity` as written; an entry without one gets the `#<sha1>` of its `resolved`.

use super::{
    check_entries, is_git, registry_tarball_version, source_of, split_at_version, Format,
    LockedPackage, Parsed, Source,
};
use crate::error::{Error, Result};

/// Deepest block nesting (entries use 2: `dependencies:` inside an entry).
const MAX_INDENT: usize = 16;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Newline,
    Indent(usize),
    Str(String),
    /// A bare number or boolean: a value, never a key.
    Lit(String),
    Colon,
    Comma,
    Eof,
}

/// A parsed value: a scalar or a block of `(keys, value)`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Scalar(String),
    Block(Vec<(Vec<String>, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Block(items) => items
                .iter()
                .rev()
                .find(|(ks, _)| ks.iter().any(|k| k == key))
                .map(|(_, v)| v),
            Node::Scalar(_) => None,
        }
    }

    fn str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Node::Scalar(s)) => Some(s),
            _ => None,
        }
    }
}

fn tokenize(text: &str, what: &str) -> Result<Vec<(Tok, usize)>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line, mut at_line_start) = (0usize, 1usize, true);
    let err = |line: usize, m: &str| Error::json(what, format!("line {line}: {m}"));
    while i < b.len() {
        let c = b[i];
        let start_of_line = at_line_start;
        at_line_start = false;
        match c {
            b'\n' | b'\r' => {
                i += if c == b'\r' && b.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                out.push((Tok::Newline, line));
                line += 1;
                at_line_start = true;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b' ' => {
                let n = b[i..].iter().take_while(|&&x| x == b' ').count();
                if start_of_line {
                    if n % 2 != 0 {
                        return Err(err(line, "invalid number of spaces"));
                    }
                    out.push((Tok::Indent(n / 2), line));
                }
                i += n;
            }
            b'"' => {
                let mut j = i + 1;
                let mut closed = false;
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 2,
                        b'"' => {
                            closed = true;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => j += 1,
                    }
                }
                if !closed {
                    return Err(err(line, "unterminated string"));
                }
                let raw = text.get(i..=j).ok_or_else(|| err(line, "bad string"))?;
                let s: String =
                    serde_json::from_str(raw).map_err(|e| err(line, &format!("string: {e}")))?;
                out.push((Tok::Str(s), line));
                i = j + 1;
            }
            b'0'..=b'9' => {
                let n = b[i..].iter().take_while(|x| x.is_ascii_digit()).count();
                out.push((Tok::Lit(text[i..i + n].to_string()), line));
                i += n;
            }
            b':' => {
                out.push((Tok::Colon, line));
                i += 1;
            }
            b',' => {
                out.push((Tok::Comma, line));
                i += 1;
            }
            _ if b[i..].starts_with(b"true") => {
                out.push((Tok::Lit("true".into()), line));
                i += 4;
            }
            _ if b[i..].starts_with(b"false") => {
                out.push((Tok::Lit("false".into()), line));
                i += 5;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'/' | b'.' | b'-' => {
                let n = b[i..]
                    .iter()
                    .take_while(|&&x| !matches!(x, b':' | b' ' | b'\n' | b'\r' | b','))
                    .count();
                out.push((Tok::Str(text[i..i + n].to_string()), line));
                i += n;
            }
            _ => {
                return Err(err(
                    line,
                    &format!(
                        "unexpected character {:?}",
                        text[i..].chars().next().unwrap_or(' ')
                    ),
                ))
            }
        }
    }
    out.push((Tok::Eof, line));
    Ok(out)
}

struct P<'a> {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    what: &'a str,
}

impl P<'_> {
    fn tok(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::Eof, |t| &t.0)
    }

    fn line(&self) -> usize {
        self.toks.get(self.pos).map_or(0, |t| t.1)
    }

    fn next(&mut self) {
        self.pos += 1;
    }

    fn err(&self, m: &str) -> Error {
        Error::json(self.what, format!("line {}: {m}", self.line()))
    }

    /// yarn's `parse(indent)`.
    fn block(&mut self, indent: usize) -> Result<Vec<(Vec<String>, Node)>> {
        if indent > MAX_INDENT {
            return Err(Error::TooLarge(format!(
                "{}: line {}: nesting deeper than {MAX_INDENT}",
                self.what,
                self.line()
            )));
        }
        let mut items = Vec::new();
        loop {
            match self.tok().clone() {
                Tok::Newline => {
                    self.next();
                    if indent == 0 {
                        continue;
                    }
                    match self.tok() {
                        Tok::Indent(n) if *n == indent => self.next(),
                        _ => break,
                    }
                }
                Tok::Indent(n) => {
                    if n == indent {
                        self.next();
                    } else if indent == 0
                        && matches!(
                            self.toks.get(self.pos + 1).map(|t| &t.0),
                            Some(Tok::Newline | Tok::Eof)
                        )
                    {
                        // A line of spaces.
                        self.next();
                    } else if indent == 0 {
                        return Err(self.err("unexpected indentation"));
                    } else {
                        break;
                    }
                }
                Tok::Eof => break,
                Tok::Str(key) => {
                    if key.is_empty() {
                        return Err(self.err("expected a key"));
                    }
                    let mut keys = vec![key];
                    self.next();
                    while *self.tok() == Tok::Comma {
                        self.next();
                        match self.tok().clone() {
                            Tok::Str(k) => keys.push(k),
                            _ => return Err(self.err("expected a key after ','")),
                        }
                        self.next();
                    }
                    let colon = *self.tok() == Tok::Colon;
                    if colon {
                        self.next();
                    }
                    match self.tok().clone() {
                        Tok::Str(v) | Tok::Lit(v) => {
                            items.push((keys, Node::Scalar(v)));
                            self.next();
                        }
                        _ if colon => {
                            let val = self.block(indent + 1)?;
                            items.push((keys, Node::Block(val)));
                            if indent > 0 && !matches!(self.tok(), Tok::Indent(_)) {
                                break;
                            }
                        }
                        _ => return Err(self.err("expected a value")),
                    }
                }
                Tok::Lit(_) | Tok::Colon | Tok::Comma => {
                    return Err(self.err("expected a key"));
                }
            }
        }
        Ok(items)
    }
}

/// Parse yarn classic syntax into its top-level blocks.
pub(super) fn syntax(text: &str, what: &str) -> Result<Vec<(Vec<String>, Node)>> {
    let toks = tokenize(text, what)?;
    let mut p = P { toks, pos: 0, what };
    let items = p.block(0)?;
    if *p.tok() != Tok::Eof {
        return Err(p.err("unexpected text"));
    }
    Ok(items)
}

pub(super) fn parse(text: &str, what: &str) -> Result<Parsed> {
    let items = syntax(text, what)?;
    check_entries(items.len(), what)?;
    let mut out = Vec::new();
    for (keys, node) in &items {
        let header = keys.join(", ");
        let Node::Block(_) = node else {
            return Err(Error::json(
                what,
                format!("entry {header:?} is not a block"),
            ));
        };
        let version = node
            .str("version")
            .ok_or_else(|| Error::json(what, format!("entry {header:?} has no version")))?;
        let mut name = None;
        let mut alias = None;
        let mut range_source = None;
        for k in keys {
            let (n, range) = split_at_version(k)
                .ok_or_else(|| Error::json(what, format!("bad descriptor {k:?}")))?;
            let real = range
                .strip_prefix("npm:")
                .and_then(split_at_version)
                .map(|(r, _)| r)
                .filter(|r| !r.is_empty());
            match real {
                Some(r) if r != n => {
                    alias.get_or_insert_with(|| n.to_string());
                    name.get_or_insert_with(|| r.to_string());
                }
                _ => {
                    name.get_or_insert_with(|| n.to_string());
                }
            }
            if range_source.is_none() {
                range_source = range_kind(range, n);
            }
        }
        let name = name.unwrap_or_default();
        let resolved = node.str("resolved").map(str::to_string);
        let source = match (&range_source, &resolved) {
            (Some(s), _) => s.clone(),
            (None, Some(r)) => source_of(r, &name),
            (None, None) => Source::Registry,
        };
        let version = match (&source, &resolved) {
            (Source::Registry, Some(r)) if !super::is_version(version) => {
                registry_tarball_version(r, &name).unwrap_or_else(|| version.to_string())
            }
            _ => version.to_string(),
        };
        let mut p = LockedPackage::new(&name, &version, source);
        p.alias = alias.filter(|a| *a != name);
        // The `#<sha1>` of a tarball URL (a git URL's fragment is a commit, not a hash).
        let tarball = !matches!(p.source, Source::Git { .. } | Source::Link { .. });
        p.integrity = node
            .str("integrity")
            .map(str::to_string)
            .or_else(|| sha1_of(resolved.as_deref().filter(|_| tarball)?));
        p.resolved = resolved;
        p.paths.push(header);
        out.push(p);
    }
    // The edges: a dependency `name range` is the entry whose key lists `name@range`.
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, (keys, _)) in items.iter().enumerate() {
        for k in keys {
            index.entry(k.as_str()).or_insert(i);
        }
    }
    let mut deps = super::graph::RawDeps::new(false);
    let mut want = String::new();
    for (i, (_, node)) in items.iter().enumerate() {
        for (field, kind) in [
            ("dependencies", super::graph::DepKind::Prod),
            ("optionalDependencies", super::graph::DepKind::Optional),
        ] {
            let Some(Node::Block(ds)) = node.get(field) else {
                continue;
            };
            for (names, range) in ds {
                let Node::Scalar(range) = range else { continue };
                for n in names {
                    want.clear();
                    want.push_str(n);
                    want.push('@');
                    want.push_str(range);
                    if let Some(&t) = index.get(want.as_str()) {
                        deps.edge(i, t, kind);
                    }
                }
            }
        }
    }
    Ok(Parsed {
        format: Format::YarnClassic,
        lockfile_version: "1".into(),
        packages: out,
        workspaces: Vec::new(),
        deps,
    })
}

/// The source a descriptor range implies, when it is not a registry range.
fn range_kind(range: &str, name: &str) -> Option<Source> {
    if let Some(p) = range.strip_prefix("file:") {
        return Some(Source::File { path: p.into() });
    }
    if let Some(p) = range.strip_prefix("link:") {
        return Some(Source::Link { path: p.into() });
    }
    if is_git(range) || is_github_shorthand(range) {
        return Some(Source::Git { url: range.into() });
    }
    if range.starts_with("http://") || range.starts_with("https://") {
        return Some(source_of(range, name));
    }
    None
}

/// `owner/repo` or `owner/repo#ref` (npm and yarn read these as GitHub).
fn is_github_shorthand(r: &str) -> bool {
    let plain = r.split('#').next().unwrap_or(r);
    !r.starts_with("npm:")
        && !r.starts_with('@')
        && plain.split('/').count() == 2
        && plain
            .split('/')
            .all(|p| !p.is_empty() && !p.contains([':', ' ', '@']))
}

/// `sha1-<base64>` from a `resolved` URL's `#<40 hex>` fragment.
fn sha1_of(resolved: &str) -> Option<String> {
    let hex_sha = resolved.rsplit_once('#')?.1;
    let bytes = hex::decode(hex_sha).ok().filter(|b| b.len() == 20)?;
    use base64::Engine;
    Some(format!(
        "sha1-{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_like_yarn() {
        let t = "# yarn lockfile v1\n\n\n\"@a/b@^1\", \"@a/b@^1.1\":\n  version \"1.2.0\"\n  resolved \"https://r/@a/b/-/b-1.2.0.tgz#0123\"\n  dependencies:\n    c \"^2 || ^3\"\n    \"@d/e\" \"*\"\n  optional true\n\nc@^2:\n  version \"2.0.0\"\n";
        let items = syntax(t, "t").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].0, ["@a/b@^1", "@a/b@^1.1"]);
        let n = &items[0].1;
        assert_eq!(n.str("version"), Some("1.2.0"));
        assert_eq!(n.str("optional"), Some("true"));
        let deps = n.get("dependencies").unwrap();
        assert_eq!(deps.str("c"), Some("^2 || ^3"));
        assert_eq!(deps.str("@d/e"), Some("*"));
        assert_eq!(items[1].1.str("version"), Some("2.0.0"));
        // Escapes and CRLF.
        let t = "a@1:\r\n  version \"1\\\"x\"\r\n";
        assert_eq!(syntax(t, "t").unwrap()[0].1.str("version"), Some("1\"x"));
    }

    #[test]
    fn syntax_errors() {
        for t in [
            "a@1:\n   version \"1\"\n",
            "a@1:\n  version \"1\n",
            "  a@1:\n",
            "a@1:\n  version\n",
            "a@1, :\n",
            "{}",
            "@a/b@1:\n",
            ":",
        ] {
            assert_eq!(syntax(t, "t").unwrap_err().code(), "ERR_PROV_JSON", "{t:?}");
        }
        let deep: String = (0..40).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert_eq!(syntax(&deep, "t").unwrap_err().code(), "ERR_PROV_TOO_LARGE");
    }

    #[test]
    fn sha1_fragment() {
        assert_eq!(
            sha1_of("https://r/a/-/a-1.tgz#c836b1bd81e6d62cd6cdf3ee4948bcdce8ea79c8").as_deref(),
            Some("sha1-yDaxvYHm1izWzfPuSUi83Ojqecg=")
        );
        assert_eq!(sha1_of("https://r/a/-/a-1.tgz"), None);
        assert!(is_github_shorthand("o/r#v1"));
        assert!(!is_github_shorthand("^1.0.0"));
    }
}
