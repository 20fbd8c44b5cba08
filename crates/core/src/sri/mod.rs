//! `checkSri`: are the `integrity` values a page gives for npm files on CDNs the hashes of the
//! bytes npm published?
//!
//! 1. Read the inputs (files, directories of `.html`/`.htm`/`.md`/`.markdown`/templates, or
//!    text given directly), each within [`MAX_PAGE_BYTES`]; find every reference ([`scan`]).
//! 2. Classify each URL ([`cdn`]): templated, local, not an npm CDN, unpinned, CDN-built, or an
//!    exact npm file.
//! 3. Per package version named by an exact file: fetch the packument and the tarball through
//!    the configured registry and verify them as `verify` does (the tarball's integrity must
//!    pass and no check may fail; provenance and signatures are checked when the registry
//!    serves them). Read the files asked for exactly as npm extracts them
//!    ([`crate::npm::tarball`]).
//! 4. Hash each file (sha256/384/512) and compare with the declared integrity: the strongest
//!    algorithm given decides, any of its values may match (as browsers do).
//! 5. Verdicts per reference (several may apply): `match`, `mismatch` (with the correct value),
//!    `missing-integrity`, `missing-crossorigin`, `unpinned` (a range, a dist-tag or no
//!    version), `file-not-in-npm-tarball`, `cdn-transformed` (`/+esm`, `/combine/`, `?module`),
//!    `not-npm-cdn`, `templated`, and when nothing could be compared: `package-not-verified`
//!    (the tarball did not verify), `unchecked` (the registry could not be asked; the reason
//!    is given), `invalid-importmap`.
//!
//! [`fix`] rewrites the pages (a diff by default; written atomically when asked).

pub mod cdn;
pub mod fix;
pub mod scan;

use crate::error::{Error, Result};
use crate::net::registry::{Fetched, DEFAULT_MAX_TARBALL_BYTES};
use crate::npm::integrity::{self, Algorithm};
use crate::report::{CheckState, Status};
use crate::verify::{self, Context, Request};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cdn::{NpmFile, Target};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest page read.
pub const MAX_PAGE_BYTES: u64 = 16 * 1024 * 1024;
/// Most pages read from directories.
pub const MAX_PAGES: usize = 10_000;
/// Largest CDN file hashed (the tarball reader's per-file budget).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One input.
#[derive(Debug, Clone)]
pub enum Input {
    /// A file or a directory (walked for page extensions, skipping `node_modules` and dot
    /// directories).
    Path(PathBuf),
    /// Text given directly (stdin), with the name it is reported under.
    Text { name: String, text: String },
}

/// How to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub inputs: Vec<Input>,
    pub registry: Option<String>,
    pub attestations_registry: Option<String>,
    pub concurrency: usize,
}

/// A page read.
#[derive(Debug, Clone)]
pub struct Page {
    pub name: String,
    pub path: Option<PathBuf>,
    pub text: String,
    pub refs: Vec<scan::Reference>,
}

/// The three hashes of a file, as SRI strings.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Hashes {
    pub sha256: String,
    pub sha384: String,
    pub sha512: String,
}

impl Hashes {
    fn of(b: &[u8]) -> Self {
        let h = |a| {
            integrity::Hash {
                algorithm: a,
                digest: integrity::digest(b, a),
            }
            .to_sri()
        };
        Self {
            sha256: h(Algorithm::Sha256),
            sha384: h(Algorithm::Sha384),
            sha512: h(Algorithm::Sha512),
        }
    }

    fn get(&self, a: Algorithm) -> &str {
        match a {
            Algorithm::Sha256 => &self.sha256,
            Algorithm::Sha512 => &self.sha512,
            _ => &self.sha384,
        }
    }
}

/// One reference judged.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub element: &'static str,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crossorigin: Option<String>,
    /// Every verdict that applies, most important first.
    pub verdicts: Vec<&'static str>,
    /// What the verdicts mean here.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdn: Option<cdn::Cdn>,
    /// `name@version` of the npm package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The file inside the package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npm_file: Option<String>,
    /// Hashes of the npm file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Hashes>,
    /// The integrity value to use: the npm file's hash with the strongest algorithm declared
    /// (sha384 when none is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Whether `--fix` may write `expected` (the CDN serves npm's bytes at this URL).
    pub fixable: bool,
}

impl Row {
    pub fn has(&self, v: &str) -> bool {
        self.verdicts.contains(&v)
    }
}

/// What the package behind some rows verified to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageCheck {
    pub name: String,
    pub version: String,
    /// `verify`'s status (`verified`, `unsigned`, `unverifiable`, `invalid`), or `unchecked`.
    pub status: String,
    pub integrity: Option<String>,
    pub problems: Vec<crate::report::Problem>,
    pub skipped: Vec<crate::report::Skipped>,
}

/// The result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SriResult {
    pub rows: Vec<Row>,
    pub packages: Vec<PackageCheck>,
    /// Count per verdict.
    pub summary: BTreeMap<&'static str, usize>,
    /// Pages read.
    pub files: Vec<String>,
    /// Inputs or references not checked, and why.
    pub skipped: Vec<SkippedInput>,
    /// References to the site's own files (relative URLs): not npm's to check.
    pub local: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkippedInput {
    pub file: String,
    pub reason: String,
}

fn page_ext(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some(
            "html"
                | "htm"
                | "xhtml"
                | "md"
                | "markdown"
                | "mdx"
                | "njk"
                | "hbs"
                | "ejs"
                | "liquid"
                | "erb"
                | "vue"
                | "svelte"
                | "astro"
                | "php"
        )
    )
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if out.len() >= MAX_PAGES {
            return Err(Error::TooLarge(format!(
                "more than {MAX_PAGES} pages under {}",
                dir.display()
            )));
        }
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            if !name.starts_with('.') && name != "node_modules" {
                walk(&p, out)?;
            }
        } else if ft.is_file() && page_ext(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// Step 1: the pages, relative names under `cwd` when they are inside it.
pub fn read_pages(cwd: &Path, inputs: &[Input]) -> Result<Vec<Page>> {
    if inputs.is_empty() {
        return Err(Error::InvalidArg(
            "no page given: a file, a directory or text".into(),
        ));
    }
    let mut pages = Vec::new();
    for i in inputs {
        match i {
            Input::Text { name, text } => pages.push(Page {
                name: name.clone(),
                path: None,
                refs: scan::scan_as(text, scan::Kind::of(name)),
                text: text.clone(),
            }),
            Input::Path(p) => {
                let p = cwd.join(p);
                let md = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?;
                let mut files = Vec::new();
                if md.is_dir() {
                    walk(&p, &mut files)?;
                } else {
                    files.push(p.clone());
                }
                for f in files {
                    let bytes = crate::files::read_capped(&f, MAX_PAGE_BYTES)?;
                    let text = String::from_utf8(bytes).map_err(|_| {
                        Error::InvalidArg(format!("{} is not UTF-8 text", f.display()))
                    })?;
                    let name = f
                        .strip_prefix(cwd)
                        .map_or_else(|_| f.display().to_string(), |r| r.display().to_string());
                    pages.push(Page {
                        refs: scan::scan_as(&text, scan::Kind::of(&name)),
                        name,
                        path: Some(f),
                        text,
                    });
                }
            }
        }
    }
    Ok(pages)
}

fn templated(s: &str) -> bool {
    ["{{", "{%", "<%", "${", "[[", "@{"]
        .iter()
        .any(|t| s.contains(t))
}

/// A declared integrity, read leniently as a browser does: unknown algorithms and malformed
/// tokens are ignored; the strongest algorithm present decides.
fn declared(s: &str) -> Option<(Algorithm, Vec<Vec<u8>>)> {
    let mut best: Option<(Algorithm, Vec<Vec<u8>>)> = None;
    for token in s.split_ascii_whitespace() {
        let Some((alg, rest)) = token.split_once('-') else {
            continue;
        };
        let alg = match alg.to_ascii_lowercase().as_str() {
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            _ => continue,
        };
        let b64 = rest.split('?').next().unwrap_or_default();
        // A value that is not base64 still counts for the algorithm: it can never match.
        let digest = STANDARD
            .decode(b64)
            .or_else(|_| {
                base64::engine::general_purpose::STANDARD_NO_PAD.decode(b64.trim_end_matches('='))
            })
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(b64))
            .unwrap_or_default();
        match &mut best {
            Some((a, v)) if *a == alg => v.push(digest),
            Some((a, _)) if *a > alg => {}
            _ => best = Some((alg, vec![digest])),
        }
    }
    best
}

/// What one package version yielded.
enum Fetch {
    Files {
        check: PackageCheck,
        /// Path → bytes of the files asked for that exist.
        files: BTreeMap<String, Vec<u8>>,
        all_paths: Vec<String>,
    },
    /// Nothing to compare with: the status says why.
    Failed(PackageCheck),
}

fn check_of(name: &str, version: &str, status: &str) -> PackageCheck {
    PackageCheck {
        name: name.into(),
        version: version.into(),
        status: status.into(),
        integrity: None,
        problems: Vec::new(),
        skipped: Vec::new(),
    }
}

/// Step 3 for one package version.
async fn fetch(
    ctx: &Context,
    opts: &Options,
    name: &str,
    version: &str,
    wanted: Vec<String>,
    by_suffix: Vec<String>,
) -> Fetch {
    let mut unchecked = check_of(name, version, "unchecked");
    let registry = match ctx.registry_for(name, opts.registry.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            unchecked.skipped.push(crate::report::Skipped {
                check: "resolve".into(),
                reason: e.to_string(),
            });
            return Fetch::Failed(unchecked);
        }
    };
    let packument = match ctx.client.packument(&registry, name).await {
        Ok(Fetched::Found(p)) => Arc::new(p),
        Ok(Fetched::NotFound) => {
            unchecked.status = "invalid".into();
            unchecked.problems.push(crate::report::Problem::new(
                crate::Code::NotFound,
                format!("{name} is not in {registry}"),
            ));
            return Fetch::Failed(unchecked);
        }
        Err(e) => {
            unchecked.skipped.push(crate::report::Skipped {
                check: "resolve".into(),
                reason: e.to_string(),
            });
            return Fetch::Failed(unchecked);
        }
    };
    let tarball_url = packument
        .get("versions")
        .and_then(|v| v.get(version))
        .and_then(|m| m.pointer("/dist/tarball"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let bytes = match &tarball_url {
        Some(u) => match ctx.client.bytes(u, DEFAULT_MAX_TARBALL_BYTES).await {
            Ok(Fetched::Found(b)) => Some(b),
            Ok(Fetched::NotFound) => None,
            Err(e) => {
                unchecked.skipped.push(crate::report::Skipped {
                    check: "integrity".into(),
                    reason: e.to_string(),
                });
                return Fetch::Failed(unchecked);
            }
        },
        None => None,
    };
    let req = Request {
        spec: format!("{name}@{version}"),
        registry: Some(registry),
        attestations_registry: opts.attestations_registry.clone(),
        tarball: bytes.clone(),
        packument: Some(packument),
        ..Request::default()
    };
    let report = match verify::verify(ctx, &req).await {
        Ok(r) => r,
        Err(e) => {
            unchecked.skipped.push(crate::report::Skipped {
                check: "verify".into(),
                reason: e.to_string(),
            });
            return Fetch::Failed(unchecked);
        }
    };
    let check = PackageCheck {
        name: name.into(),
        version: version.into(),
        status: report.status.map_or("unverifiable", Status::as_str).into(),
        integrity: report.integrity.clone(),
        problems: report.problems.clone(),
        skipped: report.skipped.clone(),
    };
    // Fail closed: the bytes must be the registry's (integrity passed) and nothing failed.
    let usable = report.checks.integrity == CheckState::Passed
        && report.status != Some(Status::Invalid)
        && report.version.as_deref() == Some(version);
    let Some(bytes) = bytes.filter(|_| usable) else {
        return Fetch::Failed(check);
    };
    // One read for exact paths; a second only for cdnjs paths, found by suffix in the listing.
    let read = |raw: &[String]| {
        let opts = crate::npm::tarball::Options {
            limits: crate::npm::tarball::Limits {
                max_file: MAX_FILE_BYTES,
                ..Default::default()
            },
            raw,
            ..Default::default()
        };
        crate::npm::tarball::read_with(&bytes, &opts)
    };
    let refused = |check: PackageCheck, e: Error| {
        let mut c = check;
        c.status = "invalid".into();
        c.problems
            .push(crate::report::Problem::new(e.code(), e.to_string()));
        Fetch::Failed(c)
    };
    let mut package = match read(&wanted) {
        Ok(p) => p,
        Err(e) => return refused(check, e),
    };
    let all_paths: Vec<String> = package.files.iter().map(|f| f.path.clone()).collect();
    let found: Vec<String> = by_suffix
        .iter()
        .filter_map(|s| suffix_match(&all_paths, s))
        .filter(|p| !package.raw.contains_key(p))
        .collect();
    if !found.is_empty() {
        match read(&found) {
            Ok(p) => package.raw.extend(p.raw),
            Err(e) => return refused(check, e),
        }
    }
    Fetch::Files {
        check,
        files: package.raw,
        all_paths,
    }
}

/// cdnjs: the one tarball path equal to `suffix` or ending with `/<suffix>` (shortest wins:
/// `dist/x.min.js` before `docs/dist/x.min.js`); `None` when none.
fn suffix_match(paths: &[String], suffix: &str) -> Option<String> {
    let tail = format!("/{suffix}");
    paths
        .iter()
        .filter(|p| *p == suffix || p.ends_with(&tail))
        .min_by_key(|p| (p.len(), (*p).clone()))
        .cloned()
}

/// Check pages (steps 2–5).
pub async fn check(ctx: &Context, opts: &Options) -> Result<(SriResult, Vec<Page>)> {
    let cwd = ctx.cwd.clone();
    let inputs = opts.inputs.clone();
    let pages = tokio::task::spawn_blocking(move || read_pages(&cwd, &inputs))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let result = check_pages(ctx, opts, &pages).await;
    Ok((result, pages))
}

/// Steps 2–5 over pages already read.
pub async fn check_pages(ctx: &Context, opts: &Options, pages: &[Page]) -> SriResult {
    // 2. Classify; collect the package versions to fetch.
    struct Pending<'a> {
        page: &'a Page,
        r: &'a scan::Reference,
        target: Option<Target>,
    }
    let mut pending = Vec::new();
    let mut wanted: BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)> =
        BTreeMap::new();
    let mut local = 0;
    for page in pages {
        for r in &page.refs {
            if r.error.is_some()
                || templated(&r.url)
                || r.integrity.as_deref().is_some_and(templated)
            {
                pending.push(Pending {
                    page,
                    r,
                    target: None,
                });
                continue;
            }
            let t = cdn::parse(&r.url);
            match &t {
                Target::Local => {
                    local += 1;
                    continue;
                }
                Target::Npm(f) if f.pinned() && f.transformed.is_none() => {
                    if let Some(file) = &f.file {
                        let e = wanted
                            .entry((f.name.clone(), f.version.clone()))
                            .or_default();
                        if f.by_suffix {
                            e.1.insert(file.clone());
                        } else {
                            e.0.insert(file.clone());
                        }
                    }
                }
                _ => {}
            }
            pending.push(Pending {
                page,
                r,
                target: Some(t),
            });
        }
    }
    // 3. Fetch and verify each package version, a few at once.
    let limit = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.clamp(1, 64)));
    let mut set = tokio::task::JoinSet::new();
    for ((name, version), (files, suffixes)) in wanted {
        let (ctx, opts, limit) = (ctx.clone(), opts.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let f = fetch(
                &ctx,
                &opts,
                &name,
                &version,
                files.into_iter().collect(),
                suffixes.into_iter().collect(),
            )
            .await;
            ((name, version), f)
        });
    }
    let mut fetched: BTreeMap<(String, String), Fetch> = BTreeMap::new();
    while let Some(j) = set.join_next().await {
        if let Ok((k, f)) = j {
            fetched.insert(k, f);
        }
    }
    // 4–5.
    let mut rows = Vec::new();
    for p in pending {
        rows.push(judge(p.page, p.r, p.target.as_ref(), &fetched));
    }
    let mut summary: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in &rows {
        for v in &r.verdicts {
            *summary.entry(v).or_default() += 1;
        }
    }
    let packages = fetched
        .into_values()
        .map(|f| match f {
            Fetch::Files { check, .. } | Fetch::Failed(check) => check,
        })
        .collect();
    SriResult {
        rows,
        packages,
        summary,
        files: pages.iter().map(|p| p.name.clone()).collect(),
        skipped: Vec::new(),
        local,
    }
}

fn judge(
    page: &Page,
    r: &scan::Reference,
    target: Option<&Target>,
    fetched: &BTreeMap<(String, String), Fetch>,
) -> Row {
    let mut row = Row {
        file: page.name.clone(),
        line: r.line,
        column: r.column,
        element: r.element.as_str(),
        url: r.url.clone(),
        integrity: r.integrity.clone(),
        crossorigin: r.crossorigin.clone(),
        verdicts: Vec::new(),
        message: String::new(),
        cdn: None,
        package: None,
        npm_file: None,
        hashes: None,
        expected: None,
        fixable: false,
    };
    if let Some(e) = &r.error {
        row.verdicts.push("invalid-importmap");
        row.message = e.clone();
        return row;
    }
    let Some(target) = target else {
        row.verdicts.push("templated");
        row.message =
            "a template fills in the URL or the integrity: check the rendered page".into();
        return row;
    };
    let declared_sri = r.integrity.as_deref().filter(|s| !s.trim().is_empty());
    let decl = declared_sri.and_then(declared);
    let mut notes: Vec<String> = Vec::new();
    let missing = decl.is_none();
    if missing {
        notes.push(match declared_sri {
            Some(s) => {
                format!("integrity {s:?} names no sha256/384/512 hash: the browser checks nothing")
            }
            None => "no integrity: the browser runs whatever the CDN serves".into(),
        });
    }
    // crossorigin matters only for tags that carry integrity (import maps load in CORS mode).
    let crossorigin_missing = !missing
        && matches!(r.element, scan::Element::Script | scan::Element::Link)
        && r.crossorigin.is_none();
    // A reference that is not compared with npm's bytes: its verdict, then what is missing.
    let unmatched = |mut row: Row, verdict: &'static str, notes: Vec<String>| {
        row.verdicts.push(verdict);
        if missing {
            row.verdicts.push("missing-integrity");
        }
        if crossorigin_missing {
            row.verdicts.push("missing-crossorigin");
        }
        row.message = notes.join("; ");
        row
    };
    let f: &NpmFile = match target {
        Target::Npm(f) => f,
        _ => {
            notes.insert(
                0,
                "not a CDN URL of an npm file: nothing to compare with".into(),
            );
            return unmatched(row, "not-npm-cdn", notes);
        }
    };
    row.cdn = Some(f.cdn);
    row.package = Some(format!("{}@{}", f.name, f.version));
    let mut first: Option<&'static str> = None;
    if !f.pinned() {
        first = Some("unpinned");
        notes.insert(0, format!(
            "version {:?} is not exact: the bytes change when a new version is published, no integrity can be pinned",
            if f.version.is_empty() { "(none)" } else { &f.version }
        ));
    } else if let Some(why) = f.transformed {
        first = Some("cdn-transformed");
        notes.insert(0, why.into());
    } else if f.file.is_none() {
        first = Some("cdn-transformed");
        notes.insert(
            0,
            "the URL names no file: the CDN picks the package's entry point".into(),
        );
    }
    if let Some(v) = first {
        return unmatched(row, v, notes);
    }
    let file = f.file.clone().unwrap_or_default();
    match fetched.get(&(f.name.clone(), f.version.clone())) {
        None | Some(Fetch::Failed(_)) => {
            let why = match fetched.get(&(f.name.clone(), f.version.clone())) {
                Some(Fetch::Failed(c)) if c.status == "unchecked" => {
                    row.verdicts.push("unchecked");
                    format!(
                        "{}@{} could not be fetched: {}",
                        f.name,
                        f.version,
                        c.skipped
                            .iter()
                            .map(|s| s.reason.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                }
                Some(Fetch::Failed(c)) => {
                    row.verdicts.push("package-not-verified");
                    format!(
                        "{}@{} did not verify ({}): its files are not compared{}",
                        f.name,
                        f.version,
                        c.status,
                        c.problems
                            .first()
                            .map(|p| format!(": {}", p.message))
                            .unwrap_or_default()
                    )
                }
                _ => {
                    row.verdicts.push("unchecked");
                    "not fetched".into()
                }
            };
            notes.insert(0, why);
            if missing {
                row.verdicts.push("missing-integrity");
            }
            row.message = notes.join("; ");
            return row;
        }
        Some(Fetch::Files {
            files, all_paths, ..
        }) => {
            let path = if f.by_suffix {
                suffix_match(all_paths, &file)
            } else {
                Some(file.clone())
            };
            let bytes = path.as_ref().and_then(|p| files.get(p));
            let Some(bytes) = bytes else {
                let in_listing = path.as_ref().is_some_and(|p| all_paths.contains(p));
                if in_listing {
                    row.verdicts.push("unchecked");
                    notes.insert(
                        0,
                        format!("{file} is larger than {MAX_FILE_BYTES} bytes: not hashed"),
                    );
                } else {
                    row.verdicts.push("file-not-in-npm-tarball");
                    let unmin = file.replace(".min.js", ".js").replace(".min.css", ".css");
                    let hint = if unmin != file
                        && all_paths.contains(&unmin)
                        && f.cdn == cdn::Cdn::Jsdelivr
                    {
                        format!(" (jsDelivr minifies {unmin} on the fly for this URL: bytes npm never published)")
                    } else {
                        String::new()
                    };
                    notes.insert(0, format!("{}@{} has no {file}{hint}", f.name, f.version));
                }
                if missing {
                    row.verdicts.push("missing-integrity");
                }
                row.message = notes.join("; ");
                return row;
            };
            row.npm_file = path.clone();
            let hashes = Hashes::of(bytes);
            let alg = decl.as_ref().map_or(Algorithm::Sha384, |d| d.0);
            let expected = hashes.get(alg).to_string();
            if f.cdn == cdn::Cdn::Cdnjs {
                notes.push(format!("cdnjs is not npm: compared with {} of {}@{} on the assumption that cdnjs serves the same bytes", path.as_deref().unwrap_or_default(), f.name, f.version));
            } else if f.cdn == cdn::Cdn::Jspm {
                notes.push("JSPM may rewrite a package's files: compared with the npm file".into());
            }
            match &decl {
                None => row.verdicts.push("missing-integrity"),
                Some((a, values)) => {
                    let actual = integrity::digest(bytes, *a);
                    if values.contains(&actual) {
                        row.verdicts.push("match");
                        notes.insert(
                            0,
                            format!(
                                "the {} of {} in the npm tarball",
                                a.name(),
                                path.as_deref().unwrap_or_default()
                            ),
                        );
                    } else {
                        row.verdicts.push("mismatch");
                        notes.insert(0, format!("the npm file's {} is {expected}: a browser refuses the file (or the page names other bytes)", a.name()));
                    }
                }
            }
            if crossorigin_missing {
                row.verdicts.push("missing-crossorigin");
                notes.push("no crossorigin attribute: a cross-origin integrity check fails without CORS mode".into());
            }
            row.fixable = f.cdn.serves_npm_bytes();
            row.hashes = Some(hashes);
            row.expected = Some(expected);
        }
    }
    row.message = notes.join("; ");
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_strongest_wins() {
        let (a, v) = declared("sha256-AAAA sha512-AAAA sha384-AAAA sha512-BBBB").unwrap();
        assert_eq!((a, v.len()), (Algorithm::Sha512, 2));
        assert!(declared("md5-xyz").is_none());
        assert!(declared("").is_none());
        assert_eq!(declared("SHA384-AAAA?foo").unwrap().0, Algorithm::Sha384);
    }

    #[test]
    fn suffix() {
        let p = vec![
            "docs/dist/Chart.min.js".to_string(),
            "dist/Chart.min.js".to_string(),
        ];
        assert_eq!(
            suffix_match(&p, "Chart.min.js").as_deref(),
            Some("dist/Chart.min.js")
        );
        assert_eq!(suffix_match(&p, "hart.min.js"), None);
    }
}
