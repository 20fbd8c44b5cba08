//! What every call starts from: trust material, the working directory, npm's configuration for
//! the project, the network client (offline or not, with the packument cache) and the result
//! cache. A binding turns its options into [`Settings`] and calls [`Session::open`] (or
//! [`trust`] and [`working_dir`] for a single verification); nothing here knows JavaScript.

use crate::audit;
use crate::config::trust::{Source, TrustMaterial};
use crate::error::{Error, Result};
use crate::net::cache::Cache;
use crate::verify::Context;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Options shared by `audit` and `guard`.
#[derive(Debug, Default)]
pub struct Settings {
    /// Trusted root and npm keys instead of the embedded ones (or `PROV_NATIVE_*`).
    pub trusted_root: Option<Source>,
    pub npm_keys: Option<Source>,
    /// The directory the project is looked for from; the process's by default.
    pub cwd: Option<PathBuf>,
    /// An explicit lockfile (relative to `cwd`): npm's configuration is its project's.
    pub lockfile: Option<PathBuf>,
    pub registry: Option<String>,
    pub attestations_registry: Option<String>,
    pub concurrency: usize,
    /// Keep verdicts and packuments on disk (in `cache_dir`, else under npm's cache).
    pub cache: bool,
    pub cache_dir: Option<PathBuf>,
    pub offline: bool,
    /// npm config set by the caller, above every `.npmrc` and the environment.
    pub overrides: Vec<(String, String)>,
}

/// A prepared call: its context, working directory and audit options.
pub struct Session {
    pub ctx: Context,
    pub cwd: PathBuf,
    pub audit: audit::Options,
}

impl Session {
    /// Load trust material, npm's configuration for the project and the caches.
    pub async fn open(s: Settings) -> Result<Session> {
        let trust = trust(s.trusted_root, s.npm_keys).await?;
        let cwd = working_dir(s.cwd)?;
        let project = crate::guard::project_dir(&cwd, s.lockfile.as_deref());
        let mut ctx = Context::with_overrides(project, trust, &s.overrides)?;
        let default_dir = Cache::default_dir(ctx.client.config());
        let npm_cache = default_dir
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        let cache = match (s.cache, s.cache_dir.map(|d| cwd.join(d)).or(default_dir)) {
            (true, Some(d)) => Some(blocking(move || Cache::open(&d)).await?),
            _ => None,
        };
        let mut client = ctx.client.clone().offline(s.offline);
        if let Some(c) = &cache {
            client = client.with_packument_cache(c.clone());
        }
        ctx.client = client;
        let audit = audit::Options {
            registry: s.registry,
            attestations_registry: s.attestations_registry,
            concurrency: s.concurrency,
            cache,
            npm_cache,
            ..Default::default()
        };
        Ok(Session { ctx, cwd, audit })
    }
}

/// Trust material for a call: the default (built once, then shared) unless either part is
/// given.
pub async fn trust(root: Option<Source>, keys: Option<Source>) -> Result<Arc<TrustMaterial>> {
    if root.is_none() && keys.is_none() {
        if let Some(t) = TrustMaterial::default_if_loaded() {
            return Ok(t);
        }
    }
    blocking(move || TrustMaterial::for_call(root, keys)).await
}

/// `cwd`, else the process's working directory.
pub fn working_dir(cwd: Option<PathBuf>) -> Result<PathBuf> {
    match cwd {
        Some(c) => Ok(c),
        None => std::env::current_dir().map_err(|e| Error::io(".", e)),
    }
}

/// `f` on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
}
