//! What a package looks like beyond its signatures: install scripts and code (`scan`), names
//! close to popular ones (`typosquat`), and known-malicious versions (`advisories`).

pub mod advisories;
pub mod scan;
pub mod typosquat;
