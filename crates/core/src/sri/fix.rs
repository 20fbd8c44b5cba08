//! `--fix`: write the npm file's integrity (and `crossorigin="anonymous"`) into the pages.
//!
//! 1. Per page, an edit per fixable row: a `mismatch` or `missing-integrity` tag gets
//!    `integrity="<expected>"` (the attribute replaced, or inserted before `>`); an import map's
//!    `integrity` entry gets the expected string; a tag with integrity and no `crossorigin` gets
//!    `crossorigin="anonymous"`. Only URLs whose CDN serves npm's bytes unchanged (jsDelivr,
//!    unpkg exact files) are edited; the rest are listed as not fixed, with the reason.
//! 2. Apply the edits from the end of the text, then scan the new text again: every edited
//!    reference must now read the expected value, and no reference may have appeared or
//!    vanished. Otherwise the page is not written (an error).
//! 3. A diff per page (`-`/`+` lines with their numbers; edits never add or remove lines).
//! 4. When writing: to a temporary file beside the page, with the page's permissions, then
//!    renamed over it, only if the page still has the bytes that were read.

use super::{scan, Page, Row};
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::Path;

/// What was (or would be) changed in one page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageFix {
    pub file: String,
    pub diff: String,
    pub edits: usize,
    pub written: bool,
}

/// Rows that needed a fix and got none.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotFixed {
    pub file: String,
    pub line: usize,
    pub url: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FixResult {
    pub pages: Vec<PageFix>,
    pub not_fixed: Vec<NotFixed>,
}

struct Edit {
    at: (usize, usize),
    text: String,
}

fn needs_fix(r: &Row) -> bool {
    r.has("mismatch") || r.has("missing-integrity") || r.has("missing-crossorigin")
}

/// The edits for one page, and the rows that cannot be fixed.
fn edits(page: &Page, rows: &[&Row], not_fixed: &mut Vec<NotFixed>) -> Vec<Edit> {
    let mut out = Vec::new();
    for row in rows {
        if !needs_fix(row) {
            continue;
        }
        let nf = |reason: &str| NotFixed {
            file: row.file.clone(),
            line: row.line,
            url: row.url.clone(),
            reason: reason.into(),
        };
        let Some(expected) = row.expected.as_ref().filter(|_| row.fixable) else {
            not_fixed.push(nf(if row.expected.is_some() {
                "the CDN does not serve npm's bytes verbatim at this URL: the npm hash is not proof of what it serves"
            } else {
                "no npm file to take the hash from"
            }));
            continue;
        };
        let Some(r) = page.refs.iter().find(|r| {
            r.line == row.line
                && r.column == row.column
                && r.url == row.url
                && r.element.as_str() == row.element
        }) else {
            not_fixed.push(nf("the reference was not found again in the page"));
            continue;
        };
        match r.element {
            scan::Element::Script | scan::Element::Link => {
                if row.has("mismatch") || row.has("missing-integrity") {
                    match (r.spans.integrity, r.spans.insert_at) {
                        (Some(at), _) => out.push(Edit {
                            at,
                            text: format!("integrity=\"{expected}\""),
                        }),
                        (None, Some(i)) => out.push(Edit {
                            at: (i, i),
                            text: format!(" integrity=\"{expected}\""),
                        }),
                        (None, None) => {
                            not_fixed.push(nf("the tag's end could not be located"));
                            continue;
                        }
                    }
                }
                if r.crossorigin.is_none() {
                    if let Some(i) = r.spans.insert_at {
                        out.push(Edit {
                            at: (i, i),
                            text: " crossorigin=\"anonymous\"".into(),
                        });
                    }
                }
            }
            scan::Element::ImportmapIntegrity => match r.spans.integrity {
                Some(at) if row.has("mismatch") => out.push(Edit {
                    at,
                    text: format!("\"{expected}\""),
                }),
                _ => {}
            },
            scan::Element::ImportmapImport => {
                if row.has("missing-integrity") {
                    not_fixed.push(nf(&format!(
                        "add \"{}\": \"{expected}\" to the import map's \"integrity\" object (not edited automatically)",
                        row.url
                    )));
                }
            }
        }
    }
    out
}

fn apply(text: &str, edits: &mut [Edit]) -> Result<String> {
    edits.sort_by_key(|e| std::cmp::Reverse(e.at));
    let mut s = text.to_string();
    let mut last = usize::MAX;
    for e in edits.iter() {
        if e.at.1 > last || !s.is_char_boundary(e.at.0) || !s.is_char_boundary(e.at.1) {
            return Err(Error::Internal("overlapping edits".into()));
        }
        s.replace_range(e.at.0..e.at.1, &e.text);
        last = e.at.0;
    }
    Ok(s)
}

/// Line diff of two texts with the same line count.
fn diff(name: &str, a: &str, b: &str) -> String {
    let mut out = format!("--- {name}\n+++ {name}\n");
    for (i, (x, y)) in a.split('\n').zip(b.split('\n')).enumerate() {
        if x != y {
            out.push_str(&format!("@@ -{n} +{n} @@\n-{x}\n+{y}\n", n = i + 1));
        }
    }
    out
}

/// Steps 1–3 for every page; step 4 when `write`.
pub fn fix(pages: &[Page], rows: &[Row], write: bool) -> Result<FixResult> {
    let mut result = FixResult {
        pages: Vec::new(),
        not_fixed: Vec::new(),
    };
    for page in pages {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.file == page.name).collect();
        let mut e = edits(page, &mine, &mut result.not_fixed);
        if e.is_empty() {
            continue;
        }
        let n = e.len();
        let new = apply(&page.text, &mut e)?;
        // 2. The new text must read as intended.
        let again = scan::scan_as(&new, scan::Kind::of(&page.name));
        if again.len() != page.refs.len() {
            return Err(Error::Internal(format!(
                "{}: the fixed page would read differently; not written",
                page.name
            )));
        }
        for (old, now) in page.refs.iter().zip(&again) {
            let row = mine.iter().find(|r| {
                r.line == old.line
                    && r.column == old.column
                    && r.url == old.url
                    && r.fixable
                    && needs_fix(r)
            });
            if now.url != old.url {
                return Err(Error::Internal(format!(
                    "{}: a fix would change a URL; not written",
                    page.name
                )));
            }
            if let (Some(row), Some(exp)) = (row, row.and_then(|r| r.expected.as_ref())) {
                let wants_integrity = row.has("mismatch") || row.has("missing-integrity");
                let edited = matches!(old.element, scan::Element::Script | scan::Element::Link)
                    || (old.element == scan::Element::ImportmapIntegrity && row.has("mismatch"));
                if wants_integrity && edited && now.integrity.as_deref() != Some(exp.as_str()) {
                    return Err(Error::Internal(format!(
                        "{}:{}: the fix did not take; not written",
                        page.name, old.line
                    )));
                }
            }
        }
        let d = diff(&page.name, &page.text, &new);
        let written = match (&page.path, write) {
            (Some(p), true) => {
                write_page(p, &page.text, &new)?;
                true
            }
            _ => false,
        };
        result.pages.push(PageFix {
            file: page.name.clone(),
            diff: d,
            edits: n,
            written,
        });
    }
    Ok(result)
}

/// Step 4.
fn write_page(path: &Path, was: &str, text: &str) -> Result<()> {
    let now = crate::files::read_capped(path, super::MAX_PAGE_BYTES)?;
    if now != was.as_bytes() {
        return Err(Error::InvalidArg(format!(
            "{} changed since it was read; not written",
            path.display()
        )));
    }
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut rnd = [0u8; 8];
    getrandom::fill(&mut rnd).map_err(|e| Error::Internal(e.to_string()))?;
    let tmp = dir.join(format!(".{name}.{}.prov-native-tmp", hex::encode(rnd)));
    let res = (|| -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        let perms = std::fs::metadata(path)?.permissions();
        std::fs::set_permissions(&tmp, perms)?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_from_the_end() {
        let mut e = vec![
            Edit {
                at: (1, 2),
                text: "XY".into(),
            },
            Edit {
                at: (4, 4),
                text: "!".into(),
            },
        ];
        assert_eq!(apply("abcdef", &mut e).unwrap(), "aXYcd!ef");
        assert!(diff("p", "a\nb", "a\nc").contains("@@ -2 +2 @@\n-b\n+c"));
    }
}
