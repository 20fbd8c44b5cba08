//! Subresource Integrity (SRI) strings: parse, compute, compare.
//!
//! Follows the W3C SRI grammar as npm's `ssri` reads it: whitespace-separated
//! `<algo>-<base64>[?options]` tokens. When two integrity values are compared, the
//! strongest algorithm both sides have decides; tokens of unknown algorithms are ignored.

use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Hash algorithms SRI strings may name, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "sha1" => Some(Algorithm::Sha1),
            "sha256" => Some(Algorithm::Sha256),
            "sha384" => Some(Algorithm::Sha384),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    fn len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha384 => 48,
            Algorithm::Sha512 => 64,
        }
    }

    /// SHA-1 is broken for collision resistance: a match proves little.
    pub fn is_weak(self) -> bool {
        self == Algorithm::Sha1
    }
}

/// One `<algo>-<digest>` token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hash {
    pub algorithm: Algorithm,
    pub digest: Vec<u8>,
}

impl Hash {
    pub fn to_sri(&self) -> String {
        format!(
            "{}-{}",
            self.algorithm.name(),
            STANDARD.encode(&self.digest)
        )
    }
}

/// A parsed SRI string: at least one hash of a known algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrity {
    pub hashes: Vec<Hash>,
}

impl Integrity {
    /// Parse an SRI string. Unknown algorithms are skipped; a known algorithm with a digest
    /// that is not base64 of the right length is an error, and so is a string with no known hash.
    pub fn parse(sri: &str) -> Result<Self> {
        if sri.len() > 64 * 1024 {
            return Err(Error::SriParse("longer than 64 KiB".into()));
        }
        let mut hashes = Vec::new();
        for token in sri.split_ascii_whitespace() {
            let Some((algo, rest)) = token.split_once('-') else {
                return Err(Error::SriParse(format!("token {token:?} has no '-'")));
            };
            let Some(algorithm) = Algorithm::parse(algo) else {
                continue;
            };
            let b64 = rest.split('?').next().unwrap_or_default();
            let digest = STANDARD
                .decode(b64)
                .map_err(|e| Error::SriParse(format!("{algo} digest is not base64: {e}")))?;
            if digest.len() != algorithm.len() {
                return Err(Error::SriParse(format!(
                    "{algo} digest has {} bytes, expected {}",
                    digest.len(),
                    algorithm.len()
                )));
            }
            hashes.push(Hash { algorithm, digest });
        }
        if hashes.is_empty() {
            return Err(Error::SriParse(format!("no supported hash in {sri:?}")));
        }
        Ok(Self { hashes })
    }

    /// The strongest hash, by algorithm.
    pub fn strongest(&self) -> Option<&Hash> {
        self.hashes.iter().max_by_key(|h| h.algorithm)
    }

    pub fn get(&self, algorithm: Algorithm) -> Option<&Hash> {
        self.hashes.iter().find(|h| h.algorithm == algorithm)
    }

    /// The one sha512 digest this integrity names, if any. Several different sha512 digests
    /// are refused: each would satisfy [`check`], and an attestation could be bound to one
    /// while the bytes match another.
    pub fn sha512(&self) -> Result<Option<&Hash>> {
        let mut found: Option<&Hash> = None;
        for h in self
            .hashes
            .iter()
            .filter(|h| h.algorithm == Algorithm::Sha512)
        {
            match found {
                Some(f) if f.digest != h.digest => {
                    return Err(Error::IntegrityMismatch(format!(
                        "{} names more than one sha512 digest",
                        self.to_sri()
                    )))
                }
                _ => found = Some(h),
            }
        }
        Ok(found)
    }

    pub fn algorithms(&self) -> Vec<Algorithm> {
        let mut a: Vec<_> = self.hashes.iter().map(|h| h.algorithm).collect();
        a.sort();
        a.dedup();
        a
    }

    pub fn to_sri(&self) -> String {
        self.hashes
            .iter()
            .map(Hash::to_sri)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The algorithm that decided.
    pub algorithm: Algorithm,
    /// The computed hash, as SRI.
    pub actual: String,
}

/// The digest of `bytes` with one algorithm.
pub fn digest(bytes: &[u8], algorithm: Algorithm) -> Vec<u8> {
    match algorithm {
        Algorithm::Sha1 => Sha1::digest(bytes).to_vec(),
        Algorithm::Sha256 => Sha256::digest(bytes).to_vec(),
        Algorithm::Sha384 => Sha384::digest(bytes).to_vec(),
        Algorithm::Sha512 => Sha512::digest(bytes).to_vec(),
    }
}

/// Compute the given algorithms over `bytes`.
pub fn compute(bytes: &[u8], algorithms: &[Algorithm]) -> Integrity {
    let mut algos = algorithms.to_vec();
    algos.sort();
    algos.dedup();
    let hashes = algos
        .into_iter()
        .map(|algorithm| Hash {
            algorithm,
            digest: digest(bytes, algorithm),
        })
        .collect();
    Integrity { hashes }
}

/// Do two integrities name the same bytes? Compared on the strongest algorithm both have:
/// `Some(true)` if some hash of it is in both, `Some(false)` if none is, `None` when they
/// share no algorithm.
pub fn agree(a: &Integrity, b: &Integrity) -> Option<bool> {
    agree_on(a, b).map(|(_, same)| same)
}

/// [`agree`], with the algorithm that decided.
pub fn agree_on(a: &Integrity, b: &Integrity) -> Option<(Algorithm, bool)> {
    let common = a
        .hashes
        .iter()
        .map(|h| h.algorithm)
        .filter(|alg| b.get(*alg).is_some())
        .max()?;
    let of = |i: &Integrity| -> Vec<Vec<u8>> {
        i.hashes
            .iter()
            .filter(|h| h.algorithm == common)
            .map(|h| h.digest.clone())
            .collect()
    };
    let (x, y) = (of(a), of(b));
    Some((
        common,
        x.iter().any(|d| y.iter().any(|e| constant_time_eq(d, e))),
    ))
}

/// Check `bytes` against `expected` with the strongest algorithm it names.
/// Every hash of that algorithm is accepted (SRI allows several); none matching is an error.
pub fn check(bytes: &[u8], expected: &Integrity) -> Result<Checked> {
    let strongest = expected
        .strongest()
        .ok_or_else(|| Error::SriParse("empty integrity".into()))?
        .algorithm;
    let actual = compute(bytes, &[strongest]);
    let got = actual
        .get(strongest)
        .ok_or_else(|| Error::Internal("hash not computed".into()))?;
    let ok = expected
        .hashes
        .iter()
        .filter(|h| h.algorithm == strongest)
        .any(|h| constant_time_eq(&h.digest, &got.digest));
    if ok {
        Ok(Checked {
            algorithm: strongest,
            actual: got.to_sri(),
        })
    } else {
        Err(Error::IntegrityMismatch(format!(
            "expected {}, got {}",
            expected.to_sri(),
            got.to_sri()
        )))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_check() {
        let i = compute(b"hello", &[Algorithm::Sha512, Algorithm::Sha1]);
        let parsed = Integrity::parse(&i.to_sri()).unwrap();
        assert_eq!(parsed, i);
        assert_eq!(
            check(b"hello", &parsed).unwrap().algorithm,
            Algorithm::Sha512
        );
        assert_eq!(
            check(b"hellO", &parsed).unwrap_err().code(),
            "ERR_PROV_INTEGRITY"
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "sha512", "sha512-!!!", "sha256-AAAA", "md5-AAAA"] {
            assert_eq!(
                Integrity::parse(bad).unwrap_err().code(),
                "ERR_PROV_SRI",
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_algorithms_and_options_are_skipped() {
        let i = compute(b"x", &[Algorithm::Sha256]);
        let s = format!("md5-abc {}?foo", i.to_sri());
        assert!(check(b"x", &Integrity::parse(&s).unwrap()).is_ok());
    }
}
