//! [`DirBlobStore`]: attachment bytes as files in one directory.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{BlobStore, StoreError, StoreErrorKind};

/// A [`BlobStore`] keeping each blob as one file in a directory: what a small CRM that stores
/// uploads on local disk has, and what `pdpo demo` uses.
///
/// File names come from the blob id: ASCII letters, digits, `-` and `_` are kept, every other
/// byte is written as `%XX`, so an id can never name a path outside the directory (`../x`
/// becomes `%2E%2E%2Fx`). Writes go to a temporary file that is renamed into place, so a
/// reader sees the old bytes or the new ones, never half. Deleting a file unlinks it; on
/// copy-on-write or journalling file systems the old blocks may survive until reused, which
/// is why encrypted attachments and crypto-shredding exist.
///
/// The file I/O is synchronous inside the async methods: blobs are attachments of a few
/// megabytes at most, and a stalled disk stalls the caller either way.
///
/// ```
/// use pdpo_core::{BlobStore, DirBlobStore};
/// use std::io::Read;
///
/// let dir = std::env::temp_dir().join(format!("pdpo-doc-blobs-{}", std::process::id()));
/// let blobs = DirBlobStore::create(&dir)?;
/// pollster::block_on(blobs.put("scan/1.png", b"PNG".to_vec()))?;
/// let mut bytes = Vec::new();
/// pollster::block_on(blobs.open("scan/1.png"))?.read_to_end(&mut bytes)?;
/// assert_eq!(bytes, b"PNG");
/// assert!(pollster::block_on(blobs.delete("scan/1.png"))?);
/// assert!(!pollster::block_on(blobs.delete("scan/1.png"))?);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DirBlobStore {
    dir: PathBuf,
    tmp_seq: AtomicU64,
    sync: bool,
}

impl DirBlobStore {
    /// A store over `dir`, created (with its parents) if missing.
    pub fn create(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| io_error(&e, "creating the blob directory", &dir))?;
        Ok(Self { dir, tmp_seq: AtomicU64::new(0), sync: true })
    }

    /// Skips the `fsync` of each written file: for bulk loads of data that can be loaded again
    /// (the demo, fixtures). A crash may then leave a blob empty or missing, never half-replaced.
    #[must_use]
    pub fn without_sync(mut self) -> Self {
        self.sync = false;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding blob `id`.
    pub fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(file_name(id))
    }
}

/// Encodes a blob id as a file name that stays inside the directory.
fn file_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 4);
    out.push_str("b_");
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// An I/O failure as a store error naming the path (never the blob's content).
fn io_error(e: &io::Error, doing: &str, path: &Path) -> StoreError {
    let kind = match e.kind() {
        io::ErrorKind::NotFound => StoreErrorKind::NotFound,
        _ => StoreErrorKind::Backend,
    };
    StoreError::new(kind, format!("{doing} `{}`: {e}", path.display()))
}

impl BlobStore for DirBlobStore {
    async fn put(&self, id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let path = self.path_of(id);
        let seq = self.tmp_seq.fetch_add(1, Ordering::Relaxed);
        let tmp = self.dir.join(format!(".tmp-{}-{seq}", std::process::id()));
        let write = || -> io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            if self.sync {
                f.sync_all()?;
            }
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_error(&e, "writing blob", &path)
        })
    }

    async fn open(&self, id: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        let path = self.path_of(id);
        let f = fs::File::open(&path).map_err(|e| io_error(&e, "opening blob", &path))?;
        Ok(Box::new(io::BufReader::new(f)))
    }

    async fn size(&self, id: &str) -> Result<u64, StoreError> {
        let path = self.path_of(id);
        Ok(fs::metadata(&path).map_err(|e| io_error(&e, "reading the size of blob", &path))?.len())
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let path = self.path_of(id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error(&e, "deleting blob", &path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_leave_the_directory() {
        for id in ["../etc/passwd", "/abs", "a/b", ".hidden", "..", "C:\\x", "名"] {
            let n = file_name(id);
            assert!(!n.contains('/') && !n.contains('\\') && !n.contains(".."), "{id} -> {n}");
            assert!(n.starts_with("b_"));
        }
        assert_ne!(file_name("a/b"), file_name("a%2Fb"));
        assert_eq!(file_name("hkid_scan-12"), "b_hkid_scan-12");
    }

    #[test]
    fn put_replace_size_delete() {
        let dir = std::env::temp_dir().join(format!("pdpo-blobdir-test-{}", std::process::id()));
        let s = DirBlobStore::create(&dir).unwrap();
        pollster::block_on(s.put("x", vec![1, 2, 3])).unwrap();
        pollster::block_on(s.put("x", vec![9; 10])).unwrap();
        assert_eq!(pollster::block_on(s.size("x")).unwrap(), 10);
        let err = pollster::block_on(s.size("missing")).unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::NotFound);
        assert!(pollster::block_on(s.delete("x")).unwrap());
        assert!(!pollster::block_on(s.delete("x")).unwrap());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "no temporary file left behind");
        fs::remove_dir_all(&dir).unwrap();
    }
}
