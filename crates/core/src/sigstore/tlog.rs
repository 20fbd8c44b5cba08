//! Transparency log: the checkpoint (a signed note) and the inclusion proof's agreement with it.
//!
//! `sigstore-verify` checks the Merkle path, the checkpoint's signature and the proof's root
//! hash against the checkpoint's; it reads the checkpoint leniently (it trims lines and ignores
//! whatever follows the signature block) and never compares the proof's `treeSize` with the
//! tree size the checkpoint signs. A Merkle path can verify for several tree sizes, so an
//! unchecked `treeSize` is not bound to anything the log signed. Before that crate runs, every
//! inclusion proof of a bundle must:
//! 1. carry a checkpoint whose envelope is exactly one signed note ([`Checkpoint::parse`]);
//! 2. name, as its `treeSize`, the tree size the checkpoint signs;
//! 3. name, as its `rootHash`, the root hash the checkpoint signs.

use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sigstore_verify::types::Bundle;

/// Largest checkpoint envelope read, in bytes (Rekor's are ~250; witnesses add a line each).
pub const MAX_CHECKPOINT_BYTES: usize = 64 * 1024;
/// At most this many signature lines.
pub const MAX_NOTE_SIGNATURES: usize = 64;

/// One signature line of a signed note: `— <name> <base64(key hash ‖ signature)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    /// The first 4 bytes of the decoded value: the key's hint.
    pub key_hint: [u8; 4],
    pub signature: Vec<u8>,
}

/// A checkpoint (signed tree head) in the signed-note form, parsed strictly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub tree_size: u64,
    pub root_hash: [u8; 32],
    /// Lines after the root hash (Rekor writes `Timestamp: …`), signed with the rest.
    pub extensions: Vec<String>,
    pub signatures: Vec<NoteSignature>,
}

fn bad(m: impl Into<String>) -> Error {
    Error::TlogCheckpoint(m.into())
}

impl Checkpoint {
    /// Parse a checkpoint envelope that must be exactly one signed note:
    /// - the body: the origin, the tree size (decimal, no sign, no leading zero), the root hash
    ///   (standard base64 of 32 bytes), then any extension lines; every line non-empty and
    ///   ended by `\n`;
    /// - one empty line;
    /// - one or more signature lines `— <name> <base64>\n` (an em dash U+2014, one space, a
    ///   name without spaces or `+`, one space, standard base64 of a 4-byte key hint and a
    ///   signature);
    /// - nothing else: no text after the last signature line, no carriage return or other
    ///   control character, no space around a field.
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() > MAX_CHECKPOINT_BYTES {
            return Err(bad(format!(
                "the checkpoint is over {MAX_CHECKPOINT_BYTES} bytes"
            )));
        }
        if let Some(c) = text.chars().find(|&c| c != '\n' && c.is_control()) {
            return Err(bad(format!(
                "the checkpoint contains the control character U+{:04X}",
                u32::from(c)
            )));
        }
        // The body ends at the first empty line; the body's own lines are never empty.
        let (body, sigs) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("the checkpoint has no empty line before its signatures"))?;
        let body_lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, extensions @ ..] = body_lines.as_slice() else {
            return Err(bad(
                "the checkpoint body needs an origin, a tree size and a root hash",
            ));
        };
        if origin.is_empty() || origin.trim() != *origin {
            return Err(bad(format!("origin {origin:?} is empty or padded")));
        }
        let tree_size = parse_decimal(size)
            .ok_or_else(|| bad(format!("tree size {size:?} is not a decimal number")))?;
        let root_hash: [u8; 32] = STANDARD
            .decode(root)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(format!("root hash {root:?} is not the base64 of 32 bytes")))?;
        for e in extensions {
            if e.is_empty() || e.trim() != *e {
                return Err(bad(format!("extension line {e:?} is empty or padded")));
            }
        }
        // Every signature line ends with "\n", so the block does too, and splitting it leaves
        // one empty piece at the end; an empty line anywhere else is refused below.
        let Some(sigs) = sigs.strip_suffix('\n') else {
            return Err(bad(
                "the checkpoint's last signature line does not end with a newline",
            ));
        };
        let mut signatures = Vec::new();
        for line in sigs.split('\n') {
            if signatures.len() == MAX_NOTE_SIGNATURES {
                return Err(bad(format!(
                    "more than {MAX_NOTE_SIGNATURES} signature lines"
                )));
            }
            signatures.push(parse_signature_line(line)?);
        }
        Ok(Checkpoint {
            origin: (*origin).to_string(),
            tree_size,
            root_hash,
            extensions: extensions.iter().map(|e| (*e).to_string()).collect(),
            signatures,
        })
    }
}

/// A decimal number as a checkpoint writes it: ASCII digits, no sign, no leading zero.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn parse_signature_line(line: &str) -> Result<NoteSignature> {
    let rest = line.strip_prefix("\u{2014} ").ok_or_else(|| {
        bad(format!(
            "{line:?} is not a signature line (\"\u{2014} <name> <base64>\")"
        ))
    })?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or_else(|| bad(format!("signature line {line:?} has no signature")))?;
    if name.is_empty() || name.contains('+') || b64.contains(' ') {
        return Err(bad(format!(
            "signature line {line:?} is not \"\u{2014} <name> <base64>\""
        )));
    }
    let bytes = STANDARD
        .decode(b64)
        .map_err(|e| bad(format!("signature of {name} is not base64: {e}")))?;
    match bytes.split_first_chunk::<4>() {
        Some((hint, sig)) if !sig.is_empty() => Ok(NoteSignature {
            name: name.to_string(),
            key_hint: *hint,
            signature: sig.to_vec(),
        }),
        _ => Err(bad(format!(
            "signature of {name} is shorter than a key hint and a signature"
        ))),
    }
}

/// Step 1 for every inclusion proof, on the bundle's JSON: every checkpoint envelope present
/// parses strictly. Runs before the typed parse (whose lenient checkpoint reader would report a
/// malformed note as a malformed bundle). Returns each log entry's checkpoint, if it has one.
pub fn checkpoints(raw: &serde_json::Value) -> Result<Vec<Option<Checkpoint>>> {
    let entries = raw
        .pointer("/verificationMaterial/tlogEntries")
        .and_then(serde_json::Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            match e
                .pointer("/inclusionProof/checkpoint/envelope")
                .and_then(serde_json::Value::as_str)
            {
                None | Some("") => Ok(None),
                Some(text) => Checkpoint::parse(text).map(Some).map_err(|err| match err {
                    Error::TlogCheckpoint(m) => bad(format!("log entry {i}: {m}")),
                    other => other,
                }),
            }
        })
        .collect()
}

/// Steps 2–3 for every inclusion proof of the typed bundle, against the checkpoints
/// [`checkpoints`] read. Entries without a proof are left to the media-type rules
/// (`bundle::check_media_type`) and to `sigstore-verify`.
pub fn check_inclusion_proofs(bundle: &Bundle, checkpoints: &[Option<Checkpoint>]) -> Result<()> {
    for (i, e) in bundle.verification_material.tlog_entries.iter().enumerate() {
        let Some(proof) = &e.inclusion_proof else {
            continue;
        };
        let Some(Some(cp)) = checkpoints.get(i) else {
            return Err(bad(format!(
                "the inclusion proof of log entry {i} has no checkpoint"
            )));
        };
        if proof.tree_size != cp.tree_size {
            return Err(Error::TlogInclusion(format!(
                "log entry {i}: the inclusion proof says tree size {}, its checkpoint signs {}",
                proof.tree_size, cp.tree_size
            )));
        }
        if proof.root_hash.as_bytes() != cp.root_hash.as_slice() {
            return Err(Error::TlogInclusion(format!(
                "log entry {i}: the inclusion proof's root hash is not the one its checkpoint signs"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checkpoint of `bundles/sigstore-2.2.0.provenance.bundle-v0.2.json` (real, public).
    const REAL: &str = "rekor.sigstore.dev - 2605736670972794746\n59121073\nQoRg9froTVc6on8PMNn8OpRW8yGVoMGIw9TlzuZxGsU=\nTimestamp: 1705092994447142477\n\n\u{2014} rekor.sigstore.dev wNI9ajBFAiEArK+LQCD7i2IYnAhJodegFSQKIDpxcLfT/t0fNGEd++ICICnt5vy5aeYCV0e5KR9Wcr2U4WqygG2Vq/OlBtTjUaUv\n";

    #[test]
    fn the_real_checkpoint_parses() {
        let cp = Checkpoint::parse(REAL).unwrap();
        assert_eq!(cp.origin, "rekor.sigstore.dev - 2605736670972794746");
        assert_eq!(cp.tree_size, 59121073);
        assert_eq!(
            STANDARD.encode(cp.root_hash),
            "QoRg9froTVc6on8PMNn8OpRW8yGVoMGIw9TlzuZxGsU="
        );
        assert_eq!(cp.extensions, ["Timestamp: 1705092994447142477"]);
        assert_eq!(cp.signatures.len(), 1);
        assert_eq!(cp.signatures[0].name, "rekor.sigstore.dev");
        assert_eq!(STANDARD.encode(cp.signatures[0].key_hint), "wNI9ag==");
        // A second (witness) signature line is part of the form.
        let sig_line = &REAL[REAL.find('\u{2014}').unwrap()..];
        let two = format!(
            "{REAL}{}",
            sig_line.replace("rekor.sigstore.dev", "witness")
        );
        assert_eq!(Checkpoint::parse(&two).unwrap().signatures.len(), 2);
    }

    #[test]
    fn anything_but_the_signed_note_is_refused() {
        let size_line = "\n59121073\n";
        for (what, text) in [
            ("appended unsigned text", format!("{REAL}unsigned\n")),
            ("appended text without newline", format!("{REAL}x")),
            ("a second blank line", format!("{REAL}\n")),
            (
                "a trailing blank block",
                format!("{REAL}\n\u{2014} x AAAAAAA=\n"),
            ),
            ("no final newline", REAL.trim_end_matches('\n').to_string()),
            ("CRLF", REAL.replace('\n', "\r\n")),
            ("padded tree size", REAL.replace(size_line, "\n59121073 \n")),
            ("signed tree size", REAL.replace(size_line, "\n+59121073\n")),
            ("leading zero", REAL.replace(size_line, "\n059121073\n")),
            ("hex tree size", REAL.replace(size_line, "\n0x1\n")),
            (
                "huge tree size",
                REAL.replace(size_line, "\n99999999999999999999999\n"),
            ),
            ("padded origin", format!(" {REAL}")),
            ("empty origin", format!("\n{REAL}")),
            (
                "short root hash",
                REAL.replace("QoRg9froTVc6on8PMNn8OpRW8yGVoMGIw9TlzuZxGsU=", "QoRg"),
            ),
            (
                "root hash not base64",
                REAL.replace(
                    "QoRg9froTVc6on8PMNn8OpRW8yGVoMGIw9TlzuZxGsU=",
                    "QoRg9froTVc6on8PMNn8OpRW8yGVoMGIw9TlzuZxGs!=",
                ),
            ),
            (
                "no root hash",
                "origin\n1\n\n\u{2014} a wNI9ajBF\n".to_string(),
            ),
            (
                "no signatures",
                REAL[..REAL.find('\u{2014}').unwrap()].to_string(),
            ),
            ("hyphen instead of em dash", REAL.replace('\u{2014}', "-")),
            (
                "two spaces",
                REAL.replace("\u{2014} rekor", "\u{2014}  rekor"),
            ),
            ("signature not base64", REAL.replace("wNI9aj", "wNI9a!")),
            (
                "signature too short",
                REAL.replace(&REAL[REAL.find("wNI9").unwrap()..], "wNI9ag==\n"),
            ),
            ("NUL", REAL.replace("Timestamp", "Time\0stamp")),
            ("no separator", REAL.replace("\n\n", "\n")),
        ] {
            let e = Checkpoint::parse(&text).expect_err(what);
            assert_eq!(e.code(), "ERR_PROV_TLOG_CHECKPOINT", "{what}: {e}");
        }
    }
}
