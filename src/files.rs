//! Bounded reads of local files.
//!
//! A size from `metadata` is not a bound: a FIFO, a device or a symlink to one reports 0 and
//! reads forever. Every read of a local file that input can point at goes through
//! [`read_capped`]: the opened handle must be a regular file, and at most `max + 1` bytes are
//! read.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// The contents of the regular file at `path`, at most `max` bytes (`ERR_PROV_TOO_LARGE`
/// beyond; `ERR_PROV_IO` when it cannot be opened or is not a regular file).
pub fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = f.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::io(path, "not a regular file"));
    }
    if meta.len() > max {
        return Err(too_large(path, meta.len(), max));
    }
    let mut buf = Vec::with_capacity(meta.len().min(max) as usize);
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > max {
        return Err(too_large(path, buf.len() as u64, max));
    }
    Ok(buf)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_regular_files_only() {
        let dir = std::env::temp_dir().join(format!("pn-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a");
        std::fs::write(&f, b"hello").unwrap();
        assert_eq!(read_capped(&f, 5).unwrap(), b"hello");
        assert_eq!(read_capped(&f, 4).unwrap_err().code(), "ERR_PROV_TOO_LARGE");
        assert_eq!(read_capped(&dir, 5).unwrap_err().code(), "ERR_PROV_IO");
        #[cfg(unix)]
        assert_eq!(
            read_capped(Path::new("/dev/zero"), 5).unwrap_err().code(),
            "ERR_PROV_IO",
            "a device is refused, not read forever"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
