//! Secrets at rest: values the database must keep but must not hold in the clear (the Ed25519
//! signing seeds, partner webhook secrets) are sealed with XChaCha20-Poly1305 under a key from
//! configuration (`GLIMVID_ENCRYPTION_KEY`). A copy of the database alone reveals none of them.
//!
//! Each sealed value is bound to its place by associated data (say `webhook:<id>`): a sealed
//! secret copied into another row does not open there.

use std::{fmt, path::Path};

use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD as B64};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use rand::RngCore;

/// What every sealed value starts with; the version lets a later format live beside this one.
const PREFIX: &str = "sealed.v1.";
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the encryption key must be 32 bytes, base64-encoded (for example `openssl rand -base64 32`)")]
    BadKey,
    #[error("the encryption key file {path}: {message}")]
    KeyFile { path: String, message: String },
    #[error("the value is not a sealed secret")]
    NotSealed,
    #[error("the sealed value does not open with this key (wrong key, or it belongs elsewhere)")]
    Open,
}

/// Seals and opens secrets with one key. Debug never shows the key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    /// From 32 raw key bytes.
    pub fn new(key: &[u8; 32]) -> Self {
        Self { cipher: XChaCha20Poly1305::new(key.into()) }
    }

    /// From the configured form: 32 bytes in base64 (padded or not).
    pub fn from_base64(text: &str) -> Result<Self, SealError> {
        let text = text.trim().trim_end_matches('=');
        let bytes = B64.decode(text).map_err(|_| SealError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(Self::new(&key))
    }

    /// The embedded mode's key: read from `path`, or created there once (readable by the owner
    /// only) when it does not exist yet.
    pub fn load_or_create(path: &Path) -> Result<Self, SealError> {
        let err = |e: std::io::Error| SealError::KeyFile { path: path.display().to_string(), message: e.to_string() };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(err)?;
                }
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                match opts.open(path) {
                    Ok(mut f) => {
                        use std::io::Write;
                        f.write_all(B64.encode(key).as_bytes()).map_err(err)?;
                        f.sync_all().map_err(err)?;
                        Ok(Self::new(&key))
                    }
                    // Another process of the same data folder created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::from_base64(&std::fs::read_to_string(path).map_err(err)?)
                    }
                    Err(e) => Err(err(e)),
                }
            }
            Err(e) => Err(err(e)),
        }
    }

    /// Seals `plain` for the place named by `context`: `sealed.v1.<base64(nonce ‖ ciphertext)>`.
    pub fn seal(&self, plain: &[u8], context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad: context.as_bytes() })
            .expect("XChaCha20-Poly1305 encrypts any message that fits in memory");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        format!("{PREFIX}{}", B64.encode(out))
    }

    /// Opens what [`Sealer::seal`] made for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let body = sealed.strip_prefix(PREFIX).ok_or(SealError::NotSealed)?;
        let bytes = B64.decode(body).map_err(|_| SealError::NotSealed)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SealError::NotSealed);
        }
        let (nonce, ct) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::NotSealed)?;
        self.cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad: context.as_bytes() })
            .map_err(|_| SealError::Open)
    }

    /// Whether a stored value is sealed (rows written before sealing existed are not).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let a = Sealer::new(&[7; 32]);
        let b = Sealer::new(&[8; 32]);
        let sealed = a.seal(b"whsec_abc", "webhook:1");
        assert!(Sealer::is_sealed(&sealed));
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(a.open(&sealed, "webhook:1").unwrap(), b"whsec_abc");
        assert_eq!(a.open(&sealed, "webhook:2"), Err(SealError::Open));
        assert_eq!(b.open(&sealed, "webhook:1"), Err(SealError::Open));
        assert_eq!(a.open("whsec_abc", "webhook:1"), Err(SealError::NotSealed));
        // Two seals of the same value differ (fresh nonce).
        assert_ne!(a.seal(b"x", "c"), a.seal(b"x", "c"));
    }

    #[test]
    fn tampering_is_detected() {
        let a = Sealer::new(&[1; 32]);
        let sealed = a.seal(b"secret", "k");
        let mut bytes = B64.decode(sealed.strip_prefix(PREFIX).unwrap()).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(a.open(&format!("{PREFIX}{}", B64.encode(bytes)), "k"), Err(SealError::Open));
    }

    #[test]
    fn keys_are_parsed_strictly() {
        assert!(Sealer::from_base64(&B64.encode([3u8; 32])).is_ok());
        assert!(Sealer::from_base64(&base64::engine::general_purpose::STANDARD.encode([3u8; 32])).is_ok());
        assert_eq!(Sealer::from_base64("short").unwrap_err(), SealError::BadKey);
        assert_eq!(Sealer::from_base64(&B64.encode([3u8; 16])).unwrap_err(), SealError::BadKey);
    }

    #[test]
    fn the_embedded_key_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/encryption.key");
        let first = Sealer::load_or_create(&path).unwrap();
        let sealed = first.seal(b"v", "c");
        let again = Sealer::load_or_create(&path).unwrap();
        assert_eq!(again.open(&sealed, "c").unwrap(), b"v");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
