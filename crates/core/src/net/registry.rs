//! Registry client: packuments, tarballs, keys and attestations over HTTP(S).
//!
//! Honours npm's configuration (see `npmrc`): per-URL credentials, `ca`/`cafile`,
//! `strict-ssl`, proxies. One `reqwest` client per `Client`, so connections are kept alive and
//! reused. Response sizes are capped.
//!
//! Nothing waits forever. Per attempt: [`CONNECT_TIMEOUT`] to connect, [`IDLE_TIMEOUT`] for
//! each next byte (the response's first, then every body chunk's), [`TOTAL_TIMEOUT`] in all
//! (npm's `fetch-timeout` replaces the total and lowers the other two when it is smaller).
//! Transient failures (connect errors, timeouts, 429, 5xx) are retried (npm's `fetch-retries`)
//! with exponential backoff and jitter, `Retry-After` honoured; a URL that timed out is tried
//! again only while the retry ends within [`STALL_BUDGET`] of its first attempt. Per host, in
//! one run (one `Client`):
//! - a host that accepted a connection and then timed out before answering any request is
//!   given up: later requests fail at once, with no probe (it costs one wave of timeouts);
//! - a host that failed [`UNREACHABLE_AFTER`] connections or timeouts in a row (no answer in
//!   between) is only probed, once per [`PROBE_AFTER`], until it answers again.

use crate::config::npmrc::{Auth, NpmConfig};
use crate::error::{Error, Result};
use crate::npm::spec::escaped_name;
use serde_json::Value;

use std::collections::HashMap;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Largest packument accepted.
pub const MAX_PACKUMENT_BYTES: usize = 128 * 1024 * 1024;
/// Largest JSON document for keys / attestations.
pub const MAX_SMALL_JSON_BYTES: usize = 16 * 1024 * 1024;
/// Default cap on tarball size.
pub const DEFAULT_MAX_TARBALL_BYTES: usize = 512 * 1024 * 1024;
/// Attempts per request (npm's `fetch-retries` + 1 when set).
const ATTEMPTS: u32 = 3;
/// Longest wait for a connection (TCP and TLS; at most `fetch-timeout`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the next byte: the response's first (from the start of the attempt), then
/// each body chunk's (at most `fetch-timeout`). A registry sends its first byte in well under
/// a second; this much silence is a stalled connection or server, not a slow one.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest one attempt may take in all, however steadily the bytes come (npm's
/// `fetch-timeout`, in ms, when set).
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(120);
/// A URL whose attempt timed out is tried again only if the retry, stalled too, would end
/// within this time of the URL's first attempt: with the defaults, a stuck URL costs two
/// idle timeouts (~41 s).
pub const STALL_BUDGET: Duration = Duration::from_secs(60);
/// Longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// After this many failed connections in a row to one host (no answer in between), the host
/// counts as unreachable: requests fail at once instead of each waiting out its retries, and
/// one probe per [`PROBE_AFTER`] finds out whether it is back.
const UNREACHABLE_AFTER: u32 = 6;

/// A fetched response body, or "not found".
#[derive(Debug)]
pub enum Fetched<T> {
    Found(T),
    NotFound,
}

/// A conditional packument request's answer.
#[derive(Debug)]
pub enum Revalidated {
    /// `304`: unchanged since the ETag given.
    NotModified,
    /// The document and its ETag, if the registry sent one.
    Found(Value, Option<String>),
    NotFound,
}

type KeysCell = Arc<tokio::sync::OnceCell<Option<Value>>>;

/// Which packument document to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Everything, including `time` (publish times) and `_npmUser`.
    Full,
    /// npm's install form (`application/vnd.npm.install-v1+json`): versions with their `dist`
    /// (integrity, signatures, attestations), no `time`. Often a fraction of the size.
    Abbreviated,
}

impl Form {
    fn accept(self) -> &'static str {
        match self {
            Form::Full => "application/json",
            Form::Abbreviated => {
                "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
            }
        }
    }
}

/// HTTP client bound to an npm configuration.
///
/// Clones share the connection pool (keep-alive), the per-run memo of registry keys and the
/// optional on-disk packument cache (revalidated with ETag / If-None-Match).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<NpmConfig>,
    /// `/-/npm/v1/keys` per registry, fetched once even when many tasks ask at once.
    keys_memo: Arc<Mutex<HashMap<String, KeysCell>>>,
    attempts: u32,
    timeouts: Timeouts,
    /// Reachability by `host:port` (see the module documentation).
    hosts: Arc<Mutex<HashMap<String, HostState>>>,
    packument_cache: Option<crate::net::cache::Cache>,
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
        let number = |key: &str| -> Result<Option<u64>> {
            config
                .get(key)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| Error::Config(format!("{key}={v:?} is not a whole number")))
                })
                .transpose()
        };
        let timeouts = Timeouts::new(number("fetch-timeout")?);
        let attempts = number("fetch-retries")?.map_or(ATTEMPTS, |r| r.min(10) as u32 + 1);
        let mut b = reqwest::Client::builder()
            .user_agent(concat!("prov-native/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(timeouts.connect)
            .read_timeout(timeouts.idle)
            .timeout(timeouts.total)
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
            attempts,
            timeouts,
            hosts: Arc::default(),
            packument_cache: None,
            offline: false,
        })
    }

    /// Keep packuments under `dir`, revalidated with ETag on the next fetch.
    pub fn with_packument_cache(mut self, cache: crate::net::cache::Cache) -> Self {
        self.packument_cache = Some(cache);
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

    /// Whether this client makes no network request.
    pub fn is_offline(&self) -> bool {
        self.offline
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
        let started = Instant::now();
        let mut attempt = 0;
        let mut last: Option<Error> = None;
        loop {
            attempt += 1;
            if let Some(why) = self.refusal(&host) {
                // A retry the host's state forbids ends with this URL's own failure.
                return Err(last.unwrap_or_else(|| Error::Network(format!("GET {url}: {why}"))));
            }
            match self.get_once(url, accept, max, etag).await {
                Ok(r) => return Ok(r),
                Err(f) if !f.retryable || attempt >= self.attempts => return Err(f.error),
                Err(f) => {
                    let wait = backoff(attempt).max(f.retry_after.unwrap_or_default());
                    if f.timed_out && started.elapsed() + wait + self.timeouts.idle > STALL_BUDGET {
                        return Err(f.error);
                    }
                    last = Some(f.error);
                    tokio::time::sleep(wait).await
                }
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
    ) -> Result<Resp, Failure> {
        let mut req = self.http.get(url).header("accept", accept);
        match self.config.auth_for(url) {
            Some(Auth::Bearer(t)) => req = req.header("authorization", format!("Bearer {t}")),
            Some(Auth::Basic(b)) => req = req.header("authorization", format!("Basic {b}")),
            None => {}
        }
        if let Some(e) = etag {
            req = req.header("if-none-match", e);
        }
        let started = Instant::now();
        let resp = match req.send().await {
            Ok(r) => {
                self.record(url, Seen::Answer);
                r
            }
            Err(e) => {
                if e.is_connect() {
                    self.record(url, Seen::ConnectFailed);
                } else if e.is_timeout() {
                    self.record(url, Seen::Timeout);
                }
                let what = if e.is_timeout() {
                    self.timeouts.explain(&e, started.elapsed(), false)
                } else {
                    describe(&e)
                };
                return Err(Failure {
                    timed_out: e.is_timeout(),
                    ..Failure::retry(Error::Network(format!("GET {url}: {what}")))
                });
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
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            return Err(Failure {
                error: Error::Network(format!("GET {url}: HTTP {status}")),
                retryable,
                timed_out: false,
                retry_after,
            });
        }
        let new_etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        read_capped(resp, url, max, |e| {
            if e.is_timeout() {
                self.timeouts.explain(e, started.elapsed(), true)
            } else {
                describe(e)
            }
        })
        .await
        .map(|b| Resp::Found(b, new_etag))
        .map_err(|(e, timed_out)| match e {
            Error::Network(_) => Failure {
                timed_out,
                ..Failure::retry(e)
            },
            e => Failure::fatal(e),
        })
    }

    /// Why a request to `host` may not go out, if it may not: the host is given up for this
    /// run (it timed out before answering anything), or counts as unreachable and this is not
    /// the one probe per [`PROBE_AFTER`].
    fn refusal(&self, host: &str) -> Option<String> {
        let mut m = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let h = m.get_mut(host)?;
        if h.silent {
            return Some(format!(
                "{host} answered no request in this run (timed out: no byte within {}); not asked again in this run",
                secs(self.timeouts.idle)
            ));
        }
        match h.down_since {
            Some(t) if t.elapsed() < PROBE_AFTER => Some(format!(
                "{host} is unreachable ({UNREACHABLE_AFTER} failed connections or timeouts in a row); not trying again for {}",
                secs(PROBE_AFTER)
            )),
            Some(_) => {
                h.down_since = Some(Instant::now());
                None
            }
            None => None,
        }
    }

    /// An answer resets the host. A timeout from a host that has not answered once in this
    /// run (it accepts connections and never replies) gives it up for the run. Otherwise
    /// failed connections and timeouts count toward [`UNREACHABLE_AFTER`]; any answer in
    /// between starts the count again, so one stuck URL on a host that answers the others
    /// does not take the host down.
    fn record(&self, url: &str, seen: Seen) {
        let mut m = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let h = m.entry(host_of(url)).or_default();
        match seen {
            Seen::Answer => {
                *h = HostState {
                    answered: true,
                    ..HostState::default()
                }
            }
            Seen::Timeout if !h.answered => h.silent = true,
            Seen::ConnectFailed | Seen::Timeout => {
                h.failures = h.failures.saturating_add(1);
                if h.failures >= UNREACHABLE_AFTER && h.down_since.is_none() {
                    h.down_since = Some(Instant::now());
                }
            }
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
        self.packument_as(registry, name, Form::Full).await
    }

    /// The packument in the given form. A registry that does not know the abbreviated form
    /// answers with the full one (it then has `time`).
    pub async fn packument_as(
        &self,
        registry: &str,
        name: &str,
        form: Form,
    ) -> Result<Fetched<Value>> {
        let url = format!("{registry}{}", escaped_name(name));
        let accept = form.accept();
        let Some(cache) = &self.packument_cache else {
            return match self.get(&url, accept, MAX_PACKUMENT_BYTES).await? {
                Fetched::NotFound => Ok(Fetched::NotFound),
                Fetched::Found(b) => serde_json::from_slice(&b)
                    .map(Fetched::Found)
                    .map_err(|e| Error::json(url.clone(), e)),
            };
        };
        // Offline, a stored packument could not be revalidated: not read for nothing.
        if self.offline {
            return Err(Error::Network(format!("offline: not fetching {url}")));
        }
        let key = packument_cache_key(registry, name, form);
        let cached = cache
            .get_packument(&key, MAX_PACKUMENT_BYTES as u64 + 1024)
            .await;
        let resp = self
            .get_with(
                &url,
                accept,
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
            // Best effort: a failed write only costs a download next time.
            let _ = cache.put_packument(&key, &etag, text).await;
        }
        Ok(Fetched::Found(doc))
    }

    /// The packument in `form`, asked with `If-None-Match: etag` when an ETag is given (no
    /// cache involved): `NotModified` when the registry says it has not changed. Retries as
    /// every request does (429/5xx with backoff, `Retry-After` honoured).
    pub async fn packument_if_changed(
        &self,
        registry: &str,
        name: &str,
        form: Form,
        etag: Option<&str>,
    ) -> Result<Revalidated> {
        let url = format!("{registry}{}", escaped_name(name));
        match self
            .get_with(&url, form.accept(), MAX_PACKUMENT_BYTES, etag)
            .await?
        {
            Resp::NotModified => Ok(Revalidated::NotModified),
            Resp::NotFound => Ok(Revalidated::NotFound),
            Resp::Found(body, etag) => {
                let doc: Value =
                    serde_json::from_slice(&body).map_err(|e| Error::json(url.clone(), e))?;
                Ok(Revalidated::Found(doc, etag))
            }
        }
    }

    /// `/-/npm/v1/keys`, fetched once per registry per client (a failed fetch is not kept:
    /// the next caller tries again).
    pub async fn keys(&self, registry: &str) -> Result<Fetched<Value>> {
        let cell = {
            let mut m = self.keys_memo.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(m.entry(registry.to_string()).or_default())
        };
        let got = cell
            .get_or_try_init(|| async {
                let r = self
                    .get_json(&format!("{registry}-/npm/v1/keys"), MAX_SMALL_JSON_BYTES)
                    .await?;
                Ok::<_, Error>(match r {
                    Fetched::Found(v) => Some(v),
                    Fetched::NotFound => None,
                })
            })
            .await?;
        Ok(match got {
            Some(v) => Fetched::Found(v.clone()),
            None => Fetched::NotFound,
        })
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

/// How often an unreachable host is probed again.
const PROBE_AFTER: Duration = Duration::from_secs(5);

/// What one attempt learnt about its host.
#[derive(Clone, Copy)]
enum Seen {
    Answer,
    ConnectFailed,
    Timeout,
}

#[derive(Default)]
struct HostState {
    /// Failed connections and timeouts since the last answer.
    failures: u32,
    /// The host answered at least once.
    answered: bool,
    /// Counted as unreachable since (the last probe).
    down_since: Option<Instant>,
    /// Timed out before answering anything: given up for the run.
    silent: bool,
}

/// The timeouts of one attempt (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Timeouts {
    connect: Duration,
    idle: Duration,
    total: Duration,
}

impl Timeouts {
    /// The defaults, or npm's `fetch-timeout` (ms; 0 means the default, as npm has no
    /// "none" here) as the total, lowering connect and idle when it is smaller.
    fn new(fetch_timeout_ms: Option<u64>) -> Self {
        let total = fetch_timeout_ms
            .filter(|ms| *ms > 0)
            .map_or(TOTAL_TIMEOUT, Duration::from_millis);
        Self {
            connect: CONNECT_TIMEOUT.min(total),
            idle: IDLE_TIMEOUT.min(total),
            total,
        }
    }

    /// Which timeout ended an attempt after `elapsed`, in words that name the limit.
    fn explain(&self, e: &reqwest::Error, elapsed: Duration, in_body: bool) -> String {
        if e.is_connect() {
            format!(
                "timed out connecting (no connection within {})",
                secs(self.connect)
            )
        } else if elapsed + Duration::from_millis(50) >= self.total && self.total > self.idle {
            format!(
                "timed out: the response took longer than {} in all (fetch-timeout)",
                secs(self.total)
            )
        } else if in_body {
            format!(
                "timed out: the response stalled (no byte for {})",
                secs(self.idle)
            )
        } else {
            format!("timed out: no response within {}", secs(self.idle))
        }
    }
}

/// `20 s`, `0.5 s`.
fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// A failed attempt: the error, whether another attempt may help, whether it timed out, and
/// how long the server asked us to wait (`Retry-After`).
struct Failure {
    error: Error,
    retryable: bool,
    timed_out: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn retry(error: Error) -> Self {
        Self {
            error,
            retryable: true,
            timed_out: false,
            retry_after: None,
        }
    }

    fn fatal(error: Error) -> Self {
        Self {
            error,
            retryable: false,
            timed_out: false,
            retry_after: None,
        }
    }
}

/// `Retry-After`: seconds or an HTTP date, at most [`MAX_RETRY_AFTER`].
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    let wait = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
            let secs = at.as_second() - jiff::Timestamp::now().as_second();
            Duration::from_secs(u64::try_from(secs).unwrap_or(0))
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
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

/// The body, at most `max` bytes. A read error is described by `describe` and comes with
/// whether it was a timeout.
async fn read_capped(
    mut resp: reqwest::Response,
    url: &str,
    max: usize,
    describe: impl Fn(&reqwest::Error) -> String,
) -> Result<Vec<u8>, (Error, bool)> {
    if let Some(len) = resp.content_length() {
        if len > max as u64 {
            return Err((
                Error::TooLarge(format!("{url}: {len} bytes is over the {max}-byte limit")),
                false,
            ));
        }
    }
    let mut out = Vec::new();
    loop {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => return Ok(out),
            Err(e) => {
                let what = describe(&e);
                return Err((Error::Network(format!("GET {url}: {what}")), e.is_timeout()));
            }
        };
        if out.len() + chunk.len() > max {
            return Err((
                Error::TooLarge(format!("{url}: over the {max}-byte limit")),
                false,
            ));
        }
        out.extend_from_slice(&chunk);
    }
}

/// The packument cache's key for `name` at `registry` in `form` (what [`Client::packument_as`]
/// stores and revalidates).
pub(crate) fn packument_cache_key(registry: &str, name: &str, form: Form) -> String {
    format!("{}\n{registry}{}", form.accept(), escaped_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date_capped() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 999 "), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn timeouts_default_and_from_fetch_timeout() {
        let d = Timeouts::new(None);
        assert_eq!(
            (d.connect, d.idle, d.total),
            (CONNECT_TIMEOUT, IDLE_TIMEOUT, TOTAL_TIMEOUT)
        );
        assert_eq!(Timeouts::new(Some(0)), d);
        let short = Timeouts::new(Some(1500));
        assert_eq!(short.total, Duration::from_millis(1500));
        assert_eq!(short.idle, Duration::from_millis(1500));
        assert_eq!(short.connect, Duration::from_millis(1500));
        let long = Timeouts::new(Some(600_000));
        assert_eq!(
            (long.connect, long.idle, long.total),
            (CONNECT_TIMEOUT, IDLE_TIMEOUT, Duration::from_secs(600))
        );
        // Defaults: a stuck URL's retry fits the budget once, not twice.
        let one = IDLE_TIMEOUT + backoff(1) + IDLE_TIMEOUT;
        assert!(one <= STALL_BUDGET);
        assert!(one + backoff(2) + IDLE_TIMEOUT > STALL_BUDGET);
        assert_eq!(secs(Duration::from_millis(500)), "0.5 s");
        assert_eq!(secs(IDLE_TIMEOUT), "20 s");
    }

    #[test]
    fn host_state_silent_then_counted() {
        let c = Client::new(Arc::new(NpmConfig::default())).unwrap();
        let (url, host) = ("http://127.0.0.1:9/x", "127.0.0.1:9");
        assert!(c.refusal(host).is_none());
        // Accepted, then silent before any answer: given up, with no probe later.
        c.record(url, Seen::Timeout);
        let why = c.refusal(host).unwrap();
        assert!(why.contains("not asked again in this run"), "{why}");
        c.hosts.lock().unwrap().get_mut(host).unwrap().down_since =
            Some(Instant::now() - PROBE_AFTER * 2);
        assert!(c.refusal(host).is_some());
        // An answer (from a request still in flight) brings it back.
        c.record(url, Seen::Answer);
        assert!(c.refusal(host).is_none());
        // After an answer, timeouts count; any answer starts the count again.
        for _ in 0..UNREACHABLE_AFTER - 1 {
            c.record(url, Seen::Timeout);
        }
        assert!(c.refusal(host).is_none());
        c.record(url, Seen::Answer);
        for _ in 0..UNREACHABLE_AFTER - 1 {
            c.record(url, Seen::Timeout);
        }
        assert!(c.refusal(host).is_none());
        c.record(url, Seen::ConnectFailed);
        let why = c.refusal(host).unwrap();
        assert!(why.contains("unreachable"), "{why}");
        // One probe per PROBE_AFTER.
        c.hosts.lock().unwrap().get_mut(host).unwrap().down_since =
            Some(Instant::now() - PROBE_AFTER * 2);
        assert!(c.refusal(host).is_none());
        assert!(c.refusal(host).is_some());
    }

    #[test]
    fn hosts_are_host_and_port() {
        assert_eq!(host_of("https://a.example/x"), "a.example:443");
        assert_eq!(host_of("http://127.0.0.1:9/x"), "127.0.0.1:9");
    }
}
