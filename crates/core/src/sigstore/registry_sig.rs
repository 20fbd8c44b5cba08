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
        .enumerate()
        .map(|(i, s)| {
            let field = |k: &str| {
                s.get(k)
                    .and_then(Value::as_str)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| {
                        Error::Signature(format!("dist.signatures[{i}].{k} is not a string"))
                    })
            };
            Ok(Signature {
                keyid: field("keyid")?,
                sig: field("sig")?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;
    use crate::Code;

    /// abbrev@1.0.5 from its real packument: name, version, integrity, signatures, time.
    fn abbrev() -> (String, String, Vec<Signature>, Option<Timestamp>) {
        let doc = testdata::json("packuments/abbrev.full.json");
        let m = &doc["versions"]["1.0.5"];
        let integrity = m["dist"]["integrity"].as_str().unwrap().to_string();
        let time = doc["time"]["1.0.5"].as_str().map(|s| s.parse().unwrap());
        ("1.0.5".into(), integrity, signatures(m).unwrap(), time)
    }

    #[test]
    fn a_real_signature_verifies_at_publish_time() {
        let (v, i, sigs, at) = abbrev();
        let t = testdata::trust();
        let ok = verify("abbrev", &v, &i, &sigs, &t.npm_keys, at).unwrap();
        assert!(!ok.key_id.is_empty());
    }

    #[test]
    fn any_change_to_the_signed_message_or_signature_fails() {
        let (v, i, sigs, at) = abbrev();
        let keys = testdata::trust().npm_keys;
        let code = |name: &str, v: &str, i: &str, s: &[Signature]| {
            verify(name, v, i, s, &keys, at).unwrap_err().code()
        };
        assert_eq!(code("abbrev", "1.0.4", &i, &sigs), Code::Signature);
        assert_eq!(code("abbrev2", &v, &i, &sigs), Code::Signature);
        assert_eq!(code("abbrev", &v, &format!("{i}x"), &sigs), Code::Signature);
        assert_eq!(code("abbrev", &v, &i, &[]), Code::Signature);
        let mut bad = sigs.clone();
        bad[0].sig = STANDARD.encode([1u8; 70]);
        assert_eq!(code("abbrev", &v, &i, &bad), Code::Signature);
        let mut unknown = sigs.clone();
        unknown[0].keyid = "SHA256:not-a-key".into();
        assert_eq!(code("abbrev", &v, &i, &unknown), Code::KeyUnknown);
    }

    #[test]
    fn malformed_dist_signatures_are_errors_not_absent() {
        for m in [
            serde_json::json!({ "dist": { "signatures": {} } }),
            serde_json::json!({ "dist": { "signatures": [{ "keyid": 1, "sig": "x" }] } }),
        ] {
            let e = signatures(&m).unwrap_err();
            assert_ne!(e.code(), Code::Internal, "{m}: {e}");
        }
        assert!(signatures(&serde_json::json!({ "dist": {} }))
            .unwrap()
            .is_empty());
    }
}
