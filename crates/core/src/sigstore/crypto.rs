//! The crypto provider `sigstore-verify` runs on: aws-lc, plus a memo of successful signature
//! checks scoped to one bundle verification.
//!
//! `sigstore-verify` 0.15 checks a Rekor v1 entry's Signed Entry Timestamp twice per bundle:
//! once to establish the integrated time the certificate is validated at, once with the
//! inclusion proof (measured: one extra P-256 verification, ~11 % of a provenance bundle's
//! time). Signature verification is a pure function of (scheme, key, message, signature), so
//! inside [`scoped`] a tuple that already verified is answered from the memo; anything else,
//! and every failure, goes to aws-lc. Outside [`scoped`] nothing is memoised: every bundle and
//! every other call checks its signatures itself.

use sha2::{Digest, Sha256};
use sigstore_verify::crypto::provider::{
    aws_lc_provider, install_default_provider, CryptoProvider, HashContext, SigningKeyPair,
};
use sigstore_verify::crypto::{KeyAlgorithm, Result, SigningScheme};
use sigstore_verify::types::HashAlgorithm;
use std::cell::RefCell;

/// Most memoised checks in one scope (a bundle makes at most a handful).
const MAX_MEMO: usize = 32;

thread_local! {
    /// `Some` inside [`scoped`]: ids of the checks that verified.
    static VERIFIED: RefCell<Option<Vec<[u8; 32]>>> = const { RefCell::new(None) };
}

#[derive(Debug)]
struct Memo;

static MEMO: Memo = Memo;

fn id(scheme: SigningScheme, key: &[u8], data: &[u8], signature: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [format!("{scheme:?}").as_bytes(), key, data, signature] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

impl CryptoProvider for Memo {
    fn hash(&self, algorithm: HashAlgorithm) -> Result<Box<dyn HashContext>> {
        aws_lc_provider().hash(algorithm)
    }

    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        aws_lc_provider().sha256(data)
    }

    fn sha384(&self, data: &[u8]) -> [u8; 48] {
        aws_lc_provider().sha384(data)
    }

    fn sha512(&self, data: &[u8]) -> [u8; 64] {
        aws_lc_provider().sha512(data)
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        key: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let memo_id = VERIFIED.with(|v| {
            v.borrow()
                .is_some()
                .then(|| id(scheme, key, data, signature))
        });
        let Some(memo_id) = memo_id else {
            return aws_lc_provider().verify_raw(scheme, key, data, signature);
        };
        if VERIFIED.with(|v| {
            v.borrow()
                .as_ref()
                .is_some_and(|ids| ids.contains(&memo_id))
        }) {
            return Ok(());
        }
        aws_lc_provider().verify_raw(scheme, key, data, signature)?;
        VERIFIED.with(|v| {
            if let Some(ids) = v.borrow_mut().as_mut() {
                if ids.len() < MAX_MEMO {
                    ids.push(memo_id);
                }
            }
        });
        Ok(())
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        key: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        aws_lc_provider().verify_prehashed(scheme, key, digest, signature)
    }

    fn generate_key_pair(&self, algorithm: KeyAlgorithm) -> Result<Box<dyn SigningKeyPair>> {
        aws_lc_provider().generate_key_pair(algorithm)
    }

    fn key_pair_from_pkcs8_der(&self, pkcs8: &[u8]) -> Result<Box<dyn SigningKeyPair>> {
        aws_lc_provider().key_pair_from_pkcs8_der(pkcs8)
    }
}

/// Install the provider (once per process). If another provider was installed first, that
/// one stays and nothing is memoised.
fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = install_default_provider(&MEMO);
    });
}

/// Leaves the scope however `f` ends (a panic included).
struct Scope(Option<Vec<[u8; 32]>>);

impl Drop for Scope {
    fn drop(&mut self) {
        let outer = self.0.take();
        VERIFIED.with(|v| *v.borrow_mut() = outer);
    }
}

/// Run `f` (one bundle's verification) with its successful signature checks memoised.
pub fn scoped<T>(f: impl FnOnce() -> T) -> T {
    install();
    let _scope = Scope(VERIFIED.with(|v| v.borrow_mut().replace(Vec::new())));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo_len() -> Option<usize> {
        VERIFIED.with(|v| v.borrow().as_ref().map(Vec::len))
    }

    #[test]
    fn memoises_successes_inside_a_scope_only() {
        let scheme = SigningScheme::EcdsaP256Sha256;
        let kp = aws_lc_provider()
            .generate_key_pair(KeyAlgorithm::EcdsaP256)
            .unwrap();
        let key = kp.public_key_bytes().to_vec();
        let sig = kp.sign_raw(b"message").unwrap();
        let mut other = sig.clone();
        let last = other.len() - 1;
        other[last] ^= 1;

        assert!(MEMO.verify_raw(scheme, &key, b"message", &sig).is_ok());
        assert_eq!(memo_len(), None, "nothing is recorded outside a scope");
        scoped(|| {
            assert!(MEMO.verify_raw(scheme, &key, b"message", &sig).is_ok());
            assert!(MEMO.verify_raw(scheme, &key, b"message", &sig).is_ok());
            assert_eq!(memo_len(), Some(1));
            // Another signature, message or key is checked for real.
            assert!(MEMO.verify_raw(scheme, &key, b"message", &other).is_err());
            assert!(MEMO.verify_raw(scheme, &key, b"massage", &sig).is_err());
            assert_eq!(memo_len(), Some(1), "failures are not recorded");
        });
        assert_eq!(memo_len(), None, "the scope ends with the call");
        let r = std::panic::catch_unwind(|| scoped(|| panic!("inside")));
        assert!(r.is_err());
        assert_eq!(memo_len(), None, "and when it panics");
    }
}
