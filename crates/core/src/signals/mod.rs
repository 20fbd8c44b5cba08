//! What a package looks like beyond its signatures: its `package.json` (install scripts,
//! manifest confusion: `manifest`), its code (`code`), names close to popular ones
//! (`typosquat`), and known-malicious versions (`advisories`).

pub mod advisories;
pub mod code;
mod finding;
pub mod manifest;
pub mod typosquat;

pub use finding::{Finding, Signal};
