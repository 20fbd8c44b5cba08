//! Encoded string literals, decoded: the printable text of base64, hex and `\xNN` literals
//! (at most [`MAX_LITERALS`] of each kind, [`MAX_DECODED`] bytes in all), which the atoms are
//! matched against too.

use super::re;
use once_cell::sync::Lazy;
use regex::Regex;

/// Encoded string literals worth decoding.
pub(super) static B64_LIT_RE: Lazy<Option<Regex>> =
    Lazy::new(|| re(r#"(?-u)['"`]([A-Za-z0-9+/]{16,}={0,2})['"`]"#));

pub(super) static HEX_LIT_RE: Lazy<Option<Regex>> =
    Lazy::new(|| re(r#"(?-u)['"`]([0-9a-fA-F]{16,})['"`]"#));

pub(super) static XSTR_RE: Lazy<Option<Regex>> =
    Lazy::new(|| re(r"(?-u)(?:\\x[0-9a-fA-F]{2}){8,}"));

/// Bytes of decoded text kept per file.
const MAX_DECODED: usize = 256 * 1024;

/// Literals decoded per kind and file.
const MAX_LITERALS: usize = 500;

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex_decode(s: &[u8]) -> Option<Vec<u8>> {
    s.chunks(2)
        .map(|p| match p {
            [h, l] => Some(hex_val(*h)? << 4 | hex_val(*l)?),
            _ => None,
        })
        .collect()
}

fn printable(b: &[u8]) -> bool {
    b.len() >= 8
        && b.iter()
            .filter(|c| (0x20..0x7f).contains(*c) || matches!(c, b'\n' | b'\r' | b'\t'))
            .count()
            * 100
            >= b.len() * 95
}

/// Printable text decoded from base64, hex and `\xNN` string literals.
pub(super) fn decoded_literals(text: &str) -> String {
    let mut out = String::new();
    let push = |bytes: Option<Vec<u8>>, out: &mut String| {
        if let Some(b) = bytes.filter(|b| printable(b)) {
            if out.len() + b.len() < MAX_DECODED {
                out.push_str(&String::from_utf8_lossy(&b));
                out.push('\n');
            }
        }
    };
    if let Some(r) = &*B64_LIT_RE {
        for c in r.captures_iter(text).take(MAX_LITERALS) {
            let Some(m) = c.get(1) else { continue };
            let s = m.as_str();
            if s.len() > 65_536 {
                continue;
            }
            // Plain words and identifiers are not base64 payloads.
            if s.bytes().all(|b| b.is_ascii_alphabetic())
                || s.bytes().all(|b| b.is_ascii_hexdigit())
            {
                continue;
            }
            push(b64_decode(s), &mut out);
        }
    }
    if let Some(r) = &*HEX_LIT_RE {
        for c in r.captures_iter(text).take(MAX_LITERALS) {
            if let Some(m) = c.get(1).filter(|m| m.len() % 2 == 0 && m.len() <= 65_536) {
                push(hex_decode(m.as_str().as_bytes()), &mut out);
            }
        }
    }
    if let Some(r) = &*XSTR_RE {
        for m in r
            .find_iter(text)
            .take(MAX_LITERALS)
            .filter(|m| m.len() <= 4 * 65_536)
        {
            let b: Vec<u8> = m
                .as_str()
                .as_bytes()
                .chunks(4)
                .filter_map(|c| hex_decode(c.get(2..4)?))
                .flatten()
                .collect();
            push(Some(b), &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(
            b64_decode("aGVsbG8gd29ybGQ=").as_deref(),
            Some(&b"hello world"[..])
        );
        assert_eq!(hex_decode(b"68656c6c6f").as_deref(), Some(&b"hello"[..]));
        let d = decoded_literals(
            r#"var u = "aHR0cHM6Ly93ZWJob29rLnNpdGUveA==", h = '2e2f746573742f64617461';"#,
        );
        assert!(
            d.contains("https://webhook.site/x") && d.contains("./test/data"),
            "{d}"
        );
    }
}
