//! Configuration the user already has: npm's `.npmrc` chain and environment, and the trust
//! material (Sigstore trusted root, npm registry keys).

pub mod npmrc;
pub mod trust;
