//! Trust material: the Sigstore trusted root and the npm registry keys.
//!
//! Both are embedded at build time (`assets/`), copied from Sigstore's public-good TUF
//! repository as shipped in `@sigstore/tuf`. Nothing is fetched from the TUF CDN. Callers
//! may override either with a file or a JSON value (option, or the env vars
//! `PROV_NATIVE_TRUSTED_ROOT` and `PROV_NATIVE_NPM_KEYS`).

use crate::error::{Error, Result};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use jiff::Timestamp;
use once_cell::sync::OnceCell;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{DerPublicKey, SignatureBytes};
use sigstore_verify::Verifier;
use std::sync::Arc;

const EMBEDDED_TRUSTED_ROOT: &str = include_str!("../../assets/trusted_root.json");
const EMBEDDED_NPM_KEYS: &str = include_str!("../../assets/npm-keys.json");

/// Largest trust-material document accepted (bytes).
const MAX_TRUST_JSON: usize = 8 * 1024 * 1024;

/// What an npm key may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUsage {
    /// `dist.signatures` over `name@version:integrity`.
    Signatures,
    /// Publish attestations (keyed Sigstore bundles).
    Attestations,
}

/// One npm registry public key.
#[derive(Debug, Clone)]
pub struct NpmKey {
    /// `SHA256:<unpadded base64>` of the OpenSSH wire-format key.
    pub key_id: String,
    pub usage: KeyUsage,
    /// DER SubjectPublicKeyInfo (ECDSA P-256).
    pub spki: Vec<u8>,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
    /// `embedded`, `file`, or `registry`.
    pub source: &'static str,
}

impl NpmKey {
    /// Whether the key was valid at `t`.
    pub fn valid_at(&self, t: Timestamp) -> bool {
        self.valid_from.is_none_or(|s| s <= t) && self.valid_until.is_none_or(|e| t < e)
    }

    /// Verify an ECDSA P-256/SHA-256 DER signature over `data`.
    pub fn verify(&self, data: &[u8], sig_der: &[u8]) -> Result<()> {
        sigstore_verify::crypto::verify_signature(
            &DerPublicKey::new(self.spki.clone()),
            data,
            &SignatureBytes::new(sig_der.to_vec()),
            sigstore_verify::crypto::SigningScheme::EcdsaP256Sha256,
        )
        .map_err(|e| Error::Signature(format!("key {}: {e}", self.key_id)))
    }

    pub fn pem(&self) -> String {
        DerPublicKey::new(self.spki.clone()).to_pem()
    }
}

/// The key id npm gives a P-256 key: `SHA256:` + unpadded base64 of SHA-256 over the
/// OpenSSH wire encoding (`ssh-keygen -l`).
pub fn npm_key_id(spki: &[u8]) -> Result<String> {
    // A P-256 SPKI is 91 bytes and ends with the 65-byte uncompressed point.
    const P256_SPKI_PREFIX: [u8; 26] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    if spki.len() != 91 || spki[..26] != P256_SPKI_PREFIX {
        return Err(Error::Keys(
            "not an ECDSA P-256 SubjectPublicKeyInfo".into(),
        ));
    }
    let point = &spki[26..];
    let mut wire = Vec::with_capacity(104);
    for part in [&b"ecdsa-sha2-nistp256"[..], b"nistp256", point] {
        wire.extend_from_slice(&(part.len() as u32).to_be_bytes());
        wire.extend_from_slice(part);
    }
    Ok(format!(
        "SHA256:{}",
        STANDARD_NO_PAD.encode(Sha256::digest(&wire))
    ))
}

fn parse_time(v: &Value, what: &str) -> Result<Option<Timestamp>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => s
            .parse::<Timestamp>()
            .map(Some)
            .map_err(|e| Error::Keys(format!("{what}: bad time {s:?}: {e}"))),
        _ => Err(Error::Keys(format!("{what}: time is not a string"))),
    }
}

/// Parse npm keys in either format: the registry's `/-/npm/v1/keys`
/// (`{keys:[{keyid, key, expires}]}`, usable for both purposes) or Sigstore TUF's
/// npm `keys.json` target (`{keys:[{keyId, keyUsage, publicKey:{rawBytes, validFor}}]}`).
/// Each key id is recomputed from the key and must match.
pub fn parse_npm_keys(doc: &Value, source: &'static str) -> Result<Vec<NpmKey>> {
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Keys("no \"keys\" array".into()))?;
    let mut out = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let what = format!("keys[{i}]");
        let str_field = |name: &str| k.get(name).and_then(Value::as_str);
        if let Some(raw) = k.pointer("/publicKey/rawBytes").and_then(Value::as_str) {
            let key_id = str_field("keyId")
                .ok_or_else(|| Error::Keys(format!("{what}: no keyId")))?
                .to_string();
            let usage = match str_field("keyUsage") {
                Some("npm:signatures") => KeyUsage::Signatures,
                Some("npm:attestations") => KeyUsage::Attestations,
                other => return Err(Error::Keys(format!("{what}: unknown keyUsage {other:?}"))),
            };
            let spki = STANDARD
                .decode(raw)
                .map_err(|e| Error::Keys(format!("{what}: rawBytes: {e}")))?;
            let valid_from = parse_time(
                k.pointer("/publicKey/validFor/start")
                    .unwrap_or(&Value::Null),
                &what,
            )?;
            let valid_until = parse_time(
                k.pointer("/publicKey/validFor/end").unwrap_or(&Value::Null),
                &what,
            )?;
            out.push(checked(NpmKey {
                key_id,
                usage,
                spki,
                valid_from,
                valid_until,
                source,
            })?);
        } else if let Some(raw) = str_field("key") {
            let key_id = str_field("keyid")
                .ok_or_else(|| Error::Keys(format!("{what}: no keyid")))?
                .to_string();
            let spki = STANDARD
                .decode(raw)
                .map_err(|e| Error::Keys(format!("{what}: key: {e}")))?;
            let valid_until = parse_time(k.get("expires").unwrap_or(&Value::Null), &what)?;
            for usage in [KeyUsage::Signatures, KeyUsage::Attestations] {
                out.push(checked(NpmKey {
                    key_id: key_id.clone(),
                    usage,
                    spki: spki.clone(),
                    valid_from: None,
                    valid_until,
                    source,
                })?);
            }
        } else {
            return Err(Error::Keys(format!(
                "{what}: neither publicKey.rawBytes nor key"
            )));
        }
    }
    if out.is_empty() {
        return Err(Error::Keys("no keys".into()));
    }
    Ok(out)
}

fn checked(k: NpmKey) -> Result<NpmKey> {
    let computed = npm_key_id(&k.spki)?;
    if computed != k.key_id {
        return Err(Error::Keys(format!(
            "key id {} does not match its key (computed {computed})",
            k.key_id
        )));
    }
    Ok(k)
}

/// A ready-to-use set of trust material. Building the verifier is the costly part
/// (~ms); build once, share with `Arc`.
pub struct TrustMaterial {
    pub trusted_root: TrustedRoot,
    pub verifier: Verifier,
    pub npm_keys: Vec<NpmKey>,
    /// Where each piece came from, for reports.
    pub trusted_root_source: String,
    pub npm_keys_source: String,
    /// SHA-256 over the trusted root and keys as loaded: part of every cache key.
    pub fingerprint: String,
}

impl std::fmt::Debug for TrustMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustMaterial")
            .field("trusted_root_source", &self.trusted_root_source)
            .field("npm_keys_source", &self.npm_keys_source)
            .finish()
    }
}

/// Where trust material comes from.
#[derive(Debug, Clone, Default)]
pub enum Source {
    /// The env var if set, else the embedded copy.
    #[default]
    Default,
    Path(String),
    Json(String),
}

fn read_source(src: &Source, env: &str, embedded: &'static str) -> Result<(String, String)> {
    let from_path = |p: &str| -> Result<(String, String)> {
        let bytes = crate::files::read_capped(std::path::Path::new(p), MAX_TRUST_JSON as u64)?;
        let text = String::from_utf8(bytes).map_err(|e| Error::io(p, e))?;
        Ok((text, format!("file:{p}")))
    };
    match src {
        Source::Path(p) => from_path(p),
        Source::Json(j) => Ok((j.clone(), "option".into())),
        Source::Default => match crate::env::var_os(env) {
            Some(p) => {
                let p = p.to_string_lossy();
                from_path(&p).map(|(t, s)| (t, format!("{env}={s}")))
            }
            None => Ok((embedded.to_string(), "embedded".into())),
        },
    }
}

/// The parser accepts almost any object; refuse what cannot be a trusted root so a wrong file
/// is a configuration error, not a puzzling verification failure later.
fn check_trusted_root_shape(text: &str) -> std::result::Result<(), String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let media = v.get("mediaType").and_then(Value::as_str).unwrap_or("");
    if !media.starts_with("application/vnd.dev.sigstore.trustedroot") {
        return Err(format!(
            "mediaType {media:?} is not a Sigstore trusted root"
        ));
    }
    match v.get("tlogs").and_then(Value::as_array) {
        Some(t) if !t.is_empty() => Ok(()),
        _ => Err("no transparency logs (tlogs)".into()),
    }
}

static DEFAULT: OnceCell<Arc<TrustMaterial>> = OnceCell::new();

/// How many overridden trust-material sets [`TrustMaterial::for_call`] keeps built.
pub const OVERRIDE_CACHE: usize = 8;

type OverrideKey = (String, String, String);
static OVERRIDES: std::sync::Mutex<Vec<(OverrideKey, Arc<TrustMaterial>)>> =
    std::sync::Mutex::new(Vec::new());

impl TrustMaterial {
    pub fn load(root: &Source, keys: &Source) -> Result<Self> {
        let root = read_source(root, crate::env::TRUSTED_ROOT, EMBEDDED_TRUSTED_ROOT)?;
        let keys = read_source(keys, crate::env::NPM_KEYS, EMBEDDED_NPM_KEYS)?;
        Self::build(root, keys)
    }

    /// SHA-256 over the trusted root and keys texts.
    fn fingerprint_of(root_text: &str, keys_text: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update((root_text.len() as u64).to_be_bytes());
        h.update(root_text.as_bytes());
        h.update(keys_text.as_bytes());
        hex::encode(h.finalize())
    }

    fn build(
        (root_text, trusted_root_source): (String, String),
        (keys_text, npm_keys_source): (String, String),
    ) -> Result<Self> {
        check_trusted_root_shape(&root_text)
            .map_err(|e| Error::TrustRoot(format!("{trusted_root_source}: {e}")))?;
        let trusted_root = TrustedRoot::from_json(&root_text)
            .map_err(|e| Error::TrustRoot(format!("{trusted_root_source}: {e}")))?;
        let verifier = Verifier::new(&trusted_root)
            .map_err(|e| Error::TrustRoot(format!("{trusted_root_source}: {e}")))?;
        let doc: Value = serde_json::from_str(&keys_text)
            .map_err(|e| Error::Keys(format!("{npm_keys_source}: {e}")))?;
        let source = if npm_keys_source == "embedded" {
            "embedded"
        } else {
            "file"
        };
        let npm_keys = parse_npm_keys(&doc, source)?;
        Ok(Self {
            fingerprint: Self::fingerprint_of(&root_text, &keys_text),
            trusted_root,
            verifier,
            npm_keys,
            trusted_root_source,
            npm_keys_source,
        })
    }

    /// The process-wide default, if it has been built already.
    pub fn default_if_loaded() -> Option<Arc<Self>> {
        DEFAULT.get().cloned()
    }

    /// The process-wide default (embedded or env override), built once.
    pub fn default_shared() -> Result<Arc<Self>> {
        DEFAULT
            .get_or_try_init(|| Self::load(&Source::Default, &Source::Default).map(Arc::new))
            .cloned()
    }

    /// Resolve the material for one call: shared default unless overridden.
    ///
    /// Overrides are read on every call (a file may change) but built into a verifier only
    /// once per content: the last [`OVERRIDE_CACHE`] are kept by fingerprint and source, so a
    /// caller passing `trustedRoot` with every call does not pay the ~5 ms build each time.
    pub fn for_call(root: Option<Source>, keys: Option<Source>) -> Result<Arc<Self>> {
        if root.is_none() && keys.is_none() {
            return Self::default_shared();
        }
        let root = read_source(
            &root.unwrap_or_default(),
            "PROV_NATIVE_TRUSTED_ROOT",
            EMBEDDED_TRUSTED_ROOT,
        )?;
        let keys = read_source(
            &keys.unwrap_or_default(),
            "PROV_NATIVE_NPM_KEYS",
            EMBEDDED_NPM_KEYS,
        )?;
        let key = (
            Self::fingerprint_of(&root.0, &keys.0),
            root.1.clone(),
            keys.1.clone(),
        );
        let lookup = |cache: &mut Vec<_>| -> Option<Arc<Self>> {
            let i = cache.iter().position(|(k, _)| *k == key)?;
            let hit = cache.remove(i);
            let t = Arc::clone(&hit.1);
            cache.insert(0, hit);
            Some(t)
        };
        let mut cache = OVERRIDES.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = lookup(&mut cache) {
            return Ok(t);
        }
        drop(cache);
        // Built outside the lock: a slow build does not hold up other calls.
        let t = Arc::new(Self::build(root, keys)?);
        let mut cache = OVERRIDES.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(other) = lookup(&mut cache) {
            return Ok(other); // built meanwhile by another call
        }
        cache.insert(0, (key, Arc::clone(&t)));
        cache.truncate(OVERRIDE_CACHE);
        Ok(t)
    }

    /// Keys with this id and usage.
    pub fn npm_keys_by_id<'a>(
        &'a self,
        key_id: &'a str,
        usage: KeyUsage,
    ) -> impl Iterator<Item = &'a NpmKey> + 'a {
        self.npm_keys
            .iter()
            .filter(move |k| k.key_id == key_id && k.usage == usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn trust_files_that_cannot_be_read_are_refused_quickly() {
        use crate::files::testing::{code, make, quick, tmp, ALL};
        for bad in ALL {
            let dir = tmp(&format!("trust-{bad:?}"));
            let p = dir.join("t.json");
            make(&p, bad);
            let path = || Source::Path(p.display().to_string());
            let e = quick("trustedRoot", || {
                TrustMaterial::load(&path(), &Source::Default)
            });
            assert_eq!(
                e.unwrap_err().code(),
                code(bad, "ERR_PROV_TOO_LARGE"),
                "{bad:?}"
            );
            let e = quick("npmKeys", || TrustMaterial::load(&Source::Default, &path()));
            assert_eq!(
                e.unwrap_err().code(),
                code(bad, "ERR_PROV_TOO_LARGE"),
                "{bad:?}"
            );
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[test]
    fn embedded_material_loads_and_ids_match() {
        let t = TrustMaterial::load(&Source::Default, &Source::Default).unwrap();
        assert_eq!(t.npm_keys.len(), 4);
        assert!(!t.trusted_root.tlogs.is_empty());
    }

    #[test]
    fn overrides_are_built_once_per_content() {
        let root = || Some(Source::Json(EMBEDDED_TRUSTED_ROOT.to_string()));
        let a = TrustMaterial::for_call(root(), None).unwrap();
        let b = TrustMaterial::for_call(root(), None).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let mut other: Value = serde_json::from_str(EMBEDDED_NPM_KEYS).unwrap();
        other["keys"].as_array_mut().unwrap().truncate(1);
        let c = TrustMaterial::for_call(root(), Some(Source::Json(other.to_string()))).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert_ne!(a.fingerprint, c.fingerprint);
        assert_eq!(c.npm_keys.len(), 1);
    }

    #[test]
    fn key_id_mismatch_is_rejected() {
        let doc: Value = serde_json::from_str(EMBEDDED_NPM_KEYS).unwrap();
        let mut bad = doc.clone();
        bad["keys"][0]["keyId"] = "SHA256:AAAA".into();
        assert_eq!(
            parse_npm_keys(&bad, "file").unwrap_err().code(),
            "ERR_PROV_KEYS"
        );
    }
}
