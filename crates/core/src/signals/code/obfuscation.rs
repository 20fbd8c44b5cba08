//! Obfuscation metrics of a text: `_0x…` identifiers, `\xNN` escapes, long lines with almost
//! no blanks, high-entropy tokens.

use super::atoms::Facts;
use super::re;
use once_cell::sync::Lazy;
use regex::Regex;
use std::collections::BTreeSet;

pub(super) static HEXID_RE: Lazy<Option<Regex>> = Lazy::new(|| re(r"(?-u)\b_0x[0-9a-fA-F]{3,6}\b"));

pub(super) static XESC_RE: Lazy<Option<Regex>> = Lazy::new(|| re(r"(?-u)\\x[0-9a-fA-F]{2}"));

fn entropy(b: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for &c in b {
        counts[c as usize] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

pub(super) fn obfuscation_metrics(f: &mut Facts, path: &str, text: &str) {
    if let Some(r) = &*HEXID_RE {
        let mut distinct = BTreeSet::new();
        for m in r.find_iter(text).take(100_000) {
            f.hex_ids += 1;
            if distinct.len() < 1000 {
                distinct.insert(m.as_str());
            }
        }
        f.hex_ids_distinct = distinct.len();
    }
    if let Some(r) = &*XESC_RE {
        f.x_escapes = r.find_iter(text).take(100_000).count();
    }
    // Long lines, and in lines of 200+ bytes the high-entropy tokens (runs of base64-alphabet
    // bytes, data: URIs skipped).
    let minified_ok = path.ends_with(".min.js");
    let mut off = 0usize;
    let mut checked = 0usize;
    for line in text.split('\n') {
        let len = line.len();
        if len >= 5000 && !minified_ok {
            let blanks = line.bytes().filter(|b| *b == b' ' || *b == b'\t').count();
            if blanks * 100 < len * 3 && f.long_line.is_none_or(|(_, l)| len > l) {
                f.long_line = Some((off, len));
            }
        }
        if len >= 200 && checked < 200 {
            let b = line.as_bytes();
            let mut run = 0usize;
            for (i, &c) in b.iter().chain(std::iter::once(&b' ')).enumerate() {
                if TOKEN_BYTE[c as usize] {
                    run += 1;
                    continue;
                }
                if run >= 200 && checked < 200 {
                    checked += 1;
                    let start = i - run;
                    let before = &b[start.saturating_sub(48)..start];
                    if !before.windows(7).any(|w| w == b"base64,") {
                        let h = entropy(&b[start..(start + 4096).min(i)]);
                        if h >= 5.0 && f.entropy_token.is_none_or(|(_, e)| h > e) {
                            f.entropy_token = Some((off + start, h));
                        }
                    }
                }
                run = 0;
            }
        }
        off += len + 1;
    }
}

/// Bytes of base64 and base64url.
static TOKEN_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'_' | b'-');
        i += 1;
    }
    t
};
