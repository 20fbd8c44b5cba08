//! node-tar's `Parser`, as npm drives it through pacote: a push parser over the (inflated) tar
//! stream that yields the file entries pacote keeps, in order, with where their bytes are.
//!
//! Steps for each 512-byte block in the `header` state (node-tar's `CONSUMEHEADER`):
//! 1. Decode it ([`header::decode`]) with the pending extended headers; a block node-tar cannot
//!    decode is skipped (only that block: what follows is read as the next header).
//! 2. Two null blocks in a row end the archive; what follows is never read. One null block is
//!    not an end.
//! 3. A bad checksum, an empty path, a link without a target or a non-link with one: the block
//!    is skipped.
//! 4. Otherwise it is an entry. Extended headers (pax, GNU long names) collect their body and
//!    apply it to the next file-system entry; one whose size (as the pending extended headers
//!    say) is over 1 MiB is skipped, and one whose size is 0 is not read at all — its body
//!    blocks are then parsed as headers, as node-tar does.
//! 5. Other entries take the pending local extended header (and clear it). Types node-tar does
//!    not extract (sparse, ACL, unknown…) and what pacote filters out (links, directories,
//!    devices) are skipped with their body; `File`/`ContiguousFile` are kept, after pacote's
//!    `.gitignore` → `.npmignore` rename.
//!
//! A body is `floor(size)` bytes followed by padding to `512 × ceil(size / 512)`. The archive
//! must not end inside a body, and must hold at least one complete entry, or npm fails.

use super::header::{self, Ext, Type};
use super::{js, Anomaly};
use std::collections::HashSet;

/// node-tar's `maxMetaEntrySize`.
const MAX_META: f64 = 1024.0 * 1024.0;
/// Most bytes of one extended header this reader holds (npm holds any size; a larger one is
/// refused rather than guessed at).
const MAX_META_HELD: u64 = 16 * 1024 * 1024;

/// A file entry pacote extracts.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its path before extraction (`package/…`), after pacote's rename.
    pub path: String,
    /// A link path from an extended header (a file entry has none otherwise).
    pub linkpath: Option<String>,
    /// Bytes of content.
    pub size: u64,
    /// Where the content starts in the tar stream.
    pub offset: u64,
    /// Its path came from an extended header holding non-ASCII bytes: npm decodes such a
    /// header piece by piece, so a character split between two reads decodes differently.
    pub nonascii_meta: bool,
}

/// Receives the content of kept file entries as it streams by.
pub trait Sink {
    /// A kept entry starts (its index in [`Parsed::entries`]).
    fn start(&mut self, index: usize, entry: &Entry);
    /// Content bytes of entry `index`, in order.
    fn data(&mut self, index: usize, bytes: &[u8]);
}

/// Why npm's extraction fails (node-tar's unrecoverable errors), or why this reader stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// npm fails too.
    NpmFails(String),
    /// Over this reader's limits.
    TooLarge(String),
    /// What npm does depends on something this reader cannot know (how the file is read).
    Ambiguous(String),
    /// A reader stopped on purpose (the second pass has what it wanted).
    Enough,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Begin,
    Header,
    Body,
    Ignore,
    Meta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    File(usize),
    Meta(Type),
    Skip,
    /// An extended header node-tar created but never reads (its size is 0 by the pending
    /// headers): it stays the entry being written, so the archive must not end there.
    Orphan,
}

#[derive(Debug)]
struct Writing {
    remain: f64,
    block_remain: f64,
    target: Target,
    /// Completing it makes the archive "valid" (node-tar's `SAW_VALID_ENTRY`).
    validates: bool,
}

/// What the parser found.
#[derive(Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub anomalies: Vec<Anomaly>,
    /// Bytes of the tar stream after its end-of-archive blocks that are not all zero.
    pub hidden_after_end: bool,
}

/// The push parser.
pub struct Parser {
    state: State,
    pending: Vec<u8>,
    saw_null: bool,
    saw_eof: bool,
    saw_valid: Option<bool>,
    ex: Option<Ext>,
    ex_nonascii: bool,
    gex: Option<Ext>,
    writing: Option<Writing>,
    meta: Vec<u8>,
    /// Position of the first byte of `pending` in the stream.
    offset: u64,
    saw_ignores: HashSet<String>,
    created: usize,
    max_entries: usize,
    out: Parsed,
}

impl Parser {
    pub fn new(max_entries: usize) -> Self {
        Self {
            state: State::Begin,
            pending: Vec::new(),
            saw_null: false,
            saw_eof: false,
            saw_valid: None,
            ex: None,
            ex_nonascii: false,
            gex: None,
            writing: None,
            meta: Vec::new(),
            offset: 0,
            saw_ignores: HashSet::new(),
            created: 0,
            max_entries,
            out: Parsed::default(),
        }
    }

    fn note(&mut self, path: &str, reason: &str, severity: &'static str) {
        super::push_anomaly(&mut self.out.anomalies, path, reason, severity);
    }

    /// Feed the next bytes of the tar stream.
    pub fn feed(&mut self, data: &[u8], sink: &mut dyn Sink) -> Result<(), Stop> {
        if self.saw_eof {
            self.out.hidden_after_end |= data.iter().any(|b| *b != 0);
            return Ok(());
        }
        let mut data = data;
        // Complete a partial header block first.
        if !self.pending.is_empty() {
            let need = 512 - self.pending.len();
            let take = need.min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() < 512 {
                return Ok(());
            }
            let block = std::mem::take(&mut self.pending);
            self.header(&block, sink)?;
            self.offset += 512;
        }
        let mut pos = 0usize;
        while pos < data.len() {
            if self.saw_eof {
                self.out.hidden_after_end |= data[pos..].iter().any(|b| *b != 0);
                return Ok(());
            }
            match self.state {
                State::Begin | State::Header => {
                    if data.len() - pos < 512 {
                        self.pending.extend_from_slice(&data[pos..]);
                        return Ok(());
                    }
                    self.header(&data[pos..pos + 512], sink)?;
                    pos += 512;
                    self.offset += 512;
                }
                State::Body | State::Ignore | State::Meta => {
                    let n = self.body(&data[pos..], sink)?;
                    pos += n;
                    self.offset += n as u64;
                }
            }
        }
        Ok(())
    }

    /// The stream ended: node-tar's end checks.
    pub fn finish(self) -> Result<Parsed, Stop> {
        if self.writing.as_ref().is_some_and(|w| w.block_remain > 0.0) {
            return Err(Stop::NpmFails(
                "the archive ends inside an entry (truncated)".into(),
            ));
        }
        if self.state == State::Begin || self.saw_valid == Some(false) {
            return Err(Stop::NpmFails(
                "no complete tar entry (node-tar: unrecognized archive format)".into(),
            ));
        }
        Ok(self.out)
    }

    /// Consume body bytes of the entry being written; returns how many.
    fn body(&mut self, data: &[u8], sink: &mut dyn Sink) -> Result<usize, Stop> {
        let Some(w) = self.writing.as_mut() else {
            // Cannot happen: a body state always has an entry. Treat as a header state.
            self.state = State::Header;
            return Ok(0);
        };
        let n = if w.block_remain >= data.len() as f64 {
            data.len()
        } else {
            w.block_remain as usize
        };
        let chunk = &data[..n];
        let r = w.remain;
        let delivered = if r >= n as f64 { n } else { r.trunc() as usize };
        w.remain = (r - n as f64).max(0.0);
        w.block_remain = (w.block_remain - n as f64).max(0.0);
        let (target, done, validates) = (w.target, w.block_remain == 0.0, w.validates);
        match target {
            Target::File(i) => sink.data(i, &chunk[..delivered]),
            Target::Meta(_) => {
                if self.meta.len() as u64 + delivered as u64 > MAX_META_HELD {
                    return Err(Stop::TooLarge(format!(
                        "an extended header is over {MAX_META_HELD} bytes"
                    )));
                }
                self.meta.extend_from_slice(&chunk[..delivered]);
            }
            Target::Skip | Target::Orphan => {}
        }
        if done {
            self.state = State::Header;
            self.writing = None;
            if validates {
                self.saw_valid = Some(true);
            }
            if let Target::Meta(kind) = target {
                self.emit_meta(kind);
            }
        }
        Ok(n)
    }

    fn emit_meta(&mut self, kind: Type) {
        let bytes = std::mem::take(&mut self.meta);
        let nonascii = !bytes.is_ascii();
        let text = String::from_utf8_lossy(&bytes);
        match kind {
            Type::ExtendedHeader | Type::OldExtendedHeader => {
                self.ex = Some(Ext::parse_pax(&text, self.ex.as_ref()));
                self.ex_nonascii |= nonascii;
            }
            Type::GlobalExtendedHeader => {
                self.gex = Some(Ext::parse_pax(&text, self.gex.as_ref()));
                if nonascii {
                    self.note("", "non-ascii-extended-header", "info");
                }
            }
            Type::NextFileHasLongPath | Type::OldGnuLongPath => {
                self.ex.get_or_insert_with(Ext::default).path = Some(js::cut_nul(&text));
                self.ex_nonascii |= nonascii;
            }
            Type::NextFileHasLongLinkpath => {
                self.ex.get_or_insert_with(Ext::default).linkpath = Some(js::cut_nul(&text));
                self.ex_nonascii |= nonascii;
            }
            _ => {}
        }
    }

    fn header(&mut self, block: &[u8], sink: &mut dyn Sink) -> Result<(), Stop> {
        if self.saw_valid.is_none() {
            self.saw_valid = Some(false);
        }
        let at = self.offset;
        let h = match header::decode(block, self.ex.as_ref(), self.gex.as_ref()) {
            Ok(h) => h,
            Err(why) => {
                self.note(
                    &format!("@{at}"),
                    &format!("invalid-header: {why}"),
                    "warning",
                );
                return Ok(());
            }
        };
        if h.null_block {
            if self.saw_null {
                self.saw_eof = true;
                if self.state == State::Begin {
                    self.state = State::Header;
                }
            } else {
                self.saw_null = true;
            }
            return Ok(());
        }
        self.saw_null = false;
        let bad = if !h.cksum_valid {
            Some("checksum failure")
        } else if h.path.is_empty() {
            Some("path is required")
        } else if h.kind.is_link() && h.linkpath.is_empty() {
            Some("linkpath required")
        } else if !h.kind.is_link()
            && !matches!(h.kind, Type::ExtendedHeader | Type::GlobalExtendedHeader)
            && !h.linkpath.is_empty()
        {
            Some("linkpath forbidden")
        } else {
            None
        };
        if let Some(why) = bad {
            let p = if h.path.is_empty() {
                format!("@{at}")
            } else {
                h.path.clone()
            };
            self.note(&p, &format!("invalid-header: {why}"), "warning");
            return Ok(());
        }
        self.created += 1;
        if self.created > self.max_entries {
            return Err(Stop::TooLarge(format!(
                "more than {} tar entries",
                self.max_entries
            )));
        }
        // node-tar's ReadEntry: body from the header's size; `size`, `path` and `linkpath`
        // taken from the local, then the global extended header (a global path never).
        let remain = h.size.unwrap_or(0.0);
        let block_remain = 512.0 * (remain / 512.0).ceil();
        let (ex, gex) = (self.ex.as_ref(), self.gex.as_ref());
        let entry_size = gex
            .and_then(|g| g.size)
            .or(ex.and_then(|e| e.size))
            .unwrap_or(remain);
        let path = ex.and_then(|e| e.path.clone()).unwrap_or(h.path.clone());
        let linkpath = gex
            .and_then(|g| g.linkpath.clone())
            .or(ex.and_then(|e| e.linkpath.clone()))
            .or((!h.linkpath.is_empty()).then(|| h.linkpath.clone()));
        let validates = self.saw_valid == Some(false) && remain != 0.0;
        if self.saw_valid == Some(false) && remain == 0.0 {
            self.saw_valid = Some(true);
        }
        let mut w = Writing {
            remain,
            block_remain,
            target: Target::Skip,
            validates,
        };
        if h.kind.is_meta() {
            if entry_size > MAX_META {
                self.note(&path, "extended-header-ignored", "warning");
                self.state = State::Ignore;
            } else if entry_size > 0.0 {
                self.meta.clear();
                w.target = Target::Meta(h.kind);
                self.state = State::Meta;
            } else {
                // Never read: node-tar parses its body blocks as headers.
                w.target = Target::Orphan;
                if remain > 0.0 {
                    self.note(&path, "extended-header-not-read", "warning");
                }
            }
            self.writing = Some(w);
            return Ok(());
        }
        let nonascii =
            std::mem::take(&mut self.ex_nonascii) && ex.is_some_and(|e| e.path.is_some());
        self.ex = None;
        let kept = if h.kind.is_ignored() || !h.kind.is_file() {
            None
        } else {
            self.pacote_filter(&path)
        };
        match kept {
            None => {
                if !matches!(h.kind, Type::Directory | Type::GnuDumpDir) {
                    self.note(&path, h.kind.name(), "info");
                }
                self.state = if remain != 0.0 {
                    State::Ignore
                } else {
                    State::Header
                };
            }
            Some(path) => {
                let index = self.out.entries.len();
                let e = Entry {
                    path,
                    linkpath,
                    size: if remain.is_finite() {
                        remain.trunc() as u64
                    } else {
                        u64::MAX
                    },
                    offset: at + 512,
                    nonascii_meta: nonascii,
                };
                sink.start(index, &e);
                self.out.entries.push(e);
                w.target = Target::File(index);
                self.state = if remain != 0.0 {
                    State::Body
                } else {
                    State::Header
                };
            }
        }
        self.writing = Some(w);
        Ok(())
    }

    /// pacote's filter for a file entry: `.npmignore` remembered; `.gitignore` renamed to
    /// `.npmignore` unless one was seen at that path (then dropped). `None` when dropped.
    fn pacote_filter(&mut self, path: &str) -> Option<String> {
        let base = posix_basename(path);
        if base == ".npmignore" {
            self.saw_ignores.insert(path.to_string());
        } else if base == ".gitignore" {
            let ni = match path.strip_suffix(".gitignore") {
                Some(head) => format!("{head}.npmignore"),
                None => path.to_string(),
            };
            if self.saw_ignores.contains(&ni) {
                self.note(path, "gitignore-dropped", "info");
                return None;
            }
            return Some(ni);
        }
        Some(path.to_string())
    }
}

/// Node's `path.posix.basename` (trailing slashes ignored).
pub fn posix_basename(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    match t.rfind('/') {
        Some(i) => &t[i + 1..],
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames() {
        assert_eq!(posix_basename("package/.gitignore"), ".gitignore");
        assert_eq!(posix_basename("package/.gitignore//"), ".gitignore");
        assert_eq!(posix_basename("/"), "");
        assert_eq!(posix_basename("a"), "a");
    }
}
