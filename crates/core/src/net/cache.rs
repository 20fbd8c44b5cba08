//! On-disk cache of audit results, keyed by content.
//!
//! An entry is the report for one `name@version` with one integrity, from one registry, under
//! one set of trust material: `key = sha256(CACHE_FORMAT, name, version, integrity, registry,
//! attestations source, trust fingerprint)`. Only `verified` and `unsigned` reports are stored;
//! they describe immutable data (a published version's bytes, signatures and attestations).
//!
//! Entries are authenticated with HMAC-SHA256 under a secret that does not live in the cache
//! directory, so a cache directory copied in from elsewhere (a CI cache restored from another
//! run or branch, which is how CI caches are poisoned) carries no key that makes its entries
//! count. The secret is `PROV_NATIVE_CACHE_SECRET` when set (a CI secret, so that a restored
//! cache is trusted only when this pipeline wrote it), else a random per-user file
//! (`$XDG_STATE_HOME/prov-native/cache-secret`, `~/.local/state/…`, `%LOCALAPPDATA%\…` on
//! Windows, `~/Library/Application Support/…` on macOS; mode 0600). An entry that is
//! truncated, edited, written under another secret or for another key fails the MAC or the key
//! check and is ignored: it costs a re-check, never a "verified".
//!
//! Layout: `<dir>/v1/<k[0..2]>/<k>.json`, `<dir>/v1/trees/…`, `<dir>/packuments/…`. The
//! default `<dir>` is `<npm cache>/_prov-native`: npm's `cache` setting, else `~/.npm`
//! (`%LocalAppData%\npm-cache` on Windows), as npm's own default.

use crate::error::{Error, Result};
use crate::report::{Report, Status};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const CACHE_FORMAT: &str = "prov-native-cache-v1";
const MAX_ENTRY_BYTES: u64 = 8 * 1024 * 1024;
const MAX_TREE_BYTES: u64 = 512 * 1024 * 1024;

/// What a cache entry is about.
#[derive(Debug, Clone)]
pub struct Key<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub integrity: &'a str,
    pub registry: &'a str,
    pub attestations: &'a str,
    pub trust: &'a str,
}

impl Key<'_> {
    fn digest(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            CACHE_FORMAT,
            // Verdicts are this build's: a release that changes a check re-checks everything.
            env!("CARGO_PKG_VERSION"),
            self.name,
            self.version,
            self.integrity,
            self.registry,
            self.attestations,
            self.trust,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// A cache directory with its secret.
#[derive(Clone)]
pub struct Cache {
    dir: PathBuf,
    secret: [u8; 32],
}

impl Cache {
    /// Open (creating if needed) the cache at `dir`, under this user's secret.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with_secret(dir, user_secret()?)
    }

    /// Open the cache at `dir` with an explicit secret.
    pub fn open_with_secret(dir: &Path, secret: [u8; 32]) -> Result<Self> {
        std::fs::create_dir_all(dir.join("v1")).map_err(|e| Error::io(dir, e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            secret,
        })
    }

    /// `<npm cache>/_prov-native`.
    pub fn default_dir(config: &crate::config::npmrc::NpmConfig) -> Option<PathBuf> {
        if let Some(c) = config.get("cache").filter(|c| !c.is_empty()) {
            return Some(PathBuf::from(c).join("_prov-native"));
        }
        if cfg!(windows) {
            if let Some(local) = crate::env::path("LOCALAPPDATA") {
                return Some(local.join("npm-cache").join("_prov-native"));
            }
        }
        Some(crate::env::home()?.join(".npm").join("_prov-native"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn packument_path(&self, key: &str) -> PathBuf {
        let k = hex::encode(Sha256::digest(key.as_bytes()));
        self.dir.join("packuments").join(format!("{k}.json"))
    }

    /// A stored packument (ETag and body) for `key` (the URL and the form asked for), if its
    /// entry is intact and was written under this secret. A planted body would otherwise be
    /// served on the registry's 304 (ETags are public).
    pub async fn get_packument(&self, key: &str, max: u64) -> Option<(String, Vec<u8>)> {
        let bytes = crate::files::read_capped_async(self.packument_path(key), max)
            .await
            .ok()?;
        // Layout: `<64 hex MAC>\n<etag>\n<body>`; the MAC covers the key, the ETag and the body.
        let text = String::from_utf8(bytes).ok()?;
        let (mac, rest) = text.split_once('\n')?;
        let want = self.mac(key, rest);
        if want.is_empty() || !constant_eq(mac.as_bytes(), want.as_bytes()) {
            return None;
        }
        let (etag, body) = rest.split_once('\n')?;
        Some((etag.to_string(), body.as_bytes().to_vec()))
    }

    pub async fn put_packument(&self, key: &str, etag: &str, body: &str) -> Result<()> {
        if etag.contains('\n') {
            return Ok(());
        }
        let rest = format!("{etag}\n{body}");
        let text = format!("{}\n{rest}", self.mac(key, &rest));
        write_atomic(&self.packument_path(key), text.as_bytes()).await
    }

    fn path(&self, k: &str) -> PathBuf {
        self.dir.join("v1").join(&k[..2]).join(format!("{k}.json"))
    }

    fn mac(&self, k: &str, report: &str) -> String {
        self.mac_parts(k, &[report.as_bytes()])
    }

    /// [`Self::mac`] over text given in parts (never joined in memory).
    fn mac_parts(&self, k: &str, parts: &[&[u8]]) -> String {
        // HMAC accepts keys of any length: `new_from_slice` cannot fail here.
        let mut m = match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        m.update(k.as_bytes());
        m.update(&[0]);
        for p in parts {
            m.update(p);
        }
        hex::encode(m.finalize().into_bytes())
    }

    /// The cached report, if a valid entry exists. Any defect is a miss.
    pub async fn get(&self, key: &Key<'_>) -> Option<Report> {
        let k = key.digest();
        let bytes = crate::files::read_capped_async(self.path(&k), MAX_ENTRY_BYTES)
            .await
            .ok()?;
        self.entry(key, &k, &bytes)
    }

    /// [`Self::get`] on the calling thread (blocking: for the blocking pool, where one trip
    /// reads the entries of many packages).
    pub fn get_blocking(&self, key: &Key<'_>) -> Option<Report> {
        let k = key.digest();
        // A miss (the common case) builds no error.
        let bytes = crate::files::read_capped_opt(&self.path(&k), MAX_ENTRY_BYTES).ok()??;
        self.entry(key, &k, &bytes)
    }

    /// The report in an entry's bytes, if they are intact and about `key` (digest `k`).
    fn entry(&self, key: &Key<'_>, k: &str, bytes: &[u8]) -> Option<Report> {
        let v: Value = serde_json::from_slice(bytes).ok()?;
        let (ek, report, mac) = (
            v.get("key")?.as_str()?,
            v.get("report")?.as_str()?,
            v.get("mac")?.as_str()?,
        );
        let want = self.mac(k, report);
        if ek != k || want.is_empty() || !constant_eq(mac.as_bytes(), want.as_bytes()) {
            return None;
        }
        let r: Report = serde_json::from_str(report).ok()?;
        // Belt and braces: the entry must be about what was asked.
        let ok = r.name == key.name
            && r.version.as_deref() == Some(key.version)
            && matches!(r.status, Some(Status::Verified | Status::Unsigned));
        ok.then_some(r)
    }

    /// Store a report (only `verified` / `unsigned`). Failures are returned, callers may ignore.
    pub async fn put(&self, key: &Key<'_>, report: &Report) -> Result<()> {
        if !matches!(report.status, Some(Status::Verified | Status::Unsigned)) {
            return Ok(());
        }
        let k = key.digest();
        let text = serde_json::to_string(report).map_err(|e| Error::Internal(e.to_string()))?;
        let entry = serde_json::json!({ "key": k, "report": text, "mac": self.mac(&k, &text) });
        write_atomic(&self.path(&k), entry.to_string().as_bytes()).await
    }
}

impl Cache {
    fn tree_path(&self, k: &str) -> PathBuf {
        self.dir.join("v1").join("trees").join(format!("{k}.json"))
    }

    /// A whole audit result stored as JSON text, keyed by everything it depends on, and
    /// whether every package in it was `verified` or `unsigned`. Any defect (MAC, key, size)
    /// is a miss.
    pub async fn get_tree(&self, key: &str) -> Option<(bool, String)> {
        let bytes = crate::files::read_capped_async(self.tree_path(key), MAX_TREE_BYTES)
            .await
            .ok()?;
        // Layout: `<64 hex MAC>\n<key>\n<complete|partial>\n<json>`; the MAC covers all after it.
        let mut text = String::from_utf8(bytes).ok()?;
        let (mac, rest) = text.split_once('\n')?;
        let want = self.mac(key, rest);
        if want.is_empty() || !constant_eq(mac.as_bytes(), want.as_bytes()) {
            return None;
        }
        let (k, rest) = rest.split_once('\n')?;
        let (flag, json) = rest.split_once('\n')?;
        let complete = match flag {
            "complete" => true,
            "partial" => false,
            _ => return None,
        };
        if k != key {
            return None;
        }
        // The JSON in place (a tree's result can be hundreds of MB: no second copy).
        let start = text.len() - json.len();
        text.replace_range(..start, "");
        Some((complete, text))
    }

    pub async fn put_tree(&self, key: &str, complete: bool, json: &str) -> Result<()> {
        self.put_tree_parts(key, complete, &[json.as_bytes()]).await
    }

    /// [`Self::put_tree`] with the JSON given in parts, written one after the other.
    pub async fn put_tree_parts(&self, key: &str, complete: bool, json: &[&[u8]]) -> Result<()> {
        let flag = if complete { "complete" } else { "partial" };
        let head = format!("{key}\n{flag}\n");
        let mut parts: Vec<&[u8]> = vec![head.as_bytes()];
        parts.extend_from_slice(json);
        let mac = format!("{}\n", self.mac_parts(key, &parts));
        parts.insert(0, mac.as_bytes());
        write_atomic_parts(&self.tree_path(key), &parts).await
    }
}

impl Cache {
    /// [`Self::put_tree`] with the JSON written by `write` straight to the file, never held
    /// whole in memory (the MAC is computed on the way and written in front last). Blocking:
    /// call it on the blocking pool.
    pub fn put_tree_streamed(
        &self,
        key: &str,
        complete: bool,
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        struct Tee<'a, W: Write> {
            w: W,
            mac: &'a mut Hmac<Sha256>,
        }
        impl<W: Write> Write for Tee<'_, W> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let n = self.w.write(buf)?;
                self.mac.update(buf.get(..n).unwrap_or_default());
                Ok(n)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                self.w.flush()
            }
        }
        let path = self.tree_path(key);
        let parent = path
            .parent()
            .ok_or_else(|| Error::Internal(format!("{} has no parent", path.display())))?;
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let mut rnd = [0u8; 8];
        let _ = getrandom::fill(&mut rnd);
        let tmp = parent.join(format!(".tmp-{}", hex::encode(rnd)));
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret)
            .map_err(|e| Error::Internal(e.to_string()))?;
        mac.update(key.as_bytes());
        mac.update(&[0]);
        let flag = if complete { "complete" } else { "partial" };
        let written = (|| -> std::io::Result<()> {
            let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
            // The MAC's place: 64 hex digits and a newline, filled in at the end.
            f.write_all(&[b'0'; 64])?;
            f.write_all(b"\n")?;
            let mut tee = Tee {
                w: f,
                mac: &mut mac,
            };
            tee.write_all(format!("{key}\n{flag}\n").as_bytes())?;
            write(&mut tee)?;
            let mut f = tee.w.into_inner().map_err(|e| e.into_error())?;
            f.seek(SeekFrom::Start(0))?;
            f.write_all(hex::encode(mac.finalize().into_bytes()).as_bytes())?;
            f.flush()
        })();
        let renamed = written.and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = renamed {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io(&path, e));
        }
        Ok(())
    }
}

/// The key of a whole-tree entry: the format, the tree's packages and every input that
/// decides their verdicts.
pub fn tree_key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(CACHE_FORMAT.as_bytes());
    // The lockfile parsers and report shape are this build's.
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The secret entries are authenticated with (see the module docs).
pub fn user_secret() -> Result<[u8; 32]> {
    if let Some(v) = crate::env::var_os(crate::env::CACHE_SECRET) {
        let mut h = Sha256::new();
        h.update(b"prov-native cache secret\0");
        h.update(v.to_string_lossy().as_bytes());
        return Ok(h.finalize().into());
    }
    let dir = state_dir()
        .ok_or_else(|| {
            Error::Config(
                "no directory for the cache secret (HOME / XDG_STATE_HOME / LOCALAPPDATA unset); \
                 set PROV_NATIVE_CACHE_SECRET or disable the cache"
                    .into(),
            )
        })?
        .join("prov-native");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let path = dir.join("cache-secret");
    if !path.exists() {
        // Written whole to a private temporary file, then linked into place: a reader never
        // sees a partial secret, and of two first runs one link wins and both use it.
        let mut s = [0u8; 32];
        getrandom::fill(&mut s).map_err(|e| Error::Internal(format!("random: {e}")))?;
        let mut rnd = [0u8; 8];
        getrandom::fill(&mut rnd).map_err(|e| Error::Internal(format!("random: {e}")))?;
        let tmp = dir.join(format!(".cache-secret-{}", hex::encode(rnd)));
        write_secret(&tmp, &s)?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        if let Err(e) = linked {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(Error::io(&path, e));
            }
        }
    }
    let b = crate::files::read_capped(&path, 32)?;
    <[u8; 32]>::try_from(b.as_slice()).map_err(|_| {
        Error::Config(format!(
            "{} is not a prov-native cache secret (32 bytes); delete it",
            path.display()
        ))
    })
}

/// Per-user state: `$XDG_STATE_HOME`, else the platform's usual place.
fn state_dir() -> Option<PathBuf> {
    let env = crate::env::path;
    if cfg!(windows) {
        return env("LOCALAPPDATA").or_else(|| env("APPDATA"));
    }
    if let Some(x) = env("XDG_STATE_HOME") {
        return Some(x);
    }
    let home = env("HOME")?;
    Some(if cfg!(target_os = "macos") {
        home.join("Library").join("Application Support")
    } else {
        home.join(".local").join("state")
    })
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn write_secret(path: &Path, s: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).map_err(|e| Error::io(path, e))?;
    f.write_all(s).map_err(|e| Error::io(path, e))
}

/// Write via a temporary file and rename, so readers never see half an entry.
pub async fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_parts(path, &[bytes]).await
}

/// [`write_atomic`] of the concatenation of `parts`.
async fn write_atomic_parts(path: &Path, parts: &[&[u8]]) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    let parent = path
        .parent()
        .ok_or_else(|| Error::Internal(format!("{} has no parent", path.display())))?;
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|e| Error::io(parent, e))?;
    let mut rnd = [0u8; 8];
    let _ = getrandom::fill(&mut rnd);
    let tmp = parent.join(format!(".tmp-{}", hex::encode(rnd)));
    let written = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        for p in parts {
            f.write_all(p).await?;
        }
        f.flush().await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(Error::io(&tmp, e));
    }
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(Error::io(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(integrity: &'a str) -> Key<'a> {
        Key {
            name: "a",
            version: "1.0.0",
            integrity,
            registry: "http://127.0.0.1/",
            attestations: "",
            trust: "t",
        }
    }

    fn report(status: Status) -> Report {
        let mut r = Report::new("a@1.0.0", "a");
        r.version = Some("1.0.0".into());
        r.status = Some(status);
        r
    }

    #[tokio::test]
    async fn a_streamed_tree_entry_reads_back_like_a_written_one() {
        let dir = std::env::temp_dir().join(format!("pn-cache-tree-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let c = Cache::open_with_secret(&dir, [3u8; 32]).unwrap();
        c.put_tree_streamed("k1", true, |w| w.write_all(b"{\"a\":1}"))
            .unwrap();
        assert_eq!(
            c.get_tree("k1").await,
            Some((true, "{\"a\":1}".to_string()))
        );
        c.put_tree_parts("k2", false, &[b"{\"a\"", b":2}"])
            .await
            .unwrap();
        assert_eq!(
            c.get_tree("k2").await,
            Some((false, "{\"a\":2}".to_string()))
        );
        // Same bytes whichever way it was written.
        c.put_tree("k3", true, "{\"a\":1}").await.unwrap();
        let read = |k: &str| std::fs::read(c.tree_path(k)).unwrap();
        let (a, b) = (read("k1"), read("k3"));
        assert_eq!(a.len(), b.len());
        // Another key's entry is a miss; an edited one too.
        assert_eq!(c.get_tree("k9").await, None);
        let p = c.tree_path("k1");
        let t = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, t.replace(":1}", ":7}")).unwrap();
        assert_eq!(c.get_tree("k1").await, None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn round_trip_and_tamper() {
        let dir = std::env::temp_dir().join(format!("pn-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let c = Cache::open_with_secret(&dir, [1u8; 32]).unwrap();
        let k = key("sha512-x");
        assert!(c.get(&k).await.is_none());
        c.put(&k, &report(Status::Verified)).await.unwrap();
        assert!(c.get(&k).await.is_some());
        // another integrity is another entry
        assert!(c.get(&key("sha512-y")).await.is_none());
        // invalid reports are never stored
        let k2 = key("sha512-z");
        c.put(&k2, &report(Status::Invalid)).await.unwrap();
        assert!(c.get(&k2).await.is_none());
        // an edited entry is a miss
        let path = c.path(&k.digest());
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("verified", "verifieD")).unwrap();
        assert!(c.get(&k).await.is_none());
        // an entry made under another secret (another machine) is a miss
        c.put(&k, &report(Status::Verified)).await.unwrap();
        assert!(c.get(&k).await.is_some());
        let c2 = Cache::open_with_secret(&dir, [7u8; 32]).unwrap();
        assert!(c2.get(&k).await.is_none());
        // nothing in the cache directory is a secret: a copied directory brings no key
        assert!(!dir.join("secret").exists());
        // truncated
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        assert!(c.get(&k).await.is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
