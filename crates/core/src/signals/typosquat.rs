//! Typosquatting: a name that imitates a popular package.
//!
//! The reference is the top-10,000 npm packages by monthly downloads (`assets/popular-npm.tsv`,
//! built into the binary). A popular name is never a typosquat. A name is flagged when, and
//! only when, it is not popular and:
//! 1. **scope confusion**: it is the unscoped part of a popular scoped platform-style package
//!    (`aix-ppc64` vs `@esbuild/aix-ppc64`: a bare name with a `-` and a digit; plain words and
//!    `@types/*` are excluded), or a popular unscoped name under a scope made of that name
//!    (`@lodash/lodash`);
//! 2. **separator confusion**: it equals a popular name once `-`, `_`, `.` are removed
//!    (`reactdom` vs `react-dom`);
//! 3. **homoglyphs**: it equals a popular name once look-alike characters are folded (`0`→`o`,
//!    `1`→`l`, `rn`→`m`, Cyrillic/Greek look-alikes…);
//! 4. **edit distance** (Damerau, optimal string alignment) with a length-aware threshold:
//!    names of 4 characters or fewer are not compared (too many real packages are one edit from
//!    a short popular name), 5–8 characters allow 1 edit, 9 or more allow 2 — against a popular
//!    name of 9 or more characters (a shorter target allows 1).
//!
//! Steps 2 and 3 obey the same short-name rule: a name of 4 characters or fewer is compared
//! only by scope confusion (measured: the separator and homoglyph folds of short names collide
//! with other real short names, see tests/typosquat.rs).
//!
//! Edit-distance candidates come from a symmetric-deletion index over *prefixes*: every
//! popular name's first [`PREFIX`] characters with up to 2 deletions (up to 1 for names that
//! only allow 1 edit), stored as 64-bit hashes in one sorted array. If the OSA distance of two
//! names is at most k, each edit (substitution, insertion, deletion, adjacent transposition)
//! costs at most one deletion on each side of the two prefixes, so some string is reachable
//! from both prefixes by at most k deletions: the index misses no match. A check probes the
//! query's own prefix variants (≤ 37 binary searches) and verifies the few candidates with a
//! bounded OSA; a hash collision only adds a candidate, never a match.
//!
//! Two more rules keep false positives down, both measured (leave-one-out on the popular list
//! and real lockfile names, tests/typosquat.rs): a popular name in the query's own scope is not
//! a target (only the scope's owner publishes there: `@types/pica` is not a typosquat of
//! `@types/pino`), and a two-edit match that only swaps one word of 4 characters or fewer for
//! another (`vite-plugin-ejs` / `vite-plugin-dts`) is a different name, not a typo.
//!
//! The guard grades matches by the package's age (first publish time from its packument):
//! see `guard`'s typosquat step.
//!
//! Measured figures are in tests/typosquat.rs and the README.

use crate::error::{Error, Result};
use once_cell::sync::Lazy;
use serde::Serialize;
use std::collections::HashMap;

const EMBEDDED: &str = include_str!("../../assets/popular-npm.tsv");

/// How the name imitates its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Scope,
    Separator,
    Homoglyph,
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
    pub distance: usize,
    pub target_rank: usize,
    pub target_downloads: u64,
    pub evidence: String,
}

/// Characters of a name's start that the deletion index covers.
pub const PREFIX: usize = 8;

/// The popular list with its indexes.
pub struct Detector {
    names: Vec<(String, u64)>,
    chars: Vec<Vec<char>>,
    rank: HashMap<String, usize>,
    /// Deletion variants of the first PREFIX characters -> popular indexes.
    heads: HashIndex,
    /// The same over the last PREFIX characters.
    tails: HashIndex,
    /// Separator-free form -> popular indexes.
    squashed: HashMap<String, Vec<u32>>,
    /// Homoglyph-folded form -> popular indexes.
    folded: HashMap<String, Vec<u32>>,
    /// Unscoped part of popular scoped names -> popular indexes.
    bare: HashMap<String, Vec<u32>>,
}

static EMBEDDED_DETECTOR: Lazy<Option<Detector>> = Lazy::new(|| Detector::from_tsv(EMBEDDED).ok());

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .collect()
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
    out.replace("rn", "m").replace("vv", "w").replace("cl", "d")
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
        let mut probes = Vec::new();
        variant_hashes(part, max, &mut probes);
        let mut out = Vec::new();
        for h in probes {
            self.get(h, &mut out);
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
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let w = b.len() + 1;
    // Three rolling rows: i-2, i-1, i.
    let mut r0 = vec![0usize; w];
    let mut r1: Vec<usize> = (0..w).collect();
    let mut r2 = vec![0usize; w];
    for i in 1..=a.len() {
        r2[0] = i;
        let mut row_min = i;
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (r1[j] + 1).min(r2[j - 1] + 1).min(r1[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
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

/// Edits allowed for a name of this length.
fn threshold(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Edits allowed between a query and a popular target: the query's threshold, capped by the
/// target's (at least 1: a 5-character name one edit from a 4-character popular name counts).
fn allowed(query_len: usize, target_len: usize) -> usize {
    threshold(query_len).min(threshold(target_len).max(1))
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
        if names.is_empty() || names.len() > u32::MAX as usize {
            return Err(Error::InvalidArg("popular-package list is empty".into()));
        }
        let mut det = Detector {
            rank: HashMap::with_capacity(names.len()),
            chars: names.iter().map(|(n, _)| n.chars().collect()).collect(),
            heads: HashIndex::default(),
            tails: HashIndex::default(),
            squashed: HashMap::new(),
            folded: HashMap::new(),
            bare: HashMap::new(),
            names,
        };
        let mut hashes = Vec::new();
        let (mut heads, mut tails) = (Vec::new(), Vec::new());
        for (i, (n, _)) in det.names.iter().enumerate() {
            let idx = i as u32;
            det.rank.entry(n.clone()).or_insert(i + 1);
            let chars = &det.chars[i];
            let k = threshold(chars.len()).max(1);
            for (side, part) in [
                (&mut heads, &chars[..chars.len().min(PREFIX)]),
                (&mut tails, &chars[chars.len().saturating_sub(PREFIX)..]),
            ] {
                hashes.clear();
                variant_hashes(part, k, &mut hashes);
                hashes.sort_unstable();
                hashes.dedup();
                side.extend(hashes.iter().map(|h| (*h, idx)));
            }
            det.squashed.entry(squash(n)).or_default().push(idx);
            det.folded.entry(fold(n)).or_default().push(idx);
            // Scope confusion is only claimed for specific bare names (platform packages like
            // `@esbuild/aix-ppc64`): a plain word (`shared`, `client`) or a typings package
            // (`@types/x` is named after the real `x`) is too often a real package.
            if let Some((scope, bare)) = n.strip_prefix('@').and_then(|s| s.split_once('/')) {
                if scope != "types"
                    && bare.contains('-')
                    && bare.chars().any(|c| c.is_ascii_digit())
                {
                    det.bare.entry(bare.to_string()).or_default().push(idx);
                }
            }
        }
        det.heads = HashIndex::new(heads);
        det.tails = HashIndex::new(tails);
        Ok(det)
    }

    pub fn is_popular(&self, name: &str) -> bool {
        self.rank.contains_key(name)
    }

    /// Entries in the deletion index (for measurements).
    pub fn index_entries(&self) -> usize {
        self.heads.entries.len() + self.tails.entries.len()
    }

    /// Bytes the deletion index takes (for measurements).
    pub fn index_bytes(&self) -> usize {
        [&self.heads, &self.tails]
            .iter()
            .map(|x| x.starts.len() * 4 + x.entries.len() * 8)
            .sum()
    }

    fn finding(&self, name: &str, idx: u32, kind: Kind, distance: usize, why: &str) -> Finding {
        let (target, downloads) = &self.names[idx as usize];
        let rank = idx as usize + 1;
        Finding {
            name: name.to_string(),
            target: target.clone(),
            kind,
            distance,
            target_rank: rank,
            target_downloads: *downloads,
            evidence: format!(
                "{name} {why} {target} (#{rank} on the popular list, {downloads} downloads a month)"
            ),
        }
    }

    /// Is `name` a likely typosquat of a popular package?
    pub fn check(&self, name: &str) -> Option<Finding> {
        if self.is_popular(name) {
            return None;
        }
        self.check_inner(name, None)
    }

    /// `check` for a popular name against the rest of the list (leave-one-out): how often a
    /// real popular package would be called a typosquat of another one.
    pub fn check_against_others(&self, name: &str) -> Option<Finding> {
        let skip = self.rank.get(name).map(|r| (r - 1) as u32);
        self.check_inner(name, skip)
    }

    /// `(distance, index)` of the candidates within their allowed distance (≥ 1).
    fn within(&self, q: &[char], heads: Vec<u32>, tails: Option<&[u32]>) -> Vec<(usize, u32)> {
        let mut seen: Vec<u32> = Vec::new();
        let mut out = Vec::new();
        for i in heads {
            if tails.is_some_and(|t| t.binary_search(&i).is_err()) || seen.contains(&i) {
                continue;
            }
            seen.push(i);
            let target = &self.chars[i as usize];
            let lim = allowed(q.len(), target.len());
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
        let max = threshold(q.len());
        if max == 0 {
            return Vec::new();
        }
        let heads = self.heads.hits(&q[..q.len().min(PREFIX)], max);
        let mut tails = self.tails.hits(&q[q.len().saturating_sub(PREFIX)..], max);
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
        // A popular name in the query's own scope is not imitated: only the scope's owner
        // publishes there.
        let scope = scope_of(name);
        let other = |i: u32| {
            Some(i) != skip && (scope.is_none() || scope_of(&self.names[i as usize].0) != scope)
        };
        let first = |l: Option<&Vec<u32>>| -> Option<u32> {
            l?.iter()
                .copied()
                .find(|i| other(*i) && self.names[*i as usize].0 != name)
        };
        let qchars: Vec<char> = name.chars().collect();
        let short = qchars.len() <= 4;
        // 1. Scope confusion.
        if !name.starts_with('@') {
            if let Some(i) = first(self.bare.get(name)) {
                return Some(self.finding(name, i, Kind::Scope, 0, "is the unscoped name of"));
            }
        } else if let Some((scope, bare)) = name[1..].split_once('/') {
            if scope == bare {
                if let Some(r) = self.rank.get(bare) {
                    let i = u32::try_from(r.saturating_sub(1)).unwrap_or(0);
                    if Some(i) != skip {
                        return Some(self.finding(
                            name,
                            i,
                            Kind::Scope,
                            0,
                            "puts under a look-alike scope",
                        ));
                    }
                }
            }
        }
        if short {
            return None;
        }
        // 2. Separators.
        if let Some(i) = first(self.squashed.get(&squash(name))) {
            return Some(self.finding(
                name,
                i,
                Kind::Separator,
                0,
                "differs only in separators from",
            ));
        }
        // 3. Homoglyphs.
        if let Some(i) = first(self.folded.get(&fold(name))) {
            return Some(self.finding(name, i, Kind::Homoglyph, 0, "looks like"));
        }
        // 4. Edit distance.
        let max = threshold(qchars.len());
        if max == 0 {
            return None;
        }
        // Candidates: popular names sharing a deletion variant of the first PREFIX characters
        // and one of the last PREFIX characters (both hold for any match).
        let heads = self.heads.hits(&qchars[..qchars.len().min(PREFIX)], max);
        if heads.is_empty() {
            return None;
        }
        // Few candidates are cheaper to verify than to filter.
        let tails = (heads.len() > 16).then(|| {
            let mut t = self
                .tails
                .hits(&qchars[qchars.len().saturating_sub(PREFIX)..], max);
            t.sort_unstable();
            t.dedup();
            t
        });
        let mut best: Option<(usize, u32)> = None; // (distance, idx): most popular wins ties
        for (d, i) in self.within(&qchars, heads, tails.as_deref()) {
            if !other(i) || best.is_some_and(|b| (d, i) >= b) {
                continue;
            }
            // Two edits that turn one short word into another make a different name.
            if d == 2 && other_short_word(name, &self.names[i as usize].0) {
                continue;
            }
            best = Some((d, i));
        }
        let (d, i) = best?;
        let target = &self.names[i as usize].0;
        let kind = if is_transposition(name, target) {
            Kind::Transposition
        } else {
            Kind::Edit
        };
        let why = match (kind, d) {
            (Kind::Transposition, _) => "swaps two adjacent letters of".to_string(),
            (_, 1) => "is 1 edit from".to_string(),
            (_, n) => format!("is {n} edits from"),
        };
        Some(self.finding(name, i, kind, d, &why))
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
        assert_eq!(d.check("aix-ppc64").unwrap().target, "@esbuild/aix-ppc64");
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
        assert_eq!(d.check("eslint-js").unwrap().target, "@eslint/js");
        // A short word replaced by another is another name; the same scope is the owner's.
        assert!(d.check("vite-plugin-ejs").is_none());
        assert!(d.check("@types/pica").is_none());
        // Short names are not folded (`h3` and `he` are both real).
        assert!(d.check("h3ll").is_none());
    }
}
