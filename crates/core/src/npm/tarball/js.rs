//! The few JavaScript string and number semantics node-tar's parser relies on, so that this
//! reader decodes headers to the same values npm does: `String.prototype.trim`'s white space,
//! `parseInt`, `Number(string)`, and the `/\0.*/` replacement node-tar applies to every string
//! field (JavaScript's `.` stops at line terminators, so the cut ends there).

/// JavaScript `WhiteSpace` or `LineTerminator` (what `trim` and `parseInt` skip).
pub fn is_ws(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// JavaScript line terminators (where a regular expression's `.` stops).
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// `s.replace(/\0.*/, '')`: remove from the first NUL up to the next line terminator.
pub fn cut_nul(s: &str) -> String {
    let Some(at) = s.find('\0') else {
        return s.to_string();
    };
    let rest = &s[at..];
    let end = rest
        .char_indices()
        .find(|(_, c)| is_line_terminator(*c))
        .map_or(rest.len(), |(i, _)| i);
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..at]);
    out.push_str(&rest[end..]);
    out
}

/// `Buffer#toString('utf8')` of a field, then [`cut_nul`]: how node-tar decodes a string field.
pub fn dec_string(bytes: &[u8]) -> String {
    cut_nul(&String::from_utf8_lossy(bytes))
}

/// `parseInt(s, radix)` for radix 8 or 10: leading white space, an optional sign, then digits;
/// `None` (NaN) without a digit.
pub fn parse_int(s: &str, radix: u32) -> Option<f64> {
    let s = s.trim_start_matches(is_ws);
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v = 0f64;
    let mut any = false;
    for c in s.chars() {
        let Some(d) = c.to_digit(radix) else { break };
        v = v * f64::from(radix) + f64::from(d);
        any = true;
    }
    any.then_some(if neg { -v } else { v })
}

/// `Number(s)` (ECMAScript `StringToNumber`): trimmed; empty is 0; `0x`/`0o`/`0b` integers
/// without sign; `Infinity` with an optional sign; decimal literals. `NaN` otherwise.
pub fn to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_ws);
    if t.is_empty() {
        return 0.0;
    }
    let radix_int = |digits: &str, radix: u32| -> f64 {
        if digits.is_empty() {
            return f64::NAN;
        }
        let mut v = 0f64;
        for c in digits.chars() {
            match c.to_digit(radix) {
                Some(d) => v = v * f64::from(radix) + f64::from(d),
                None => return f64::NAN,
            }
        }
        v
    };
    let b = t.as_bytes();
    if b.len() >= 2 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => return radix_int(&t[2..], 16),
            b'o' | b'O' => return radix_int(&t[2..], 8),
            b'b' | b'B' => return radix_int(&t[2..], 2),
            _ => {}
        }
    }
    let (sign, body) = match b[0] {
        b'+' => (1.0, &t[1..]),
        b'-' => (-1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    // StrDecimalLiteral: digits [. digits] | . digits, then an optional exponent. Checked here
    // because Rust's parser also takes `inf`, `nan` and the like.
    let bb = body.as_bytes();
    let mut i = 0;
    let int_digits = bb.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if bb.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = bb[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return f64::NAN;
    }
    if matches!(bb.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bb.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = bb[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return f64::NAN;
        }
        i += exp_digits;
    }
    if i != bb.len() {
        return f64::NAN;
    }
    body.parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

/// `s.slice(k)` in UTF-16 code units; `None` when `k` falls inside a surrogate pair (JavaScript
/// would keep a lone surrogate, which no key or path this reader compares can contain).
pub fn slice_utf16(s: &str, k: usize) -> Option<&str> {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        if units >= k {
            return (units == k).then_some(&s[i..]);
        }
        units += c.len_utf16();
    }
    // Past the end is "", inside the last character's surrogate pair is not representable.
    (k >= units).then_some("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_cut_stops_at_line_terminators() {
        assert_eq!(cut_nul("abc\0def"), "abc");
        assert_eq!(cut_nul("abc\0def\nghi\0x"), "abc\nghi\0x");
        assert_eq!(cut_nul("a\0b\u{2028}c"), "a\u{2028}c");
        assert_eq!(cut_nul("plain"), "plain");
    }

    #[test]
    fn parse_int_like_javascript() {
        assert_eq!(parse_int("0000644 \0", 8), Some(420.0));
        assert_eq!(parse_int("\u{a0} 17", 8), Some(15.0));
        assert_eq!(parse_int("-17", 8), Some(-15.0));
        assert_eq!(parse_int("0x1f", 8), Some(0.0));
        assert_eq!(parse_int("\0 17", 8), None);
        assert_eq!(parse_int("", 8), None);
        assert_eq!(parse_int("89", 8), None);
        assert_eq!(parse_int("30 path=x", 10), Some(30.0));
    }

    #[test]
    fn number_like_javascript() {
        let n = to_number;
        assert_eq!(n(""), 0.0);
        assert_eq!(n("  12 \n"), 12.0);
        assert_eq!(n("0x10"), 16.0);
        assert_eq!(n("0o17"), 15.0);
        assert_eq!(n("0b11"), 3.0);
        assert!(n("-0x10").is_nan());
        assert_eq!(n("1e3"), 1000.0);
        assert_eq!(n(".5"), 0.5);
        assert_eq!(n("5."), 5.0);
        assert_eq!(n("Infinity"), f64::INFINITY);
        assert_eq!(n("-Infinity"), f64::NEG_INFINITY);
        for bad in [
            "inf", "nan", "NaN", "1_0", "1e", ".", "e5", "0x", "12abc", "infinity",
        ] {
            assert!(n(bad).is_nan(), "{bad}");
        }
    }

    #[test]
    fn utf16_slices() {
        assert_eq!(slice_utf16("30 path=x", 3), Some("path=x"));
        assert_eq!(slice_utf16("\u{3000}0 path", 2), Some(" path"));
        assert_eq!(slice_utf16("\u{1f600}x", 1), None);
        assert_eq!(slice_utf16("\u{1f600}x", 2), Some("x"));
        assert_eq!(slice_utf16("ab", 5), Some(""));
    }
}
