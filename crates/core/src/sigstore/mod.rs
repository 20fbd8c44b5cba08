//! Signatures: Sigstore bundles and their transparency-log proofs, npm's attestations
//! (publish and SLSA provenance), and the registry's ECDSA signature over each version.

pub mod attestation;
pub mod bundle;
pub mod crypto;
pub mod provenance;
pub mod registry_sig;
pub mod tlog;
