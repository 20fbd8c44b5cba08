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
//!    a short popular name), 5–8 characters allow 1 edit, 9 or more allow 2. Candidates come
//!    from a symmetric one-deletion index, so a check costs a few hash lookups, not 10,000
//!    comparisons.
//!
//! Measured figures are in tests/typosquat.rs and the README.

use crate::error::{Error, Result};
use once_cell::sync::Lazy;
use serde::Serialize;
use std::collections::HashMap;

const EMBEDDED: &str = include_str!("../assets/popular-npm.tsv");

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

/// The popular list with its indexes.
pub struct Detector {
    names: Vec<(String, u64)>,
    rank: HashMap<String, usize>,
    /// One-deletion neighbourhood (and the name itself) -> popular indexes.
    deletes: HashMap<String, Vec<u32>>,
    /// Separator-free form -> popular index.
    squashed: HashMap<String, u32>,
    /// Homoglyph-folded form -> popular index.
    folded: HashMap<String, u32>,
    /// Unscoped part of popular scoped names -> popular index.
    bare: HashMap<String, u32>,
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

fn deletes(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    (0..chars.len())
        .map(|i| {
            chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| c)
                .collect()
        })
        .collect()
}

/// Optimal string alignment distance, bounded: returns `max + 1` as soon as it is exceeded.
pub fn osa(a: &str, b: &str, max: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let mut row_min = usize::MAX;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
    }
    d[a.len() * w + b.len()]
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

/// Edits allowed for a name of this length.
fn threshold(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
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
        if names.is_empty() || names.len() > u32::MAX as usize {
            return Err(Error::InvalidArg("popular-package list is empty".into()));
        }
        let mut det = Detector {
            rank: HashMap::with_capacity(names.len()),
            deletes: HashMap::new(),
            squashed: HashMap::new(),
            folded: HashMap::new(),
            bare: HashMap::new(),
            names,
        };
        for (i, (n, _)) in det.names.iter().enumerate() {
            let idx = i as u32;
            det.rank.entry(n.clone()).or_insert(i + 1);
            det.deletes.entry(n.clone()).or_default().push(idx);
            for d in deletes(n) {
                det.deletes.entry(d).or_default().push(idx);
            }
            det.squashed.entry(squash(n)).or_insert(idx);
            det.folded.entry(fold(n)).or_insert(idx);
            // Scope confusion is only claimed for specific bare names (platform packages like
            // `@esbuild/aix-ppc64`): a plain word (`shared`, `client`) or a typings package
            // (`@types/x` is named after the real `x`) is too often a real package.
            if let Some((scope, bare)) = n.strip_prefix('@').and_then(|s| s.split_once('/')) {
                if scope != "types"
                    && bare.contains('-')
                    && bare.chars().any(|c| c.is_ascii_digit())
                {
                    det.bare.entry(bare.to_string()).or_insert(idx);
                }
            }
        }
        Ok(det)
    }

    pub fn is_popular(&self, name: &str) -> bool {
        self.rank.contains_key(name)
    }

    fn finding(&self, name: &str, idx: u32, kind: Kind, distance: usize, why: &str) -> Finding {
        let (target, downloads) = &self.names[idx as usize];
        let rank = self.rank.get(target).copied().unwrap_or(0);
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
        if name.is_empty() || name.len() > 214 || self.is_popular(name) {
            return None;
        }
        // 1. Scope confusion.
        if !name.starts_with('@') {
            if let Some(&i) = self.bare.get(name) {
                return Some(self.finding(name, i, Kind::Scope, 0, "is the unscoped name of"));
            }
        } else if let Some((scope, bare)) = name[1..].split_once('/') {
            if scope == bare {
                if let Some(r) = self.rank.get(bare) {
                    let i = u32::try_from(r.saturating_sub(1)).unwrap_or(0);
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
        // 2. Separators.
        if let Some(&i) = self.squashed.get(&squash(name)) {
            return Some(self.finding(
                name,
                i,
                Kind::Separator,
                0,
                "differs only in separators from",
            ));
        }
        // 3. Homoglyphs.
        if let Some(&i) = self.folded.get(&fold(name)) {
            return Some(self.finding(name, i, Kind::Homoglyph, 0, "looks like"));
        }
        // 4. Edit distance.
        let max = threshold(name.chars().count());
        if max == 0 {
            return None;
        }
        let mut best: Option<(usize, usize, u32)> = None; // (distance, rank, idx)
        let mut probe = |key: &str| {
            if let Some(list) = self.deletes.get(key) {
                for &i in list {
                    let target = &self.names[i as usize].0;
                    // The target's own threshold applies too: no 2-edit match on a short name.
                    let lim = max.min(threshold(target.chars().count()).max(1));
                    let d = osa(name, target, lim);
                    if d >= 1 && d <= lim {
                        let cand = (d, i as usize, i);
                        if best.is_none_or(|b| (cand.0, cand.1) < (b.0, b.1)) {
                            best = Some(cand);
                        }
                    }
                }
            }
        };
        probe(name);
        for d in deletes(name) {
            probe(&d);
        }
        let (d, _, i) = best?;
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
    }
}
