//! What runs what in a package: install hooks and entry points, and the files they reach by
//! relative `require`/`import` (install targets also by string literals naming script files).

use super::re;
use crate::npm::tarball::{entry_points, normalize_rel, resolve_candidates, script_paths, Package};
use once_cell::sync::Lazy;
use regex::Regex;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// Where a file stands: what runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Ctx {
    Install,
    Entry,
    Other,
}

impl Ctx {
    pub(super) fn label(self) -> &'static str {
        match self {
            Ctx::Install => "install-script target",
            Ctx::Entry => "entry point",
            Ctx::Other => "file not reached from an entry point",
        }
    }
}

/// Relative module specifiers.
pub(super) static REQ_RE: Lazy<Option<Regex>> = Lazy::new(|| {
    re(
        r#"(?-u)(?:require\s*\(|import\s*\(|\bfrom|\bimport)\s*['"](\.{1,2}/(?u:[^'"\n]){1,200})['"]"#,
    )
});

/// String literals naming a script file (install targets only).
pub(super) static FILE_LIT_RE: Lazy<Option<Regex>> =
    Lazy::new(|| re(r#"(?-u)['"`]([\w./@-]{1,200}\.(?:js|cjs|mjs|sh))['"`]"#));

/// Specifiers followed per file (each kind): a file that names more is reported (`code.reach`).
pub(super) const MAX_SPECIFIERS: usize = 500;

fn dir_of(p: &str) -> &str {
    p.rsplit_once('/').map_or("", |(d, _)| d)
}

/// What runs what in one package: the context of every file an install hook or an entry point
/// runs or reaches, split into files whose text was kept (scanned) and files that were not
/// read (`code.unread`). Built once per package ([`Contexts::of`]).
pub struct Contexts {
    /// Kept texts with their context.
    pub(super) read: BTreeMap<String, Ctx>,
    /// Files install hooks or entry points run (or reach) whose text was not kept.
    pub(super) unread: BTreeMap<String, Ctx>,
    /// Files with more than [`MAX_SPECIFIERS`] specifiers, and their context: what they name
    /// past that was not followed.
    pub(super) capped: Vec<(String, Ctx)>,
}

impl Contexts {
    /// Steps:
    /// 1. Install-hook words (`node ./x.js`) are install targets; `main`, `bin`, `exports`,
    ///    `module`, `browser` entry points. Each resolves as Node would (as is, `.js`, `.cjs`,
    ///    `.mjs`, a directory's package.json `main`, `/index.*`) against the package's files —
    ///    all of them, not only kept texts, so an extensionless or binary-named file Node
    ///    would run is not skipped for a later candidate.
    /// 2. From each kept text, relative `require`/`import` specifiers (and, from install
    ///    targets, string literals naming script files) reach more files, in the same context
    ///    (install wins over entry), at most [`MAX_SPECIFIERS`] of each kind per file. A file
    ///    is queued again only with a better context, so the walk is linear in the files.
    /// 3. A file reached that was not read goes to the unread list with its context.
    pub fn of(pkg: &Package) -> Self {
        let files = pkg.file_index();
        // As Node resolves a path: the file, with an extension, then a directory's
        // package.json `main`, then its index. Memoised: a file may name one path many times.
        let memo: std::cell::RefCell<HashMap<String, Option<String>>> = Default::default();
        let resolve = |p: &str| -> Option<String> {
            if let Some(r) = memo.borrow().get(p) {
                return r.clone();
            }
            let found = |c: &String| files.contains_key(c.as_str());
            let cands = resolve_candidates(p);
            let r = cands[..4]
                .iter()
                .find(|c| found(c))
                .cloned()
                .or_else(|| {
                    let pj = format!("{p}/package.json");
                    let Some(t) = pkg.texts.get(&pj) else {
                        // There but not read: what it names is unknown, so it is what is
                        // reached (and reported unread).
                        return files.contains_key(pj.as_str()).then_some(pj);
                    };
                    let main = serde_json::from_str::<Value>(t)
                        .ok()?
                        .get("main")?
                        .as_str()
                        .map(str::to_string)?;
                    let inner = normalize_rel(&format!("{p}/{main}"))?;
                    resolve_candidates(&inner).into_iter().find(|c| found(c))
                })
                .or_else(|| cands[4..].iter().find(|c| found(c)).cloned());
            memo.borrow_mut().insert(p.to_string(), r.clone());
            r
        };
        let mut read: BTreeMap<String, Ctx> = BTreeMap::new();
        let mut unread: BTreeMap<String, Ctx> = BTreeMap::new();
        // The best context each file is queued with: a file is queued again only with a
        // better one, so the walk visits each file at most once per context.
        let mut queued: HashMap<String, Ctx> = HashMap::new();
        let mut queue: VecDeque<(String, Ctx)> = VecDeque::new();
        fn push(
            queued: &mut HashMap<String, Ctx>,
            queue: &mut VecDeque<(String, Ctx)>,
            f: String,
            c: Ctx,
        ) {
            if queued.get(&f).is_none_or(|old| *old > c) {
                queued.insert(f.clone(), c);
                queue.push_back((f, c));
            }
        }
        // 1.
        for p in script_paths(&pkg.manifest) {
            if let Some(f) = resolve(&p) {
                push(&mut queued, &mut queue, f, Ctx::Install);
            }
        }
        for p in entry_points(&pkg.manifest) {
            if let Some(f) = resolve(&p) {
                push(&mut queued, &mut queue, f, Ctx::Entry);
            }
        }
        // 2.
        let mut capped: Vec<(String, Ctx)> = Vec::new();
        while let Some((file, c)) = queue.pop_front() {
            if queued.get(&file).is_some_and(|best| *best < c) {
                continue;
            }
            let Some(text) = pkg.texts.get(&file) else {
                // 3.
                let old = unread.entry(file).or_insert(c);
                *old = (*old).min(c);
                continue;
            };
            if read.get(&file).is_some_and(|old| *old <= c) {
                continue;
            }
            read.insert(file.clone(), c);
            let dir = dir_of(&file);
            let mut specs: Vec<String> = Vec::new();
            let (reqs, mut cut) = distinct_captures(&REQ_RE, text);
            specs.extend(
                reqs.iter()
                    .filter_map(|m| normalize_rel(&format!("{dir}/{m}"))),
            );
            if c == Ctx::Install {
                let (lits, lits_cut) = distinct_captures(&FILE_LIT_RE, text);
                cut |= lits_cut;
                for m in lits {
                    specs.extend(normalize_rel(&format!("{dir}/{m}")));
                    specs.extend(normalize_rel(m));
                }
            }
            if cut && !capped.iter().any(|(f, _)| *f == file) {
                capped.push((file.clone(), c));
            }
            for s in specs {
                if let Some(f) = resolve(&s) {
                    let seen = read.get(&f).or_else(|| unread.get(&f));
                    if seen.is_none_or(|old| *old > c) {
                        push(&mut queued, &mut queue, f, c);
                    }
                }
            }
        }
        Self {
            read,
            unread,
            capped,
        }
    }

    pub(super) fn of_file(&self, path: &str) -> Ctx {
        self.read.get(path).copied().unwrap_or(Ctx::Other)
    }
}

/// The distinct first captures of `re` in `text`, at most [`MAX_SPECIFIERS`] (repeating one
/// cannot push another past the cap), and whether more were cut off.
fn distinct_captures<'t>(re: &Lazy<Option<Regex>>, text: &'t str) -> (Vec<&'t str>, bool) {
    let Some(r) = &**re else {
        return (Vec::new(), false);
    };
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for m in r.captures_iter(text).filter_map(|c| c.get(1)) {
        if !seen.insert(m.as_str()) {
            continue;
        }
        if seen.len() > MAX_SPECIFIERS {
            return (out, true);
        }
        out.push(m.as_str());
    }
    (out, false)
}
