//! One tar header block and the extended headers before it, decoded as node-tar 7 decodes
//! them (npm extracts with node-tar through pacote). Where node-tar and the POSIX or GNU formats
//! disagree, node-tar wins: this reader must see what npm installs. In particular:
//!
//! - string fields are UTF-8 (lossy) cut at the first NUL up to the next line terminator;
//! - numbers are `parseInt(field, 8)`, or base-256 when the first byte has its high bit set
//!   (anything but `0x80`/`0xff` there, or a value past 2^53, makes the whole header invalid);
//! - a number is not decoded at all (so cannot make the header invalid) when an extended
//!   header supplies it;
//! - pax and GNU long-name values apply to the next *file-system* entry only (types `0`–`7`,
//!   `D` and the NUL type), never to another extended header;
//! - the ustar `prefix` is used only with the POSIX magic `ustar\0` `00` (not GNU's);
//! - the checksum is the unsigned sum only, over a 12-byte field that runs into the type flag;
//! - type `0` with a path ending in `/` is a directory, and directories have no body.

use super::js;

/// Entry types, by node-tar's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    File,
    Link,
    SymbolicLink,
    CharacterDevice,
    BlockDevice,
    Directory,
    Fifo,
    ContiguousFile,
    GlobalExtendedHeader,
    ExtendedHeader,
    SolarisAcl,
    GnuDumpDir,
    Inode,
    NextFileHasLongLinkpath,
    NextFileHasLongPath,
    ContinuationFile,
    OldGnuLongPath,
    SparseFile,
    TapeVolumeHeader,
    OldExtendedHeader,
    /// A type flag node-tar does not know: skipped with its body.
    Unsupported,
}

impl Type {
    fn of(code: &str) -> Self {
        match code {
            "0" | "" => Type::File,
            "1" => Type::Link,
            "2" => Type::SymbolicLink,
            "3" => Type::CharacterDevice,
            "4" => Type::BlockDevice,
            "5" => Type::Directory,
            "6" => Type::Fifo,
            "7" => Type::ContiguousFile,
            "g" => Type::GlobalExtendedHeader,
            "x" => Type::ExtendedHeader,
            "A" => Type::SolarisAcl,
            "D" => Type::GnuDumpDir,
            "I" => Type::Inode,
            "K" => Type::NextFileHasLongLinkpath,
            "L" => Type::NextFileHasLongPath,
            "M" => Type::ContinuationFile,
            "N" => Type::OldGnuLongPath,
            "S" => Type::SparseFile,
            "V" => Type::TapeVolumeHeader,
            "X" => Type::OldExtendedHeader,
            _ => Type::Unsupported,
        }
    }

    /// Extended headers and long names: their body is data for the next entry.
    pub fn is_meta(self) -> bool {
        matches!(
            self,
            Type::NextFileHasLongLinkpath
                | Type::NextFileHasLongPath
                | Type::OldGnuLongPath
                | Type::GlobalExtendedHeader
                | Type::ExtendedHeader
                | Type::OldExtendedHeader
        )
    }

    /// Types node-tar parses as entries but never reads (`ReadEntry.ignore`).
    pub fn is_ignored(self) -> bool {
        matches!(
            self,
            Type::SolarisAcl
                | Type::Inode
                | Type::ContinuationFile
                | Type::SparseFile
                | Type::TapeVolumeHeader
                | Type::Unsupported
        )
    }

    /// `Link` or `SymbolicLink`.
    pub fn is_link(self) -> bool {
        matches!(self, Type::Link | Type::SymbolicLink)
    }

    /// Types pacote extracts as files (`/File$/`): regular and contiguous files.
    pub fn is_file(self) -> bool {
        matches!(self, Type::File | Type::ContiguousFile)
    }

    /// A short stable name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Type::File => "file",
            Type::Link => "hardlink",
            Type::SymbolicLink => "symlink",
            Type::CharacterDevice | Type::BlockDevice | Type::Fifo => "special-file",
            Type::Directory | Type::GnuDumpDir => "directory",
            Type::ContiguousFile => "contiguous-file",
            Type::GlobalExtendedHeader | Type::ExtendedHeader | Type::OldExtendedHeader => "pax",
            Type::NextFileHasLongLinkpath | Type::NextFileHasLongPath | Type::OldGnuLongPath => {
                "gnu-long-name"
            }
            Type::SparseFile => "sparse-file",
            Type::SolarisAcl
            | Type::Inode
            | Type::ContinuationFile
            | Type::TapeVolumeHeader
            | Type::Unsupported => "unsupported-type",
        }
    }
}

/// Type flags that are file-system entries (targets of extended headers).
fn normal_fs(code: &str) -> bool {
    matches!(
        code,
        "0" | "" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "D"
    )
}

/// Values an extended header (pax `x`/`g`, GNU `L`/`K`) carries for the entries after it.
/// Only what changes how npm extracts is kept; the presence flags matter because node-tar does
/// not decode (and so cannot reject) a header field an extended header supplies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ext {
    pub path: Option<String>,
    pub linkpath: Option<String>,
    /// `Number(value)`, kept only when `>= 0` (may be fractional or infinite).
    pub size: Option<f64>,
    pub uid: bool,
    pub gid: bool,
    pub mtime: bool,
    pub atime: bool,
    pub ctime: bool,
}

impl Ext {
    /// Pax records (`"<len> <key>=<value>\n"`), merged over `base`: node-tar's `Pax.parse`.
    /// A record whose length is not its UTF-8 length is skipped; later records win.
    pub fn parse_pax(text: &str, base: Option<&Ext>) -> Ext {
        let mut out = base.cloned().unwrap_or_default();
        let body = text.strip_suffix('\n').unwrap_or(text);
        for line in body.split('\n') {
            let Some(n) = js::parse_int(line, 10) else {
                continue;
            };
            if n != (line.len() + 1) as f64 {
                continue;
            }
            // `line.slice((n + ' ').length)`: n is a small integer here.
            let Some(rest) = js::slice_utf16(line, format!("{} ", n as u64).len()) else {
                continue;
            };
            let mut kv = rest.split('=');
            let key = kv.next().unwrap_or_default();
            if key.is_empty() {
                continue;
            }
            let value = js::cut_nul(&kv.collect::<Vec<_>>().join("="));
            match key {
                "path" => out.path = Some(value),
                "linkpath" => out.linkpath = Some(value),
                "size" => {
                    let s = js::to_number(&value);
                    if s >= 0.0 {
                        out.size = Some(s);
                    }
                }
                "uid" => out.uid = true,
                "gid" => out.gid = true,
                "mtime" => out.mtime = true,
                "atime" => out.atime = true,
                "ctime" => out.ctime = true,
                _ => {}
            }
        }
        out
    }
}

/// Why node-tar throws while decoding a header (the block is then skipped).
pub type Invalid = &'static str;

/// A decoded header block.
#[derive(Debug, Clone)]
pub struct Header {
    /// The header's path: the pax/long path or the name field, with the ustar prefix.
    pub path: String,
    pub kind: Type,
    /// `undefined` in node-tar (no usable size) is `None`; the body length is then 0.
    pub size: Option<f64>,
    /// The link-name field (pax link paths do not count here).
    pub linkpath: String,
    pub cksum_valid: bool,
    pub null_block: bool,
}

/// `decNumber`: base-256 when the first byte has its high bit set, else `parseInt(_, 8)`.
fn number(b: &[u8], off: usize, len: usize) -> Result<Option<f64>, Invalid> {
    let f = &b[off..off + len];
    if f[0] & 0x80 != 0 {
        return base256(f).map(Some);
    }
    Ok(js::parse_int(&String::from_utf8_lossy(f), 8))
}

/// node-tar's `large-numbers.parse`: `0x80` positive, `0xff` two's complement negative, and
/// the value must be a safe integer.
fn base256(f: &[u8]) -> Result<f64, Invalid> {
    const SAFE: u128 = (1 << 53) - 1;
    match f[0] {
        0x80 => {
            let mut v: u128 = 0;
            for &b in &f[1..] {
                v = (v << 8) | u128::from(b);
            }
            if v > SAFE {
                return Err("base-256 number outside the safe integer range");
            }
            Ok(v as f64)
        }
        0xff => {
            let mut mag: u128 = 0;
            let mut flipped = false;
            for (k, &b) in f.iter().rev().enumerate() {
                let d = if flipped {
                    (0xff ^ b) as u128
                } else if b == 0 {
                    0
                } else {
                    flipped = true;
                    ((0xffu16 ^ u16::from(b)) + 1) as u128 & 0xff
                };
                if d != 0 {
                    mag = mag.saturating_add(d << (8 * k));
                }
            }
            if mag > SAFE {
                return Err("base-256 number outside the safe integer range");
            }
            Ok(-(mag as f64))
        }
        _ => Err("invalid base-256 encoding"),
    }
}

/// Decode one 512-byte block with the pending extended headers (`ex`, the local one; `gex`,
/// the global one). `Err` where node-tar's `Header` constructor throws.
pub fn decode(b: &[u8], ex: Option<&Ext>, gex: Option<&Ext>) -> Result<Header, Invalid> {
    debug_assert!(b.len() >= 512);
    let code = js::dec_string(&b[156..157]);
    let normal = normal_fs(&code);
    let (exf, gexf) = if normal { (ex, gex) } else { (None, None) };
    let has = |f: fn(&Ext) -> bool| exf.is_some_and(f) || gexf.is_some_and(f);
    let mut path = match exf.and_then(|e| e.path.clone()) {
        Some(p) => p,
        None => js::dec_string(&b[0..100]),
    };
    // mode: always decoded (node-tar's pax records never carry it).
    number(b, 100, 8)?;
    if !has(|e| e.uid) {
        number(b, 108, 8)?;
    }
    if !has(|e| e.gid) {
        number(b, 116, 8)?;
    }
    let mut size = match exf.and_then(|e| e.size).or(gexf.and_then(|e| e.size)) {
        Some(s) => Some(s),
        None => number(b, 124, 12)?.filter(|n| *n >= 0.0),
    };
    if !has(|e| e.mtime) {
        number(b, 136, 12)?;
    }
    let cksum = number(b, 148, 12)?;
    let mut kind = Type::of(&code);
    if kind == Type::File && path.ends_with('/') {
        kind = Type::Directory;
    }
    if kind == Type::Directory {
        size = Some(0.0);
    }
    let linkpath = js::dec_string(&b[157..257]);
    if &b[257..265] == b"ustar\x0000" {
        number(b, 329, 8)?;
        number(b, 337, 8)?;
        if b[475] != 0 {
            path = format!("{}/{path}", js::dec_string(&b[345..500]));
        } else {
            let prefix = js::dec_string(&b[345..475]);
            if !prefix.is_empty() {
                path = format!("{prefix}/{path}");
            }
            // atime/ctime: node-tar consults the extended headers for any type here.
            let any = |f: fn(&Ext) -> bool| ex.is_some_and(f) || gex.is_some_and(f);
            if !any(|e| e.atime) {
                number(b, 476, 12)?;
            }
            if !any(|e| e.ctime) {
                number(b, 488, 12)?;
            }
        }
    }
    let sum: u32 = 8 * 0x20
        + b[..148].iter().map(|&x| u32::from(x)).sum::<u32>()
        + b[156..512].iter().map(|&x| u32::from(x)).sum::<u32>();
    Ok(Header {
        path,
        kind,
        size,
        linkpath,
        cksum_valid: cksum == Some(f64::from(sum)),
        null_block: cksum.is_none() && sum == 8 * 0x20,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(name: &str, size: &str, typ: u8) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        b[..name.len()].copy_from_slice(name.as_bytes());
        b[100..108].copy_from_slice(b"0000644\0");
        b[124..124 + size.len()].copy_from_slice(size.as_bytes());
        b[156] = typ;
        b[257..265].copy_from_slice(b"ustar\x0000");
        b[148..156].copy_from_slice(b"        ");
        let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
        let c = format!("{sum:06o}\0 ");
        b[148..156].copy_from_slice(c.as_bytes());
        b
    }

    #[test]
    fn ustar_file_and_checksum() {
        let b = block("package/a.js", "00000000005\0", b'0');
        let h = decode(&b, None, None).unwrap();
        assert_eq!(h.path, "package/a.js");
        assert_eq!(h.kind, Type::File);
        assert_eq!(h.size, Some(5.0));
        assert!(h.cksum_valid && !h.null_block);
        let mut bad = b.clone();
        bad[0] ^= 1;
        assert!(!decode(&bad, None, None).unwrap().cksum_valid);
        assert!(decode(&[0u8; 512], None, None).unwrap().null_block);
    }

    #[test]
    fn trailing_slash_file_is_a_directory_without_body() {
        let h = decode(&block("package/x/", "00000001000\0", b'0'), None, None).unwrap();
        assert_eq!((h.kind, h.size), (Type::Directory, Some(0.0)));
    }

    #[test]
    fn base256_rules() {
        assert_eq!(base256(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), Ok(256.0));
        assert!(base256(&[0x81, 0, 0, 0]).is_err());
        assert!(
            base256(&[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
                .is_err()
        );
        assert_eq!(base256(&[0xff, 0xff, 0xff, 0xfe]), Ok(-2.0));
        // An invalid base-256 mode makes the header invalid; one a pax record supplies does not
        // matter for uid.
        let mut b = block("package/a.js", "00000000005\0", b'0');
        b[108] = 0x81;
        let fix = |b: &mut Vec<u8>| {
            b[148..156].copy_from_slice(b"        ");
            let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
            b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        };
        fix(&mut b);
        assert!(decode(&b, None, None).is_err());
        let ex = Ext {
            uid: true,
            ..Ext::default()
        };
        assert!(decode(&b, Some(&ex), None).is_ok());
    }

    #[test]
    fn pax_records_like_node_tar() {
        let rec = |k: &str, v: &str| {
            let body = format!(" {k}={v}\n");
            let n = (1..)
                .map(|d| body.len() + d)
                .find(|n| n.to_string().len() + body.len() == *n)
                .unwrap();
            format!("{n}{body}")
        };
        let t = format!("{}{}", rec("path", "package/x.js"), rec("size", "12"));
        let e = Ext::parse_pax(&t, None);
        assert_eq!(e.path.as_deref(), Some("package/x.js"));
        assert_eq!(e.size, Some(12.0));
        // Wrong length: skipped. Negative or NaN size: not kept. Later records win.
        let e = Ext::parse_pax("99 path=nope\n11 size=-1\n13 size=0x10\n", None);
        assert_eq!((e.path, e.size), (None, Some(16.0)));
        let merged = Ext::parse_pax(&rec("linkpath", "l"), Some(&Ext::parse_pax(&t, None)));
        assert_eq!(merged.path.as_deref(), Some("package/x.js"));
        assert_eq!(merged.linkpath.as_deref(), Some("l"));
    }
}
