//! Credentials: password hashing (scrypt PHC strings; argon2id verifies too), Ed25519-signed
//! access tokens, opaque refresh tokens and API keys (stored as hashes), and the account input
//! rules (email normalisation, password policy).

pub mod api_keys;
pub mod password;
pub mod rules;
pub mod tokens;
pub mod webhook;

pub use password::{PasswordCheck, hash_password, verify_password};
pub use tokens::{AccessClaims, KeySet, TokenError, VerifyingKeys};

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random opaque secret (refresh token, API key): 256 bits, base64url.
pub fn random_secret(prefix: &str) -> String {
    use base64::Engine;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// How opaque secrets are stored: SHA-256, hex. Secrets have 256 bits of entropy, so a fast hash
/// is enough (no salt or stretching needed, unlike passwords).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hash_stably() {
        let a = random_secret("rt_");
        let b = random_secret("rt_");
        assert_ne!(a, b);
        assert!(a.starts_with("rt_") && a.len() > 40);
        assert_eq!(secret_hash(&a), secret_hash(&a));
        assert_eq!(secret_hash(&a).len(), 64);
    }
}
