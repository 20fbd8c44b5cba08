//! Registry client: packuments, tarballs, keys and attestations over HTTP(S).
//!
//! Honours npm's configuration (see `npmrc`): per-URL credentials, `ca`/`cafile`,
//! `strict-ssl`, proxies. One `reqwest` client per `Client`, so connections are kept alive and
//! reused. Transient failures (connect errors, timeouts, 429, 5xx) are retried with
//! exponential backoff and jitter. Response sizes are capped.

use crate::error::{Error, Result};
use crate::npmrc::{Auth, NpmConfig};
use crate::spec::escaped_name;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Largest packument accepted.
pub const MAX_PACKUMENT_BYTES: usize = 128 * 1024 * 1024;
/// Largest JSON document for keys / attestations.
pub const MAX_SMALL_JSON_BYTES: usize = 16 * 1024 * 1024;
/// Default cap on tarball size.
pub const DEFAULT_MAX_TARBALL_BYTES: usize = 512 * 1024 * 1024;
const RETRIES: u32 = 3;

/// A fetched response body, or "not found".
#[derive(Debug)]
pub enum Fetched<T> {
    Found(T),
    NotFound,
}

/// HTTP client bound to an npm configuration.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<NpmConfig>,
}

impl Client {
    pub fn new(config: Arc<NpmConfig>) -> Result<Self> {
        let mut b = reqwest::Client::builder()
            .user_agent(concat!("prov-native/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(120))
            .pool_idle_timeout(Duration::from_secs(30));
        let pems = config.ca_pems()?;
        if !pems.is_empty() {
            let mut certs = Vec::new();
            for pem in &pems {
                let mut c = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                    .map_err(|e| Error::Config(format!("ca/cafile: {e}")))?;
                certs.append(&mut c);
            }
            // npm: `ca` replaces the default trust store.
            b = b.tls_certs_only(certs);
        }
        if !config.strict_ssl() {
            b = b.tls_danger_accept_invalid_certs(true);
        }
        let cfg = config.clone();
        b = b.proxy(reqwest::Proxy::custom(move |url| {
            cfg.proxy_for(url.as_str())
                .and_then(|p| url::Url::parse(&p).ok())
        }));
        let http = b
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self { http, config })
    }

    pub fn config(&self) -> &NpmConfig {
        &self.config
    }

    async fn get(&self, url: &str, accept: &str, max: usize) -> Result<Fetched<Vec<u8>>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.get_once(url, accept, max).await {
                Ok(r) => return Ok(r),
                Err((e, retryable)) if !retryable || attempt >= RETRIES => return Err(e),
                Err(_) => tokio::time::sleep(backoff(attempt)).await,
            }
        }
    }

    /// One attempt; the error says whether a retry may help.
    async fn get_once(
        &self,
        url: &str,
        accept: &str,
        max: usize,
    ) -> Result<Fetched<Vec<u8>>, (Error, bool)> {
        let mut req = self.http.get(url).header("accept", accept);
        match self.config.auth_for(url) {
            Some(Auth::Bearer(t)) => req = req.header("authorization", format!("Bearer {t}")),
            Some(Auth::Basic(b)) => req = req.header("authorization", format!("Basic {b}")),
            None => {}
        }
        let resp = req
            .send()
            .await
            .map_err(|e| (Error::Network(format!("GET {url}: {}", describe(&e))), true))?;
        let status = resp.status();
        if status.as_u16() == 404 || status.as_u16() == 410 {
            return Ok(Fetched::NotFound);
        }
        if !status.is_success() {
            let retryable = status.as_u16() == 429 || status.is_server_error();
            return Err((
                Error::Network(format!("GET {url}: HTTP {status}")),
                retryable,
            ));
        }
        read_capped(resp, url, max)
            .await
            .map(Fetched::Found)
            .map_err(|e| {
                let retryable = matches!(e, Error::Network(_));
                (e, retryable)
            })
    }

    /// GET a JSON document.
    pub async fn get_json(&self, url: &str, max: usize) -> Result<Fetched<Value>> {
        match self.get(url, "application/json", max).await? {
            Fetched::NotFound => Ok(Fetched::NotFound),
            Fetched::Found(b) => serde_json::from_slice(&b)
                .map(Fetched::Found)
                .map_err(|e| Error::json(url.to_string(), e)),
        }
    }

    /// The full packument (it has `time`, which the abbreviated form lacks).
    pub async fn packument(&self, registry: &str, name: &str) -> Result<Fetched<Value>> {
        self.get_json(
            &format!("{registry}{}", escaped_name(name)),
            MAX_PACKUMENT_BYTES,
        )
        .await
    }

    /// `/-/npm/v1/keys`.
    pub async fn keys(&self, registry: &str) -> Result<Fetched<Value>> {
        self.get_json(&format!("{registry}-/npm/v1/keys"), MAX_SMALL_JSON_BYTES)
            .await
    }

    /// `/-/npm/v1/attestations/<name>@<version>`.
    pub async fn attestations(
        &self,
        registry: &str,
        name: &str,
        version: &str,
    ) -> Result<Fetched<Value>> {
        let url = format!(
            "{registry}-/npm/v1/attestations/{}@{version}",
            escaped_name(name)
        );
        self.get_json(&url, MAX_SMALL_JSON_BYTES).await
    }

    /// Download bytes (a tarball), at most `max`.
    pub async fn bytes(&self, url: &str, max: usize) -> Result<Fetched<Vec<u8>>> {
        self.get(url, "application/octet-stream", max).await
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn backoff(attempt: u32) -> Duration {
    let base = 250u64 << attempt.min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    Duration::from_millis(base + nanos % base)
}

async fn read_capped(mut resp: reqwest::Response, url: &str, max: usize) -> Result<Vec<u8>> {
    if let Some(len) = resp.content_length() {
        if len > max as u64 {
            return Err(Error::TooLarge(format!(
                "{url}: {len} bytes is over the {max}-byte limit"
            )));
        }
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| Error::Network(format!("GET {url}: {}", describe(&e))))?
    {
        if out.len() + chunk.len() > max {
            return Err(Error::TooLarge(format!("{url}: over the {max}-byte limit")));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
