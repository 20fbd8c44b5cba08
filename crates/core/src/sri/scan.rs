//! Where a page loads subresources: `<script src>`, `<link rel=stylesheet|modulepreload|preload>`
//! and import maps (`<script type=importmap>`: `imports`, `scopes` and `integrity`).
//!
//! The tokenizer is html5gum (WHATWG tokenizer, passes html5lib's tokenizer tests, MIT, kept up
//! to date; 0.8 gives byte spans for tags and attributes). A tokenizer rather than a tree
//! builder: a check needs each tag where it is written (with its line), Markdown and templates
//! are not documents, and `--fix` patches bytes in place. Its naive state switching reads
//! `<script>`/`<style>` contents as raw text, as a browser does. Import maps are read with
//! jsonc-parser's AST (already a dependency), which keeps each string's byte range.

use html5gum::{DefaultEmitter, Token, Tokenizer};
use std::collections::BTreeMap;

/// Which kind of reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Element {
    #[serde(rename = "script")]
    Script,
    #[serde(rename = "link")]
    Link,
    #[serde(rename = "importmap-import")]
    ImportmapImport,
    #[serde(rename = "importmap-integrity")]
    ImportmapIntegrity,
}

impl Element {
    pub fn as_str(self) -> &'static str {
        match self {
            Element::Script => "script",
            Element::Link => "link",
            Element::ImportmapImport => "importmap-import",
            Element::ImportmapIntegrity => "importmap-integrity",
        }
    }
}

/// Byte ranges `--fix` needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    /// The whole `integrity=…` attribute, or the import map's JSON string (quotes included).
    pub integrity: Option<(usize, usize)>,
    /// Where a new attribute goes (just before `>` or `/>`).
    pub insert_at: Option<usize>,
}

/// One subresource reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub line: usize,
    pub column: usize,
    pub element: Element,
    pub url: String,
    /// The declared integrity (attribute or import-map entry), as written.
    pub integrity: Option<String>,
    /// The `crossorigin` attribute (empty string = anonymous); `None` when absent.
    pub crossorigin: Option<String>,
    pub spans: Spans,
    /// Why the reference could not be read whole (an import map that does not parse).
    pub error: Option<String>,
}

/// 1-based line and column (in characters) of a byte offset.
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    pub fn at(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let col = text
            .get(start..offset.min(text.len()))
            .map_or(1, |s| s.chars().count() + 1);
        (line, col)
    }
}

fn attr(
    attrs: &BTreeMap<html5gum::HtmlString, html5gum::Spanned<html5gum::HtmlString, usize>>,
    name: &str,
) -> Option<(String, (usize, usize))> {
    attrs.get(name.as_bytes()).map(|v| {
        (
            String::from_utf8_lossy(&v.value).into_owned(),
            (v.span.start, v.span.end),
        )
    })
}

/// The exact byte range of the attribute that starts at `start` (`name`, `=`, a quoted or
/// unquoted value), read from the source text: the tokenizer gives where it starts.
pub fn attribute_range(text: &str, start: usize, tag_end: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let end_limit = tag_end.min(b.len());
    let mut i = start;
    while i < end_limit && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
        i += 1;
    }
    let mut j = i;
    while j < end_limit && b[j].is_ascii_whitespace() {
        j += 1;
    }
    if j >= end_limit || b[j] != b'=' {
        return Some((start, i)); // no value
    }
    j += 1;
    while j < end_limit && b[j].is_ascii_whitespace() {
        j += 1;
    }
    match b.get(j) {
        Some(q @ (b'"' | b'\'')) => {
            let close = text.get(j + 1..end_limit)?.find(*q as char)?;
            Some((start, j + 1 + close + 1))
        }
        Some(_) => {
            let mut k = j;
            while k < end_limit && !b[k].is_ascii_whitespace() && b[k] != b'>' {
                k += 1;
            }
            Some((start, k))
        }
        None => None,
    }
}

/// Where a new attribute goes in the start tag `[start, end)`: before `/>` or `>`.
fn insert_point(text: &str, start: usize, end: usize) -> Option<usize> {
    let tag = text.get(start..end)?;
    if !tag.ends_with('>') {
        return None;
    }
    let mut at = end - 1;
    if tag.ends_with("/>") {
        at -= 1;
    }
    // Before any whitespace that precedes it, so `<x a="b" />` becomes `<x a="b" n="v" />`.
    let b = text.as_bytes();
    while at > start && b[at - 1].is_ascii_whitespace() {
        at -= 1;
    }
    Some(at)
}

/// Every reference in an HTML page or template, in source order.
pub fn scan(text: &str) -> Vec<Reference> {
    scan_as(text, Kind::Html)
}

/// What a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// HTML and templates: `<script>`/`<style>` contents are raw text, as in a browser.
    Html,
    /// Markdown: prose names tags (`` `<script>` ``) without opening them, so the tokenizer
    /// does not switch to raw text after one; HTML blocks and fenced snippets read as HTML.
    Markdown,
}

impl Kind {
    /// By file name: `.md`, `.markdown`, `.mdx` are Markdown.
    pub fn of(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if [".md", ".markdown", ".mdx"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            Kind::Markdown
        } else {
            Kind::Html
        }
    }
}

/// [`scan`] for a given kind of text.
pub fn scan_as(text: &str, kind: Kind) -> Vec<Reference> {
    let lines = Lines::new(text);
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(kind == Kind::Html);
    let mut out = Vec::new();
    let mut importmap_from: Option<usize> = None;
    for token in Tokenizer::new_with_emitter(text, emitter).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                let (start, end) = (tag.span.start, tag.span.end);
                let get = |n: &str| attr(&tag.attributes, n);
                let element = match name.as_str() {
                    "script" => {
                        let ty = get("type").map(|t| t.0.trim().to_ascii_lowercase());
                        if ty.as_deref() == Some("importmap") {
                            importmap_from = Some(end);
                            continue;
                        }
                        Element::Script
                    }
                    "link" => {
                        let rel = get("rel")
                            .map(|r| r.0.to_ascii_lowercase())
                            .unwrap_or_default();
                        if !rel
                            .split_ascii_whitespace()
                            .any(|r| matches!(r, "stylesheet" | "modulepreload" | "preload"))
                        {
                            continue;
                        }
                        Element::Link
                    }
                    _ => continue,
                };
                let url_attr = if element == Element::Script {
                    "src"
                } else {
                    "href"
                };
                let Some((url, _)) = get(url_attr) else {
                    continue;
                };
                let integrity = get("integrity");
                let (line, column) = lines.at(text, start);
                out.push(Reference {
                    line,
                    column,
                    element,
                    url: url.trim().to_string(),
                    integrity: integrity.as_ref().map(|i| i.0.clone()),
                    crossorigin: get("crossorigin").map(|c| c.0),
                    spans: Spans {
                        integrity: integrity.and_then(|(_, (s, _))| attribute_range(text, s, end)),
                        insert_at: insert_point(text, start, end),
                    },
                    error: None,
                });
            }
            Token::EndTag(tag) if tag.name.eq_ignore_ascii_case(b"script") => {
                if let Some(from) = importmap_from.take() {
                    importmap(text, from, tag.span.start, &lines, &mut out);
                }
            }
            _ => {}
        }
    }
    out
}

/// The references of an import map whose JSON is `text[from..to]`.
fn importmap(text: &str, from: usize, to: usize, lines: &Lines, out: &mut Vec<Reference>) {
    use jsonc_parser::ast::{ObjectPropName, Value};
    let Some(json) = text.get(from..to) else {
        return;
    };
    let (line, column) = lines.at(text, from);
    let parsed = jsonc_parser::parse_to_ast(
        json,
        &jsonc_parser::CollectOptions::default(),
        &jsonc_parser::ParseOptions::default(),
    );
    let root = match parsed {
        Ok(p) => p.value,
        Err(e) => {
            out.push(Reference {
                line,
                column,
                element: Element::ImportmapImport,
                url: String::new(),
                integrity: None,
                crossorigin: None,
                spans: Spans::default(),
                error: Some(format!("the import map is not JSON: {e}")),
            });
            return;
        }
    };
    let Some(Value::Object(root)) = root else {
        return;
    };
    let pos = |offset: usize| lines.at(text, from + offset);
    let key_text = |n: &ObjectPropName| match n {
        ObjectPropName::String(s) => s.value.to_string(),
        ObjectPropName::Word(w) => w.value.to_string(),
    };
    let key_start = |n: &ObjectPropName| match n {
        ObjectPropName::String(s) => s.range.start,
        ObjectPropName::Word(w) => w.range.start,
    };
    // integrity entries first: imports take their declared integrity from them.
    let mut declared: BTreeMap<String, String> = BTreeMap::new();
    let mut integrity_refs = Vec::new();
    for p in &root.properties {
        if key_text(&p.name) != "integrity" {
            continue;
        }
        if let Value::Object(o) = &p.value {
            for e in &o.properties {
                let url = key_text(&e.name);
                if let Value::StringLit(s) = &e.value {
                    declared.insert(url.clone(), s.value.to_string());
                    let (line, column) = pos(key_start(&e.name));
                    integrity_refs.push(Reference {
                        line,
                        column,
                        element: Element::ImportmapIntegrity,
                        url,
                        integrity: Some(s.value.to_string()),
                        crossorigin: None,
                        spans: Spans {
                            integrity: Some((from + s.range.start, from + s.range.end)),
                            insert_at: None,
                        },
                        error: None,
                    });
                }
            }
        }
    }
    let mut imports = Vec::new();
    let mut push_imports = |o: &jsonc_parser::ast::Object| {
        for e in &o.properties {
            if let Value::StringLit(s) = &e.value {
                let url = s.value.to_string();
                let (line, column) = pos(key_start(&e.name));
                imports.push(Reference {
                    line,
                    column,
                    element: Element::ImportmapImport,
                    integrity: declared.get(&url).cloned(),
                    url,
                    crossorigin: None,
                    spans: Spans::default(),
                    error: None,
                });
            }
        }
    };
    for p in &root.properties {
        match (key_text(&p.name).as_str(), &p.value) {
            ("imports", Value::Object(o)) => push_imports(o),
            ("scopes", Value::Object(scopes)) => {
                for s in &scopes.properties {
                    if let Value::Object(o) = &s.value {
                        push_imports(o);
                    }
                }
            }
            _ => {}
        }
    }
    out.extend(imports);
    out.extend(integrity_refs);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_lines() {
        let html = "<html>\n<head>\n  <link rel=\"stylesheet\" href=\"https://cdn.jsdelivr.net/npm/a@1.0.0/a.css\" integrity='sha384-x' crossorigin>\n<script>if (a < b) { document.write('<script src=x>') }</script>\n<script src=https://unpkg.com/b@1.0.0/b.js integrity=sha256-y />\n<link rel=icon href=https://x.example/favicon.ico>\n</head>";
        let r = scan(html);
        assert_eq!(r.len(), 2, "{r:#?}");
        assert_eq!(
            (r[0].line, r[0].column, r[0].element),
            (3, 3, Element::Link)
        );
        assert_eq!(r[0].integrity.as_deref(), Some("sha384-x"));
        assert_eq!(r[0].crossorigin.as_deref(), Some(""));
        let (s, e) = r[0].spans.integrity.unwrap();
        assert_eq!(&html[s..e], "integrity='sha384-x'");
        assert_eq!(&html[r[0].spans.insert_at.unwrap()..][..1], ">");
        assert_eq!((r[1].line, r[1].element), (5, Element::Script));
        let (s, e) = r[1].spans.integrity.unwrap();
        assert_eq!(&html[s..e], "integrity=sha256-y");
        assert!(html[r[1].spans.insert_at.unwrap()..].starts_with(" />"));
    }

    #[test]
    fn import_maps() {
        let html = "<script type=\"importmap\">\n{\n \"imports\": {\n  \"a\": \"https://cdn.jsdelivr.net/npm/a@1.0.0/a.js\"\n },\n \"integrity\": {\n  \"https://cdn.jsdelivr.net/npm/a@1.0.0/a.js\": \"sha384-z\"\n }\n}\n</script>";
        let r = scan(html);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].line, r[0].element), (4, Element::ImportmapImport));
        assert_eq!(r[0].integrity.as_deref(), Some("sha384-z"));
        assert_eq!((r[1].line, r[1].element), (7, Element::ImportmapIntegrity));
        let (s, e) = r[1].spans.integrity.unwrap();
        assert_eq!(&html[s..e], "\"sha384-z\"");
        let bad = scan("<script type=importmap>{ nope </script>");
        assert!(bad[0].error.is_some());
    }

    #[test]
    fn markdown_prose_naming_a_tag_does_not_hide_the_snippet() {
        let md = "Drop one of these `<script>` tags in:\n\n```html\n<script src=\"https://unpkg.com/a@1.0.0/a.js\"></script>\n```\n";
        assert_eq!(
            scan(md).len(),
            0,
            "as HTML, the prose's <script> swallows the snippet"
        );
        let r = scan_as(md, Kind::Markdown);
        assert_eq!((r.len(), r[0].line), (1, 4));
        assert_eq!(Kind::of("docs/INSTALL.MD"), Kind::Markdown);
    }
}
