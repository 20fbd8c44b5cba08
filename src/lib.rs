//! prov-native: verify npm packages natively.
//!
//! Core modules are plain Rust (no napi imports) and tested with `cargo test`; `binding` is
//! the only module that knows about JavaScript.

#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![deny(unsafe_code)]

pub mod advisories;
pub mod attestation;
pub mod audit;
pub mod bundle;
pub mod cache;
pub mod crypto;
pub mod error;
pub mod files;
pub mod guard;
pub mod integrity;
pub mod lockfile;
pub mod npmrc;
pub mod policy;
pub mod provenance;
pub mod registry;
pub mod registry_sig;
pub mod report;
pub mod scan;
pub mod spec;
pub mod tarball;
pub mod tlog;
pub mod trust;
pub mod typosquat;
pub mod verify;

pub use error::{Error, Result};

// napi-derive registers exports only outside `cfg(test)`; the unit-test build would see dead code.
#[cfg(all(feature = "node", not(test)))]
#[allow(unsafe_code)]
mod binding;
