//! Registry signatures: `dist.signatures`, ECDSA P-256/SHA-256 by an npm registry key over
//! UTF-8 `"<name>@<version>:<dist.integrity>"`.
//!
//! 1. At least one signature must be present.
//! 2. Every signature whose key id is known must verify; signatures by unknown key ids are
//!    errors too (a registry signs with keys it publishes).
//! 3. The key must have been valid at the version's publish time (or now, when the packument
//!    gives no time).

use crate::config::trust::{KeyUsage, NpmKey};
use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jiff::Timestamp;
use serde_json::Value;

/// One `dist.signatures[]` entry.
#[derive(Debug, Clone)]
pub struct Signature {
    pub keyid: String,
    pub sig: String,
}

/// Read `dist.signatures` of a version manifest. `Ok(empty)` when absent.
pub fn signatures(manifest: &Value) -> Result<Vec<Signature>> {
    let Some(list) = manifest.pointer("/dist/signatures") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| Error::Signature("dist.signatures is not an array".into()))?;
    list.iter()
        .map(|s| {
            Ok(Signature {
                keyid: s
                    .get("keyid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                sig: s
                    .get("sig")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            })
        })
        .collect()
}

/// The key that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub key_id: String,
    pub key_source: &'static str,
}

/// Verify `signatures` for `name@version:integrity`, at `published` (or `now`).
pub fn verify(
    name: &str,
    version: &str,
    integrity: &str,
    sigs: &[Signature],
    keys: &[NpmKey],
    published: Option<Timestamp>,
) -> Result<Verified> {
    if sigs.is_empty() {
        return Err(Error::Signature("no registry signature".into()));
    }
    let message = format!("{name}@{version}:{integrity}");
    let at = published.unwrap_or_else(Timestamp::now);
    let mut verified = None;
    for s in sigs {
        let candidates: Vec<&NpmKey> = keys
            .iter()
            .filter(|k| k.key_id == s.keyid && k.usage == KeyUsage::Signatures)
            .collect();
        if candidates.is_empty() {
            return Err(Error::KeyUnknown(format!(
                "registry signature key {:?}",
                s.keyid
            )));
        }
        let der = STANDARD.decode(&s.sig).map_err(|e| {
            Error::Signature(format!("signature by {} is not base64: {e}", s.keyid))
        })?;
        let mut last = None;
        let mut ok = None;
        for k in &candidates {
            match k.verify(message.as_bytes(), &der) {
                Ok(()) => {
                    ok = Some(*k);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let Some(k) = ok else {
            return Err(last.unwrap_or_else(|| Error::Signature(message.clone())));
        };
        if !candidates
            .iter()
            .any(|c| c.spki == k.spki && c.valid_at(at))
        {
            return Err(Error::KeyExpired(format!(
                "registry key {} was not valid at {at} ({})",
                k.key_id,
                if published.is_some() {
                    "publish time"
                } else {
                    "now; no publish time known"
                }
            )));
        }
        verified.get_or_insert(Verified {
            key_id: k.key_id.clone(),
            key_source: k.source,
        });
    }
    verified.ok_or_else(|| Error::Signature("no registry signature".into()))
}
