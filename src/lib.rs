//! prov-native's Node addon: the N-API binding of the engine (`crates/core`). Argument
//! conversion, scheduling and coded errors; no verification logic.
//!
//! Every export returns a Promise except `lintSync` (synchronous by design: ESLint rules cannot
//! wait; it reads local files only, bounded). Arguments are checked here: a wrong type rejects with
//! `ERR_PROV_INVALID_ARG`. Network work runs on napi's tokio runtime (CPU parts of it on
//! `spawn_blocking`); calls whose input is in memory or on local disk (`verifyBundle`,
//! `verifyAttestations`, `integrity`, `checkIntegrity`) run as one [`CpuTask`] on libuv's pool.
//! Nothing else runs on the JS thread. Failures reject with an `Error`
//! whose `code` is the core error's stable code.
//!
//! `unsafe` only where napi-rs has no safe call: clearing a pending JS exception, and
//! `malloc_trim`.

use napi::bindgen_prelude::*;
use napi::{Env, ScopedTask, ValueType};
use napi_derive::napi;
use prov_native_core::config::trust::{Source, TrustMaterial};
use prov_native_core::error::Error as CoreError;
use prov_native_core::npm::integrity::{self, Algorithm, Integrity};
use prov_native_core::session::{self, Session, Settings};
use prov_native_core::sigstore::bundle::{self, VerifyOptions};
use prov_native_core::verify::{self, AttestationSource, Context, Request};
use sha2::Digest;
use std::path::{Path, PathBuf};

/// A result as JSON text: handing JS one string for `JSON.parse` is much faster than building
/// the object property by property through N-API (a 1,500-package audit result: ~4 MB).
type Outcome = std::result::Result<String, CoreError>;

/// Settle a promise from a core outcome: resolve with plain data or reject with a coded error.
fn settle<'e, F>(env: &'e Env, fut: F) -> Result<PromiseRaw<'e, Unknown<'e>>>
where
    F: std::future::Future<Output = Outcome> + Send + 'static,
{
    env.spawn_future_with_callback(
        // A panic in the engine is a bug: it rejects with ERR_PROV_INTERNAL and the panic's
        // message, not with napi's uncoded "Panic in async function".
        async move {
            Ok(match tokio::spawn(fut).await {
                Ok(out) => out,
                Err(e) => Err(CoreError::Internal(panic_message(e))),
            })
        },
        |env, out: Outcome| match out {
            Ok(text) => {
                let json: Object = env.get_global()?.get_named_property("JSON")?;
                let parse: Function<String, Unknown> = json.get_named_property("parse")?;
                parse.call(text)
            }
            Err(e) => Err(coded(env, &e)),
        },
    )
}

fn panic_message(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return format!("task ended: {e}");
    }
    let p = e.into_panic();
    let msg = p
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("panicked: {msg}")
}

fn coded(env: &Env, e: &CoreError) -> Error {
    let build = || -> Result<Error> {
        let mut obj = env.create_error(Error::from_reason(e.to_string()))?;
        obj.set_named_property("code", e.code().as_str())?;
        Ok(Error::from(obj.to_unknown()))
    };
    build().unwrap_or_else(|_| Error::from_reason(format!("{}: {e}", e.code())))
}

fn rejected<'e>(env: &'e Env, e: CoreError) -> Result<PromiseRaw<'e, Unknown<'e>>> {
    settle(env, async move { Err(e) })
}

/// CPU-bound work on libuv's thread pool (`AsyncTask`): one hop there and one back, where a
/// tokio future plus `spawn_blocking` takes four. For calls whose input is already in memory or
/// on local disk (bundle verification, hashing).
pub struct CpuTask {
    work: Option<Box<dyn FnOnce() -> Outcome + Send>>,
    error: Option<CoreError>,
}

impl CpuTask {
    fn new(work: impl FnOnce() -> Outcome + Send + 'static) -> AsyncTask<Self> {
        AsyncTask::new(CpuTask {
            work: Some(Box::new(work)),
            error: None,
        })
    }

    /// A task that rejects with `e` (argument errors reject the promise; they never throw).
    fn failed(e: CoreError) -> AsyncTask<Self> {
        AsyncTask::new(CpuTask {
            work: None,
            error: Some(e),
        })
    }
}

impl<'t> ScopedTask<'t> for CpuTask {
    type Output = String;
    type JsValue = Unknown<'t>;

    fn compute(&mut self) -> Result<String> {
        let Some(work) = self.work.take() else {
            return Err(Error::from_reason("rejected before it ran"));
        };
        // A panic must reject this call, not unwind into libuv.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
            .unwrap_or_else(|_| Err(CoreError::Internal("verification panicked".into())));
        out.map_err(|e| {
            let napi_err = Error::from_reason(e.to_string());
            self.error = Some(e);
            napi_err
        })
    }

    fn resolve(&mut self, env: &'t Env, text: String) -> Result<Unknown<'t>> {
        let json: Object = env.get_global()?.get_named_property("JSON")?;
        let parse: Function<String, Unknown> = json.get_named_property("parse")?;
        parse.call(text)
    }

    fn reject(&mut self, env: &'t Env, err: Error) -> Result<Unknown<'t>> {
        match self.error.take() {
            Some(e) => Err(coded(env, &e)),
            None => Err(err),
        }
    }
}

fn arg(msg: impl Into<String>) -> CoreError {
    CoreError::InvalidArg(msg.into())
}

/// Whether a JS exception is pending, clearing it.
///
/// A getter or Proxy trap that throws while napi reads an argument leaves its exception pending:
/// every later N-API call fails (creating the promise too) and napi rethrows it synchronously
/// when the export returns, without a `code`. The exception is taken here so the export can
/// reject instead.
fn take_exception(env: &Env) -> bool {
    let raw = env.raw();
    let mut pending = false;
    // SAFETY: `raw` is the env of the call in progress, used on its own JS thread; both calls
    // are allowed while an exception is pending.
    if unsafe { napi::sys::napi_is_exception_pending(raw, &mut pending) }
        != napi::sys::Status::napi_ok
        || !pending
    {
        return false;
    }
    let mut exception = std::ptr::null_mut();
    // SAFETY: as above; the exception value is dropped (reading it could run more user code).
    unsafe { napi::sys::napi_get_and_clear_last_exception(raw, &mut exception) };
    true
}

/// Read an export's arguments with `read`. Whatever JS code it ran (getters, Proxy traps,
/// `toJSON`) cannot throw past the export: a pending exception is cleared and the call rejects
/// with `ERR_PROV_INVALID_ARG` (or the error `read` returned).
fn read_args<T>(
    env: &Env,
    read: impl FnOnce() -> std::result::Result<T, CoreError>,
) -> std::result::Result<T, CoreError> {
    let out = read();
    match (take_exception(env), out) {
        (false, out) | (true, out @ Err(_)) => out,
        (true, Ok(_)) => Err(arg("reading the arguments threw")),
    }
}

/// Bytes given directly, or a path to read them from.
enum BytesOrPath {
    Bytes(Vec<u8>),
    Path(String),
}

impl BytesOrPath {
    /// The bytes, from memory or a file, at most `max`. Blocking: call it on libuv's pool (a
    /// [`CpuTask`]) or through [`Self::read`].
    fn read_blocking(self, max: usize) -> std::result::Result<Vec<u8>, CoreError> {
        match self {
            BytesOrPath::Bytes(b) => within(b, max),
            BytesOrPath::Path(p) => prov_native_core::files::read_capped(Path::new(&p), max as u64),
        }
    }

    /// [`Self::read_blocking`] from async code.
    async fn read(self, max: usize) -> std::result::Result<Vec<u8>, CoreError> {
        tokio::task::spawn_blocking(move || self.read_blocking(max))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
    }
}

/// Bytes given directly obey the same size limit as a file.
fn within(b: Vec<u8>, max: usize) -> std::result::Result<Vec<u8>, CoreError> {
    if b.len() > max {
        return Err(CoreError::TooLarge(format!(
            "{} bytes is over the {max}-byte limit",
            b.len()
        )));
    }
    Ok(b)
}

fn buffer_bytes(u: Unknown) -> Option<Vec<u8>> {
    if let Ok(b) = Buffer::from_unknown(u) {
        return Some(b.to_vec());
    }
    Uint8Array::from_unknown(u).ok().map(|a| a.to_vec())
}

fn bytes_or_path(u: Unknown, what: &str) -> std::result::Result<BytesOrPath, CoreError> {
    match u.get_type().map_err(|e| arg(e.to_string()))? {
        ValueType::String => Ok(BytesOrPath::Path(
            String::from_unknown(u).map_err(|e| arg(e.to_string()))?,
        )),
        ValueType::Object => buffer_bytes(u).map(BytesOrPath::Bytes).ok_or_else(|| {
            arg(format!(
                "{what} must be a Buffer, a Uint8Array or a path string"
            ))
        }),
        t => Err(arg(format!(
            "{what} must be a Buffer, a Uint8Array or a path string, not {t:?}"
        ))),
    }
}

/// JSON given as text, bytes, or a plain object.
enum JsonInput {
    Text(String),
    Path(String),
}

fn json_input(
    env: &Env,
    u: Unknown,
    what: &str,
    string_is_path: bool,
) -> std::result::Result<JsonInput, CoreError> {
    match u.get_type().map_err(|e| arg(e.to_string()))? {
        ValueType::String => {
            let s = String::from_unknown(u).map_err(|e| arg(e.to_string()))?;
            let looks_json = s.trim_start().starts_with(['{', '[']);
            Ok(if string_is_path && !looks_json {
                JsonInput::Path(s)
            } else {
                JsonInput::Text(s)
            })
        }
        ValueType::Object => {
            if let Some(b) = buffer_bytes(u) {
                return String::from_utf8(b)
                    .map(JsonInput::Text)
                    .map_err(|_| CoreError::json(what, "not UTF-8"));
            }
            // Through JSON.stringify: a cyclic or absurdly deep object is a TypeError /
            // RangeError there, where a recursive converter would overflow the stack.
            stringify(env, u)
                .map(JsonInput::Text)
                .map_err(|e| arg(format!("{what} cannot be read as JSON: {e}")))
        }
        t => Err(arg(format!(
            "{what} must be JSON text, a Buffer or an object, not {t:?}"
        ))),
    }
}

fn stringify(env: &Env, u: Unknown) -> Result<String> {
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let f: Function<Unknown, Unknown> = json.get_named_property("stringify")?;
    let out = f.call(u)?;
    if out.get_type()? != ValueType::String {
        return Err(Error::from_reason("it has no JSON form"));
    }
    String::from_unknown(out)
}

impl JsonInput {
    /// [`Self::text`] on the calling thread (libuv pool tasks).
    fn read_text(self, max: usize) -> std::result::Result<(String, String), CoreError> {
        match self {
            JsonInput::Text(t) => Ok((t, "option".into())),
            JsonInput::Path(p) => {
                let bytes = BytesOrPath::Path(p.clone()).read_blocking(max)?;
                let t = String::from_utf8(bytes)
                    .map_err(|_| CoreError::json(p.clone(), "not UTF-8"))?;
                Ok((t, p))
            }
        }
    }

    /// [`Self::read_text`] from async code.
    async fn text(self, max: usize) -> std::result::Result<(String, String), CoreError> {
        tokio::task::spawn_blocking(move || self.read_text(max))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
    }

    fn into_source(self) -> Source {
        match self {
            JsonInput::Text(t) => Source::Json(t),
            JsonInput::Path(p) => Source::Path(p),
        }
    }
}

/// Options as an object, or none. Anything else is an argument error.
fn options<'e>(o: Option<Unknown<'e>>) -> std::result::Result<Option<Object<'e>>, CoreError> {
    match o {
        None => Ok(None),
        Some(u) => match u.get_type().map_err(|e| arg(e.to_string()))? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            ValueType::Object => Object::from_unknown(u)
                .map(Some)
                .map_err(|e| arg(e.to_string())),
            t => Err(arg(format!("options must be an object, not {t:?}"))),
        },
    }
}

fn prop<'e>(
    o: &Option<Object<'e>>,
    key: &str,
) -> std::result::Result<Option<Unknown<'e>>, CoreError> {
    let Some(o) = o else { return Ok(None) };
    let u: Option<Unknown> = o.get(key).map_err(|e| {
        if e.status == Status::PendingException {
            arg(format!("options.{key} cannot be read: reading it threw"))
        } else {
            arg(format!("{key}: {e}"))
        }
    })?;
    match u {
        None => Ok(None),
        Some(u) => match u.get_type().map_err(|e| arg(e.to_string()))? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            _ => Ok(Some(u)),
        },
    }
}

fn prop_string(o: &Option<Object>, key: &str) -> std::result::Result<Option<String>, CoreError> {
    match prop(o, key)? {
        None => Ok(None),
        Some(u) if u.get_type().ok() == Some(ValueType::String) => String::from_unknown(u)
            .map(Some)
            .map_err(|e| arg(e.to_string())),
        Some(_) => Err(arg(format!("{key} must be a string"))),
    }
}

fn prop_number(o: &Option<Object>, key: &str) -> std::result::Result<Option<f64>, CoreError> {
    match prop(o, key)? {
        None => Ok(None),
        Some(u) if u.get_type().ok() == Some(ValueType::Number) => f64::from_unknown(u)
            .map(Some)
            .map_err(|e| arg(e.to_string())),
        Some(_) => Err(arg(format!("{key} must be a number"))),
    }
}

fn trust_sources(
    env: &Env,
    o: &Option<Object>,
) -> std::result::Result<(Option<Source>, Option<Source>), CoreError> {
    let root = prop(o, "trustedRoot")?
        .map(|u| json_input(env, u, "trustedRoot", true))
        .transpose()?;
    let keys = prop(o, "npmKeys")?
        .map(|u| json_input(env, u, "npmKeys", true))
        .transpose()?;
    Ok((
        root.map(JsonInput::into_source),
        keys.map(JsonInput::into_source),
    ))
}

fn to_value<T: serde::Serialize>(t: &T) -> Outcome {
    serde_json::to_string(t).map_err(|e| CoreError::Internal(e.to_string()))
}

/// npm config set by options, above every `.npmrc` and the environment: `fetchTimeout` (ms,
/// as npm's `fetch-timeout`).
fn config_overrides(o: &Option<Object>) -> std::result::Result<Vec<(String, String)>, CoreError> {
    let mut out = Vec::new();
    if let Some(ms) = prop_number(o, "fetchTimeout")? {
        if !(ms.is_finite() && (1.0..=86_400_000.0).contains(&ms)) {
            return Err(arg(
                "fetchTimeout must be a number of milliseconds from 1 to 86400000",
            ));
        }
        out.push(("fetch-timeout".to_string(), (ms.ceil() as u64).to_string()));
    }
    Ok(out)
}

/// Verify one npm package version end to end: registry resolution, tarball integrity, registry
/// signature, npm publish attestation, SLSA provenance and the transparency log.
///
/// Resolves with a report whose `status` is `verified` only when every check passed; the
/// report's `problems` and `skipped` say what did not. Rejects (with `err.code`) only for
/// usage and configuration errors.
#[napi(
    ts_args_type = "spec: string, options?: VerifyOptions",
    ts_return_type = "Promise<Report>"
)]
pub fn verify<'e>(
    env: &'e Env,
    spec: Unknown<'e>,
    options: Option<Unknown<'e>>,
) -> Result<PromiseRaw<'e, Unknown<'e>>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        if spec.get_type().map_err(|e| arg(e.to_string()))? != ValueType::String {
            return Err(arg("spec must be a string like 'name@1.2.3'"));
        }
        let spec = String::from_unknown(spec).map_err(|e| arg(e.to_string()))?;
        let o = self::options(options)?;
        let (root, keys) = trust_sources(env, &o)?;
        let att = prop(&o, "attestations")?
            .map(|u| json_input(env, u, "attestations", true))
            .transpose()?;
        let tarball = prop(&o, "tarball")?
            .map(|u| bytes_or_path(u, "tarball"))
            .transpose()?;
        let max = prop_number(&o, "maxTarballBytes")?;
        if let Some(m) = max {
            if !(m.is_finite() && m >= 1.0) {
                return Err(arg("maxTarballBytes must be a positive number"));
            }
        }
        Ok((
            spec,
            prop_string(&o, "registry")?,
            prop_string(&o, "attestationsRegistry")?,
            (prop_string(&o, "cwd")?, config_overrides(&o)?),
            root,
            keys,
            att,
            tarball,
            max.map(|m| m as usize),
        ))
    });
    let (spec, registry, attestations_registry, (cwd, overrides), root, keys, att, tarball, max) =
        match prepared {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
    settle(env, async move {
        let trust = session::trust(root, keys).await?;
        let cwd = session::working_dir(cwd.map(PathBuf::from))?;
        let ctx = Context::with_overrides(cwd, trust, &overrides)?;
        let max_tar = max.unwrap_or(prov_native_core::net::registry::DEFAULT_MAX_TARBALL_BYTES);
        let attestations = match att {
            Some(a) => {
                let (text, origin) = a.text(bundle::MAX_BUNDLE_BYTES * 4).await?;
                Some(AttestationSource::Text { text, origin })
            }
            None => None,
        };
        let tarball = match tarball {
            Some(t) => Some(t.read(max_tar).await?),
            None => None,
        };
        let req = Request {
            spec,
            registry,
            attestations_registry,
            attestations,
            tarball,
            max_tarball_bytes: Some(max_tar),
            ..Default::default()
        };
        let report = verify::verify(&ctx, &req).await?;
        to_value(&report)
    })
}

/// Verify a Sigstore bundle (v0.1–v0.3) against an artifact or its digest.
///
/// Resolves with the verified facts; rejects with a coded error when any check fails.
#[napi(
    ts_args_type = "bundle: string | Buffer | object, options?: VerifyBundleOptions",
    ts_return_type = "Promise<BundleFacts>"
)]
pub fn verify_bundle<'e>(
    env: &'e Env,
    bundle: Unknown<'e>,
    options: Option<Unknown<'e>>,
) -> Result<AsyncTask<CpuTask>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let input = json_input(env, bundle, "bundle", false)?;
        let o = self::options(options)?;
        let (root, keys) = trust_sources(env, &o)?;
        let artifact = prop(&o, "artifact")?
            .map(|u| bytes_or_path(u, "artifact"))
            .transpose()?;
        let digest = prop_string(&o, "digest")?
            .map(|d| bundle::parse_digest(&d))
            .transpose()?;
        let public_key = prop_string(&o, "publicKey")?
            .map(|pem| bundle::parse_public_key_pem(&pem))
            .transpose()?;
        Ok((
            input,
            root,
            keys,
            artifact,
            VerifyOptions {
                artifact: None,
                digest,
                certificate_identity: prop_string(&o, "certificateIdentity")?,
                certificate_issuer: prop_string(&o, "certificateIssuer")?,
                public_key,
            },
        ))
    });
    let (input, root, keys, artifact, mut opts) = match prepared {
        Ok(p) => p,
        Err(e) => return Ok(CpuTask::failed(e)),
    };
    Ok(CpuTask::new(move || {
        let (text, _) = input.read_text(bundle::MAX_BUNDLE_BYTES)?;
        if let Some(a) = artifact {
            opts.artifact =
                Some(a.read_blocking(prov_native_core::net::registry::DEFAULT_MAX_TARBALL_BYTES)?);
        }
        let trust = TrustMaterial::for_call(root, keys)?;
        let pb = bundle::parse(&text)?;
        let facts = bundle::verify(&pb, &opts, &trust)?;
        to_value(&facts)
    }))
}

fn algorithms(env: &Env, o: &Option<Object>) -> std::result::Result<Vec<Algorithm>, CoreError> {
    match prop(o, "algorithms")? {
        None => Ok(vec![Algorithm::Sha512]),
        Some(u) => {
            let names: Vec<String> = env
                .from_js_value(u)
                .map_err(|_| arg("algorithms must be an array of strings"))?;
            let algs = names
                .iter()
                .map(|n| Algorithm::parse(n).ok_or_else(|| arg(format!("unknown algorithm {n:?}"))))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            if algs.is_empty() {
                return Err(arg("algorithms is empty"));
            }
            Ok(algs)
        }
    }
}

/// Compute an SRI string (default `sha512`) over bytes or a file.
#[napi(
    ts_args_type = "data: Buffer | Uint8Array | string, options?: { algorithms?: Array<'sha1' | 'sha256' | 'sha384' | 'sha512'> }",
    ts_return_type = "Promise<string>"
)]
pub fn integrity<'e>(
    env: &'e Env,
    data: Unknown<'e>,
    options: Option<Unknown<'e>>,
) -> Result<AsyncTask<CpuTask>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let src = bytes_or_path(data, "data")?;
        let o = self::options(options)?;
        Ok((src, algorithms(env, &o)?))
    });
    let (src, algs) = match prepared {
        Ok(p) => p,
        Err(e) => return Ok(CpuTask::failed(e)),
    };
    Ok(CpuTask::new(move || {
        let bytes =
            src.read_blocking(prov_native_core::net::registry::DEFAULT_MAX_TARBALL_BYTES)?;
        to_value(&integrity::compute(&bytes, &algs).to_sri())
    }))
}

/// Check bytes or a file against an SRI string with its strongest algorithm.
///
/// Resolves `{ match, algorithm, actual }`; `match` is false only for a real mismatch. A
/// malformed SRI string rejects with `ERR_PROV_SRI`.
#[napi(
    ts_args_type = "data: Buffer | Uint8Array | string, sri: string",
    ts_return_type = "Promise<IntegrityCheck>"
)]
pub fn check_integrity<'e>(
    env: &'e Env,
    data: Unknown<'e>,
    sri: Unknown<'e>,
) -> Result<AsyncTask<CpuTask>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let src = bytes_or_path(data, "data")?;
        if sri.get_type().map_err(|e| arg(e.to_string()))? != ValueType::String {
            return Err(arg("sri must be a string"));
        }
        let s = String::from_unknown(sri).map_err(|e| arg(e.to_string()))?;
        Ok((src, Integrity::parse(&s)?))
    });
    let (src, expected) = match prepared {
        Ok(p) => p,
        Err(e) => return Ok(CpuTask::failed(e)),
    };
    Ok(CpuTask::new(move || {
        let bytes =
            src.read_blocking(prov_native_core::net::registry::DEFAULT_MAX_TARBALL_BYTES)?;
        let strongest = expected
            .strongest()
            .map(|h| h.algorithm)
            .unwrap_or(Algorithm::Sha512);
        let actual = integrity::compute(&bytes, &[strongest]).to_sri();
        let matched = match integrity::check(&bytes, &expected) {
            Ok(_) => true,
            Err(CoreError::IntegrityMismatch(_)) => false,
            Err(e) => return Err(e),
        };
        to_value(
            &serde_json::json!({ "match": matched, "algorithm": strongest.name(), "actual": actual }),
        )
    }))
}

/// Verify npm attestations (an attestations response or bundles, JSON or JSONL) for a package
/// version whose integrity you already know, without a registry.
///
/// `integrity` is the version's SRI with a sha512 (or pass `tarball` bytes/path). Resolves with
/// the verified provenance and publish attestation (either may be null when absent); rejects
/// with a coded error when any attestation fails.
#[napi(
    ts_args_type = "attestations: string | Buffer | object, options: VerifyAttestationsOptions",
    ts_return_type = "Promise<VerifiedAttestations>"
)]
pub fn verify_attestations<'e>(
    env: &'e Env,
    attestations: Unknown<'e>,
    options: Unknown<'e>,
) -> Result<AsyncTask<CpuTask>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let input = json_input(env, attestations, "attestations", true)?;
        let o = self::options(Some(options))?;
        if o.is_none() {
            return Err(arg(
                "options { name, version, integrity | tarball } are required",
            ));
        }
        let (root, keys) = trust_sources(env, &o)?;
        let name = prop_string(&o, "name")?.ok_or_else(|| arg("options.name is required"))?;
        let version =
            prop_string(&o, "version")?.ok_or_else(|| arg("options.version is required"))?;
        let sri = prop_string(&o, "integrity")?
            .map(|s| Integrity::parse(&s))
            .transpose()?;
        let tarball = prop(&o, "tarball")?
            .map(|u| bytes_or_path(u, "tarball"))
            .transpose()?;
        if sri.is_none() && tarball.is_none() {
            return Err(arg("options.integrity or options.tarball is required"));
        }
        Ok((input, root, keys, name, version, sri, tarball))
    });
    let (input, root, keys, name, version, sri, tarball) = match prepared {
        Ok(p) => p,
        Err(e) => return Ok(CpuTask::failed(e)),
    };
    Ok(CpuTask::new(move || {
        let (text, origin) = input.read_text(bundle::MAX_BUNDLE_BYTES * 4)?;
        let bytes = tarball
            .map(|t| t.read_blocking(prov_native_core::net::registry::DEFAULT_MAX_TARBALL_BYTES))
            .transpose()?;
        let trust = TrustMaterial::for_call(root, keys)?;
        let sha512 = match (&sri, &bytes) {
            (Some(i), b) => {
                let h = i.sha512()?.ok_or_else(|| {
                    CoreError::SriParse("integrity has no sha512 to bind attestations to".into())
                })?;
                if let Some(b) = b {
                    integrity::check(b, i)?;
                }
                h.digest.clone()
            }
            (None, Some(b)) => sha2::Sha512::digest(b).to_vec(),
            (None, None) => return Err(arg("options.integrity or options.tarball is required")),
        };
        let entries = prov_native_core::sigstore::attestation::entries(bundle::json_documents(
            &text, &origin,
        )?)?;
        let target = prov_native_core::sigstore::attestation::Target {
            name,
            version,
            sha512,
        };
        to_value(&prov_native_core::sigstore::attestation::verify_all(
            &entries, &target, &trust,
        )?)
    }))
}

fn prop_bool(o: &Option<Object>, key: &str) -> std::result::Result<Option<bool>, CoreError> {
    match prop(o, key)? {
        None => Ok(None),
        Some(u) if u.get_type().ok() == Some(ValueType::Boolean) => bool::from_unknown(u)
            .map(Some)
            .map_err(|e| arg(e.to_string())),
        Some(_) => Err(arg(format!("{key} must be a boolean"))),
    }
}

type Progress = std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>;

fn progress_callback(o: &Option<Object>) -> std::result::Result<Progress, CoreError> {
    use napi::threadsafe_function::ThreadsafeFunctionCallMode;
    let Some(u) = prop(o, "onProgress")? else {
        return Ok(std::sync::Arc::new(|_, _| {}));
    };
    if u.get_type().ok() != Some(ValueType::Function) {
        return Err(arg("onProgress must be a function"));
    }
    let f: Function<FnArgs<(u32, u32)>, ()> =
        Function::from_unknown(u).map_err(|e| arg(e.to_string()))?;
    let tsfn = f
        .build_threadsafe_function::<FnArgs<(u32, u32)>>()
        .weak::<true>()
        .build()
        .map_err(|e| CoreError::Internal(e.to_string()))?;
    // At most one call every 20 ms, and the last one (done == total) always: a tree of
    // 300,000 packages would otherwise queue 300,000 calls on the JS thread.
    let start = std::time::Instant::now();
    let last = std::sync::atomic::AtomicU64::new(0);
    Ok(std::sync::Arc::new(move |done, total| {
        use std::sync::atomic::Ordering::Relaxed;
        if done < total {
            let now = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            let prev = last.load(Relaxed);
            if now < prev.saturating_add(20)
                || last.compare_exchange(prev, now, Relaxed, Relaxed).is_err()
            {
                return;
            }
        }
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        tsfn.call(
            (clamp(done), clamp(total)).into(),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }))
}

/// Options shared by `audit` and `guard`, read from the JS object.
/// The options `audit` and `guard` share, as the core's [`Settings`].
fn tree_settings(env: &Env, o: &Option<Object>) -> std::result::Result<Settings, CoreError> {
    let (trusted_root, npm_keys) = trust_sources(env, o)?;
    let concurrency = match prop_number(o, "concurrency")? {
        None => prov_native_core::audit::DEFAULT_CONCURRENCY,
        Some(n) if n.is_finite() && (1.0..=1024.0).contains(&n) => n as usize,
        Some(_) => return Err(arg("concurrency must be between 1 and 1024")),
    };
    Ok(Settings {
        trusted_root,
        npm_keys,
        cwd: prop_string(o, "cwd")?.map(PathBuf::from),
        lockfile: prop_string(o, "lockfile")?.map(PathBuf::from),
        registry: prop_string(o, "registry")?,
        attestations_registry: prop_string(o, "attestationsRegistry")?,
        concurrency,
        cache: prop_bool(o, "cache")?.unwrap_or(true),
        cache_dir: prop_string(o, "cacheDir")?.map(PathBuf::from),
        offline: prop_bool(o, "offline")?.unwrap_or(false),
        overrides: config_overrides(o)?,
    })
}

/// Audit a dependency tree: every package of a lockfile (npm, yarn, pnpm, bun) or of
/// `node_modules`, verified concurrently, cached on disk.
///
/// Resolves with `{ summary, packages }`; each package report has the shape `verify()` gives.
/// Rejects only for usage and configuration errors (no lockfile, malformed lockfile, bad
/// options).
#[napi(
    ts_args_type = "options?: AuditOptions",
    ts_return_type = "Promise<AuditResult>"
)]
pub fn audit<'e>(
    env: &'e Env,
    options: Option<Unknown<'e>>,
) -> Result<PromiseRaw<'e, Unknown<'e>>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let o = self::options(options)?;
        let detail = match prop_string(&o, "detail")?.as_deref() {
            None | Some("full") => prov_native_core::audit::Detail::Full,
            Some("brief") => prov_native_core::audit::Detail::Brief,
            Some(d) => {
                return Err(arg(format!(
                    "detail must be \"full\" or \"brief\", not {d:?}"
                )))
            }
        };
        Ok((tree_settings(env, &o)?, progress_callback(&o)?, detail))
    });
    let (args, progress, detail) = match prepared {
        Ok(p) => p,
        Err(e) => return rejected(env, e),
    };
    settle(env, async move {
        let lockfile = args.lockfile.clone();
        let Session {
            ctx,
            cwd,
            audit: mut opts,
        } = Session::open(args).await?;
        opts.abbreviated = true;
        opts.detail = detail;
        let tree = tokio::task::spawn_blocking(move || {
            prov_native_core::audit::find_tree(&cwd, lockfile.as_deref())
        })
        .await
        .map_err(|e| CoreError::Internal(e.to_string()))??;
        let text = prov_native_core::audit::audit_json(&ctx, tree, &opts, progress).await;
        release_freed_memory();
        text
    })
}

/// Hand the memory a large tree freed back to the system before JS parses the result:
/// glibc keeps freed small blocks (the tree's packages and reports) in its arenas, where they
/// would count against the process's peak a second time alongside the JS objects made next.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer; it only returns free pages of glibc's own heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Run the project's policy over its lockfile (before install): audit, provenance rules,
/// typosquatting, dependency confusion, malware advisories, install scripts, tarball scans.
///
/// Resolves with `{ findings, allowed, skipped, errors, warnings, audit }`; rejects only for
/// usage and configuration errors (including an invalid policy file).
#[napi(
    ts_args_type = "options?: GuardOptions",
    ts_return_type = "Promise<GuardResult>"
)]
pub fn guard<'e>(
    env: &'e Env,
    options: Option<Unknown<'e>>,
) -> Result<PromiseRaw<'e, Unknown<'e>>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let o = self::options(options)?;
        Ok((
            tree_settings(env, &o)?,
            prop_string(&o, "config")?,
            prop_string(&o, "previousLockfile")?,
            prop_bool(&o, "scanAll")?,
        ))
    });
    let (args, config, previous, scan_all) = match prepared {
        Ok(p) => p,
        Err(e) => return rejected(env, e),
    };
    settle(env, async move {
        let lockfile = args.lockfile.clone();
        let Session { ctx, cwd, audit } = Session::open(args).await?;
        let opts = prov_native_core::guard::Options {
            audit,
            lockfile,
            config: config.map(PathBuf::from),
            previous_lockfile: previous.map(PathBuf::from),
            advisories: Vec::new(),
        };
        let env = prov_native_core::env::Ci::from_process();
        let extra = prov_native_core::env::Ci {
            scan_all: scan_all.unwrap_or(false) || env.scan_all,
            ..env
        };
        let result = prov_native_core::guard::guard_with(&ctx, &cwd, &opts, &extra).await?;
        to_value(&result)
    })
}

/// What npm would extract from a package tarball: every file npm leaves in the package
/// directory with its size and `sha512`, the winning `package.json`, and what is odd about the
/// archive (`anomalies`; severity `error` when npm's view of a judged file depends on the
/// platform). Nothing is written and no package code runs.
///
/// Rejects with `ERR_PROV_INVALID_ARG` for a tarball npm cannot extract (or whose extraction
/// this reader cannot pin down), `ERR_PROV_TOO_LARGE` over the reader's limits, `ERR_PROV_JSON`
/// for a `package.json` that does not parse.
#[napi(
    ts_args_type = "data: Buffer | Uint8Array | string, options?: InspectTarballOptions",
    ts_return_type = "Promise<TarballView>"
)]
pub fn inspect_tarball<'e>(
    env: &'e Env,
    data: Unknown<'e>,
    options: Option<Unknown<'e>>,
) -> Result<AsyncTask<CpuTask>> {
    use prov_native_core::npm::tarball::{Options, Platform};
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let src = bytes_or_path(data, "data")?;
        let o = self::options(options)?;
        let platform = match prop_string(&o, "platform")?.as_deref() {
            None => Platform::current(),
            Some("posix") => Platform::Posix,
            Some("darwin") => Platform::Darwin,
            Some("windows") => Platform::Windows,
            Some(p) => {
                return Err(arg(format!(
                    "platform must be 'posix', 'darwin' or 'windows', not {p:?}"
                )))
            }
        };
        Ok((src, platform))
    });
    let (src, platform) = match prepared {
        Ok(p) => p,
        Err(e) => return Ok(CpuTask::failed(e)),
    };
    Ok(CpuTask::new(move || {
        let opts = Options {
            digests: true,
            platform,
            ..Options::default()
        };
        let bytes = src.read_blocking(opts.limits.max_compressed as usize)?;
        to_value(&prov_native_core::npm::tarball::read_with(&bytes, &opts)?)
    }))
}

/// What can be known about the project's lockfile without the network, synchronously (for
/// ESLint rules and other callers that cannot wait): the lockfile (found from `cwd` upwards),
/// the stored verdict of each registry package in the audit's cache (`verified`, `unsigned`,
/// else `unknown`: never verified here), and the offline policy rules (typosquat, advisories,
/// dependency confusion by configuration). Memoised per process on the lockfile's and policy's
/// bytes. Throws (with `err.code`) for a lockfile or policy that cannot be read.
#[napi(ts_args_type = "options?: LintOptions", ts_return_type = "LintResult")]
pub fn lint_sync<'e>(env: &'e Env, options: Option<Unknown<'e>>) -> Result<Unknown<'e>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let o = self::options(options)?;
        Ok(prov_native_core::lint::Options {
            cwd: session::working_dir(prop_string(&o, "cwd")?.map(PathBuf::from))?,
            lockfile: prop_string(&o, "lockfile")?.map(PathBuf::from),
            config: prop_string(&o, "config")?.map(PathBuf::from),
            registry: prop_string(&o, "registry")?,
            cache: prop_bool(&o, "cache")?.unwrap_or(true),
            cache_dir: prop_string(&o, "cacheDir")?.map(PathBuf::from),
            if_none_match: prop_string(&o, "ifNoneMatch")?,
        })
    });
    let out = prepared.and_then(|opts| {
        std::panic::catch_unwind(|| prov_native_core::lint::check_json(&opts))
            .unwrap_or_else(|_| Err(CoreError::Internal("lintSync panicked".into())))
    });
    match out {
        Ok(text) => {
            let json: Object = env.get_global()?.get_named_property("JSON")?;
            let parse: Function<String, Unknown> = json.get_named_property("parse")?;
            parse.call(text.as_ref().clone())
        }
        Err(e) => Err(coded(env, &e)),
    }
}

/// How many offline checks (`lintSync`) this process computed rather than served from its memo.
#[napi]
pub fn lint_checks_computed() -> u32 {
    u32::try_from(prov_native_core::lint::computed()).unwrap_or(u32::MAX)
}

/// Survey a dependency tree (or a list of names at their latest versions): the share of
/// packages with verified SLSA provenance, with a publish attestation only, a registry
/// signature only, or nothing; direct vs transitive, production vs dev; packages that used to
/// publish with provenance and no longer do; where the provenance says they were built.
///
/// Uses `audit`'s verification and cache. Rejects only for usage and configuration errors.
#[napi(
    ts_args_type = "options?: SurveyOptions",
    ts_return_type = "Promise<SurveyResult>"
)]
pub fn survey<'e>(
    env: &'e Env,
    options: Option<Unknown<'e>>,
) -> Result<PromiseRaw<'e, Unknown<'e>>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let o = self::options(options)?;
        Ok((tree_settings(env, &o)?, prop_string(&o, "list")?))
    });
    let (args, list) = match prepared {
        Ok(p) => p,
        Err(e) => return rejected(env, e),
    };
    settle(env, async move {
        let lockfile = args.lockfile.clone();
        let Session {
            ctx,
            cwd,
            audit: mut opts,
        } = Session::open(args).await?;
        opts.abbreviated = true;
        let dir = cwd.clone();
        let (tree, list) = tokio::task::spawn_blocking(move || match list {
            Some(l) => {
                let path = cwd.join(&l);
                let bytes = prov_native_core::files::read_capped(&path, 16 * 1024 * 1024)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| CoreError::json(path.display().to_string(), "not UTF-8"))?;
                Ok::<_, CoreError>((None, Some((path.display().to_string(), text))))
            }
            None => Ok((
                Some(prov_native_core::audit::find_tree(
                    &cwd,
                    lockfile.as_deref(),
                )?),
                None,
            )),
        })
        .await
        .map_err(|e| CoreError::Internal(e.to_string()))??;
        prov_native_core::survey::survey_json(&ctx, tree, list, &dir, &opts).await
    })
}

/// One round of `watch`: for each watched package, a conditional request for its packument;
/// each version published since the state was taken is verified and judged by the rules that
/// need no lockfile. Resolves with `{ events, state, errors, newVersions, baseline, unchanged,
/// skipped }`: emit the events, then store `state` (atomically) for the next round.
///
/// Packages: `packages`, else the policy's `watch.packages`, else the project's direct
/// dependencies. With `changesFeed` (or the policy's `watch.changesFeed`), the registry's
/// CouchDB-style changes feed says which names changed: only those are asked for, and new
/// names imitating a watched one are reported (`typosquat`). Rejects for usage and configuration errors (a state file that does not
/// parse included: it is never replaced by a fresh start).
#[napi(
    ts_args_type = "options?: WatchOptions",
    ts_return_type = "Promise<WatchRound>"
)]
pub fn watch_poll<'e>(
    env: &'e Env,
    options: Option<Unknown<'e>>,
) -> Result<PromiseRaw<'e, Unknown<'e>>> {
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let o = self::options(options)?;
        let packages = match prop(&o, "packages")? {
            None => None,
            Some(u) if u.get_type().ok() != Some(ValueType::Object) => {
                return Err(arg("packages must be an array of strings"))
            }
            Some(u) => {
                let a = Array::from_unknown(u)
                    .map_err(|_| arg("packages must be an array of strings"))?;
                let mut out = Vec::new();
                for i in 0..a.len() {
                    let v: Option<Unknown> = a.get(i).map_err(|e| arg(e.to_string()))?;
                    match v {
                        Some(v) if v.get_type().ok() == Some(ValueType::String) => {
                            out.push(String::from_unknown(v).map_err(|e| arg(e.to_string()))?)
                        }
                        _ => return Err(arg("packages must be an array of strings")),
                    }
                }
                Some(out)
            }
        };
        let count = |key: &str| -> std::result::Result<Option<usize>, CoreError> {
            match prop_number(&o, key)? {
                None => Ok(None),
                Some(n) if n.fract() == 0.0 && (1.0..=1e9).contains(&n) => Ok(Some(n as usize)),
                Some(_) => Err(arg(format!("{key} must be a positive integer"))),
            }
        };
        let feed = (
            prop_string(&o, "changesFeed")?,
            count("changesFeedPageSize")?,
            count("changesFeedMaxPages")?,
        );
        Ok((
            tree_settings(env, &o)?,
            prop_string(&o, "config")?,
            prop_string(&o, "stateFile")?,
            packages,
            feed,
        ))
    });
    let (args, config, state_file, packages, feed) = match prepared {
        Ok(p) => p,
        Err(e) => return rejected(env, e),
    };
    settle(env, async move {
        use prov_native_core::watch;
        let lockfile = args.lockfile.clone();
        let Session { ctx, cwd, audit } = Session::open(args).await?;
        let project = prov_native_core::guard::project_dir(&cwd, lockfile.as_deref());
        let (cfg, names, state) = tokio::task::spawn_blocking(move || {
            let cfg =
                prov_native_core::policy::Config::load(&project, config.as_deref().map(Path::new))?;
            let names = match packages {
                Some(p) => p,
                None => {
                    let lock = if cfg.watch.is_empty()
                        || cfg
                            .watch
                            .iter()
                            .any(|w| w.contains('*') || !w.contains('/') && w.starts_with('@'))
                    {
                        Some(prov_native_core::audit::load_tree(
                            &cwd,
                            lockfile.as_deref(),
                        )?)
                    } else {
                        None
                    };
                    watch::names(&cfg, lock.as_ref(), &project)
                }
            };
            let state = match &state_file {
                Some(f) => watch::State::load(&cwd.join(f))?,
                None => watch::State {
                    version: watch::STATE_VERSION,
                    ..Default::default()
                },
            };
            Ok::<_, CoreError>((cfg, names, state))
        })
        .await
        .map_err(|e| CoreError::Internal(e.to_string()))??;
        for n in &names {
            prov_native_core::npm::spec::parse(n)
                .map_err(|e| CoreError::InvalidArg(format!("watched package {n:?}: {e}")))?;
        }
        // The option, else the policy's `watch.changesFeed`.
        let feed = match feed.0.or_else(|| cfg.watch_feed.clone()) {
            Some(url) => Some(watch::feed::FeedOptions::new(&url, feed.1, feed.2)?),
            None => None,
        };
        let opts = watch::Options {
            names,
            audit,
            config: cfg,
            cwd: ctx.cwd.clone(),
            feed,
        };
        let round = watch::round(&ctx, &state, &opts).await;
        to_value(&round)
    })
}

fn prop_strings(
    o: &Option<Object>,
    key: &str,
) -> std::result::Result<Option<Vec<String>>, CoreError> {
    let Some(u) = prop(o, key)? else {
        return Ok(None);
    };
    match u.get_type().map_err(|e| arg(e.to_string()))? {
        ValueType::String => Ok(Some(vec![
            String::from_unknown(u).map_err(|e| arg(e.to_string()))?
        ])),
        ValueType::Object => {
            let a: Vec<Unknown> = Vec::from_unknown(u)
                .map_err(|_| arg(format!("{key} must be a string or an array of strings")))?;
            a.into_iter()
                .map(|x| {
                    if x.get_type().ok() == Some(ValueType::String) {
                        String::from_unknown(x).map_err(|e| arg(e.to_string()))
                    } else {
                        Err(arg(format!(
                            "{key} must be a string or an array of strings"
                        )))
                    }
                })
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(Some)
        }
        _ => Err(arg(format!(
            "{key} must be a string or an array of strings"
        ))),
    }
}

/// A software bill of materials for a lockfile (any format `audit` reads): CycloneDX 1.6 or
/// SPDX 2.3 JSON, with each registry package's verified provenance as evidence (the audit runs
/// first, from its cache when it already ran; `verify: false` leaves the evidence out).
///
/// Resolves with the document as an object; rejects only for usage and configuration errors.
#[napi(
    ts_args_type = "options?: SbomOptions",
    ts_return_type = "Promise<object>"
)]
pub fn sbom<'e>(env: &'e Env, options: Option<Unknown<'e>>) -> Result<PromiseRaw<'e, Unknown<'e>>> {
    use prov_native_core::sbom;
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let o = self::options(options)?;
        let format =
            sbom::Format::parse(prop_string(&o, "format")?.as_deref().unwrap_or("cyclonedx"))?;
        let opts = sbom::Options {
            format,
            reproducible: prop_bool(&o, "reproducible")?.unwrap_or(false),
        };
        let verify = prop_bool(&o, "verify")?.unwrap_or(true);
        Ok((tree_settings(env, &o)?, opts, verify))
    });
    let (args, opts, verify) = match prepared {
        Ok(p) => p,
        Err(e) => return rejected(env, e),
    };
    settle(env, async move {
        let lockfile = args.lockfile.clone();
        let Session { ctx, cwd, audit } = Session::open(args).await?;
        let doc = sbom::generate(
            &ctx,
            &cwd,
            lockfile.as_deref(),
            verify.then_some(&audit),
            &opts,
        )
        .await?;
        to_value(&doc)
    })
}

/// Check the Subresource Integrity of npm files loaded from CDNs (jsDelivr, unpkg, JSPM,
/// cdnjs) by HTML pages, Markdown or templates: each file is hashed from the npm tarball,
/// fetched through the configured registry and verified as `verify()` does.
///
/// Resolves with `{ rows, packages, summary, files, skipped, local, fix? }`; with `fix: true`,
/// `fix` holds a diff per page, written only with `write: true`. Rejects for usage errors (no
/// input, unreadable page, a fix that would not read back as intended).
#[napi(
    ts_args_type = "options: CheckSriOptions",
    ts_return_type = "Promise<SriResult>"
)]
pub fn check_sri<'e>(
    env: &'e Env,
    options: Option<Unknown<'e>>,
) -> Result<PromiseRaw<'e, Unknown<'e>>> {
    use prov_native_core::sri;
    let prepared = read_args(env, || -> std::result::Result<_, CoreError> {
        let o = self::options(options)?;
        let mut inputs: Vec<sri::Input> = prop_strings(&o, "paths")?
            .unwrap_or_default()
            .into_iter()
            .map(|p| sri::Input::Path(PathBuf::from(p)))
            .collect();
        if let Some(text) = prop_string(&o, "html")? {
            inputs.push(sri::Input::Text {
                name: prop_string(&o, "name")?.unwrap_or_else(|| "<stdin>".into()),
                text,
            });
        }
        if inputs.is_empty() {
            return Err(arg(
                "options.paths (files or directories) or options.html is required",
            ));
        }
        let fix = prop_bool(&o, "fix")?.unwrap_or(false);
        let write = prop_bool(&o, "write")?.unwrap_or(false);
        if write && !fix {
            return Err(arg("write: true needs fix: true"));
        }
        Ok((tree_settings(env, &o)?, inputs, fix, write))
    });
    let (args, inputs, fix, write) = match prepared {
        Ok(p) => p,
        Err(e) => return rejected(env, e),
    };
    settle(env, async move {
        let opts = sri::Options {
            inputs,
            registry: args.registry.clone(),
            attestations_registry: args.attestations_registry.clone(),
            concurrency: args.concurrency,
        };
        let Session { ctx, .. } = Session::open(args).await?;
        let (result, pages) = sri::check(&ctx, &opts).await?;
        let mut v =
            serde_json::to_value(&result).map_err(|e| CoreError::Internal(e.to_string()))?;
        if fix {
            let rows = result.rows.clone();
            let f = tokio::task::spawn_blocking(move || sri::fix::fix(&pages, &rows, write))
                .await
                .map_err(|e| CoreError::Internal(e.to_string()))??;
            v["fix"] = serde_json::to_value(&f).map_err(|e| CoreError::Internal(e.to_string()))?;
        }
        to_value(&v)
    })
}
