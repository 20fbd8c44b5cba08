//! Typosquatting: a name that imitates a popular package.
//!
//! The reference is the top 100,000 npm packages by downloads a month, scoped ones included
//! (`assets/popular-npm.tsv.gz`, built into the binary, rebuilt by `scripts/popular.js` from
//! the `download-counts` package; each with its downloads, rounded to 3 significant digits).
//!
//! A name is compared with the list by these imitations, in this order; the first that finds a
//! target gives the finding:
//! 1. **scope**: an unscoped name equal to (or, with 8+ characters and a separator, 1 edit
//!    from) the part after the scope of a popular scoped package, when that part is specific
//!    (it has a separator or 10+ characters: `core-rest-pipeline` vs `@azure/core-rest-pipeline`;
//!    `shared`, `core`, and `@types/*` are not claimed); a scoped name whose scope is (1 edit
//!    from) the popular unscoped name after it (`@lodash/lodash`);
//! 2. **separator**: equal once `-`, `_`, `.` are removed (`reactdom` vs `react-dom`);
//! 3. **homoglyph**: equal once look-alikes are folded (`0`→`o`, `1`→`l`, `rn`→`m`, Cyrillic…);
//! 4. **affix**: a popular name (4+ characters, [`AFFIX_MIN`] downloads) plus or minus one of
//!    [`SUFFIXES`] / [`PREFIXES`] (`axios-http`, `jquery.js`, `node-prettier`);
//! 5. **transposition** / **edit**: Damerau (OSA) distance 1 for names of 5+ characters, and 2
//!    against targets with [`EDIT2_MIN`] downloads when the first letter is kept (typos rarely
//!    change it) and no short word is replaced by another (`vite-plugin-ejs`/`-dts`).
//!    Names of 4 characters or fewer are only compared by scope.
//!
//! **Established pairs are not squats.** When the name is itself on the list, it is not
//! flagged if it has [`ESTABLISHED`] downloads a month or more, or at least 1/[`GAP`] of the
//! target's: two real packages, whatever the distance. A popular name in the query's own scope
//! is not a target either (only the scope's owner publishes there).
//!
//! **Strength.** A finding is `strong` when the popularity gap alone makes it likely: the name
//! is not on the list (fewer downloads than the list's last entry) and the target has
//! [`STRONG_MIN`] downloads a month, for exact scope confusion, separator, homoglyph,
//! transposition, and 1-edit imitations of 8+ characters that keep the first letter; 1 edit on
//! 6–7 characters, or a character added at either end, needs [`STRONG_AFFIX_MIN`] (a digit
//! added at the end is a fork's name, `typescript3`, never strong); affixes (only
//! [`SQUAT_AFFIXES`]) and 2-edit typos need [`STRONG_AFFIX_MIN`], and 2-edit typos keep the
//! first letter, add no separator the target lacks (`go-ios`/`gaxios` rewrites the name) and
//! bring in no letter the target lacks (`rceat` is a typo of `react`; `aiops` is not of `axios`);
//! under 9 characters they include a swap of adjacent letters (`rceat`, `degbu`, `mogobd`: two
//! substitutions in a short name, `aiaio`/`avvio`, make another word). Each rule was read off the false positives of the evaluation sets (tests/typosquat.rs). The guard
//! uses it when the package's age is unknown (offline): strong is the rule's level, the rest a
//! warning (see `guard`'s typosquat step).
//!
//! Edit-distance candidates come from a symmetric-deletion index over *prefixes*: every
//! popular name's first [`PREFIX`] characters with up to 2 deletions (targets that allow 2
//! edits) or 1, stored as 64-bit hashes. If the OSA distance of two names is at most k, each
//! edit costs at most one deletion on each side of the two prefixes, so some string is
//! reachable from both prefixes by at most k deletions: the index misses no match. A check
//! probes the query's own prefix variants (≤ 37 lookups) and verifies the few candidates with a
//! bounded OSA; a hash collision only adds a candidate, never a match.
//!
//! Measured figures are in tests/typosquat.rs and the README.

use crate::error::{Error, Result};
use once_cell::sync::Lazy;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;

const EMBEDDED: &[u8] = include_bytes!("../../assets/popular-npm.tsv.gz");

/// Targets that 2-edit typos are compared with: downloads a month.
pub const EDIT2_MIN: u64 = 1_000_000;
/// Targets that affix squats are compared with: downloads a month.
pub const AFFIX_MIN: u64 = 1_000_000;
/// A name on the list with this many downloads a month is established: never a squat.
pub const ESTABLISHED: u64 = 1_000_000;
/// A name on the list with at least 1/GAP of its target's downloads is established too.
pub const GAP: u64 = 1_000;
/// Target downloads a month for a strong finding (scope, separator, homoglyph, 1 edit).
pub const STRONG_MIN: u64 = 1_000_000;
/// Target downloads a month for a strong affix, 2-edit, or added-character finding.
pub const STRONG_AFFIX_MIN: u64 = 10_000_000;
/// Affixes: a popular name plus or minus one of these is an affix squat.
pub const SUFFIXES: &[&str] = &[
    ".js",
    "-js",
    "js",
    ".ts",
    "-ts",
    "-npm",
    "-node",
    "-nodejs",
    "-http",
    "-cli",
    "-api",
    "-lib",
    "-sdk",
    "-utils",
    "-util",
    "-core",
    "-dev",
    "-pkg",
    "-package",
    "-v2",
    "2",
    "-next",
    "-latest",
    "-official",
    "-pro",
    "-plus",
];
/// See [`SUFFIXES`].
pub const PREFIXES: &[&str] = &["node-", "nodejs-", "js-", "npm-", "get-", "the-"];
/// The affixes squats use and real packages rarely do: only these make a strong finding
/// (`-cli`, `-api`, `-dev`, `-utils`, `2`, `-pro`… are how real companions and forks are named).
pub const SQUAT_AFFIXES: &[&str] = &[
    ".js",
    "-js",
    "js",
    "-npm",
    "-node",
    "-nodejs",
    "-http",
    "-official",
    "-latest",
    "node-",
    "nodejs-",
    "js-",
    "npm-",
];

/// How the name imitates its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Scope,
    Separator,
    Homoglyph,
    Affix,
    Transposition,
    Edit,
}

/// A name that imitates a popular package.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub name: String,
    pub target: String,
    pub kind: Kind,
    /// Edits (edit, transposition; 0 for the other kinds).
    pub distance: usize,
    pub target_rank: usize,
    pub target_downloads: u64,
    /// The name's own downloads a month, when it is on the popular list.
    pub name_downloads: Option<u64>,
    /// The popularity gap alone makes the imitation likely (see the module doc).
    pub strong: bool,
    pub evidence: String,
}

/// Characters of a name's start that the deletion index covers.
pub const PREFIX: usize = 8;

/// The popular list with its indexes.
pub struct Detector {
    /// `(name, downloads a month)`, most downloaded first.
    names: Vec<(String, u64)>,
    chars: Vec<Vec<char>>,
    /// Name -> index in `names`.
    /// Hash of the name -> index (no per-name allocation: the index builds in a few passes).
    rank: HashIndex,
    /// Deletion variants of the first PREFIX characters -> popular indexes.
    heads: HashIndex,
    /// The same over the last PREFIX characters, for the targets that allow 2 edits (a filter
    /// on their many candidates).
    tails: HashIndex,
    /// Separator-free form -> popular indexes.
    squashed: HashIndex,
    /// Homoglyph-folded form -> popular indexes.
    folded: HashIndex,
    /// Specific unscoped parts of popular scoped names -> popular indexes.
    bare: HashIndex,
    /// 1-deletion variants of the first PREFIX characters of the specific bare parts of 8+
    /// characters -> popular indexes.
    bare_edits: HashIndex,
}

static EMBEDDED_DETECTOR: Lazy<Option<Detector>> = Lazy::new(|| {
    embedded_list()
        .ok()
        .and_then(|l| Detector::from_list(l).ok())
});

/// The built-in popular list, `(name, downloads a month)`, most downloaded first.
pub fn embedded_list() -> Result<Vec<(String, u64)>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(EMBEDDED)
        .take(64 << 20)
        .read_to_string(&mut text)
        .map_err(|e| Error::Internal(format!("the built-in popular-package list: {e}")))?;
    parse_list(&text)
}

/// Read the front-coded list `scripts/popular.js` writes: `#` header lines, then one line per
/// name in name order, `<bytes shared with the previous name> TAB <rest> TAB <downloads>`.
/// Returns the names most downloaded first (ties by name).
pub fn parse_list(text: &str) -> Result<Vec<(String, u64)>> {
    let bad = |n: usize, why: &str| Error::InvalidArg(format!("popular list line {n}: {why}"));
    let mut out: Vec<(String, u64)> = Vec::new();
    let mut prev = String::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut c = line.split('\t');
        let (Some(shared), Some(rest), Some(d), None) = (c.next(), c.next(), c.next(), c.next())
        else {
            return Err(bad(n + 1, "expected 3 columns"));
        };
        let shared: usize = shared
            .parse()
            .map_err(|_| bad(n + 1, "bad prefix length"))?;
        let d: u64 = d.parse().map_err(|_| bad(n + 1, "bad download count"))?;
        let Some(head) = prev.get(..shared) else {
            return Err(bad(n + 1, "prefix longer than the previous name"));
        };
        let name = format!("{head}{rest}");
        if name.is_empty() {
            return Err(bad(n + 1, "empty name"));
        }
        prev.clone_from(&name);
        out.push((name, d));
    }
    out.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

fn squash(s: &str) -> String {
    squash_chars(s).collect()
}

fn squash_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| !matches!(c, '-' | '_' | '.'))
}

fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let f = match c {
            '0' | 'о' | 'ο' | 'ө' => 'o',
            '1' | 'l' | 'I' | 'і' | 'ı' | '|' | 'ӏ' => 'l',
            'а' | 'α' => 'a',
            'е' | 'ε' => 'e',
            'р' | 'ρ' => 'p',
            'с' | 'ϲ' => 'c',
            'х' | 'χ' => 'x',
            'у' => 'y',
            'ѕ' => 's',
            'ј' => 'j',
            'ԁ' => 'd',
            'ɡ' => 'g',
            '5' => 's',
            '3' => 'e',
            '4' => 'a',
            c => c,
        };
        out.push(f);
    }
    if out.contains("rn") || out.contains("vv") || out.contains("cl") {
        out = out.replace("rn", "m").replace("vv", "w").replace("cl", "d");
    }
    out
}

/// Hash -> values, for keys that are already hashes: a table of bucket starts on the top bits,
/// then the entries of each bucket (low 32 bits of the key, value). A lookup reads two places
/// of memory, not the ~19 of a binary search over the whole array (which, at 5 MB, is cache
/// misses and was 85 % of the check time).
#[derive(Default)]
struct HashIndex {
    bits: u32,
    starts: Vec<u32>,
    /// `(low 32 bits of the key, value)`, grouped by bucket.
    entries: Vec<(u32, u32)>,
}

impl HashIndex {
    /// Values (with repeats) whose key is a deletion variant of `part` within `max` edits.
    fn hits(&self, part: &[char], max: usize) -> Vec<u32> {
        self.hits_where(part, max, |_| true)
    }

    /// `hits`, keeping the values found only through a 2-deletion probe when `far` holds for
    /// them (a target that allows 1 edit is always reached through the ≤ 1-deletion probes).
    fn hits_where(&self, part: &[char], max: usize, far: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut probes = Vec::new();
        variant_hashes(part, max, &mut probes);
        let mut out = Vec::new();
        for (n, h) in probes.into_iter().enumerate() {
            if n <= part.len() {
                self.get(h, &mut out);
            } else {
                let at = out.len();
                self.get(h, &mut out);
                let mut k = at;
                for x in at..out.len() {
                    if far(out[x]) {
                        out[k] = out[x];
                        k += 1;
                    }
                }
                out.truncate(k);
            }
        }
        out
    }

    /// Entries of one value must not repeat a key (callers dedup per name).
    fn new(entries: Vec<(u64, u32)>) -> Self {
        // About four entries per bucket: one cache line.
        let bits = (entries.len().max(4096).next_power_of_two().trailing_zeros() - 2).min(24);
        let bucket = |h: u64| (h >> (64 - bits)) as usize;
        // Counting sort by bucket: two passes, no comparison sort.
        let mut starts = vec![0u32; (1usize << bits) + 1];
        for (h, _) in &entries {
            starts[bucket(*h) + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut out = vec![(0u32, 0u32); entries.len()];
        for (h, id) in entries {
            let b = bucket(h);
            out[next[b] as usize] = (h as u32, id);
            next[b] += 1;
        }
        Self {
            bits,
            starts,
            entries: out,
        }
    }

    fn get(&self, h: u64, out: &mut Vec<u32>) {
        if self.starts.is_empty() {
            return;
        }
        let b = (h >> (64 - self.bits)) as usize;
        let (lo, hi) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        out.extend(
            self.entries[lo..hi]
                .iter()
                .filter(|e| e.0 == h as u32)
                .map(|e| e.1),
        );
    }
}

/// FNV-1a over the characters, one code point per step, with a final mix so that the top bits
/// (the bucket) depend on every character.
fn hash(chars: impl Iterator<Item = char>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        h ^= u64::from(c as u32);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Hashes of every string reachable from `s` by at most `k` (≤ 2) deletions, itself included.
fn variant_hashes(s: &[char], k: usize, out: &mut Vec<u64>) {
    let n = s.len();
    out.push(hash(s.iter().copied()));
    if k >= 1 {
        for i in 0..n {
            out.push(hash(
                s.iter()
                    .enumerate()
                    .filter(|(x, _)| *x != i)
                    .map(|(_, c)| *c),
            ));
        }
    }
    if k >= 2 {
        for i in 0..n {
            for j in i + 1..n {
                out.push(hash(
                    s.iter()
                        .enumerate()
                        .filter(|(x, _)| *x != i && *x != j)
                        .map(|(_, c)| *c),
                ));
            }
        }
    }
}

/// Optimal string alignment distance, bounded: returns `max + 1` as soon as it is exceeded.
pub fn osa(a: &str, b: &str, max: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    osa_chars(&a, &b, max)
}

fn osa_chars(a: &[char], b: &[char], max: usize) -> usize {
    distance_chars(a, b, max, true)
}

/// OSA (`swaps`) or Levenshtein distance, bounded: `max + 1` as soon as it is exceeded.
fn distance_chars(a: &[char], b: &[char], max: usize, swaps: bool) -> usize {
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let w = b.len() + 1;
    // Three rolling rows: i-2, i-1, i; on the stack for names (≤ 214 characters).
    let (mut s0, mut s1, mut s2) = ([0usize; 216], [0usize; 216], [0usize; 216]);
    let (mut h0, mut h1, mut h2);
    let (mut r0, mut r1, mut r2): (&mut [usize], &mut [usize], &mut [usize]) = if w <= 216 {
        (&mut s0[..w], &mut s1[..w], &mut s2[..w])
    } else {
        h0 = vec![0usize; w];
        h1 = vec![0usize; w];
        h2 = vec![0usize; w];
        (&mut h0[..], &mut h1[..], &mut h2[..])
    };
    for (j, x) in r1.iter_mut().enumerate() {
        *x = j;
    }
    for i in 1..=a.len() {
        r2[0] = i;
        let mut row_min = i;
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (r1[j] + 1).min(r2[j - 1] + 1).min(r1[j - 1] + cost);
            if swaps && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(r0[j - 2] + 1);
            }
            r2[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
        std::mem::swap(&mut r0, &mut r1);
        std::mem::swap(&mut r1, &mut r2);
    }
    r1[w - 1]
}

fn is_transposition(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() != b.len() {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    diff.len() == 2
        && diff[1] == diff[0] + 1
        && a[diff[0]] == b[diff[1]]
        && a[diff[1]] == b[diff[0]]
}

/// Two names that are the same but for one word of at most 4 characters, replaced by another
/// (`vite-plugin-ejs` / `vite-plugin-dts`, `esm-utils` / `wsl-utils`): two edits inside a short
/// word make a different word, not a typo.
fn other_short_word(a: &str, b: &str) -> bool {
    let split = |s: &str| -> Vec<Vec<char>> {
        s.split(['-', '_', '.', '/', '@'])
            .map(|t| t.chars().collect())
            .collect()
    };
    let (ta, tb) = (split(a), split(b));
    if ta.len() != tb.len() {
        return false;
    }
    let diff: Vec<usize> = (0..ta.len()).filter(|&i| ta[i] != tb[i]).collect();
    diff.len() == 1 && {
        let (x, y) = (&ta[diff[0]], &tb[diff[0]]);
        x.len().min(y.len()) <= 4 && osa_chars(x, y, 2) == 2
    }
}

/// `@scope` of a scoped name.
fn scope_of(name: &str) -> Option<&str> {
    name.starts_with('@')
        .then(|| name.split_once('/').map(|(s, _)| s))
        .flatten()
}

/// The part after the scope of a popular scoped name, when it is specific enough to claim
/// scope confusion: a separator or 10+ characters (`core-auth`, `instrumentation-ioredis`;
/// not `shared`, `core`, `utils`), and not a typings package (`@types/x` is named after `x`).
fn specific_bare(name: &str) -> Option<&str> {
    let (scope, bare) = name.strip_prefix('@')?.split_once('/')?;
    (scope != "types" && (has_separator(bare) || bare.chars().count() >= 10)).then_some(bare)
}

/// Every letter of `a` is a letter of `b`: the two edits of a short name only moved, dropped or
/// doubled letters (`rceat`, `mogobd`), brought in none (`aiops`/`axios` are two words).
fn same_letters(a: &str, b: &str) -> bool {
    let count = |s: &str| {
        let mut m: HashMap<char, usize> = HashMap::new();
        for c in s.chars() {
            *m.entry(c).or_default() += 1;
        }
        m
    };
    let (x, y) = (count(a), count(b));
    let within =
        |p: &HashMap<char, usize>, q: &HashMap<char, usize>| p.keys().all(|c| q.contains_key(c));
    within(&x, &y)
}

/// Is `a` a subsequence of `b`?
fn is_subsequence(a: &str, b: &str) -> bool {
    let mut b = b.chars();
    a.chars().all(|c| b.any(|x| x == c))
}

/// The separators of a name, in order: two edits that keep or drop them are a typo of the same
/// words; two that add one (`go-ios`/`gaxios`) rewrite the name.
fn separators(s: &str) -> String {
    s.chars()
        .filter(|c| matches!(c, '-' | '_' | '.' | '/'))
        .collect()
}

fn has_separator(s: &str) -> bool {
    s.contains(['-', '_', '.'])
}

/// Edits allowed between a query of `q_len` characters and a target: none for 4 characters or
/// fewer, 2 against a target of 5+ characters with [`EDIT2_MIN`] downloads, else 1.
#[doc(hidden)]
pub fn allowed(q_len: usize, t_len: usize, t_downloads: u64) -> usize {
    if q_len <= 4 {
        0
    } else if t_downloads >= EDIT2_MIN && t_len >= 5 {
        2
    } else {
        1
    }
}

/// Two edits keep the first letter, or swap the first two: typos rarely change the first
/// letter, and a 2-edit match that does is mostly another word (`key-lister`/`hey-listen`).
fn first_kept(q: &[char], t: &[char]) -> bool {
    // Of a scoped name, the scope's first letter.
    let skip = |s: &[char]| -> usize { usize::from(s.first() == Some(&'@')) };
    let (q, t) = (&q[skip(q)..], &t[skip(t)..]);
    match (q, t) {
        ([a, ..], [b, ..]) if a == b => true,
        ([a, b, ..], [c, d, ..]) => a == d && b == c,
        _ => false,
    }
}

impl Detector {
    /// The detector over the built-in popular list.
    pub fn embedded() -> Result<&'static Detector> {
        EMBEDDED_DETECTOR.as_ref().ok_or_else(|| {
            Error::Internal("the built-in popular-package list is unreadable".into())
        })
    }

    /// Build from `name<TAB>downloads` lines (a header line is skipped).
    pub fn from_tsv(text: &str) -> Result<Detector> {
        let mut names = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let mut cols = line.split('\t');
            let (Some(n), d) = (cols.next(), cols.next()) else {
                continue;
            };
            let n = n.trim();
            if n.is_empty() || (i == 0 && n == "name") {
                continue;
            }
            let d = d.and_then(|d| d.trim().parse::<u64>().ok()).unwrap_or(0);
            names.push((n.to_string(), d));
        }
        Self::from_list(names)
    }

    /// Build from `(name, downloads a month)` pairs, in any order.
    pub fn from_list(mut names: Vec<(String, u64)>) -> Result<Detector> {
        if names.is_empty() || names.len() > u32::MAX as usize {
            return Err(Error::InvalidArg("popular-package list is empty".into()));
        }
        names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut det = Detector {
            rank: HashIndex::default(),
            chars: names.iter().map(|(n, _)| n.chars().collect()).collect(),
            heads: HashIndex::default(),
            tails: HashIndex::default(),
            squashed: HashIndex::default(),
            folded: HashIndex::default(),
            bare: HashIndex::default(),
            bare_edits: HashIndex::default(),
            names,
        };
        let mut hashes = Vec::new();
        let n = det.names.len();
        let (mut rank, mut squashed, mut folded, mut bare_names) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::new(),
        );
        let (mut heads, mut tails, mut bare_edits) = (
            Vec::with_capacity(n * 14),
            Vec::with_capacity(n * 6),
            Vec::with_capacity(n * 2),
        );
        for (i, (n, d)) in det.names.iter().enumerate() {
            let idx = i as u32;
            rank.push((hash(n.chars()), idx));
            let chars = &det.chars[i];
            let k = if *d >= EDIT2_MIN && chars.len() >= 5 {
                2
            } else {
                1
            };
            for (two, part) in [
                (false, &chars[..chars.len().min(PREFIX)]),
                (true, &chars[chars.len().saturating_sub(PREFIX)..]),
            ] {
                // The tails only filter the many candidates of 2-edit targets.
                if two && k == 1 {
                    continue;
                }
                let side = if two { &mut tails } else { &mut heads };
                hashes.clear();
                variant_hashes(part, k, &mut hashes);
                hashes.sort_unstable();
                hashes.dedup();
                side.extend(hashes.iter().map(|h| (*h, idx)));
            }
            squashed.push((hash(squash_chars(n)), idx));
            folded.push((hash(fold(n).chars()), idx));
            if let Some(bare) = specific_bare(n) {
                bare_names.push((hash(bare.chars()), idx));
                let b: Vec<char> = bare.chars().take(PREFIX + 1).collect();
                if b.len() >= 8 && has_separator(bare) {
                    hashes.clear();
                    variant_hashes(&b[..b.len().min(PREFIX)], 1, &mut hashes);
                    hashes.sort_unstable();
                    hashes.dedup();
                    bare_edits.extend(hashes.iter().map(|h| (*h, idx)));
                }
            }
        }
        det.heads = HashIndex::new(heads);
        det.tails = HashIndex::new(tails);
        det.bare_edits = HashIndex::new(bare_edits);
        det.rank = HashIndex::new(rank);
        det.squashed = HashIndex::new(squashed);
        det.folded = HashIndex::new(folded);
        det.bare = HashIndex::new(bare_names);
        Ok(det)
    }

    /// Does this target allow 2 edits (and so have tails in the index)?
    fn two_edits(&self, i: u32) -> bool {
        self.names[i as usize].1 >= EDIT2_MIN && self.chars[i as usize].len() >= 5
    }

    /// Index of a name on the list.
    fn index_of(&self, name: &str) -> Option<u32> {
        let mut out = Vec::new();
        self.rank.get(hash(name.chars()), &mut out);
        out.into_iter().find(|i| self.names[*i as usize].0 == name)
    }

    /// Indexes whose `key(name)` hashes as `h` and equals `want` (most popular first).
    fn matching(
        &self,
        ix: &HashIndex,
        want: &str,
        key: impl Fn(&str) -> Option<String>,
    ) -> Vec<u32> {
        let mut out = Vec::new();
        ix.get(hash(want.chars()), &mut out);
        out.retain(|i| key(&self.names[*i as usize].0).as_deref() == Some(want));
        out.sort_unstable();
        out
    }

    pub fn is_popular(&self, name: &str) -> bool {
        self.index_of(name).is_some()
    }

    /// Downloads a month of a name on the list.
    pub fn downloads(&self, name: &str) -> Option<u64> {
        self.index_of(name).map(|i| self.names[i as usize].1)
    }

    /// The list, most downloaded first.
    pub fn names(&self) -> &[(String, u64)] {
        &self.names
    }

    /// Entries in the deletion indexes (for measurements).
    pub fn index_entries(&self) -> usize {
        self.heads.entries.len() + self.tails.entries.len() + self.bare_edits.entries.len()
    }

    /// Bytes the deletion indexes take (for measurements).
    pub fn index_bytes(&self) -> usize {
        [
            &self.heads,
            &self.tails,
            &self.bare_edits,
            &self.rank,
            &self.squashed,
            &self.folded,
            &self.bare,
        ]
        .iter()
        .map(|x| x.starts.len() * 4 + x.entries.len() * 8)
        .sum()
    }

    fn finding(
        &self,
        name: &str,
        idx: u32,
        kind: Kind,
        distance: usize,
        own: Option<u64>,
    ) -> Finding {
        let (target, downloads) = &self.names[idx as usize];
        let rank = idx as usize + 1;
        let (qc, tc): (Vec<char>, &[char]) = (name.chars().collect(), &self.chars[idx as usize]);
        let q_len = qc.len();
        let strong = own.is_none()
            && match kind {
                Kind::Affix => {
                    *downloads >= STRONG_AFFIX_MIN
                        && SQUAT_AFFIXES.iter().any(|a| {
                            name.strip_suffix(a).or_else(|| name.strip_prefix(a)) == Some(target)
                                || target.strip_suffix(a).or_else(|| target.strip_prefix(a))
                                    == Some(name)
                        })
                }
                Kind::Edit if distance >= 2 => {
                    *downloads >= STRONG_AFFIX_MIN
                        && first_kept(&qc, tc)
                        && is_subsequence(&separators(name), &separators(target))
                        && same_letters(name, target)
                        && (q_len >= 9 || distance_chars(&qc, tc, 2, false) > 2)
                }
                // A digit added at the end is a fork's or a major version's name
                // (`typescript3`, `slash2`), not a slip of the finger.
                // A character added at either end (`keychains`, `agentsx`) is as often a real
                // variant's name: it needs the larger gap.
                Kind::Edit => {
                    let added = name.len() == target.len() + 1
                        && (name.starts_with(target.as_str()) || name.ends_with(target.as_str()));
                    q_len >= 6
                        && (first_kept(&qc, tc) || added)
                        && !(added && name.ends_with(|c: char| c.is_ascii_digit()))
                        && *downloads
                            >= if added || q_len < 8 {
                                STRONG_AFFIX_MIN
                            } else {
                                STRONG_MIN
                            }
                }
                // 1 edit from a scoped package's unscoped name is as often a neighbour.
                Kind::Scope => distance == 0 && *downloads >= STRONG_MIN,
                _ => *downloads >= STRONG_MIN,
            };
        let why = match (kind, distance) {
            (Kind::Scope, _) if name.starts_with('@') => {
                "puts under a look-alike scope the name of".to_string()
            }
            (Kind::Scope, 0) => "is the unscoped name of".to_string(),
            (Kind::Scope, _) => "is 1 edit from the unscoped name of".to_string(),
            (Kind::Separator, _) => "differs only in separators from".to_string(),
            (Kind::Homoglyph, _) => "looks like".to_string(),
            (Kind::Affix, _) => "adds or drops a common prefix or suffix of".to_string(),
            (Kind::Transposition, _) => "swaps two adjacent letters of".to_string(),
            (_, 1) => "is 1 edit from".to_string(),
            (_, n) => format!("is {n} edits from"),
        };
        let floor = self.names.last().map_or(0, |x| x.1);
        let mine = match own {
            Some(d) => format!("{name} has {d} downloads a month"),
            None => format!(
                "{name} is not among the {} most downloaded (under {floor} downloads a month)",
                self.names.len()
            ),
        };
        Finding {
            name: name.to_string(),
            target: target.clone(),
            kind,
            distance,
            target_rank: rank,
            target_downloads: *downloads,
            name_downloads: own,
            strong,
            evidence: format!(
                "{name} {why} {target} (#{rank} by downloads, {downloads} a month); {mine}"
            ),
        }
    }

    /// Is `name` a likely typosquat of a popular package?
    pub fn check(&self, name: &str) -> Option<Finding> {
        self.check_inner(name, None)
    }

    /// `check` for a popular name against the rest of the list (leave-one-out): how often a
    /// real popular package would be called a typosquat of another one.
    pub fn check_against_others(&self, name: &str) -> Option<Finding> {
        let skip = self.index_of(name);
        self.check_inner(name, skip)
    }

    /// `(distance, index)` of the candidates within their allowed distance (≥ 1).
    fn within(&self, q: &[char], heads: Vec<u32>, tails: Option<&[u32]>) -> Vec<(usize, u32)> {
        let mut heads = heads;
        heads.sort_unstable();
        heads.dedup();
        let mut out = Vec::new();
        for i in heads {
            if tails.is_some_and(|t| self.two_edits(i) && t.binary_search(&i).is_err()) {
                continue;
            }
            let target = &self.chars[i as usize];
            let lim = allowed(q.len(), target.len(), self.names[i as usize].1);
            let d = osa_chars(q, target, lim);
            if d >= 1 && d <= lim {
                out.push((d, i));
            }
        }
        out
    }

    /// Every popular name within the allowed edit distance of `name`, as the index finds them
    /// before any rule declines one (for tests: the index must miss nothing a scan finds).
    #[doc(hidden)]
    pub fn edit_matches(&self, name: &str) -> Vec<(String, usize)> {
        let q: Vec<char> = name.chars().collect();
        if q.len() <= 4 {
            return Vec::new();
        }
        let heads = self
            .heads
            .hits_where(&q[..q.len().min(PREFIX)], 2, |i| self.two_edits(i));
        let mut tails = self.tails.hits(&q[q.len().saturating_sub(PREFIX)..], 2);
        tails.sort_unstable();
        tails.dedup();
        let mut v: Vec<(String, usize)> = self
            .within(&q, heads, Some(&tails))
            .into_iter()
            .map(|(d, i)| (self.names[i as usize].0.clone(), d))
            .collect();
        v.sort();
        v
    }

    fn check_inner(&self, name: &str, skip: Option<u32>) -> Option<Finding> {
        if name.is_empty() || name.len() > 214 {
            return None;
        }
        // The name's own popularity: an established package is nobody's squat.
        let own = match skip {
            Some(i) => Some(self.names[i as usize].1),
            None => self.downloads(name),
        };
        if own.is_some_and(|d| d >= ESTABLISHED) {
            return None;
        }
        // A popular name in the query's own scope is not imitated: only the scope's owner
        // publishes there. A target with no more than GAP times the name's downloads is a
        // neighbour, not a victim.
        let scope = scope_of(name);
        let other = |i: u32| {
            let (t, d) = &self.names[i as usize];
            Some(i) != skip
                && t != name
                && (scope.is_none() || scope_of(t) != scope)
                && own.is_none_or(|o| o.saturating_mul(GAP) < *d)
        };
        let first = |l: &[u32]| -> Option<u32> { l.iter().copied().find(|i| other(*i)) };
        let found = |i: u32, kind: Kind, d: usize| Some(self.finding(name, i, kind, d, own));
        let qchars: Vec<char> = name.chars().collect();
        // 1. Scope confusion.
        if let Some((scope, bare)) = name.strip_prefix('@').and_then(|s| s.split_once('/')) {
            if let Some(i) = self.index_of(bare) {
                if !self.names[i as usize].0.starts_with('@')
                    && osa(scope, bare, 1) <= 1
                    && other(i)
                {
                    return found(i, Kind::Scope, 0);
                }
            }
        } else {
            let bares = self.matching(&self.bare, name, |t| specific_bare(t).map(str::to_string));
            if let Some(i) = first(&bares) {
                return found(i, Kind::Scope, 0);
            }
            if qchars.len() >= 8 && has_separator(name) {
                let best = self
                    .bare_edits
                    .hits(&qchars[..qchars.len().min(PREFIX)], 1)
                    .into_iter()
                    .filter(|i| {
                        other(*i)
                            && specific_bare(&self.names[*i as usize].0)
                                .is_some_and(|b| osa(name, b, 1) == 1)
                    })
                    .min();
                if let Some(i) = best {
                    return found(i, Kind::Scope, 1);
                }
            }
        }
        if qchars.len() <= 4 {
            return None;
        }
        // 2. Separators.
        if let Some(i) = first(&self.matching(&self.squashed, &squash(name), |t| Some(squash(t)))) {
            return found(i, Kind::Separator, 0);
        }
        // 3. Homoglyphs.
        if let Some(i) = first(&self.matching(&self.folded, &fold(name), |t| Some(fold(t)))) {
            return found(i, Kind::Homoglyph, 0);
        }
        // 4. Affixes.
        let mut best: Option<u32> = None;
        let mut affix = |t: &str| {
            if let Some(i) = self.index_of(t) {
                if self.names[i as usize].1 >= AFFIX_MIN
                    && t.chars().count() >= 4
                    && other(i)
                    && best.is_none_or(|b| i < b)
                {
                    best = Some(i);
                }
            }
        };
        for s in SUFFIXES {
            if let Some(t) = name.strip_suffix(s) {
                affix(t);
            }
            affix(&format!("{name}{s}"));
        }
        for p in PREFIXES {
            if let Some(t) = name.strip_prefix(p) {
                affix(t);
            }
            affix(&format!("{p}{name}"));
        }
        if let Some(i) = best {
            return found(i, Kind::Affix, 0);
        }
        // 5. Edit distance. Candidates: popular names sharing a deletion variant of the first
        // PREFIX characters and one of the last PREFIX characters (both hold for any match).
        let heads = self
            .heads
            .hits_where(&qchars[..qchars.len().min(PREFIX)], 2, |i| {
                self.two_edits(i)
            });
        if heads.is_empty() {
            return None;
        }
        // Few candidates are cheaper to verify than to filter.
        let tails = (heads.len() > 16).then(|| {
            let mut t = self
                .tails
                .hits(&qchars[qchars.len().saturating_sub(PREFIX)..], 2);
            t.sort_unstable();
            t.dedup();
            t
        });
        let mut best: Option<(usize, u32)> = None; // (distance, idx): most popular wins ties
        for (d, i) in self.within(&qchars, heads, tails.as_deref()) {
            if !other(i) || best.is_some_and(|b| (d, i) >= b) {
                continue;
            }
            let target = &self.names[i as usize].0;
            // Two edits must keep the first letter, and not turn one short word into another.
            if d == 2
                && (!first_kept(&qchars, &self.chars[i as usize]) || other_short_word(name, target))
            {
                continue;
            }
            best = Some((d, i));
        }
        let (d, i) = best?;
        let kind = if is_transposition(name, &self.names[i as usize].0) {
            Kind::Transposition
        } else {
            Kind::Edit
        };
        found(i, kind, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let d = Detector::embedded().unwrap();
        assert!(d.check("jquery").is_none());
        let f = d.check("jqeury").unwrap();
        assert_eq!((f.target.as_str(), f.kind), ("jquery", Kind::Transposition));
        assert!(f.strong && f.name_downloads.is_none());
        assert_eq!(d.check("reactdom").unwrap().kind, Kind::Separator);
        assert_eq!(d.check("l0dash").unwrap().target, "lodash");
        assert_eq!(d.check("lodahs").unwrap().target, "lodash");
        assert!(d.check("abc").is_none());
        assert_eq!(osa("ab", "ba", 2), 1);
        assert_eq!(osa("kitten", "sitting", 5), 3);
        assert_eq!(osa("kitten", "sitting", 1), 2);
        // Distance 2 on long names, wherever the edits are.
        let f = d.check("seacpe-string-regexp").unwrap();
        assert_eq!((f.target.as_str(), f.distance), ("escape-string-regexp", 2));
        // Scope confusion, both ways; affixes.
        let f = d.check("core-rest-pipeline").unwrap();
        assert_eq!(
            (f.target.as_str(), f.kind),
            ("@azure/core-rest-pipeline", Kind::Scope)
        );
        assert_eq!(d.check("@lodash/lodash").unwrap().kind, Kind::Scope);
        let f = d.check("axios-http").unwrap();
        assert_eq!((f.target.as_str(), f.kind), ("axios", Kind::Affix));
        assert_eq!(d.check("cross-env.js").unwrap().target, "cross-env");
        // A short word replaced by another is another name; the same scope is the owner's.
        assert!(d.check("vite-plugin-ejs").is_none());
        assert!(d.check("@types/pica").is_none());
        // Short names are not folded (`h3` and `he` are both real).
        assert!(d.check("h3ll").is_none());
        // Established: both on the list with comparable downloads.
        assert!(d.check_against_others("react-dom").is_none());
    }

    #[test]
    fn list_format() {
        let l = parse_list("# header\n0\tabc\t5\n2\td\t7\n0\tb\t1\n").unwrap();
        assert_eq!(
            l,
            vec![("abd".into(), 7), ("abc".into(), 5), ("b".into(), 1)]
        );
        assert!(parse_list("4\tx\t1\n").is_err());
        assert!(parse_list("0\tx\n").is_err());
        assert!(parse_list("0\tx\tmany\n").is_err());
        let l = embedded_list().unwrap();
        assert_eq!(l.len(), 100_000);
        assert!(l.iter().any(|(n, _)| n.starts_with('@')));
    }
}
