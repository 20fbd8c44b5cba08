//! The tarball's bytes as node-tar reads them: gzip when the input starts with `1f 8b`
//! (inflated the way Node's zlib `Unzip` does), zstd refused, anything else read as a plain tar
//! stream.
//!
//! Node's gunzip, for each member:
//! 1. a gzip header (the first member), or — for the members after it — a gzip or a zlib
//!    header, told apart by the magic bytes;
//! 2. the deflate stream, then the trailer (CRC-32 and length for gzip, Adler-32 for zlib);
//! 3. after the trailer: nothing left ends the stream; a byte other than `0x00` starts another
//!    member (an error if it is not one); a `0x00` ends the stream and Node ignores the rest.
//!
//! What Node ignores after such a zero depends on how the file is fed to it (a member starting
//! at a read boundary is decoded), so zero padding followed by anything but zeros is refused
//! here rather than guessed at. node-tar also aborts when more than 1,000 bytes come out per
//! byte in (`maxDecompressionRatio`).

use super::parse::Stop;
use flate2::{Decompress, FlushDecompress, Status};

/// node-tar's `maxDecompressionRatio`.
pub const MAX_RATIO: u64 = 1000;

/// How the input is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Gzip,
    Zstd,
    Plain,
}

/// node-tar's sniffing.
pub fn sniff(input: &[u8]) -> Format {
    if input.len() >= 2 && input[0] == 0x1f && input[1] == 0x8b {
        Format::Gzip
    } else if input.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Format::Zstd
    } else {
        Format::Plain
    }
}

/// What inflating found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Inflated {
    pub bytes_out: u64,
    pub members: usize,
    /// Zero bytes after the last member (ignored, as Node does).
    pub zero_tail: usize,
}

fn fail(why: impl Into<String>) -> Stop {
    Stop::NpmFails(format!("gzip: {}", why.into()))
}

/// Bytes of a gzip header starting at `input[0]`, checked as zlib checks them.
fn gzip_header(input: &[u8]) -> Result<usize, Stop> {
    let eof = || fail("unexpected end of file");
    if input.len() < 10 {
        return Err(eof());
    }
    if input[2] != 8 {
        return Err(fail("unknown compression method"));
    }
    let flg = input[3];
    if flg & 0xe0 != 0 {
        return Err(fail("unknown header flags set"));
    }
    let mut pos = 10;
    if flg & 0x04 != 0 {
        let x = input.get(pos..pos + 2).ok_or_else(eof)?;
        pos += 2 + usize::from(u16::from_le_bytes([x[0], x[1]]));
        if pos > input.len() {
            return Err(eof());
        }
    }
    for bit in [0x08, 0x10] {
        if flg & bit != 0 {
            let n = input[pos..].iter().position(|b| *b == 0).ok_or_else(eof)?;
            pos += n + 1;
        }
    }
    if flg & 0x02 != 0 {
        let x = input.get(pos..pos + 2).ok_or_else(eof)?;
        let mut c = flate2::Crc::new();
        c.update(&input[..pos]);
        if u16::from_le_bytes([x[0], x[1]]) != (c.sum() & 0xffff) as u16 {
            return Err(fail("header crc mismatch"));
        }
        pos += 2;
    }
    Ok(pos)
}

/// Bytes of a zlib header starting at `input[0]`.
fn zlib_header(input: &[u8]) -> Result<usize, Stop> {
    let (Some(&cmf), Some(&flg)) = (input.first(), input.get(1)) else {
        return Err(fail("unexpected end of file"));
    };
    if (u16::from(cmf) * 256 + u16::from(flg)) % 31 != 0 {
        return Err(fail("incorrect header check"));
    }
    if cmf & 0x0f != 8 {
        return Err(fail("unknown compression method"));
    }
    if (cmf >> 4) + 8 > 15 {
        return Err(fail("invalid window size"));
    }
    if flg & 0x20 != 0 {
        return Err(fail("missing dictionary"));
    }
    Ok(2)
}

fn adler32(state: &mut (u32, u32), data: &[u8]) {
    for chunk in data.chunks(5552) {
        for &b in chunk {
            state.0 += u32::from(b);
            state.1 += state.0;
        }
        state.0 %= 65521;
        state.1 %= 65521;
    }
}

/// Inflate `input` (gzip) into `out` chunk by chunk, at most `max_out` bytes (and at most
/// [`MAX_RATIO`] per input byte, past which npm aborts).
pub fn inflate(
    input: &[u8],
    max_out: u64,
    out: &mut dyn FnMut(&[u8]) -> Result<(), Stop>,
) -> Result<Inflated, Stop> {
    let ratio_cap = (input.len() as u64).saturating_mul(MAX_RATIO);
    let mut info = Inflated::default();
    let mut pos = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // 1.
        let rest = &input[pos..];
        let gzip = rest.len() >= 2 && rest[0] == 0x1f && rest[1] == 0x8b;
        if info.members == 0 && !gzip {
            return Err(fail("not gzip"));
        }
        pos += if gzip {
            gzip_header(rest)?
        } else {
            zlib_header(rest)?
        };
        // 2.
        let mut z = Decompress::new(false);
        let mut crc = flate2::Crc::new();
        let mut adler = (1u32, 0u32);
        loop {
            let before_in = z.total_in();
            let before_out = z.total_out();
            let status = z
                .decompress(&input[pos..], &mut buf, FlushDecompress::None)
                .map_err(|e| fail(e.to_string()))?;
            let used = (z.total_in() - before_in) as usize;
            let made = (z.total_out() - before_out) as usize;
            pos += used;
            if made > 0 {
                info.bytes_out += made as u64;
                if info.bytes_out > ratio_cap {
                    return Err(Stop::NpmFails(format!(
                        "max decompression ratio exceeded (over {MAX_RATIO} bytes out per byte in)"
                    )));
                }
                if info.bytes_out > max_out {
                    return Err(Stop::TooLarge(format!(
                        "the tarball inflates past {max_out} bytes"
                    )));
                }
                if gzip {
                    crc.update(&buf[..made]);
                } else {
                    adler32(&mut adler, &buf[..made]);
                }
                out(&buf[..made])?;
            }
            match status {
                Status::StreamEnd => break,
                _ if used == 0 && made == 0 => {
                    return Err(fail("unexpected end of file"));
                }
                _ => {}
            }
        }
        let member_out = z.total_out();
        if gzip {
            let t = input
                .get(pos..pos + 8)
                .ok_or_else(|| fail("unexpected end of file"))?;
            if u32::from_le_bytes([t[0], t[1], t[2], t[3]]) != crc.sum() {
                return Err(fail("incorrect data check"));
            }
            if u32::from_le_bytes([t[4], t[5], t[6], t[7]]) != member_out as u32 {
                return Err(fail("incorrect length check"));
            }
            pos += 8;
        } else {
            let t = input
                .get(pos..pos + 4)
                .ok_or_else(|| fail("unexpected end of file"))?;
            if u32::from_be_bytes([t[0], t[1], t[2], t[3]]) != (adler.1 << 16 | adler.0) {
                return Err(fail("incorrect data check"));
            }
            pos += 4;
        }
        info.members += 1;
        // 3.
        match input.get(pos) {
            None => return Ok(info),
            Some(0) => {
                if input[pos..].iter().any(|b| *b != 0) {
                    return Err(Stop::Ambiguous(
                        "bytes other than zeros after zero padding that follows the gzip stream: npm decodes them or not depending on how the file is read".into(),
                    ));
                }
                info.zero_tail = input.len() - pos;
                return Ok(info);
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zl(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn run(input: &[u8]) -> Result<(Vec<u8>, Inflated), Stop> {
        let mut v = Vec::new();
        let i = inflate(input, 1 << 30, &mut |b| {
            v.extend_from_slice(b);
            Ok(())
        })?;
        Ok((v, i))
    }

    #[test]
    fn members_zero_padding_and_zlib_members() {
        let mut two = gz(b"hello ");
        two.extend(gz(b"world"));
        assert_eq!(run(&two).unwrap().0, b"hello world");
        let mut padded = gz(b"x");
        padded.extend([0u8; 100]);
        let (v, i) = run(&padded).unwrap();
        assert_eq!((v.as_slice(), i.zero_tail), (&b"x"[..], 100));
        let mut hidden = gz(b"x");
        hidden.extend([0u8; 10]);
        hidden.extend(gz(b"evil"));
        assert!(matches!(run(&hidden), Err(Stop::Ambiguous(_))));
        let mut zlib = gz(b"a");
        zlib.extend(zl(b"b"));
        assert_eq!(run(&zlib).unwrap().0, b"ab");
        let mut garbage = gz(b"a");
        garbage.extend(b"garbage");
        assert!(matches!(run(&garbage), Err(Stop::NpmFails(_))));
        let good = gz(b"abc");
        assert!(run(&good[..good.len() - 3]).is_err());
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 6] ^= 1;
        assert!(run(&bad_crc).is_err());
    }

    #[test]
    fn ratio_and_size_caps() {
        let zeros = vec![0u8; 4 << 20];
        let z = gz(&zeros);
        assert!(z.len() as u64 * MAX_RATIO < zeros.len() as u64);
        assert!(matches!(run(&z), Err(Stop::NpmFails(_))));
        let mut v = 0u64;
        let r = inflate(&gz(&[7u8; 1000]), 100, &mut |b| {
            v += b.len() as u64;
            Ok(())
        });
        assert!(matches!(r, Err(Stop::TooLarge(_))));
    }
}
