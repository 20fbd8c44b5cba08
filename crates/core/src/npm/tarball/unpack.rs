//! Where node-tar's `Unpack` (with pacote's options: `strip: 1`, no `preservePaths`) writes
//! each kept entry, and which entry's bytes a path ends up with.
//!
//! Per entry ([`landing`], node-tar's `CHECKPATH`):
//! 1. On Windows only, `\` is a separator (it is replaced by `/`).
//! 2. Split on `/` and drop the first component, whatever it is (`package`, `.`, or empty: so
//!    `./package/x` lands at `package/x` and `package\x` — one component on POSIX — nowhere).
//! 3. More than 1,024 components: skipped.
//! 4. Roots are stripped as Windows understands them, on every platform (`/`, `C:`, `C:/`,
//!    `\\server\share\`, …), and a `..` component — counting `\` as a separator here too —
//!    skips the entry. A link path from an extended header that climbs out of the package
//!    skips the entry as well.
//! 5. The rest resolves against the package directory (`.` and empty components dropped);
//!    nothing left means the package directory itself: skipped.
//!
//! Then, in order ([`simulate`]): the parent directories are created (a file in the way skips
//! the entry), a directory at the path skips it (directories made here are never empty), and
//! a file at the path is replaced: the later entry wins. On case-insensitive file systems
//! (macOS, Windows) names are compared folded; Windows also drops trailing dots and spaces.

use super::parse::Entry;
use std::collections::HashMap;

/// How the platform running npm names files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux and other Unix: `/` only, names compared exactly.
    Posix,
    /// macOS: `/` only, names compared without case and Unicode normalization.
    Darwin,
    /// Windows: `\` and `/`, names compared without case, trailing dots and spaces dropped.
    Windows,
    /// Every name that any of the above could confuse, folded together: `\` is a separator,
    /// case, Unicode normalization and trailing dots/spaces are ignored. Used to find entries
    /// whose bytes depend on where npm runs.
    Folded,
}

impl Platform {
    /// The platform this process runs on.
    pub fn current() -> Self {
        if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::Darwin
        } else {
            Platform::Posix
        }
    }

    fn backslash_separates(self) -> bool {
        matches!(self, Platform::Windows | Platform::Folded)
    }

    /// The name under which the file system finds `seg`.
    fn key(self, seg: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        match self {
            Platform::Posix => seg.to_string(),
            Platform::Darwin => seg.nfd().collect::<String>().to_lowercase(),
            Platform::Windows => seg.trim_end_matches(['.', ' ']).to_lowercase(),
            Platform::Folded => seg
                .trim_end_matches(['.', ' '])
                .nfd()
                .collect::<String>()
                .to_lowercase(),
        }
    }

    /// The file-system key of a relative path.
    pub fn path_key(self, segs: &[String]) -> String {
        segs.iter()
            .map(|s| self.key(s))
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Why an entry is not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Nothing left after the package directory (or it is the directory itself).
    OutsidePackage,
    /// A `..` component.
    Traversal,
    /// A link path (from an extended header) that leaves the package.
    LinkpathEscapes,
    TooDeep,
}

impl Skip {
    pub fn reason(self) -> &'static str {
        match self {
            Skip::OutsidePackage => "outside-package-dir",
            Skip::Traversal => "path-traversal",
            Skip::LinkpathEscapes => "linkpath-escapes",
            Skip::TooDeep => "too-deep",
        }
    }
}

/// Where an entry lands, relative to the package directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landing {
    pub segs: Vec<String>,
    /// A root was stripped (`/x`, `C:x`, `\\server\share\x`).
    pub root_stripped: bool,
}

fn is_sep(c: u8) -> bool {
    c == b'/' || c == b'\\'
}

/// `path.win32.parse(p).root` (Node 20).
fn win32_root(p: &str) -> &str {
    let b = p.as_bytes();
    let len = b.len();
    if len == 0 {
        return "";
    }
    if len == 1 {
        return if is_sep(b[0]) { p } else { "" };
    }
    let mut root_end = 0;
    if is_sep(b[0]) {
        root_end = 1;
        if is_sep(b[1]) {
            let mut j = 2;
            let mut last = j;
            while j < len && !is_sep(b[j]) {
                j += 1;
            }
            if j < len && j != last {
                last = j;
                while j < len && is_sep(b[j]) {
                    j += 1;
                }
                if j < len && j != last {
                    last = j;
                    while j < len && !is_sep(b[j]) {
                        j += 1;
                    }
                    if j == len {
                        root_end = j;
                    } else if j != last {
                        root_end = j + 1;
                    }
                }
            }
        }
    } else if b[0].is_ascii_alphabetic() && b[1] == b':' {
        if len <= 2 {
            return p;
        }
        root_end = 2;
        if is_sep(b[2]) {
            if len == 3 {
                return p;
            }
            root_end = 3;
        }
    }
    &p[..root_end]
}

/// `path.win32.isAbsolute`.
fn win32_is_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    match b.first() {
        None => false,
        Some(c) if is_sep(*c) => true,
        Some(c) => b.len() > 2 && c.is_ascii_alphabetic() && b[1] == b':' && is_sep(b[2]),
    }
}

/// node-tar's `stripAbsolutePath`: `(had a root, the rest)`.
fn strip_absolute(mut p: &str) -> (bool, &str) {
    let mut stripped = false;
    loop {
        let parsed = win32_root(p);
        if !win32_is_absolute(p) && parsed.is_empty() {
            return (stripped, p);
        }
        let root = if p.starts_with('/') && !p.starts_with("//?/") {
            "/"
        } else {
            parsed
        };
        if root.is_empty() {
            return (stripped, p);
        }
        p = &p[root.len()..];
        stripped = true;
    }
}

/// `path.posix.normalize` segments of a relative path, `..` kept above the root.
fn normalize_rel(p: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for s in p.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    out
}

/// `path.posix.dirname`.
fn posix_dirname(p: &str) -> &str {
    let b = p.as_bytes();
    if b.is_empty() {
        return ".";
    }
    let has_root = b[0] == b'/';
    let mut end = None;
    let mut matched_slash = true;
    for i in (1..b.len()).rev() {
        if b[i] == b'/' {
            if !matched_slash {
                end = Some(i);
                break;
            }
        } else {
            matched_slash = false;
        }
    }
    match end {
        None if has_root => "/",
        None => ".",
        Some(1) if has_root => "//",
        Some(e) => &p[..e],
    }
}

/// Where node-tar writes an entry (the steps are in the module docs).
pub fn landing(path: &str, linkpath: Option<&str>, platform: Platform) -> Result<Landing, Skip> {
    let win = platform.backslash_separates();
    let p = if win {
        path.replace('\\', "/")
    } else {
        path.to_string()
    };
    // 2.
    let parts: Vec<&str> = p.split('/').skip(1).collect();
    // 3.
    if parts.len() > 1024 {
        return Err(Skip::TooDeep);
    }
    let rel = parts.join("/");
    // 4.
    let (root_stripped, rest) = if rel.is_empty() {
        (false, rel.as_str())
    } else {
        strip_absolute(&rel)
    };
    let dotdot = |s: &str| {
        let ps: Vec<String> = s
            .replace('\\', "/")
            .split('/')
            .map(str::to_string)
            .collect();
        ps.iter().any(|c| c == "..")
            || (win
                && ps.first().is_some_and(|c| {
                    let b = c.as_bytes();
                    b.len() == 4 && b[0].is_ascii_alphabetic() && &b[1..] == b":.."
                }))
    };
    if !rest.is_empty() && dotdot(rest) {
        return Err(Skip::Traversal);
    }
    let rest = rest.to_string();
    if let Some(lp) = linkpath.filter(|l| !l.is_empty()) {
        let lp = if win {
            lp.replace('\\', "/")
        } else {
            lp.to_string()
        };
        let (_, lrest) = strip_absolute(&lp);
        if dotdot(lrest) {
            let parts: Vec<String> = lrest
                .replace('\\', "/")
                .split('/')
                .map(str::to_string)
                .collect();
            let joined = format!("{}/{}", posix_dirname(&rest), parts.join("/"));
            let n = normalize_rel(&joined);
            if n.first() == Some(&"..") {
                return Err(Skip::LinkpathEscapes);
            }
        }
    }
    // 5.
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .map(str::to_string)
        .collect();
    if segs.is_empty() {
        return Err(Skip::OutsidePackage);
    }
    Ok(Landing {
        segs,
        root_stripped,
    })
}

/// A node of the simulated package directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Dir,
    File(usize),
}

/// The package directory after extraction.
#[derive(Debug, Default)]
pub struct View {
    /// Files in the order they were first created: path as first written, winning entry.
    pub files: Vec<(String, usize)>,
    /// Winning entry by file-system key.
    pub by_key: HashMap<String, usize>,
    /// Entries written over by a later one (`(entry, path)`).
    pub replaced: Vec<(usize, String)>,
    /// Entries that could not be written (a file in the way, or a directory at the path).
    pub blocked: Vec<(usize, String)>,
}

/// Extract, in order, the entries that land (`landings[i]` for `entries[i]`).
pub fn simulate(landings: &[Option<Vec<String>>], platform: Platform) -> View {
    let mut nodes: HashMap<String, Node> = HashMap::new();
    let mut order: HashMap<String, usize> = HashMap::new();
    let mut view = View::default();
    'entries: for (i, l) in landings.iter().enumerate() {
        let Some(segs) = l else { continue };
        for d in 1..segs.len() {
            let k = platform.path_key(&segs[..d]);
            match nodes.get(&k) {
                Some(Node::File(_)) => {
                    view.blocked.push((i, segs.join("/")));
                    continue 'entries;
                }
                Some(Node::Dir) => {}
                None => {
                    nodes.insert(k, Node::Dir);
                }
            }
        }
        let k = platform.path_key(segs);
        match nodes.get(&k).copied() {
            Some(Node::Dir) => view.blocked.push((i, segs.join("/"))),
            Some(Node::File(prev)) => {
                view.replaced.push((prev, segs.join("/")));
                nodes.insert(k.clone(), Node::File(i));
                if let Some(&slot) = order.get(&k) {
                    view.files[slot].1 = i;
                }
            }
            None => {
                nodes.insert(k.clone(), Node::File(i));
                order.insert(k.clone(), view.files.len());
                view.files.push((segs.join("/"), i));
            }
        }
    }
    view.by_key = view
        .files
        .iter()
        .map(|(p, i)| (platform.path_key(&split(p)), *i))
        .collect();
    view
}

fn split(p: &str) -> Vec<String> {
    p.split('/').map(str::to_string).collect()
}

/// Landings of every entry on `platform`.
pub fn landings(entries: &[Entry], platform: Platform) -> Vec<Result<Landing, Skip>> {
    entries
        .iter()
        .map(|e| landing(&e.path, e.linkpath.as_deref(), platform))
        .collect()
}

/// Whether a name looks like a Windows 8.3 short name (`PACKAG~1.JSO`), which can alias a
/// long name in the same directory.
pub fn short_name_alias(short: &str, long: &str) -> bool {
    let upper = short.to_ascii_uppercase();
    let (stem, ext) = match upper.rsplit_once('.') {
        Some((s, e)) => (s, e),
        None => (upper.as_str(), ""),
    };
    let Some((prefix, num)) = stem.rsplit_once('~') else {
        return false;
    };
    if prefix.is_empty()
        || prefix.len() > 6
        || num.is_empty()
        || !num.bytes().all(|b| b.is_ascii_digit())
        || ext.len() > 3
    {
        return false;
    }
    let clean = |s: &str| -> String {
        s.to_ascii_uppercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "!#$%&'()@^_`{}~-".contains(*c))
            .collect()
    };
    let (lstem, lext) = match long.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, e),
        _ => (long, ""),
    };
    let lstem = clean(lstem);
    let lext: String = clean(lext).chars().take(3).collect();
    lstem.starts_with(prefix) && lext == ext && !long.eq_ignore_ascii_case(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn land(p: &str) -> Result<String, Skip> {
        landing(p, None, Platform::Posix).map(|l| l.segs.join("/"))
    }

    #[test]
    fn posix_landings_like_node_tar() {
        assert_eq!(land("package/package.json"), Ok("package.json".into()));
        assert_eq!(
            land("./package/package.json"),
            Ok("package/package.json".into())
        );
        assert_eq!(land("package\\package.json"), Err(Skip::OutsidePackage));
        assert_eq!(land("package/a\\b.js"), Ok("a\\b.js".into()));
        assert_eq!(land("package//etc/x"), Ok("etc/x".into()));
        assert_eq!(land("/etc/cron.d/x"), Ok("etc/cron.d/x".into()));
        assert_eq!(land("package/../x"), Err(Skip::Traversal));
        assert_eq!(land("package/a\\..\\x"), Err(Skip::Traversal));
        assert_eq!(land("package/./a//b.js"), Ok("a/b.js".into()));
        assert_eq!(land("package/"), Err(Skip::OutsidePackage));
        assert_eq!(land("toplevel.js"), Err(Skip::OutsidePackage));
        assert_eq!(land("package/C:x.js"), Ok("x.js".into()));
        assert_eq!(land("package/\\\\srv\\share\\x.js"), Ok("x.js".into()));
        assert_eq!(land("package/c:"), Err(Skip::OutsidePackage));
        assert_eq!(
            landing("package/a/b.js", Some("../../x"), Platform::Posix),
            Err(Skip::LinkpathEscapes)
        );
        assert!(landing("package/a/b.js", Some("../x"), Platform::Posix).is_ok());
    }

    #[test]
    fn windows_landings() {
        let w = |p: &str| landing(p, None, Platform::Windows).map(|l| l.segs.join("/"));
        assert_eq!(w("package\\package.json"), Ok("package.json".into()));
        assert_eq!(w("package/c:..\\x"), Err(Skip::Traversal));
    }

    #[test]
    fn later_entries_win_and_files_block_directories() {
        let l = |p: &str| Some(split(p));
        let v = simulate(
            &[
                l("a.js"),
                l("a.js"),
                l("d"),
                l("d/x.js"),
                l("e/f.js"),
                l("e"),
            ],
            Platform::Posix,
        );
        assert_eq!(
            v.files,
            vec![("a.js".into(), 1), ("d".into(), 2), ("e/f.js".into(), 4)]
        );
        assert_eq!(v.blocked, vec![(3, "d/x.js".into()), (5, "e".into())]);
        let v = simulate(&[l("package.json"), l("PACKAGE.JSON")], Platform::Darwin);
        assert_eq!(v.files, vec![("package.json".into(), 1)]);
    }

    #[test]
    fn short_names() {
        assert!(short_name_alias("PACKAG~1.JSO", "package.json"));
        assert!(short_name_alias("packag~2.jso", "package.json"));
        assert!(!short_name_alias("INDEX~1.JS", "package.json"));
        assert!(!short_name_alias("readme.md", "package.json"));
    }
}
