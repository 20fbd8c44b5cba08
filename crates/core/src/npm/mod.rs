//! npm's vocabulary: package specs and names, registry URLs, integrity strings, and tarballs
//! read as npm extracts them.

pub mod integrity;
pub mod registry_url;
pub mod spec;
pub mod tarball;
