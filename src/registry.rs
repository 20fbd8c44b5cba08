//! Registry client: packuments, tarballs, keys and attestations over HTTP(S).
//!
//! Honours npm's configuration (see `npmrc`): per-URL credentials, `ca`/`cafile`,
//! `strict-ssl`, proxies. One `reqwest` client per `Client`, so connections are kept alive and
//! reused. Transient failures (connect errors, timeouts, 429, 5xx) are retried with
//! exponential backoff and jitter; a host that refused [`UNREACHABLE_AFTER`] connections in a
//! row is not tried again by that client. Response sizes are capped.

use crate::error::{Error, Result};
use crate::npmrc::{Auth, NpmConfig};
use crate::spec::escaped_name;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest packument accepted.
pub const MAX_PACKUMENT_BYTES: usize = 128 * 1024 * 1024;
/// Largest JSON document for keys / attestations.
pub const MAX_SMALL_JSON_BYTES: usize = 16 * 1024 * 1024;
/// Default cap on tarball size.
pub const DEFAULT_MAX_TARBALL_BYTES: usize = 512 * 1024 * 1024;
const RETRIES: u32 = 3;
/// After this many connection failures in a row to one host (no response in between), the
/// host counts as unreachable for the rest of the client's life: later requests fail at once
/// instead of each waiting out its retries.
const UNREACHABLE_AFTER: u32 = 6;

/// A fetched response body, or "not found".
#[derive(Debug)]
pub enum Fetched<T> {
    Found(T),
    NotFound,
}

/// HTTP client bound to an npm configuration.
///
/// Clones share the connection pool (keep-alive), the per-run memo of registry keys and the
/// optional on-disk packument cache (revalidated with ETag / If-None-Match).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<NpmConfig>,
    keys_memo: Arc<Mutex<HashMap<String, Option<Value>>>>,
    /// Connection failures in a row, by `host:port`.
    connect_failures: Arc<Mutex<HashMap<String, u32>>>,
    packument_cache: Option<PathBuf>,
    offline: bool,
}

/// One response.
enum Resp {
    Found(Vec<u8>, Option<String>),
    NotFound,
    NotModified,
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
        Ok(Self {
            http,
            config,
            keys_memo: Arc::default(),
            connect_failures: Arc::default(),
            packument_cache: None,
            offline: false,
        })
    }

    /// Keep packuments under `dir`, revalidated with ETag on the next fetch.
    pub fn with_packument_cache(mut self, dir: PathBuf) -> Self {
        self.packument_cache = Some(dir);
        self
    }

    /// Make no network request: every fetch fails with `ERR_PROV_NETWORK` ("offline").
    pub fn offline(mut self, offline: bool) -> Self {
        self.offline = offline;
        self
    }

    pub fn config(&self) -> &NpmConfig {
        &self.config
    }

    async fn get(&self, url: &str, accept: &str, max: usize) -> Result<Fetched<Vec<u8>>> {
        match self.get_with(url, accept, max, None).await? {
            Resp::Found(b, _) => Ok(Fetched::Found(b)),
            Resp::NotFound => Ok(Fetched::NotFound),
            Resp::NotModified => Err(Error::Network(format!(
                "GET {url}: 304 without a conditional request"
            ))),
        }
    }

    async fn get_with(
        &self,
        url: &str,
        accept: &str,
        max: usize,
        etag: Option<&str>,
    ) -> Result<Resp> {
        if self.offline {
            return Err(Error::Network(format!("offline: not fetching {url}")));
        }
        let host = host_of(url);
        if self.failures(&host) >= UNREACHABLE_AFTER {
            return Err(Error::Network(format!(
                "GET {url}: {host} is unreachable ({UNREACHABLE_AFTER} connection failures in a row); not trying again in this run"
            )));
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.get_once(url, accept, max, etag).await {
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
        etag: Option<&str>,
    ) -> Result<Resp, (Error, bool)> {
        let mut req = self.http.get(url).header("accept", accept);
        match self.config.auth_for(url) {
            Some(Auth::Bearer(t)) => req = req.header("authorization", format!("Bearer {t}")),
            Some(Auth::Basic(b)) => req = req.header("authorization", format!("Basic {b}")),
            None => {}
        }
        if let Some(e) = etag {
            req = req.header("if-none-match", e);
        }
        let resp = match req.send().await {
            Ok(r) => {
                self.record_connect(url, true);
                r
            }
            Err(e) => {
                if e.is_connect() {
                    self.record_connect(url, false);
                }
                return Err((Error::Network(format!("GET {url}: {}", describe(&e))), true));
            }
        };
        let status = resp.status();
        if status.as_u16() == 404 || status.as_u16() == 410 {
            return Ok(Resp::NotFound);
        }
        if status.as_u16() == 304 && etag.is_some() {
            return Ok(Resp::NotModified);
        }
        if !status.is_success() {
            let retryable = status.as_u16() == 429 || status.is_server_error();
            return Err((
                Error::Network(format!("GET {url}: HTTP {status}")),
                retryable,
            ));
        }
        let new_etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        read_capped(resp, url, max)
            .await
            .map(|b| Resp::Found(b, new_etag))
            .map_err(|e| {
                let retryable = matches!(e, Error::Network(_));
                (e, retryable)
            })
    }

    fn failures(&self, host: &str) -> u32 {
        self.connect_failures
            .lock()
            .map(|m| m.get(host).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// A response resets the host's count; a connection failure adds one.
    fn record_connect(&self, url: &str, ok: bool) {
        if let Ok(mut m) = self.connect_failures.lock() {
            let n = m.entry(host_of(url)).or_insert(0);
            *n = if ok { 0 } else { n.saturating_add(1) };
        }
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

    /// The full packument (it has `time`, which the abbreviated form lacks). With a packument
    /// cache, a stored copy is revalidated with its ETag; a cache entry that cannot be read is
    /// ignored (it costs a download, nothing else).
    pub async fn packument(&self, registry: &str, name: &str) -> Result<Fetched<Value>> {
        let url = format!("{registry}{}", escaped_name(name));
        let Some(dir) = &self.packument_cache else {
            return self.get_json(&url, MAX_PACKUMENT_BYTES).await;
        };
        let file = dir.join(format!(
            "{}.json",
            hex::encode(Sha256::digest(url.as_bytes()))
        ));
        let cached: Option<(String, Vec<u8>)> = tokio::fs::read(&file)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| {
                let etag = v.get("etag")?.as_str()?.to_string();
                let body = v.get("body")?.as_str()?.as_bytes().to_vec();
                Some((etag, body))
            });
        let resp = self
            .get_with(
                &url,
                "application/json",
                MAX_PACKUMENT_BYTES,
                cached.as_ref().map(|c| c.0.as_str()),
            )
            .await?;
        let (body, etag) = match (resp, cached) {
            (Resp::NotFound, _) => return Ok(Fetched::NotFound),
            (Resp::NotModified, Some((_, body))) => (body, None),
            (Resp::NotModified, None) => {
                return Err(Error::Network(format!("GET {url}: unexpected 304")))
            }
            (Resp::Found(body, etag), _) => (body, etag),
        };
        let doc: Value = serde_json::from_slice(&body).map_err(|e| Error::json(url.clone(), e))?;
        if let (Some(etag), Ok(text)) = (etag, std::str::from_utf8(&body)) {
            let entry = serde_json::json!({ "url": url, "etag": etag, "body": text });
            // Best effort: a failed write only costs a download next time.
            let _ = crate::cache::write_atomic(&file, entry.to_string().as_bytes()).await;
        }
        Ok(Fetched::Found(doc))
    }

    /// `/-/npm/v1/keys`, fetched once per registry per client.
    pub async fn keys(&self, registry: &str) -> Result<Fetched<Value>> {
        if let Ok(m) = self.keys_memo.lock() {
            if let Some(v) = m.get(registry) {
                return Ok(match v {
                    Some(v) => Fetched::Found(v.clone()),
                    None => Fetched::NotFound,
                });
            }
        }
        let r = self
            .get_json(&format!("{registry}-/npm/v1/keys"), MAX_SMALL_JSON_BYTES)
            .await?;
        if let Ok(mut m) = self.keys_memo.lock() {
            let v = match &r {
                Fetched::Found(v) => Some(v.clone()),
                Fetched::NotFound => None,
            };
            m.insert(registry.to_string(), v);
        }
        Ok(r)
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

/// `host:port` of a URL (the URL itself when it does not parse).
fn host_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}:{}",
            u.host_str().unwrap_or(""),
            u.port_or_known_default().unwrap_or(0)
        ),
        Err(_) => url.to_string(),
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
