//! The registry client (packuments, tarballs, attestations, bounded and retried) and the
//! verdict and packument cache.

pub mod cache;
pub mod registry;
