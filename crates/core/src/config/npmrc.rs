//! npm's own configuration, read the way npm 11 reads it.
//!
//! The product never hard-codes a registry: the registry, credentials, TLS trust and proxy all
//! come from the same places npm takes them from. Layers, highest priority first:
//!
//! 1. overrides ([`NpmConfig::with_overrides`]: CLI flags, JS options);
//! 2. the environment: `npm_config_<key>` (prefix matched case-insensitively; as in npm, keys
//!    that start with `//` are taken verbatim, otherwise `_` after the first character becomes
//!    `-` and the key is lower-cased; empty values are ignored);
//! 3. the project `.npmrc`: in the nearest ancestor of `cwd` (or `cwd` itself) holding
//!    `package.json` or `node_modules`, else in `cwd` (skipped when it is the user config);
//! 4. the user config: `userconfig` (from the layers above), else `<home>/.npmrc`;
//! 5. the global config: `globalconfig`, else `<prefix>/etc/npmrc`, where `prefix` is the
//!    configured `prefix`, else `$PREFIX`, else the parent of the directory holding `node`.
//!
//! npm's builtin `npmrc` and its defaults are not read: in particular there is no default
//! registry, so [`NpmConfig::registry_for`] is `None` unless something configures one.
//!
//! Files use npm's `ini` dialect: `key = value`, `;`/`#` comment lines, quoted values (double
//! quotes are JSON strings), inline `;`/`#` comments in unquoted values (`\;` escapes),
//! `key[] = value` lists, and `${VAR}` / `${VAR?}` expanded from the environment in keys and
//! values (an unset `${VAR}` stays as written; `\${VAR}` is literal). Keys under a `[section]`
//! are not top-level config, so npm ignores them and so does this module.

use crate::error::{Error, Result};
use crate::npm::registry_url::RegistryUrl;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Config files (and `cafile`) larger than this are rejected.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Environment variables that carry config, matched case-insensitively.
const ENV_PREFIX: &str = "npm_config_";
/// How long `npm config get registry` may take.
const NPM_CLI_TIMEOUT: Duration = Duration::from_secs(10);

/// Credentials for one request, ready for an `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic <value>`; the value is base64 of `user:pass`, exactly as sent.
    Basic(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        match self {
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Auth::Basic(_) => f.write_str("Basic(<redacted>)"),
        }
    }
}

/// One config value: a scalar, or a list built by `key[]=` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    One(String),
    List(Vec<String>),
}

impl Value {
    fn first(&self) -> Option<&str> {
        match self {
            Value::One(s) => Some(s),
            Value::List(v) => v.first().map(String::as_str),
        }
    }

    fn all(&self) -> Vec<&str> {
        match self {
            Value::One(s) => vec![s.as_str()],
            Value::List(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// One source of configuration.
#[derive(Clone, Default)]
struct Layer {
    source: String,
    values: HashMap<String, Value>,
}

/// Proxy-related environment variables (npm reads them with lower-cased names).
#[derive(Clone, Default)]
struct ProxyEnv {
    https_proxy: Option<String>,
    http_proxy: Option<String>,
    proxy: Option<String>,
    no_proxy: Option<String>,
}

/// npm configuration: layered key → value, highest priority first.
///
/// `Default` is an empty config (nothing configured).
#[derive(Clone, Default)]
pub struct NpmConfig {
    overrides: Layer,
    /// env, project, user, global — those that exist.
    layers: Vec<Layer>,
    proxy_env: ProxyEnv,
    /// For resolving relative paths (`cafile`).
    cwd: PathBuf,
    /// For resolving `~/` paths.
    home: Option<PathBuf>,
}

impl fmt::Debug for NpmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and sources only: values may be secrets.
        let mut d = f.debug_struct("NpmConfig");
        for layer in self.all_layers() {
            let mut keys: Vec<&str> = layer.values.keys().map(String::as_str).collect();
            keys.sort_unstable();
            d.field(&layer.source, &keys);
        }
        d.finish()
    }
}

impl NpmConfig {
    /// Load npm's configuration for the real process: its environment variables, `cwd`, and
    /// the home directory (`$HOME`, else the platform's home directory).
    pub fn load(cwd: &Path) -> Result<Self> {
        let env = crate::env::vars();
        let home = crate::env::home();
        let node = running_node().or_else(|| node_on_path(&env));
        Self::load_inner(cwd, &env, home.as_deref(), node.as_deref())
    }

    /// Load npm's configuration from an explicit environment map and home directory
    /// (testable: nothing is taken from the process except the file system; `node` for the
    /// default global prefix is looked up on the map's `PATH`).
    pub fn load_with(
        cwd: &Path,
        env: &HashMap<String, String>,
        home: Option<&Path>,
    ) -> Result<Self> {
        let node = node_on_path(env);
        Self::load_inner(cwd, env, home, node.as_deref())
    }

    fn load_inner(
        cwd: &Path,
        env: &HashMap<String, String>,
        home: Option<&Path>,
        node: Option<&Path>,
    ) -> Result<Self> {
        let cwd = &std::path::absolute(cwd).unwrap_or_else(|_| cwd.to_path_buf());
        let mut cfg = NpmConfig {
            overrides: Layer {
                source: "overrides".into(),
                values: HashMap::new(),
            },
            layers: Vec::new(),
            proxy_env: proxy_env(env),
            cwd: cwd.to_path_buf(),
            home: home.map(Path::to_path_buf),
        };

        let env_layer = env_layer(env);

        // Project config; skipped when it is also the user config (npm: a home directory
        // with node_modules would otherwise load ~/.npmrc twice).
        let project_file = project_dir(cwd).join(".npmrc");
        let user_before_project = cfg
            .path_in(&[&env_layer], "userconfig")
            .or_else(|| home.map(|h| h.join(".npmrc")));
        let project_layer = if user_before_project.as_deref() == Some(project_file.as_path()) {
            None
        } else {
            file_layer(&project_file, env)?
        };
        let project_layer = project_layer.unwrap_or_default();

        // User config: `userconfig` may come from env or the project file.
        let user_file = cfg
            .path_in(&[&env_layer, &project_layer], "userconfig")
            .or_else(|| home.map(|h| h.join(".npmrc")));
        let user_layer = match &user_file {
            Some(p) => file_layer(p, env)?.unwrap_or_default(),
            None => Layer::default(),
        };

        // Global config: `globalconfig`, else `<prefix>/etc/npmrc`.
        let above_global = [&env_layer, &project_layer, &user_layer];
        let global_file = cfg.path_in(&above_global, "globalconfig").or_else(|| {
            cfg.path_in(&above_global, "prefix")
                .or_else(|| default_global_prefix(env, node))
                .map(|p| p.join("etc").join("npmrc"))
        });
        let global_layer = match &global_file {
            Some(p) => file_layer(p, env)?.unwrap_or_default(),
            None => Layer::default(),
        };

        cfg.layers = [env_layer, project_layer, user_layer, global_layer]
            .into_iter()
            .filter(|l| !l.values.is_empty())
            .collect();
        Ok(cfg)
    }

    /// This config plus `key=value` pairs at the highest priority (CLI flags, JS options such
    /// as `registry`). Keys are taken verbatim; later pairs win; pairs with an empty key or
    /// value are ignored (as npm ignores empty `npm_config_*` variables). No `${VAR}`
    /// expansion. Use on `NpmConfig::default()` for a config made of these pairs only.
    pub fn with_overrides(mut self, pairs: &[(String, String)]) -> Self {
        if self.overrides.source.is_empty() {
            self.overrides.source = "overrides".into();
        }
        for (k, v) in pairs {
            let (k, v) = (js_trim(k), js_trim(v));
            if k.is_empty() || v.is_empty() {
                continue;
            }
            self.overrides
                .values
                .insert(k.to_string(), Value::One(v.to_string()));
        }
        self
    }

    /// The value of `key` from the highest-priority layer that sets it (for a `key[]=` list,
    /// its first entry). Values are trimmed and `${VAR}`-expanded; `key` is matched exactly.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(Value::first)
    }

    /// The registry for a package: `@scope:registry` for `@scope/name`, else `registry`;
    /// normalised to end with `/`. `None` when not configured anywhere.
    pub fn registry_for(&self, package_name: &str) -> Option<String> {
        let name = package_name.trim();
        let scoped = if name.starts_with('@') {
            let scope = name.split('/').next().unwrap_or(name);
            self.usable(&format!("{scope}:registry"))
        } else {
            None
        };
        scoped.or_else(|| self.usable("registry")).map(with_slash)
    }

    /// Every `@scope:registry` that is configured: `(scope, registry)` (scope with its `@`).
    pub fn scoped_registries(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .all_layers()
            .flat_map(|l| l.values.keys())
            .filter(|k| k.starts_with('@') && k.ends_with(":registry"))
            .filter_map(|k| {
                let scope = k.trim_end_matches(":registry").to_string();
                self.usable(k).map(|r| (scope, with_slash(r)))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Credentials for `url`, by npm's "nerf dart" rule.
    ///
    /// Walks from `//host[:port]/full/path` up to `//host[:port]` (scheme, query and default
    /// port dropped; host lower-cased) and takes the first (longest) key with `:_authToken`
    /// (Bearer), `:_auth` (Basic, as stored) or `:username` + `:_password` (Basic; the
    /// password is stored base64, as npm does). As npm does, a URL with no credentials of
    /// its own on the same host as a configured registry gets that registry's credentials.
    /// Finally the legacy unscoped `_authToken` / `_auth` apply only to URLs under the
    /// default `registry`. Only `http`/`https` URLs get credentials.
    pub fn auth_for(&self, url: &str) -> Option<Auth> {
        let target = RegistryUrl::parse(url)?;
        if let Some(a) = self.nerfed_auth(&target.nerf_base()) {
            return Some(a);
        }

        // npm-registry-fetch: no auth for this URI, but the registry on the same host has.
        let default_reg = self.usable("registry").map(with_slash);
        let mut registries: Vec<String> = default_reg.iter().cloned().collect();
        let mut scoped: Vec<String> = self
            .all_layers()
            .flat_map(|l| l.values.keys())
            .filter(|k| k.starts_with('@') && k.ends_with(":registry"))
            .filter_map(|k| self.usable(k).map(with_slash))
            .collect();
        scoped.sort();
        scoped.dedup();
        registries.extend(scoped);
        for reg in &registries {
            if let Some(r) = RegistryUrl::parse(reg) {
                if r.authority() == target.authority() && r != target {
                    if let Some(a) = self.nerfed_auth(&r.nerf_base()) {
                        return Some(a);
                    }
                }
            }
        }

        // Legacy unscoped credentials: only for the default registry.
        let reg = RegistryUrl::parse(default_reg.as_deref()?)?;
        if !target.nerf_base().starts_with(&reg.nerf_dart()) {
            return None;
        }
        if let Some(t) = self
            .usable("_authToken")
            .or_else(|| self.usable("_authtoken"))
        {
            return Some(Auth::Bearer(t.to_string()));
        }
        self.usable("_auth").map(|a| Auth::Basic(a.to_string()))
    }

    /// `strict-ssl`, default `true`. Parsed like npm: `false`, `null` and numeric zero are
    /// false; anything else (including an empty value) is true.
    pub fn strict_ssl(&self) -> bool {
        match self.get("strict-ssl").map(js_trim) {
            None | Some("") => true,
            Some("false") | Some("null") => false,
            Some(v) => match v.parse::<f64>() {
                Ok(n) => n != 0.0,
                Err(_) => true,
            },
        }
    }

    /// PEM certificates to trust: every certificate in `ca` (a string or `ca[]=` entries; a
    /// literal `\n` counts as a newline) plus every certificate in the file named by `cafile`
    /// (a missing file is ignored, as npm does; one that is not a regular file is
    /// `ERR_PROV_IO`). Empty when neither is set. Each returned
    /// string holds one `-----BEGIN …-----` … `-----END …-----` block.
    pub fn ca_pems(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        if let Some(v) = self.value("ca") {
            for entry in v.all() {
                let entry = js_trim(entry);
                if !usable_str(entry) {
                    continue;
                }
                let text = entry.replace("\\n", "\n");
                let pems = split_pems(&text);
                if pems.is_empty() {
                    return Err(Error::Config(
                        "`ca` is set but holds no PEM certificate".into(),
                    ));
                }
                out.extend(pems);
            }
        }
        if let Some(file) = self.usable("cafile") {
            let path = resolve_path(file, &self.cwd, self.home.as_deref());
            // A missing cafile is ignored, as npm does; npm fails on one it cannot read.
            let text = match read_file(&path)? {
                FileRead::Text(t) => Some(t),
                FileRead::Missing => None,
                FileRead::Directory => {
                    return Err(Error::io(
                        &path,
                        "cafile is a directory, not a regular file",
                    ))
                }
            };
            if let Some(text) = text {
                let pems = split_pems(&text);
                if pems.is_empty() {
                    return Err(Error::Config(format!(
                        "cafile {} holds no PEM certificate",
                        path.display()
                    )));
                }
                out.extend(pems);
            }
        }
        Ok(out)
    }

    /// The proxy for `url`, or `None` to connect directly.
    ///
    /// `https` URLs use `https-proxy`, falling back to `proxy`; `http` URLs use `proxy`.
    /// `proxy=false` disables proxying. When neither is configured, npm's environment
    /// fallback applies (`https_proxy` for https; `https_proxy`, `http_proxy`, `proxy` for
    /// http; names case-insensitive). `None` when the host matches `noproxy` (comma-separated
    /// host names or domain suffixes, matched label by label; `*` matches all) or, when
    /// `noproxy` is not configured, `NO_PROXY` / `no_proxy`. A proxy without a scheme gets
    /// `http://`.
    pub fn proxy_for(&self, url: &str) -> Option<String> {
        let (scheme, _) = url.trim().split_once("://")?;
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return None;
        };

        let proxy = match (
            https,
            self.proxy_setting("https-proxy"),
            self.proxy_setting("proxy"),
        ) {
            (true, Proxy::Url(p), _) => p.to_string(),
            (_, _, Proxy::Url(p)) => p.to_string(),
            (_, _, Proxy::Disabled) => return None,
            (true, _, Proxy::Unset) => self.proxy_env.https_proxy.clone()?,
            (false, _, Proxy::Unset) => self
                .proxy_env
                .https_proxy
                .clone()
                .or_else(|| self.proxy_env.http_proxy.clone())
                .or_else(|| self.proxy_env.proxy.clone())?,
        };

        if let Some(target) = RegistryUrl::parse(url) {
            let mut no: Vec<String> = self
                .value("noproxy")
                .map(|v| v.all().into_iter().flat_map(split_noproxy).collect())
                .unwrap_or_default();
            if no.is_empty() {
                no = self
                    .proxy_env
                    .no_proxy
                    .as_deref()
                    .map(split_noproxy)
                    .unwrap_or_default();
            }
            if no.iter().any(|n| noproxy_matches(target.host(), n)) {
                return None;
            }
        }

        if proxy.contains("://") {
            Some(proxy)
        } else {
            Some(format!("http://{proxy}"))
        }
    }

    // ---- helpers ----

    fn all_layers(&self) -> impl Iterator<Item = &Layer> {
        std::iter::once(&self.overrides).chain(self.layers.iter())
    }

    fn value(&self, key: &str) -> Option<&Value> {
        self.all_layers().find_map(|l| l.values.get(key))
    }

    /// The first layer's value for `key` that is a usable string (not empty, `null`, …).
    fn usable(&self, key: &str) -> Option<&str> {
        self.all_layers()
            .filter_map(|l| l.values.get(key).and_then(Value::first))
            .map(js_trim)
            .find(|v| usable_str(v))
    }

    fn proxy_setting(&self, key: &str) -> Proxy<'_> {
        match self.get(key).map(js_trim) {
            Some("false") if key == "proxy" => Proxy::Disabled,
            Some(v) if usable_str(v) => Proxy::Url(v),
            _ => Proxy::Unset,
        }
    }

    /// A path-typed key from specific layers, resolved like npm (`~/` is home, relative is
    /// against cwd).
    fn path_in(&self, layers: &[&Layer], key: &str) -> Option<PathBuf> {
        layers
            .iter()
            .filter_map(|l| l.values.get(key).and_then(Value::first))
            .map(js_trim)
            .find(|v| usable_str(v))
            .map(|v| resolve_path(v, &self.cwd, self.home.as_deref()))
    }

    /// npm-registry-fetch's walk: `//host/a/b` → `//host/a/` → `//host/a` → … → `//host`.
    fn nerfed_auth(&self, base: &str) -> Option<Auth> {
        let mut key = base.to_string();
        while key.len() > 2 {
            if let Some(a) = self.auth_at(&key) {
                return Some(a);
            }
            if key.ends_with('/') {
                key.pop();
            } else {
                match key.rfind('/') {
                    Some(i) => key.truncate(i + 1),
                    None => break,
                }
            }
        }
        None
    }

    fn auth_at(&self, key: &str) -> Option<Auth> {
        if let Some(t) = self.usable(&format!("{key}:_authToken")) {
            return Some(Auth::Bearer(t.to_string()));
        }
        if let Some(a) = self.usable(&format!("{key}:_auth")) {
            return Some(Auth::Basic(a.to_string()));
        }
        let user = self.usable(&format!("{key}:username"))?;
        let pass = decode_base64_lenient(self.usable(&format!("{key}:_password"))?)?;
        let mut raw = Vec::with_capacity(user.len() + 1 + pass.len());
        raw.extend_from_slice(user.as_bytes());
        raw.push(b':');
        raw.extend_from_slice(&pass);
        Some(Auth::Basic(STANDARD.encode(raw)))
    }
}

enum Proxy<'a> {
    Unset,
    Disabled,
    Url(&'a str),
}

/// Last resort when [`NpmConfig::registry_for`] is `None`: what `npm config get registry`
/// prints in `cwd` (see [`ask_npm_cli`]), asked once per process for a project directory and
/// environment. Callers that come while npm is being asked wait for that answer; a failure is
/// remembered for [`NPM_CLI_FAILURE_TTL`], so a run does not spawn npm once per package.
pub fn registry_from_npm_cli(cwd: &Path) -> Result<String> {
    NPM_CLI_REGISTRY.get_or_ask(npm_cli_key(cwd), NPM_CLI_FAILURE_TTL, || ask_npm_cli(cwd))
}

/// How long a failed `npm config get registry` is remembered (a success is kept for the life
/// of the process): a run does not ask again per package, a long-lived process sees npm back.
const NPM_CLI_FAILURE_TTL: Duration = Duration::from_secs(60);

/// `npm config get registry`'s answers (see [`registry_from_npm_cli`]).
static NPM_CLI_REGISTRY: CliMemo = CliMemo::new();

/// An answer as kept: the registry, or the message of the [`Error::Config`] it failed with.
type CliAnswer = std::result::Result<String, String>;
type CliSlot = Arc<Mutex<Option<(Instant, CliAnswer)>>>;

/// Answers by key; one slot per key, locked while its answer is being made, so that
/// concurrent callers wait for one question instead of asking their own.
struct CliMemo {
    slots: Mutex<BTreeMap<String, CliSlot>>,
}

impl CliMemo {
    const fn new() -> Self {
        Self {
            slots: Mutex::new(BTreeMap::new()),
        }
    }

    /// The kept answer for `key` (a failure only while younger than `failure_ttl`), else
    /// `ask()`'s, kept.
    fn get_or_ask(
        &self,
        key: String,
        failure_ttl: Duration,
        ask: impl FnOnce() -> Result<String>,
    ) -> Result<String> {
        let slot = {
            let mut m = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(m.entry(key).or_default())
        };
        let mut kept = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, answer)) = &*kept {
            if answer.is_ok() || at.elapsed() < failure_ttl {
                return answer.clone().map_err(Error::Config);
            }
        }
        let answer = ask().map_err(|e| match e {
            Error::Config(m) => m,
            e => e.to_string(),
        });
        *kept = Some((Instant::now(), answer.clone()));
        answer.map_err(Error::Config)
    }
}

/// What decides `npm config get registry`'s answer besides npm's files: the project
/// directory, and the environment npm reads (`npm_config_*`, which `npm` is on `PATH`, the
/// home directory, the prefix). Hashed: the environment may hold credentials.
fn npm_cli_key(cwd: &Path) -> String {
    use sha2::Digest;
    let cwd = std::path::absolute(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let vars = crate::env::npm_vars(ENV_PREFIX);
    let mut h = sha2::Sha256::new();
    h.update(cwd.as_os_str().as_encoded_bytes());
    for (k, v) in &vars {
        h.update([0]);
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Run `npm config get registry` in `cwd` (10 s timeout), trim, require an `http(s)` URL, and
/// normalise it to end with `/`.
fn ask_npm_cli(cwd: &Path) -> Result<String> {
    use std::process::{Command, Stdio};
    use std::sync::mpsc;

    let program = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let what = "`npm config get registry`";
    let mut child = Command::new(program)
        .args(["config", "get", "registry"])
        .current_dir(cwd)
        .env("npm_config_update_notifier", "false")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::Config(format!("cannot run {what}: {e}")))?;
    let Some(mut stdout) = child.stdout.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Error::Config(format!("cannot read the output of {what}")));
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let r = (&mut stdout)
            .take(64 * 1024)
            .read_to_end(&mut buf)
            .map(|_| buf);
        let _ = tx.send(r);
    });

    let deadline = Instant::now() + NPM_CLI_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Config(format!(
                    "{what} did not finish within {} s",
                    NPM_CLI_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Config(format!("waiting for {what}: {e}")));
            }
        }
    };
    // A grandchild could hold the pipe open; never wait for it past the deadline.
    let wait = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(500));
    let out = match rx.recv_timeout(wait) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(Error::Config(format!("reading the output of {what}: {e}"))),
        Err(_) => return Err(Error::Config(format!("{what} did not close its output"))),
    };
    if !status.success() {
        return Err(Error::Config(format!("{what} failed ({status})")));
    }
    parse_cli_registry(&String::from_utf8_lossy(&out))
}

/// Validate and normalise what `npm config get registry` printed.
fn parse_cli_registry(out: &str) -> Result<String> {
    let r = js_trim(out);
    if r.is_empty() || r.contains(char::is_whitespace) || RegistryUrl::parse(r).is_none() {
        let shown: String = r.chars().take(200).collect();
        return Err(Error::Config(format!(
            "`npm config get registry` printed {shown:?}, not an http(s) URL"
        )));
    }
    Ok(with_slash(r))
}

// ---------------------------------------------------------------------------------------------
// Loading

/// The `npm_config_*` layer.
fn env_layer(env: &HashMap<String, String>) -> Layer {
    let mut vars: Vec<(&str, &str)> = env
        .iter()
        .filter_map(|(k, v)| {
            let head = k.get(..ENV_PREFIX.len())?;
            let rest = k.get(ENV_PREFIX.len()..)?;
            (head.eq_ignore_ascii_case(ENV_PREFIX) && !v.is_empty() && !rest.is_empty())
                .then_some((k.as_str(), v.as_str()))
        })
        .collect();
    // Deterministic when both spellings are set: the lower-case prefix is applied last, wins.
    vars.sort_by(|a, b| {
        (a.0.starts_with(ENV_PREFIX), a.0).cmp(&(b.0.starts_with(ENV_PREFIX), b.0))
    });

    let mut values = HashMap::new();
    for (name, val) in vars {
        let raw = name.get(ENV_PREFIX.len()..).unwrap_or_default();
        let key = if raw.starts_with("//") {
            raw.to_string()
        } else {
            // npm: `key.replace(/(?!^)_/g, '-').toLowerCase()`
            raw.char_indices()
                .map(|(i, c)| if i > 0 && c == '_' { '-' } else { c })
                .collect::<String>()
                .to_lowercase()
        };
        let key = expand_env(&key, env);
        values.insert(key, Value::One(expand_env(js_trim(val), env)));
    }
    Layer {
        source: "environment".into(),
        values,
    }
}

/// Read and parse one config file; `None` when it does not exist.
fn file_layer(path: &Path, env: &HashMap<String, String>) -> Result<Option<Layer>> {
    let Some(text) = read_limited(path)? else {
        return Ok(None);
    };
    let mut values = HashMap::new();
    for (raw_key, raw_val) in parse_ini(&text) {
        let key = expand_env(&raw_key, env);
        let val = match raw_val {
            Value::One(s) => Value::One(expand_env(js_trim(&s), env)),
            Value::List(v) => Value::List(v.iter().map(|s| expand_env(js_trim(s), env)).collect()),
        };
        values.insert(key, val);
    }
    Ok(Some(Layer {
        source: path.display().to_string(),
        values,
    }))
}

/// Read a file of at most [`MAX_FILE_BYTES`] through [`crate::files`]. `None` when it is
/// missing (or a directory, which npm also skips); a FIFO, a device or a socket is
/// `ERR_PROV_IO` (never read or waited on), a larger file `ERR_PROV_CONFIG`.
fn read_limited(path: &Path) -> Result<Option<String>> {
    match read_file(path)? {
        FileRead::Text(t) => Ok(Some(t)),
        FileRead::Missing | FileRead::Directory => Ok(None),
    }
}

enum FileRead {
    Text(String),
    Missing,
    Directory,
}

fn read_file(path: &Path) -> Result<FileRead> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return Ok(FileRead::Directory),
        Ok(_) => {}
        Err(e) if crate::files::is_missing(&e) => return Ok(FileRead::Missing),
        Err(e) => return Err(Error::io(path, e)),
    }
    let buf = match crate::files::read_capped_opt(path, MAX_FILE_BYTES) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(FileRead::Missing),
        Err(Error::TooLarge(_)) => {
            return Err(Error::Config(format!(
                "{} is larger than {} bytes",
                path.display(),
                MAX_FILE_BYTES
            )))
        }
        Err(e) => return Err(e),
    };
    Ok(FileRead::Text(String::from_utf8_lossy(&buf).into_owned()))
}

/// npm's local prefix: the nearest ancestor (or `cwd`) with `package.json` or
/// `node_modules`, else `cwd`. (npm's workspace-root promotion is not modelled.)
fn project_dir(cwd: &Path) -> PathBuf {
    for dir in cwd.ancestors() {
        if dir.as_os_str().is_empty() {
            continue;
        }
        let has_pkg = std::fs::metadata(dir.join("package.json")).is_ok_and(|m| m.is_file());
        let has_nm = std::fs::metadata(dir.join("node_modules")).is_ok_and(|m| m.is_dir());
        if has_pkg || has_nm {
            return dir.to_path_buf();
        }
    }
    cwd.to_path_buf()
}

/// npm's default global prefix: `$PREFIX`, else from the `node` binary's location.
fn default_global_prefix(env: &HashMap<String, String>, node: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = env.get("PREFIX").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let bin_dir = node?.parent()?;
    if cfg!(windows) {
        return Some(bin_dir.to_path_buf());
    }
    let prefix = bin_dir.parent()?;
    match env.get("DESTDIR").filter(|d| !d.is_empty()) {
        // path.join(DESTDIR, prefix): prefix is absolute, so concatenate.
        Some(d) => Some(PathBuf::from(format!("{d}/{}", prefix.display()))),
        None => Some(prefix.to_path_buf()),
    }
}

/// The running executable when it is `node` (this module runs inside a Node addon).
fn running_node() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_str()?;
    stem.eq_ignore_ascii_case("node")
        .then(|| std::fs::canonicalize(&exe).unwrap_or(exe))
}

/// `node` on the map's `PATH`, symlinks resolved (like `process.execPath`).
fn node_on_path(env: &HashMap<String, String>) -> Option<PathBuf> {
    let path = env.get("PATH").or_else(|| env.get("Path"))?;
    let name = if cfg!(windows) { "node.exe" } else { "node" };
    std::env::split_paths(path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
}

/// Proxy variables from the environment, names lower-cased (lower-case spelling wins).
fn proxy_env(env: &HashMap<String, String>) -> ProxyEnv {
    let get = |name: &str| -> Option<String> {
        env.get(name)
            .or_else(|| {
                env.iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .min_by(|a, b| a.0.cmp(b.0))
                    .map(|(_, v)| v)
            })
            .map(|v| js_trim(v).to_string())
            .filter(|v| !v.is_empty())
    };
    ProxyEnv {
        https_proxy: get("https_proxy"),
        http_proxy: get("http_proxy"),
        proxy: get("proxy"),
        no_proxy: get("no_proxy"),
    }
}

/// Resolve a path-typed value like npm: `~/x` under home, relative against `cwd`.
fn resolve_path(v: &str, cwd: &Path, home: Option<&Path>) -> PathBuf {
    let tilde = v.strip_prefix("~/").or_else(|| {
        if cfg!(windows) {
            v.strip_prefix("~\\")
        } else {
            None
        }
    });
    match (tilde, home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => cwd.join(v),
    }
}

// ---------------------------------------------------------------------------------------------
// ini, as npm's `ini` package decodes it (top level only)

/// Whitespace as JavaScript's `\s` / `String.prototype.trim` see it (includes U+FEFF).
fn is_js_ws(c: char) -> bool {
    c == '\u{feff}' || (c.is_whitespace() && c != '\u{85}')
}

fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_ws)
}

/// Decode npm `.npmrc` text into top-level keys in first-seen order. Values `true`/`false`/
/// `null` stay strings; a line without `=` has the value `true`.
fn parse_ini(text: &str) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for line in text.split(['\r', '\n']) {
        let body = line.trim_start_matches(is_js_ws);
        if body.is_empty() || body.starts_with(';') || body.starts_with('#') {
            continue;
        }
        // `[section]`: npm nests what follows, so nothing after it is top-level config.
        if let Some(inner) = line.strip_prefix('[') {
            if let Some(close) = inner.find(']') {
                if inner
                    .get(close + 1..)
                    .is_some_and(|rest| rest.chars().all(is_js_ws))
                {
                    break;
                }
            }
        }
        // `^([^=]+)(=(.*))?$`; `.` does not match U+2028/U+2029.
        let (raw_key, raw_val) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line, None),
        };
        if raw_key.is_empty() || raw_val.is_some_and(|v| v.contains(['\u{2028}', '\u{2029}'])) {
            continue;
        }
        let key_full = ini_unsafe(raw_key);
        let is_array = key_full.chars().count() > 2 && key_full.ends_with("[]");
        let key = if is_array {
            key_full
                .get(..key_full.len() - 2)
                .unwrap_or_default()
                .to_string()
        } else {
            key_full
        };
        if key.is_empty() || key == "__proto__" {
            continue;
        }
        let value = match raw_val {
            Some(v) => ini_unsafe(v),
            None => "true".to_string(),
        };

        match index.get(&key).copied() {
            None => {
                index.insert(key.clone(), out.len());
                let v = if is_array {
                    Value::List(vec![value])
                } else {
                    Value::One(value)
                };
                out.push((key, v));
            }
            Some(i) => {
                if let Some((_, slot)) = out.get_mut(i) {
                    match slot {
                        Value::List(list) => list.push(value),
                        Value::One(prev) if is_array => {
                            *slot = Value::List(vec![std::mem::take(prev), value]);
                        }
                        Value::One(prev) => *prev = value,
                    }
                }
            }
        }
    }
    out
}

/// npm `ini`'s `unsafe`: trim; quoted values are JSON strings (single quotes stripped first);
/// otherwise cut at the first unescaped `;` or `#`, unescaping `\;`, `\#`, `\\`.
fn ini_unsafe(val: &str) -> String {
    let v = js_trim(val);
    let quoted =
        (v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\''));
    if quoted {
        let inner = if v.starts_with('\'') {
            if v.len() >= 2 {
                v.get(1..v.len() - 1).unwrap_or_default()
            } else {
                ""
            }
        } else {
            v
        };
        return json_string(inner).unwrap_or_else(|| inner.to_string());
    }
    let mut out = String::with_capacity(v.len());
    let mut esc = false;
    for c in v.chars() {
        if esc {
            if !matches!(c, '\\' | ';' | '#') {
                out.push('\\');
            }
            out.push(c);
            esc = false;
        } else if c == ';' || c == '#' {
            break;
        } else if c == '\\' {
            esc = true;
        } else {
            out.push(c);
        }
    }
    if esc {
        out.push('\\');
    }
    js_trim(&out).to_string()
}

/// `JSON.parse` of a complete JSON string literal; `None` if `s` is not exactly one.
fn json_string(s: &str) -> Option<String> {
    let body = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    let hex4 = |it: &mut std::str::Chars<'_>| -> Option<u32> {
        let mut n = 0u32;
        for _ in 0..4 {
            n = n * 16 + it.next()?.to_digit(16)?;
        }
        Some(n)
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => return None, // an unescaped quote inside: not one literal
            c if (c as u32) < 0x20 => return None,
            '\\' => match chars.next()? {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '/' => out.push('/'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hi = hex4(&mut chars)?;
                    if (0xD800..0xDC00).contains(&hi) {
                        // A surrogate pair, if the next escape completes it.
                        let mut look = chars.clone();
                        let lo = if look.next() == Some('\\') && look.next() == Some('u') {
                            hex4(&mut look).filter(|lo| (0xDC00..0xE000).contains(lo))
                        } else {
                            None
                        };
                        match lo {
                            Some(lo) => {
                                chars = look;
                                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                            }
                            None => out.push('\u{fffd}'),
                        }
                    } else {
                        out.push(char::from_u32(hi).unwrap_or('\u{fffd}'));
                    }
                }
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(out)
}

/// npm's `envReplace`: `${NAME}` → value (left as written when unset), `${NAME?}` → value
/// or empty. An odd number of backslashes before `$` escapes it (half of them are kept);
/// an even number is halved and the variable expanded.
fn expand_env(s: &str, env: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("${") {
        let (before, from_dollar) = rest.split_at(pos);
        let after_open = from_dollar.get(2..).unwrap_or_default();
        // name: one or more chars other than `$ { } ?`, then optional `?`, then `}`.
        let name_len = after_open
            .find(['$', '{', '}', '?'])
            .unwrap_or(after_open.len());
        let name = after_open.get(..name_len).unwrap_or_default();
        let tail = after_open.get(name_len..).unwrap_or_default();
        let (optional, close_len) = if tail.starts_with("?}") {
            (true, 2)
        } else if tail.starts_with('}') {
            (false, 1)
        } else {
            (false, 0)
        };
        if name.is_empty() || close_len == 0 {
            // Not a reference: keep `$` and continue right after it.
            out.push_str(before);
            out.push('$');
            rest = from_dollar.get(1..).unwrap_or_default();
            continue;
        }
        let matched_len = 2 + name_len + close_len;
        let literal = from_dollar.get(..matched_len).unwrap_or_default();
        let esc = before.len() - before.trim_end_matches('\\').len();
        out.push_str(before.get(..before.len() - esc).unwrap_or_default());
        if esc % 2 == 1 {
            out.extend(std::iter::repeat_n('\\', (esc - 1) / 2));
            out.push_str(literal);
        } else {
            out.extend(std::iter::repeat_n('\\', esc / 2));
            match env.get(name) {
                Some(v) => out.push_str(v),
                None if optional => {}
                None => {
                    out.push_str("${");
                    out.push_str(name);
                    out.push('}');
                }
            }
        }
        rest = from_dollar.get(matched_len..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------
// Values

/// A value that means something (npm treats these as unset or invalid for URLs and paths).
fn usable_str(v: &str) -> bool {
    !matches!(v, "" | "null" | "undefined" | "true" | "false")
}

fn with_slash(r: &str) -> String {
    let r = js_trim(r);
    if r.ends_with('/') {
        r.to_string()
    } else {
        format!("{r}/")
    }
}

/// Base64 as Node's `Buffer.from(x, 'base64')` accepts it: standard or URL-safe, padding
/// optional, whitespace ignored.
fn decode_base64_lenient(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(s.as_bytes()).ok())
}

/// Every `-----BEGIN …-----` … `-----END …-----` block in `text`, CRLF normalised.
fn split_pems(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(b) = rest.find("-----BEGIN ") {
        let from_begin = rest.get(b..).unwrap_or_default();
        let Some(e) = from_begin.find("-----END ") else {
            break;
        };
        let after_end = from_begin.get(e + "-----END ".len()..).unwrap_or_default();
        let Some(close) = after_end.find("-----") else {
            break;
        };
        let len = e + "-----END ".len() + close + "-----".len();
        out.push(from_begin.get(..len).unwrap_or_default().to_string());
        rest = from_begin.get(len..).unwrap_or_default();
    }
    out
}

fn split_noproxy(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || is_js_ws(c))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// @npmcli/agent's rule: the entry's dot-separated labels equal the host's last labels.
/// Extensions: `*` matches everything; a leading `*.` and a `:port` are ignored.
fn noproxy_matches(host: &str, entry: &str) -> bool {
    if entry == "*" {
        return true;
    }
    let entry = entry.strip_prefix("*.").unwrap_or(entry);
    let entry = match entry.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => entry,
    };
    let no: Vec<&str> = entry.split('.').filter(|s| !s.is_empty()).collect();
    if no.is_empty() {
        return false;
    }
    let hs: Vec<&str> = host.split('.').collect();
    no.len() <= hs.len() && no.iter().rev().zip(hs.iter().rev()).all(|(a, b)| a == b)
}

// ---------------------------------------------------------------------------------------------
// URLs

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn npmrc_and_cafile_that_cannot_be_read() {
        use crate::files::testing::{make, quick, tmp, Bad, ALL};
        for bad in ALL {
            let dir = tmp(&format!("npmrc-{bad:?}"));
            let proj = dir.join("p");
            std::fs::create_dir_all(&proj).unwrap();
            std::fs::write(proj.join("package.json"), "{}").unwrap();
            make(&proj.join(".npmrc"), bad);
            let r = quick(".npmrc", || {
                NpmConfig::load_with(&proj, &HashMap::new(), None)
            });
            match bad {
                // npm skips a directory where its config file would be.
                Bad::Dir => assert!(r.is_ok()),
                Bad::Big => assert_eq!(r.unwrap_err().code(), "ERR_PROV_CONFIG"),
                _ => assert_eq!(r.unwrap_err().code(), "ERR_PROV_IO", "{bad:?}"),
            }
            // (Never opened for writing: that would wait for a reader of the FIFO.)
            let _ = std::fs::remove_file(proj.join(".npmrc"));
            let _ = std::fs::remove_dir_all(proj.join(".npmrc"));
            std::fs::write(proj.join(".npmrc"), "cafile=./ca.pem\n").unwrap();
            make(&proj.join("ca.pem"), bad);
            let cfg = NpmConfig::load_with(&proj, &HashMap::new(), None).unwrap();
            let e = quick("cafile", || cfg.ca_pems()).unwrap_err();
            let want = if matches!(bad, Bad::Big) {
                "ERR_PROV_CONFIG"
            } else {
                "ERR_PROV_IO"
            };
            assert_eq!(e.code(), want, "cafile {bad:?}: {e}");
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A unique temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let p = std::env::temp_dir().join(format!(
                "npmrc-test-{}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst),
                nanos
            ));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }

        fn path(&self) -> &Path {
            &self.0
        }

        fn dir(&self, rel: &str) -> PathBuf {
            let p = self.0.join(rel);
            std::fs::create_dir_all(&p).unwrap();
            p
        }

        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let p = self.0.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(&p, text).unwrap();
            p
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A config made from one project `.npmrc`, with an empty home and no global file.
    fn from_npmrc(text: &str, vars: &[(&str, &str)]) -> (TempDir, NpmConfig) {
        let t = TempDir::new();
        let proj = t.dir("proj");
        t.write("proj/package.json", "{}");
        t.write("proj/.npmrc", text);
        let home = t.dir("home");
        let cfg = NpmConfig::load_with(&proj, &env(vars), Some(&home)).unwrap();
        (t, cfg)
    }

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    #[test]
    fn precedence_overrides_env_project_user_global() {
        let t = TempDir::new();
        let proj = t.dir("proj");
        t.write("proj/package.json", "{}");
        t.write("proj/.npmrc", "a=project\nb=project\n");
        let home = t.dir("home");
        t.write("home/.npmrc", "a=user\nb=user\nc=user\n");
        let global = t.write("etc/npmrc", "a=global\nb=global\nc=global\nd=global\n");
        let vars = env(&[
            ("npm_config_a", "env"),
            ("npm_config_globalconfig", global.to_str().unwrap()),
        ]);
        let cfg = NpmConfig::load_with(&proj, &vars, Some(&home)).unwrap();
        assert_eq!(cfg.get("a"), Some("env"));
        assert_eq!(cfg.get("b"), Some("project"));
        assert_eq!(cfg.get("c"), Some("user"));
        assert_eq!(cfg.get("d"), Some("global"));
        assert_eq!(cfg.get("e"), None);

        let cfg = cfg.with_overrides(&[("a".into(), "cli".into()), ("d".into(), String::new())]);
        assert_eq!(cfg.get("a"), Some("cli"));
        assert_eq!(cfg.get("d"), Some("global"), "empty override ignored");
    }

    #[test]
    fn global_from_prefix_and_userconfig_from_env() {
        let t = TempDir::new();
        let cwd = t.dir("work");
        t.write(
            "prefix/etc/npmrc",
            "registry=https://npm.corp.example/global\n",
        );
        t.write("elsewhere/my-npmrc", "strict-ssl=false\n");
        let home = t.dir("home");
        t.write(
            "home/.npmrc",
            "registry=https://registry.npm.example/ignored\n",
        );
        let vars = env(&[
            (
                "npm_config_prefix",
                t.path().join("prefix").to_str().unwrap(),
            ),
            (
                "NPM_CONFIG_USERCONFIG",
                t.path().join("elsewhere/my-npmrc").to_str().unwrap(),
            ),
        ]);
        let cfg = NpmConfig::load_with(&cwd, &vars, Some(&home)).unwrap();
        assert_eq!(
            cfg.registry_for("x").as_deref(),
            Some("https://npm.corp.example/global/")
        );
        assert!(!cfg.strict_ssl());

        // $PREFIX is npm's default global prefix.
        let vars = env(&[("PREFIX", t.path().join("prefix").to_str().unwrap())]);
        let cfg = NpmConfig::load_with(&cwd, &vars, None).unwrap();
        assert_eq!(
            cfg.registry_for("x").as_deref(),
            Some("https://npm.corp.example/global/")
        );
    }

    #[test]
    fn global_prefix_from_node_on_path() {
        let t = TempDir::new();
        t.write("nodeprefix/bin/node", "");
        t.write("nodeprefix/etc/npmrc", "registry=http://127.0.0.1:4873\n");
        let cwd = t.dir("work");
        let vars = env(&[("PATH", t.path().join("nodeprefix/bin").to_str().unwrap())]);
        let cfg = NpmConfig::load_with(&cwd, &vars, None).unwrap();
        if !cfg!(windows) {
            assert_eq!(
                cfg.registry_for("x").as_deref(),
                Some("http://127.0.0.1:4873/")
            );
        }
    }

    #[test]
    fn project_dir_is_nearest_package_root() {
        let t = TempDir::new();
        t.write("root/package.json", "{}");
        t.write("root/.npmrc", "registry=https://npm.corp.example/root/\n");
        t.write(
            "root/src/deep/.npmrc",
            "registry=https://npm.corp.example/deep/\n",
        );
        let deep = t.dir("root/src/deep");
        let home = t.dir("home");
        let cfg = NpmConfig::load_with(&deep, &HashMap::new(), Some(&home)).unwrap();
        assert_eq!(
            cfg.registry_for("x").as_deref(),
            Some("https://npm.corp.example/root/")
        );

        // node_modules also marks a project; no marker at all: cwd's .npmrc.
        t.write("nm/.npmrc", "registry=https://npm.corp.example/nm/\n");
        t.dir("nm/node_modules");
        let sub = t.dir("nm/sub");
        let cfg = NpmConfig::load_with(&sub, &HashMap::new(), Some(&home)).unwrap();
        assert_eq!(
            cfg.registry_for("x").as_deref(),
            Some("https://npm.corp.example/nm/")
        );

        let loose = t.dir("loose");
        t.write("loose/.npmrc", "registry=https://npm.corp.example/loose/\n");
        let cfg = NpmConfig::load_with(&loose, &HashMap::new(), Some(&home)).unwrap();
        assert_eq!(
            cfg.registry_for("x").as_deref(),
            Some("https://npm.corp.example/loose/")
        );
    }

    #[test]
    fn registry_none_when_not_configured() {
        let t = TempDir::new();
        let cwd = t.dir("empty");
        let home = t.dir("home");
        let cfg = NpmConfig::load_with(&cwd, &HashMap::new(), Some(&home)).unwrap();
        assert_eq!(cfg.registry_for("left-pad"), None);
        assert_eq!(cfg.registry_for("@scope/pkg"), None);
        assert_eq!(cfg.auth_for("https://registry.npm.example/x"), None);
        assert!(cfg.strict_ssl());
        assert!(cfg.ca_pems().unwrap().is_empty());
        assert_eq!(cfg.proxy_for("https://registry.npm.example/x"), None);
        assert_eq!(NpmConfig::default().registry_for("x"), None);
        let (_t, cfg) = from_npmrc("registry=\n", &[]);
        assert_eq!(cfg.registry_for("x"), None);
    }

    #[test]
    fn scoped_registry() {
        let (_t, cfg) = from_npmrc(
            "registry=https://registry.npm.example\n@corp:registry=https://npm.corp.example/api/npm/npm-virtual\n",
            &[],
        );
        assert_eq!(
            cfg.registry_for("@corp/tool").as_deref(),
            Some("https://npm.corp.example/api/npm/npm-virtual/")
        );
        assert_eq!(
            cfg.registry_for("@other/tool").as_deref(),
            Some("https://registry.npm.example/")
        );
        assert_eq!(
            cfg.registry_for("left-pad").as_deref(),
            Some("https://registry.npm.example/")
        );
        let cfg = cfg.with_overrides(&[("registry".into(), "http://127.0.0.1:4873".into())]);
        assert_eq!(
            cfg.registry_for("left-pad").as_deref(),
            Some("http://127.0.0.1:4873/")
        );
        assert_eq!(
            cfg.registry_for("@corp/tool").as_deref(),
            Some("https://npm.corp.example/api/npm/npm-virtual/")
        );
    }

    #[test]
    fn nerf_dart_longest_prefix_with_port_and_path() {
        let (_t, cfg) = from_npmrc(
            "//npm.corp.example:8443/api/npm/:_authToken=long\n\
             //npm.corp.example:8443/:_authToken=short\n\
             //npm.corp.example/:_authToken=noport\n\
             //npm.corp.example/api/npm:_authToken=noslash\n",
            &[],
        );
        let bearer = |s: &str| Some(Auth::Bearer(s.into()));
        assert_eq!(
            cfg.auth_for("https://npm.corp.example:8443/api/npm/pkg"),
            bearer("long")
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example:8443/api/npm/"),
            bearer("long")
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example:8443/api/other/pkg"),
            bearer("short")
        );
        assert_eq!(
            cfg.auth_for("https://NPM.Corp.Example:8443/API/npm/pkg"),
            bearer("short")
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example/pkg/-/pkg-1.0.0.tgz"),
            bearer("noport")
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example:443/x?y=1"),
            bearer("noport")
        );
        assert_eq!(
            cfg.auth_for("http://npm.corp.example:80/x"),
            bearer("noport")
        );
        // npm also tries `//host/path` without the trailing slash.
        assert_eq!(
            cfg.auth_for("https://npm.corp.example/api/npm/x"),
            bearer("noslash")
        );
        // dot segments are resolved before matching
        assert_eq!(
            cfg.auth_for("https://npm.corp.example:8443/api/npm/../x"),
            bearer("short")
        );
        // other hosts and ports get nothing
        assert_eq!(cfg.auth_for("https://npm.corp.example:9443/x"), None);
        assert_eq!(
            cfg.auth_for("https://npm.corp.example.evil.example/x"),
            None
        );
        assert_eq!(
            cfg.auth_for("https://evil.example/npm.corp.example/x"),
            None
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example@evil.example/x"),
            None
        );
        // URLs a WHATWG parser reads differently are refused
        assert_eq!(
            cfg.auth_for("https://evil.example\\@npm.corp.example/x"),
            None
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example%2f@evil.example/"),
            None
        );
        assert_eq!(cfg.auth_for("ftp://npm.corp.example/x"), None);
        assert_eq!(cfg.auth_for("//npm.corp.example/x"), None);
        assert_eq!(cfg.auth_for("not a url"), None);
    }

    #[test]
    fn basic_auth_forms_and_order() {
        let (_t, cfg) = from_npmrc(
            &format!(
                "//registry.npm.example/:username=alice\n\
                 //registry.npm.example/:_password={}\n\
                 //npm.corp.example/:_auth={}\n\
                 //npm.corp.example/:_authToken=tok\n\
                 //127.0.0.1:4873/:_auth={}\n",
                b64("s3cr:et"),
                b64("bob:pw"),
                b64("carol:pw")
            ),
            &[],
        );
        assert_eq!(
            cfg.auth_for("https://registry.npm.example/pkg"),
            Some(Auth::Basic(b64("alice:s3cr:et")))
        );
        // _authToken beats _auth at the same key
        assert_eq!(
            cfg.auth_for("https://npm.corp.example/pkg"),
            Some(Auth::Bearer("tok".into()))
        );
        assert_eq!(
            cfg.auth_for("http://127.0.0.1:4873/pkg"),
            Some(Auth::Basic(b64("carol:pw")))
        );

        // username without _password is not credentials
        let (_t, cfg) = from_npmrc("//registry.npm.example/:username=alice\n", &[]);
        assert_eq!(cfg.auth_for("https://registry.npm.example/pkg"), None);
        // _password without padding, as Buffer.from accepts
        let (_t, cfg) = from_npmrc(
            "//registry.npm.example/:username=u\n//registry.npm.example/:_password=cGFzcw\n",
            &[],
        );
        assert_eq!(
            cfg.auth_for("https://registry.npm.example/x"),
            Some(Auth::Basic(b64("u:pass")))
        );
    }

    #[test]
    fn same_host_as_registry_and_legacy_unscoped() {
        let (_t, cfg) = from_npmrc(
            "registry=https://npm.corp.example/api/npm/\n\
             //npm.corp.example/api/npm/:_authToken=reg\n\
             _authToken=legacy\n",
            &[],
        );
        // tarballs elsewhere on the registry's host get the registry's credentials (npm)
        assert_eq!(
            cfg.auth_for("https://npm.corp.example/files/x.tgz"),
            Some(Auth::Bearer("reg".into()))
        );
        assert_eq!(cfg.auth_for("https://registry.npm.example/x"), None);

        let (_t, cfg) = from_npmrc(
            &format!(
                "registry=https://npm.corp.example/api/npm/\n_authToken=legacy\n_auth={}\n",
                b64("a:b")
            ),
            &[],
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example/api/npm/x"),
            Some(Auth::Bearer("legacy".into()))
        );
        assert_eq!(cfg.auth_for("https://npm.corp.example/other/x"), None);
        assert_eq!(cfg.auth_for("https://registry.npm.example/x"), None);

        let (_t, cfg) = from_npmrc(
            &format!("registry=https://npm.corp.example/\n_auth={}\n", b64("a:b")),
            &[],
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example/x"),
            Some(Auth::Basic(b64("a:b")))
        );

        // no default registry: legacy credentials go nowhere
        let (_t, cfg) = from_npmrc("_authToken=legacy\n", &[]);
        assert_eq!(cfg.auth_for("https://npm.corp.example/x"), None);
    }

    #[test]
    fn env_keys_follow_npm_rules() {
        let t = TempDir::new();
        let cwd = t.dir("w");
        let vars = env(&[
            ("NPM_CONFIG_STRICT_SSL", "false"),
            ("npm_config_https_proxy", "http://127.0.0.1:3128"),
            ("npm_config_registry", "https://npm.corp.example"),
            ("npm_config__authToken", "legacy-env"),
            (
                "npm_config_//registry.npm.example/:_authToken",
                "nerfed-env",
            ),
            ("npm_config_empty", ""),
        ]);
        let cfg = NpmConfig::load_with(&cwd, &vars, None).unwrap();
        assert!(!cfg.strict_ssl());
        assert_eq!(cfg.get("https-proxy"), Some("http://127.0.0.1:3128"));
        assert_eq!(cfg.get("_authtoken"), Some("legacy-env"));
        assert_eq!(cfg.get("empty"), None);
        assert_eq!(
            cfg.auth_for("https://registry.npm.example/x"),
            Some(Auth::Bearer("nerfed-env".into()))
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example/x"),
            Some(Auth::Bearer("legacy-env".into()))
        );
    }

    #[test]
    fn env_var_expansion() {
        let vars = [
            ("TOKEN", "t0k"),
            ("HOST", "npm.corp.example"),
            ("EMPTY", ""),
        ];
        let (_t, cfg) = from_npmrc(
            "//${HOST}/:_authToken=${TOKEN}\n\
             unset=${NOPE}\n\
             optional=a${NOPE?}b\n\
             escaped=\\${TOKEN}\n\
             double=\\\\${TOKEN}\n\
             quad=\\\\\\\\${TOKEN}\n\
             empty=[${EMPTY}]\n\
             broken=${ x ${TOKEN}\n\
             weird=${}${?}$\n",
            &vars,
        );
        assert_eq!(
            cfg.auth_for("https://npm.corp.example/x"),
            Some(Auth::Bearer("t0k".into()))
        );
        assert_eq!(cfg.get("unset"), Some("${NOPE}"));
        assert_eq!(cfg.get("optional"), Some("ab"));
        assert_eq!(cfg.get("escaped"), Some("${TOKEN}"));
        // ini turns `\\` into `\` first, then npm's envReplace sees one escape
        assert_eq!(cfg.get("double"), Some("${TOKEN}"));
        assert_eq!(cfg.get("quad"), Some("\\t0k"));
        assert_eq!(cfg.get("empty"), Some("[]"));
        assert_eq!(cfg.get("broken"), Some("${ x t0k"));
        assert_eq!(cfg.get("weird"), Some("${}${?}$"));

        let e = env(&vars);
        assert_eq!(expand_env("\\\\\\${TOKEN}", &e), "\\${TOKEN}");
        assert_eq!(expand_env("${TOKEN}${TOKEN?}", &e), "t0kt0k");
        assert_eq!(expand_env("€${TOKEN}€", &e), "€t0k€");
    }

    #[test]
    fn quoted_values_and_comments() {
        let (_t, cfg) = from_npmrc(
            "; comment\n\
             # comment\n\
             \u{feff}first = 1\n\
             dq = \"  spaced ; not a comment \"\n\
             sq = ' single # kept '\n\
             json = \"a\\tb\\u00e9\\ud83d\\ude00\"\n\
             badjson = \"a\"b\"\n\
             inline = value ; comment\n\
             hash = value # comment\n\
             escaped = a\\;b\\#c\\\\d\\x\n\
             noequals\n\
             spaced key   =   spaced value   \n\
             eq = a=b=c\n\
             registry = \"https://npm.corp.example/\"\n",
            &[],
        );
        assert_eq!(cfg.get("first"), Some("1"), "BOM is whitespace to JS trim");
        assert_eq!(cfg.get("dq"), Some("spaced ; not a comment"));
        assert_eq!(cfg.get("sq"), Some("single # kept"));
        assert_eq!(cfg.get("json"), Some("a\tbé😀"));
        assert_eq!(cfg.get("badjson"), Some("\"a\"b\""));
        assert_eq!(cfg.get("inline"), Some("value"));
        assert_eq!(cfg.get("hash"), Some("value"));
        assert_eq!(cfg.get("escaped"), Some("a;b#c\\d\\x"));
        assert_eq!(cfg.get("noequals"), Some("true"));
        assert_eq!(cfg.get("spaced key"), Some("spaced value"));
        assert_eq!(cfg.get("eq"), Some("a=b=c"));
        assert_eq!(
            cfg.registry_for("x").as_deref(),
            Some("https://npm.corp.example/")
        );
    }

    #[test]
    fn sections_and_lists() {
        let (_t, cfg) = from_npmrc(
            "a=1\nlist[]=x\nlist[]=y\nlist=z\nscalar=s\nscalar[]=t\nover=1\nover=2\n[section]\nb=2\na=3\n",
            &[],
        );
        assert_eq!(cfg.get("a"), Some("1"));
        assert_eq!(cfg.get("b"), None);
        assert_eq!(
            cfg.value("list"),
            Some(&Value::List(vec!["x".into(), "y".into(), "z".into()]))
        );
        assert_eq!(
            cfg.value("scalar"),
            Some(&Value::List(vec!["s".into(), "t".into()]))
        );
        assert_eq!(cfg.get("over"), Some("2"));
    }

    const CERT_A: &str = "-----BEGIN CERTIFICATE-----\nQUFB\n-----END CERTIFICATE-----";
    const CERT_B: &str = "-----BEGIN CERTIFICATE-----\nQkJC\n-----END CERTIFICATE-----";
    const CERT_C: &str = "-----BEGIN CERTIFICATE-----\nQ0ND\n-----END CERTIFICATE-----";
    const CERT_D: &str = "-----BEGIN CERTIFICATE-----\nRERE\n-----END CERTIFICATE-----";

    #[test]
    fn ca_list_and_cafile() {
        let esc = |c: &str| c.replace('\n', "\\n");
        let t = TempDir::new();
        let proj = t.dir("p");
        t.write("p/package.json", "{}");
        t.write(
            "p/certs/bundle.pem",
            &format!(
                "junk\r\n{}\r\n\r\n{}\n",
                CERT_C.replace('\n', "\r\n"),
                CERT_D
            ),
        );
        t.write(
            "p/.npmrc",
            &format!(
                "ca[]=\"{}\"\nca[]=\"{}\"\ncafile=certs/bundle.pem\n",
                esc(CERT_A),
                esc(CERT_B)
            ),
        );
        let cfg = NpmConfig::load_with(&proj, &HashMap::new(), None).unwrap();
        assert_eq!(cfg.ca_pems().unwrap(), vec![CERT_A, CERT_B, CERT_C, CERT_D]);

        // single string (unquoted `\n` tolerated), two certs in one entry; cafile under ~/
        let home = t.dir("home");
        t.write("home/ca.pem", CERT_C);
        let (_t2, cfg) = from_npmrc(&format!("ca={}{}\n", esc(CERT_A), esc(CERT_B)), &[]);
        assert_eq!(cfg.ca_pems().unwrap(), vec![CERT_A, CERT_B]);
        let cfg = NpmConfig::load_with(
            &t.dir("x"),
            &env(&[("npm_config_cafile", "~/ca.pem")]),
            Some(&home),
        )
        .unwrap();
        assert_eq!(cfg.ca_pems().unwrap(), vec![CERT_C]);

        // missing cafile ignored (npm); non-PEM is an error; ca=null is unset
        let (_t3, cfg) = from_npmrc("cafile=/nonexistent/npmrc-test/ca.pem\nca=null\n", &[]);
        assert!(cfg.ca_pems().unwrap().is_empty());
        let (_t4, cfg) = from_npmrc("ca=not a certificate\n", &[]);
        assert!(matches!(cfg.ca_pems(), Err(Error::Config(_))));
    }

    #[test]
    fn proxy_and_noproxy() {
        let (_t, cfg) = from_npmrc(
            "https-proxy=http://127.0.0.1:3128\nproxy=http://127.0.0.1:8080\nnoproxy=.corp.example, localhost,10.0.0.1:80\n",
            &[("NO_PROXY", "registry.npm.example")],
        );
        assert_eq!(
            cfg.proxy_for("https://registry.npm.example/x").as_deref(),
            Some("http://127.0.0.1:3128")
        );
        assert_eq!(
            cfg.proxy_for("http://registry.npm.example/x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(cfg.proxy_for("https://npm.corp.example/x"), None);
        assert_eq!(cfg.proxy_for("https://a.b.corp.example/x"), None);
        assert_eq!(
            cfg.proxy_for("https://notcorp.example/x").as_deref(),
            Some("http://127.0.0.1:3128")
        );
        assert_eq!(cfg.proxy_for("http://localhost:4873/x"), None);
        assert_eq!(cfg.proxy_for("http://10.0.0.1/x"), None);
        assert_eq!(cfg.proxy_for("ftp://registry.npm.example/x"), None);

        // https falls back to `proxy`; env NO_PROXY applies when noproxy is unset
        let (_t, cfg) = from_npmrc(
            "proxy=127.0.0.1:8080\n",
            &[("no_proxy", "registry.npm.example,*.corp.example")],
        );
        assert_eq!(
            cfg.proxy_for("https://npm.example/x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(cfg.proxy_for("https://registry.npm.example/x"), None);
        assert_eq!(cfg.proxy_for("https://npm.corp.example/x"), None);

        // npm's env fallback, and proxy=false
        let (_t, cfg) = from_npmrc(
            "",
            &[("HTTPS_PROXY", "http://127.0.0.1:3129"), ("NO_PROXY", "*")],
        );
        assert_eq!(cfg.proxy_for("https://registry.npm.example/x"), None);
        let (_t, cfg) = from_npmrc("", &[("HTTPS_PROXY", "http://127.0.0.1:3129")]);
        assert_eq!(
            cfg.proxy_for("https://registry.npm.example/x").as_deref(),
            Some("http://127.0.0.1:3129")
        );
        assert_eq!(
            cfg.proxy_for("http://registry.npm.example/x").as_deref(),
            Some("http://127.0.0.1:3129")
        );
        let (_t, cfg) = from_npmrc("proxy=false\n", &[("HTTPS_PROXY", "http://127.0.0.1:3129")]);
        assert_eq!(cfg.proxy_for("https://registry.npm.example/x"), None);
    }

    #[test]
    fn strict_ssl_parsing() {
        for (v, want) in [
            ("false", false),
            ("0", false),
            ("null", false),
            ("true", true),
            ("1", true),
            ("", true),
            ("yes", true),
        ] {
            let cfg = NpmConfig::default().with_overrides(&[("strict-ssl".into(), v.into())]);
            assert_eq!(cfg.strict_ssl(), want, "{v:?}");
        }
        let (_t, cfg) = from_npmrc("strict-ssl=false\n", &[]);
        assert!(!cfg.strict_ssl());
    }

    #[test]
    fn file_errors() {
        let t = TempDir::new();
        let proj = t.dir("p");
        t.write("p/package.json", "{}");
        t.write("p/.npmrc", &"x".repeat(MAX_FILE_BYTES as usize + 1));
        assert!(matches!(
            NpmConfig::load_with(&proj, &HashMap::new(), None),
            Err(Error::Config(_))
        ));

        // a directory where a file is expected is skipped, as npm does
        let q = t.dir("q");
        t.dir("q/.npmrc");
        assert!(NpmConfig::load_with(&q, &HashMap::new(), None).is_ok());

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let r = t.dir("r");
            let f = t.write("r/.npmrc", "a=1\n");
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
            if std::fs::read(&f).is_err() {
                // not root
                assert!(matches!(
                    NpmConfig::load_with(&r, &HashMap::new(), None),
                    Err(Error::Io { .. })
                ));
            }
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    #[test]
    fn npm_cli_output() {
        assert_eq!(
            parse_cli_registry("https://npm.corp.example\n").unwrap(),
            "https://npm.corp.example/"
        );
        assert_eq!(
            parse_cli_registry("  http://127.0.0.1:4873/ \n").unwrap(),
            "http://127.0.0.1:4873/"
        );
        for bad in [
            "",
            "undefined\n",
            "file:///x",
            "https://a.example/ b",
            "npm ERR!",
        ] {
            assert!(
                matches!(parse_cli_registry(bad), Err(Error::Config(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn npm_cli_answers_are_asked_once_per_key() {
        let memo = CliMemo::new();
        let asked = AtomicUsize::new(0);
        let ask = || {
            asked.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            Ok("http://127.0.0.1:4873/".to_string())
        };
        // Concurrent callers wait for the one question.
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let got = memo.get_or_ask("a".into(), Duration::from_secs(60), ask);
                    assert_eq!(got.unwrap(), "http://127.0.0.1:4873/");
                });
            }
        });
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        // Another key is another question; a success is kept even past the failure TTL.
        memo.get_or_ask("b".into(), Duration::ZERO, ask).unwrap();
        memo.get_or_ask("b".into(), Duration::ZERO, ask).unwrap();
        assert_eq!(asked.load(Ordering::SeqCst), 2);

        // A failure is kept too, with its message, until the TTL.
        let failed = AtomicUsize::new(0);
        let fail = || {
            failed.fetch_add(1, Ordering::SeqCst);
            Err(Error::Config("npm is not installed".into()))
        };
        for _ in 0..3 {
            let e = memo
                .get_or_ask("c".into(), Duration::from_secs(60), fail)
                .unwrap_err();
            assert!(
                matches!(&e, Error::Config(m) if m == "npm is not installed"),
                "{e}"
            );
        }
        assert_eq!(failed.load(Ordering::SeqCst), 1);
        memo.get_or_ask("c".into(), Duration::ZERO, fail)
            .unwrap_err();
        assert_eq!(failed.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn npm_cli_key_is_per_directory() {
        let t = TempDir::new();
        let (a, b) = (t.dir("a"), t.dir("b"));
        assert_eq!(npm_cli_key(&a), npm_cli_key(&a));
        assert_ne!(npm_cli_key(&a), npm_cli_key(&b));
    }

    #[test]
    fn malformed_input_does_not_panic() {
        let samples = [
            "",
            "=",
            "==",
            "=x",
            "[",
            "]",
            "[]",
            "[a",
            "[a]x",
            "[]=1",
            "a[]",
            "[]]",
            "a[]=",
            "\"",
            "'",
            "\"\"",
            "''",
            "'\"'",
            "\"\\u",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\uZZZZ\"",
            "\\",
            "a=\\",
            "${",
            "${}",
            "${a",
            "$",
            "\\${",
            "é=é",
            "\u{2028}=\u{2029}",
            "\0=\0",
            "__proto__=x",
            "__proto__[]=y",
            "//:_authToken=x",
            "//host/:_password=!!!",
            "ca[]=-----BEGIN CERTIFICATE-----",
            "ca=-----END CERTIFICATE----------BEGIN ",
        ];
        for s in samples {
            let _ = parse_ini(s);
            let _ = ini_unsafe(s);
            let _ = json_string(s);
            let _ = expand_env(s, &env(&[("a", "b")]));
            let _ = RegistryUrl::parse(s);
            let _ = split_pems(s);
            let _ = parse_cli_registry(s);
        }
        let (_t, cfg) = from_npmrc(&samples.join("\n"), &[]);
        let _ = cfg.ca_pems();

        // pseudo-random bytes through the whole pipeline
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet: Vec<char> = "=[]\"'\\;#${}?:/@.%-_ \t\r\nab1é\u{feff}\u{2028}"
            .chars()
            .collect();
        let e = env(&[("a", "b"), ("npm_config_//h/:_auth", "x")]);
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..(x % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let entries = parse_ini(&s);
            let _ = expand_env(&s, &e);
            let cfg = NpmConfig {
                layers: vec![Layer {
                    source: "fuzz".into(),
                    values: entries.into_iter().collect(),
                }],
                ..NpmConfig::default()
            };
            for url in [s.as_str(), "https://h/", "http://h:1/a/b"] {
                let _ = cfg.auth_for(url);
                let _ = cfg.proxy_for(url);
                let _ = cfg.registry_for(url);
            }
            let _ = cfg.strict_ssl();
            let _ = cfg.ca_pems();
            let _ = RegistryUrl::parse(&format!("https://{s}"));
            let _ = noproxy_matches(&s, &s);
        }
    }
}
