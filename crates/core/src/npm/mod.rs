//! npm's vocabulary: package specs and names, integrity strings, and tarballs read as npm
//! extracts them.

pub mod integrity;
pub mod spec;
pub mod tarball;
