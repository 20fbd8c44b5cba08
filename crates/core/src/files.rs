//! Bounded reads of local files.
//!
//! A size from `metadata` is not a bound: a FIFO, a device or a symlink to one reports 0 and
//! reads forever, and a plain `open` of a FIFO blocks until a writer appears. Every read of a
//! local file that input can point at goes through this module:
//! 1. open without blocking (`O_NONBLOCK` on unix: a FIFO opens at once; a regular file ignores
//!    the flag);
//! 2. refuse whatever the opened handle is if it is not a regular file (`ERR_PROV_IO`): FIFOs,
//!    devices, sockets, directories;
//! 3. read at most `max + 1` bytes, whatever the size said (`ERR_PROV_TOO_LARGE` beyond `max`).
//!
//! Directory walks that read what they find bound entries and total bytes themselves (see
//! `advisories`, `lockfile::node_modules`).

use crate::error::{Error, Result};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The regular file at `path`, opened for reading without blocking on a FIFO, and its size.
/// `ERR_PROV_IO` when it cannot be opened or is not a regular file.
pub fn open_regular(path: &Path) -> Result<(File, u64)> {
    let f = open_nonblocking(path).map_err(|e| Error::io(path, e))?;
    let meta = f.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::io(path, not_regular(&meta)));
    }
    Ok((f, meta.len()))
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// What the handle is instead of a regular file, for the message.
fn not_regular(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a directory, not a regular file";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO, not a regular file";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device, not a regular file";
        }
        if t.is_socket() {
            return "a socket, not a regular file";
        }
    }
    "not a regular file"
}

/// The contents of the regular file at `path`, at most `max` bytes (`ERR_PROV_TOO_LARGE`
/// beyond; `ERR_PROV_IO` when it cannot be opened or is not a regular file).
pub fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>> {
    let (f, len) = open_regular(path)?;
    read_open(f, len, path, max)
}

/// [`read_capped`], `None` when nothing exists at `path` (or a parent is not a directory).
pub fn read_capped_opt(path: &Path, max: u64) -> Result<Option<Vec<u8>>> {
    match open_nonblocking(path) {
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(Error::io(path, e)),
        Ok(f) => {
            let meta = f.metadata().map_err(|e| Error::io(path, e))?;
            if !meta.is_file() {
                return Err(Error::io(path, not_regular(&meta)));
            }
            read_open(f, meta.len(), path, max).map(Some)
        }
    }
}

/// [`read_capped`] as UTF-8 text (`ERR_PROV_IO` when it is not).
pub fn read_capped_string(path: &Path, max: u64) -> Result<String> {
    String::from_utf8(read_capped(path, max)?).map_err(|e| Error::io(path, e))
}

/// At most `max` bytes of an opened regular file of size `len`.
pub fn read_open(f: File, len: u64, path: &Path, max: u64) -> Result<Vec<u8>> {
    if len > max {
        return Err(too_large(path, len, max));
    }
    let mut buf = Vec::with_capacity(len.min(max) as usize);
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > max {
        return Err(too_large(path, buf.len() as u64, max));
    }
    Ok(buf)
}

/// Nothing there: the path or one of its parents does not exist.
pub fn is_missing(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// [`read_capped`] off the async runtime's worker threads.
pub async fn read_capped_async(path: std::path::PathBuf, max: u64) -> Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || read_capped(&path, max))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
}

fn too_large(path: &Path, len: u64, max: u64) -> Error {
    Error::TooLarge(format!(
        "{}: {len} bytes is over the {max}-byte limit",
        path.display()
    ))
}

/// Unreadable inputs for the tests of every module that reads files.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};

    /// A fresh directory under the system's temporary directory.
    pub fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pn-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// What can be at a path a user names, that must not be read (or waited on).
    #[derive(Debug, Clone, Copy)]
    pub enum Bad {
        /// A symlink to `/dev/zero`.
        Zero,
        /// A FIFO no writer ever opens.
        Fifo,
        Dir,
        /// A 300 MB sparse file.
        Big,
    }

    pub const ALL: [Bad; 4] = [Bad::Zero, Bad::Fifo, Bad::Dir, Bad::Big];

    /// Put `bad` at `p` (replacing what is there).
    pub fn make(p: &Path, bad: Bad) {
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        let _ = std::fs::remove_file(p);
        let _ = std::fs::remove_dir_all(p);
        match bad {
            #[cfg(unix)]
            Bad::Zero => std::os::unix::fs::symlink("/dev/zero", p).unwrap(),
            #[cfg(unix)]
            Bad::Fifo => {
                let ok = std::process::Command::new("mkfifo")
                    .arg(p)
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "mkfifo {}", p.display());
            }
            #[cfg(not(unix))]
            Bad::Zero | Bad::Fifo => std::fs::create_dir_all(p).unwrap(),
            Bad::Dir => std::fs::create_dir_all(p).unwrap(),
            Bad::Big => std::fs::File::create(p)
                .unwrap()
                .set_len(300 * 1000 * 1000)
                .unwrap(),
        }
    }

    /// The code reading `bad` must give (`large` for the 300 MB file).
    pub fn code(bad: Bad, large: &'static str) -> &'static str {
        match bad {
            Bad::Big => large,
            _ => "ERR_PROV_IO",
        }
    }

    /// Run `f`, which must finish within 10 s (it would block or read forever if unbounded).
    pub fn quick<T>(what: &str, f: impl FnOnce() -> T) -> T {
        let t = std::time::Instant::now();
        let out = f();
        assert!(
            t.elapsed() < std::time::Duration::from_secs(10),
            "{what}: {:?}",
            t.elapsed()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::testing::tmp;
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn bounded_and_regular_files_only() {
        let dir = tmp("a");
        let f = dir.join("a");
        std::fs::write(&f, b"hello").unwrap();
        assert_eq!(read_capped(&f, 5).unwrap(), b"hello");
        assert_eq!(read_capped_string(&f, 5).unwrap(), "hello");
        assert_eq!(read_capped(&f, 4).unwrap_err().code(), "ERR_PROV_TOO_LARGE");
        assert_eq!(read_capped(&dir, 5).unwrap_err().code(), "ERR_PROV_IO");
        assert_eq!(read_capped_opt(&dir.join("none"), 5).unwrap(), None);
        assert_eq!(read_capped_opt(&f.join("x"), 5).unwrap(), None);
        assert_eq!(read_capped_opt(&f, 5).unwrap().unwrap(), b"hello");
        assert_eq!(read_capped_opt(&dir, 5).unwrap_err().code(), "ERR_PROV_IO");
        #[cfg(unix)]
        {
            let e = read_capped(Path::new("/dev/zero"), 5).unwrap_err();
            assert_eq!(
                e.code(),
                "ERR_PROV_IO",
                "a device is refused, not read forever"
            );
            assert!(e.to_string().contains("device"), "{e}");
            // Through a symlink too.
            let l = dir.join("zero");
            std::os::unix::fs::symlink("/dev/zero", &l).unwrap();
            assert_eq!(read_capped(&l, 5).unwrap_err().code(), "ERR_PROV_IO");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_without_a_writer_is_refused_at_once() {
        let dir = tmp("fifo");
        let p = dir.join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mkfifo");
        let t = Instant::now();
        let e = read_capped(&p, 1 << 20).unwrap_err();
        assert_eq!(e.code(), "ERR_PROV_IO");
        assert!(e.to_string().contains("FIFO"), "{e}");
        assert_eq!(read_capped_opt(&p, 5).unwrap_err().code(), "ERR_PROV_IO");
        assert!(t.elapsed() < Duration::from_secs(5), "did not block");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_large_sparse_file_is_refused_by_its_size() {
        let dir = tmp("sparse");
        let p = dir.join("big");
        let f = File::create(&p).unwrap();
        f.set_len(300 << 20).unwrap();
        let t = Instant::now();
        assert_eq!(
            read_capped(&p, 16 << 20).unwrap_err().code(),
            "ERR_PROV_TOO_LARGE"
        );
        assert!(t.elapsed() < Duration::from_secs(5));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
