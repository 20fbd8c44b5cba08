//! The process environment. Every environment variable the engine reads is read here, so what
//! it depends on is one list:
//! - npm's: `npm_config_*` and what npm itself looks at (`HOME`, `USERPROFILE`, `APPDATA`,
//!   `PATH`, `PREFIX`) — [`vars`], [`npm_vars`];
//! - prov-native's: `PROV_NATIVE_TRUSTED_ROOT`, `PROV_NATIVE_NPM_KEYS`,
//!   `PROV_NATIVE_CACHE_SECRET`, `PROV_NATIVE_SCAN_ALL`;
//! - CI: `CI`, `GITHUB_BASE_REF`, `CI_MERGE_REQUEST_DIFF_BASE_SHA` — [`Ci`];
//! - per-user directories: `HOME`, `USERPROFILE`, `XDG_STATE_HOME`, `LOCALAPPDATA`, `APPDATA`.
//!
//! Functions that take an environment as an argument (`NpmConfig::load_with`) read none of it.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

pub const TRUSTED_ROOT: &str = "PROV_NATIVE_TRUSTED_ROOT";
pub const NPM_KEYS: &str = "PROV_NATIVE_NPM_KEYS";
pub const CACHE_SECRET: &str = "PROV_NATIVE_CACHE_SECRET";
pub const SCAN_ALL: &str = "PROV_NATIVE_SCAN_ALL";

/// The variables that are valid UTF-8 (npm reads no other).
pub fn vars() -> HashMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// The variables npm's own answer depends on (`npm_config_*`, `PATH`, `HOME`, `USERPROFILE`,
/// `APPDATA`, `PREFIX`; names compared case-insensitively), lossily decoded, sorted.
pub fn npm_vars(prefix: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k.starts_with(prefix)
                || matches!(
                    k.as_str(),
                    "path" | "home" | "userprofile" | "appdata" | "prefix"
                )
        })
        .collect();
    v.sort();
    v
}

/// `k`, trimmed, when set and not blank.
pub fn var(k: &str) -> Option<String> {
    std::env::var(k)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `k` as it is (not decoded), when set and not empty.
pub fn var_os(k: &str) -> Option<OsString> {
    std::env::var_os(k).filter(|v| !v.is_empty())
}

/// `k` as a path, when set and not empty.
pub fn path(k: &str) -> Option<PathBuf> {
    var_os(k).map(PathBuf::from)
}

/// The home directory: `$HOME`, else `%USERPROFILE%` on Windows, else the platform's.
pub fn home() -> Option<PathBuf> {
    path("HOME")
        .or_else(|| {
            if cfg!(windows) {
                path("USERPROFILE")
            } else {
                None
            }
        })
        .or_else(std::env::home_dir)
}

/// What the CI environment says.
#[derive(Debug, Clone, Default)]
pub struct Ci {
    /// `PROV_NATIVE_SCAN_ALL` is `1`, `true` or `yes`.
    pub scan_all: bool,
    /// The revision a pull/merge request is compared with, and the variable that named it:
    /// `origin/$GITHUB_BASE_REF`, else `$CI_MERGE_REQUEST_DIFF_BASE_SHA` (GitLab).
    pub base: Option<(String, &'static str)>,
    /// `CI` is set and not `false`/`0`.
    pub ci: bool,
}

impl Ci {
    pub fn from_process() -> Self {
        let scan_all = var(SCAN_ALL).is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes"));
        let base = var("GITHUB_BASE_REF")
            .map(|b| (format!("origin/{b}"), "GITHUB_BASE_REF"))
            .or_else(|| {
                var("CI_MERGE_REQUEST_DIFF_BASE_SHA").map(|s| (s, "CI_MERGE_REQUEST_DIFF_BASE_SHA"))
            });
        let ci =
            var("CI").is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0"));
        Self { scan_all, base, ci }
    }
}
