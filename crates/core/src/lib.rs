//! The prov-native engine: verify npm packages — registry signatures, npm attestations, SLSA
//! provenance, the transparency log — and judge a project's dependency tree before npm installs
//! it. Plain Rust, no JavaScript: the Node addon (`src/` at the repository root) is one binding
//! of it; a CLI or another binding can use the same API.
//!
//! Entry points: [`verify::verify`] (one package), [`audit::audit_tree`] (a lockfile),
//! [`guard::guard`] (a project, with policy), all taking a [`verify::Context`]; results are
//! [`report::Report`]s, errors carry a stable code ([`Error::code`]).
//!
//! Folders by concept: `npm` (names, specs, integrity, tarballs), `config` (npmrc, trust
//! material), `net` (registry client, cache), `sigstore` (bundles, attestations, registry
//! signatures, transparency log), `lockfile` (one file per format), `audit`, `verify`,
//! `signals` (code scan, typosquatting, advisories), `policy`, `guard`, `report`.

#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod audit;
pub mod code;
pub mod config;
pub mod env;
pub mod error;
pub mod files;
pub mod guard;
pub mod lint;
pub mod lockfile;
pub mod net;
pub mod npm;
pub mod policy;
pub mod report;
pub mod sbom;
pub mod session;
pub mod signals;
pub mod sigstore;
pub mod sri;
pub mod survey;
pub mod verify;
pub mod watch;

#[cfg(test)]
pub(crate) mod testdata;

pub use code::Code;
pub use error::{Error, Result};
