//! The key-encryption key (KEK): [`KeyEncryptionKey`] and the key-file implementation
//! [`KeyFileKek`].
//!
//! Data keys are stored only wrapped by a KEK version. The KEK is versioned so it can be rotated:
//! [`KeyRing::rewrap`](crate::KeyRing::rewrap) re-wraps every data key under the current version
//! (ciphertexts are not touched), then
//! [`KeyRing::destroy_kek_version`](crate::KeyRing::destroy_kek_version) destroys the old version.
//! That last step is what reaches backups: a database backup taken before a subject was shredded
//! still holds their wrapped data key, and it stays unwrappable exactly as long as the KEK version
//! that wrapped it exists.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::random;
use crate::{Error, Result, SecretKey, WrappedKey};

/// A versioned key-encryption key: wraps and unwraps data keys.
///
/// Implement it over a KMS (the binding goes in the KMS's encryption context); [`KeyFileKek`] keeps
/// the versions in a local file for demos and single-server installs.
pub trait KeyEncryptionKey: Send + Sync {
    /// The version new wraps use.
    fn current_version(&self) -> u32;

    /// Wraps `key` under the current version, bound to `binding`
    /// ([`WrappedKey::binding`]). Returns the version used and the wrapped bytes.
    fn wrap(&self, key: &SecretKey, binding: &[u8]) -> impl Future<Output = Result<(u32, Vec<u8>)>> + Send;

    /// Unwraps a stored key with the version that wrapped it.
    fn unwrap(&self, key: &WrappedKey) -> impl Future<Output = Result<SecretKey>> + Send;

    /// Destroys a version for good: everything it wrapped becomes unreadable, backups included.
    /// Refuses the current version.
    fn destroy_version(&self, version: u32) -> impl Future<Output = Result<()>> + Send;
}

impl<K: KeyEncryptionKey + ?Sized> KeyEncryptionKey for std::sync::Arc<K> {
    fn current_version(&self) -> u32 {
        (**self).current_version()
    }
    fn wrap(&self, key: &SecretKey, binding: &[u8]) -> impl Future<Output = Result<(u32, Vec<u8>)>> + Send {
        (**self).wrap(key, binding)
    }
    fn unwrap(&self, key: &WrappedKey) -> impl Future<Output = Result<SecretKey>> + Send {
        (**self).unwrap(key)
    }
    fn destroy_version(&self, version: u32) -> impl Future<Output = Result<()>> + Send {
        (**self).destroy_version(version)
    }
}

/// The state of one KEK version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KekVersionState {
    /// Used for new wraps.
    Current,
    /// Older: still unwraps what it wrapped, until destroyed.
    Retired,
    /// Destroyed: its key material is gone.
    Destroyed,
}

/// One live KEK version: its key, and the HMAC state pre-keyed with it (so deriving a wrapping key
/// costs no HMAC key set-up).
struct KekMaterial {
    key: SecretKey,
    mac: Hmac<Sha256>,
}

impl KekMaterial {
    fn new(key: SecretKey) -> Self {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"pdpo-kek/wrap/v1\0");
        Self { key, mac }
    }
}

struct KekState {
    current: u32,
    /// `None` once destroyed (the number stays reserved).
    versions: BTreeMap<u32, Option<KekMaterial>>,
}

const WRAP_FORMAT: u8 = 1;
const WRAPPED_LEN: usize = 1 + 12 + SecretKey::LEN + 16;
const FILE_MAGIC: &str = "pdpo-kek 1";

/// A KEK whose versions live in memory and, optionally, in a key file.
///
/// Wrapping derives a one-off AES-256-GCM key per data key, `HMAC-SHA-256(kek_version, domain ||
/// binding)`, and seals the 32-byte data key under it with a random nonce and the binding as
/// associated data: 61 bytes per wrapped key. Because every binding names a distinct key id, no
/// derived key ever seals two different data keys, so the KEK needs no nonce counter.
///
/// The file (text, one line per version, hex key material) must be readable only by the service
/// (it is created with mode 0600 on Unix) and **kept out of database backups**: a backup holding
/// both the key store and the key file defeats shredding. Destroying a version rewrites the file;
/// the old bytes may survive on disk blocks or in backups of the file itself, which is why a KMS
/// (implement [`KeyEncryptionKey`]) is the production choice.
pub struct KeyFileKek {
    state: RwLock<KekState>,
    path: Option<PathBuf>,
}

impl fmt::Debug for KeyFileKek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.read();
        f.debug_struct("KeyFileKek")
            .field("path", &self.path)
            .field("current", &st.current)
            .field("versions", &st.versions.len())
            .finish_non_exhaustive()
    }
}

impl KeyFileKek {
    /// A KEK held only in memory, with a fresh version 1.
    pub fn generate() -> Result<Self> {
        let mut versions = BTreeMap::new();
        versions.insert(1, Some(KekMaterial::new(SecretKey::generate()?)));
        Ok(Self { state: RwLock::new(KekState { current: 1, versions }), path: None })
    }

    /// Creates a key file with a fresh version 1. Refuses to overwrite an existing file.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        if path.exists() {
            return Err(Error::KeyFile {
                path,
                message: "already exists; refusing to overwrite a key file".into(),
            });
        }
        let mut kek = Self::generate()?;
        kek.path = Some(path);
        kek.save()?;
        Ok(kek)
    }

    /// Opens a key file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let text = Zeroizing::new(
            std::fs::read_to_string(&path).map_err(|source| Error::Io { path: path.clone(), source })?,
        );
        let bad = |line: usize, what: &str| Error::KeyFile {
            path: path.clone(),
            message: format!("line {line}: {what}"),
        };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        match lines.next() {
            Some((_, FILE_MAGIC)) => {}
            Some((n, _)) => return Err(bad(n, "expected the header `pdpo-kek 1`")),
            None => return Err(bad(0, "empty file")),
        }
        let mut current = None;
        let mut versions = BTreeMap::new();
        for (n, line) in lines {
            let mut parts = line.split_ascii_whitespace();
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("current"), Some(v), None, None) => {
                    current = Some(v.parse::<u32>().map_err(|_| bad(n, "bad version number"))?);
                }
                (Some("version"), Some(v), Some(material), None) => {
                    let v = v.parse::<u32>().map_err(|_| bad(n, "bad version number"))?;
                    let key = if material == "destroyed" {
                        None
                    } else {
                        let mut bytes = Zeroizing::new([0u8; 32]);
                        hex::decode_to_slice(material, bytes.as_mut_slice())
                            .map_err(|_| bad(n, "key material is not 64 hex digits"))?;
                        Some(KekMaterial::new(SecretKey::from_bytes(*bytes)))
                    };
                    if versions.insert(v, key).is_some() {
                        return Err(bad(n, "duplicate version"));
                    }
                }
                _ => return Err(bad(n, "expected `current <n>` or `version <n> <hex|destroyed>`")),
            }
        }
        let current = current.ok_or_else(|| bad(0, "no `current` line"))?;
        if !matches!(versions.get(&current), Some(Some(_))) {
            return Err(bad(0, "the current version has no key material"));
        }
        Ok(Self { state: RwLock::new(KekState { current, versions }), path: Some(path) })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, KekState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, KekState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Adds a new version and makes it current (saved to the file, if any). Returns it.
    pub fn rotate(&self) -> Result<u32> {
        let new = SecretKey::generate()?;
        let version = {
            let mut st = self.write();
            let v = st.versions.keys().next_back().copied().unwrap_or(0).saturating_add(1);
            st.versions.insert(v, Some(KekMaterial::new(new)));
            st.current = v;
            v
        };
        self.save()?;
        Ok(version)
    }

    /// Every version and its state.
    pub fn versions(&self) -> Vec<(u32, KekVersionState)> {
        let st = self.read();
        st.versions
            .iter()
            .map(|(&v, k)| {
                let state = match k {
                    None => KekVersionState::Destroyed,
                    Some(_) if v == st.current => KekVersionState::Current,
                    Some(_) => KekVersionState::Retired,
                };
                (v, state)
            })
            .collect()
    }

    /// Writes the key file (atomically: a temporary file, then a rename). No-op in memory.
    pub fn save(&self) -> Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let mut text = Zeroizing::new(String::new());
        {
            let st = self.read();
            text.push_str("# pdpo key-encryption key file. Keep it out of database backups; readable by the service only.\n");
            text.push_str(FILE_MAGIC);
            text.push('\n');
            text.push_str(&format!("current {}\n", st.current));
            for (v, k) in &st.versions {
                match k {
                    Some(k) => {
                        let hex = Zeroizing::new(hex::encode(k.key.expose_secret()));
                        text.push_str(&format!("version {v} "));
                        text.push_str(&hex);
                        text.push('\n');
                    }
                    None => text.push_str(&format!("version {v} destroyed\n")),
                }
            }
        }
        let io = |source| Error::Io { path: path.clone(), source };
        let tmp = path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }

    fn derive(kek: &KekMaterial, binding: &[u8]) -> Aes256Gcm {
        let mut mac = kek.mac.clone();
        mac.update(binding);
        let mut derived = Zeroizing::new([0u8; 32]);
        derived.copy_from_slice(&mac.finalize().into_bytes());
        Aes256Gcm::new((&*derived).into())
    }

    fn wrap_sync(&self, key: &SecretKey, binding: &[u8]) -> Result<(u32, Vec<u8>)> {
        let st = self.read();
        let version = st.current;
        let Some(Some(kek)) = st.versions.get(&version) else {
            return Err(Error::UnknownKekVersion { version });
        };
        let mut nonce = [0u8; 12];
        random(&mut nonce)?;
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.push(WRAP_FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(key.expose_secret());
        let tag = Self::derive(kek, binding)
            .encrypt_inout_detached(&Nonce::from(nonce), binding, out[13..].as_mut().into())
            .map_err(|_| Error::UnknownKekVersion { version })?;
        out.extend_from_slice(tag.as_slice());
        Ok((version, out))
    }

    fn unwrap_sync(&self, key: &WrappedKey) -> Result<SecretKey> {
        let version = key.kek_version;
        let st = self.read();
        let kek = match st.versions.get(&version) {
            Some(Some(k)) => k,
            Some(None) => return Err(Error::KekDestroyed { version }),
            None => return Err(Error::UnknownKekVersion { version }),
        };
        let fail = || Error::Unwrap { key_id: key.id, version };
        let w = &key.wrapped;
        if w.len() != WRAPPED_LEN || w.first() != Some(&WRAP_FORMAT) {
            return Err(fail());
        }
        let nonce: [u8; 12] = w[1..13].try_into().map_err(|_| fail())?;
        let tag = Tag::try_from(&w[13 + SecretKey::LEN..]).map_err(|_| fail())?;
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&w[13..13 + SecretKey::LEN]);
        let binding = key.binding();
        Self::derive(kek, &binding)
            .decrypt_inout_detached(&Nonce::from(nonce), &binding, bytes.as_mut_slice().into(), &tag)
            .map_err(|_| fail())?;
        Ok(SecretKey::from_bytes(*bytes))
    }
}

impl KeyEncryptionKey for KeyFileKek {
    fn current_version(&self) -> u32 {
        self.read().current
    }

    async fn wrap(&self, key: &SecretKey, binding: &[u8]) -> Result<(u32, Vec<u8>)> {
        self.wrap_sync(key, binding)
    }

    async fn unwrap(&self, key: &WrappedKey) -> Result<SecretKey> {
        self.unwrap_sync(key)
    }

    async fn destroy_version(&self, version: u32) -> Result<()> {
        {
            let mut st = self.write();
            if version == st.current {
                return Err(Error::KekCurrent { version });
            }
            match st.versions.get_mut(&version) {
                Some(slot) => *slot = None, // dropping the SecretKey zeroizes it
                None => return Err(Error::UnknownKekVersion { version }),
            }
        }
        self.save()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyId, KeyOwner};

    fn row(kek_version: u32, wrapped: Vec<u8>, id: KeyId) -> WrappedKey {
        WrappedKey::new(
            id,
            Some("acme".into()),
            KeyOwner::Workspace,
            0,
            kek_version,
            wrapped,
            chrono::Utc::now(),
        )
    }

    #[test]
    fn wrap_unwrap_binding_and_destroy() {
        let kek = KeyFileKek::generate().unwrap();
        let dk = SecretKey::generate().unwrap();
        let id = KeyId::generate().unwrap();
        let binding = row(1, Vec::new(), id).binding();
        let (v, wrapped) = kek.wrap_sync(&dk, &binding).unwrap();
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        assert!(kek.unwrap_sync(&row(v, wrapped.clone(), id)).unwrap().ct_eq(&dk));
        // Another id (another row) does not unwrap.
        let other = row(v, wrapped.clone(), KeyId::generate().unwrap());
        assert!(matches!(kek.unwrap_sync(&other), Err(Error::Unwrap { .. })));
        let v2 = kek.rotate().unwrap();
        assert_eq!(v2, 2);
        assert!(matches!(pollster::block_on(kek.destroy_version(2)), Err(Error::KekCurrent { version: 2 })));
        pollster::block_on(kek.destroy_version(1)).unwrap();
        assert!(matches!(kek.unwrap_sync(&row(v, wrapped, id)), Err(Error::KekDestroyed { version: 1 })));
        assert_eq!(kek.versions(), vec![(1, KekVersionState::Destroyed), (2, KekVersionState::Current)]);
    }

    #[test]
    fn key_file_round_trip_and_errors_without_key_material() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek.txt");
        let kek = KeyFileKek::create(&path).unwrap();
        kek.rotate().unwrap();
        pollster::block_on(kek.destroy_version(1)).unwrap();
        let dk = SecretKey::generate().unwrap();
        let id = KeyId::generate().unwrap();
        let (v, wrapped) = kek.wrap_sync(&dk, &row(0, Vec::new(), id).binding()).unwrap();
        let reopened = KeyFileKek::open(&path).unwrap();
        assert_eq!(reopened.current_version(), 2);
        assert!(reopened.unwrap_sync(&row(v, wrapped, id)).unwrap().ct_eq(&dk));
        assert!(KeyFileKek::create(&path).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let secret_line = text.lines().find(|l| l.starts_with("version 2 ")).unwrap().to_owned();
        std::fs::write(&path, text.replace(&secret_line, "version 2 zz")).unwrap();
        let err = KeyFileKek::open(&path).unwrap_err().to_string();
        assert!(err.contains("line") && !err.contains(&secret_line[10..]), "{err}");
        assert!(!format!("{reopened:?}").contains(&secret_line[10..]));
    }
}
