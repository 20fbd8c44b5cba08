//! The repository's `testdata/` for unit tests (origins and licences in its READMEs).

use crate::config::trust::{Source, TrustMaterial};
use std::path::PathBuf;

pub fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/fixtures")
        .join(rel)
}

pub fn bytes(rel: &str) -> Vec<u8> {
    std::fs::read(path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn text(rel: &str) -> String {
    String::from_utf8(bytes(rel)).unwrap()
}

pub fn json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&bytes(rel)).unwrap()
}

/// The embedded trust material.
pub fn trust() -> TrustMaterial {
    TrustMaterial::load(&Source::Default, &Source::Default).unwrap()
}

/// The sha512 of a fixture tarball.
pub fn sha512(rel: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha512::digest(bytes(rel)).to_vec()
}
