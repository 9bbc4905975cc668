//! Password hashing. New hashes are scrypt PHC strings at the OWASP parameters (N=2^17, r=8,
//! p=1). argon2id PHC strings verify too; a hash made with another algorithm or weaker
//! parameters asks to be replaced on the next successful login.
//!
//! Both functions cost ~0.1–0.3 s of CPU by design: call them off the async executor
//! (`spawn_blocking`).

use argon2::Argon2;
use password_hash::{CustomizedPasswordHasher, PasswordVerifier, phc::PasswordHash};
use rand::RngCore;
use scrypt::Scrypt;

/// OWASP's scrypt recommendation.
pub const SCRYPT_LOG_N: u8 = 17;
pub const SCRYPT_R: u32 = 8;
pub const SCRYPT_P: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("stored password hash is malformed")]
    Malformed,
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// The outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Mismatch,
    Match,
    /// Correct, but the stored hash should be replaced by a fresh scrypt hash.
    MatchNeedsRehash,
}

impl PasswordCheck {
    pub fn is_match(self) -> bool {
        !matches!(self, Self::Mismatch)
    }
}

fn scrypt_params() -> scrypt::Params {
    scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P).expect("valid scrypt parameters")
}

/// Hashes with scrypt into a PHC string (`$scrypt$ln=17,r=8,p=1$<salt>$<hash>`).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    hash_with(password, scrypt_params())
}

fn hash_with(password: &str, params: scrypt::Params) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let h = Scrypt::new()
        .hash_password_customized(password.as_bytes(), &salt, None, None, params)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(h.to_string())
}

/// Verifies against a scrypt or argon2id PHC string.
pub fn verify_password(password: &str, phc: &str) -> Result<PasswordCheck, PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(|_| PasswordError::Malformed)?;
    match parsed.algorithm.as_str() {
        "scrypt" => {
            let params = scrypt::Params::try_from(&parsed).map_err(|_| PasswordError::Malformed)?;
            if Scrypt::new().verify_password(password.as_bytes(), &parsed).is_err() {
                return Ok(PasswordCheck::Mismatch);
            }
            let weaker = params.log_n() < SCRYPT_LOG_N || params.r() < SCRYPT_R || params.p() < SCRYPT_P;
            Ok(if weaker { PasswordCheck::MatchNeedsRehash } else { PasswordCheck::Match })
        }
        "argon2id" | "argon2i" | "argon2d" => {
            if Argon2::default().verify_password(password.as_bytes(), &parsed).is_err() {
                return Ok(PasswordCheck::Mismatch);
            }
            // Our house algorithm is scrypt (the policy says so): move the account over.
            Ok(PasswordCheck::MatchNeedsRehash)
        }
        _ => Err(PasswordError::Malformed),
    }
}

/// A hash of a random password at the current parameters: verifying a login for an unknown
/// email against it costs what a real verification costs, so timing does not reveal accounts.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&crate::random_secret("")).expect("hash a dummy password"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use password_hash::PasswordHasher;

    #[test]
    fn scrypt_phc_with_owasp_parameters() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$scrypt$ln=17,r=8,p=1$"), "{h}");
        assert_eq!(verify_password("correct horse battery", &h).unwrap(), PasswordCheck::Match);
        assert_eq!(verify_password("wrong horse battery", &h).unwrap(), PasswordCheck::Mismatch);
        // Salted: the same password hashes differently.
        assert_ne!(h, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn weaker_scrypt_and_argon2id_verify_and_ask_for_rehash() {
        let weak = hash_with("hunter2hunter2", scrypt::Params::new(10, 8, 1).unwrap()).unwrap();
        assert_eq!(verify_password("hunter2hunter2", &weak).unwrap(), PasswordCheck::MatchNeedsRehash);
        assert_eq!(verify_password("nope", &weak).unwrap(), PasswordCheck::Mismatch);

        let argon = Argon2::default().hash_password(b"hunter2hunter2").unwrap().to_string();
        assert!(argon.starts_with("$argon2id$"));
        assert_eq!(verify_password("hunter2hunter2", &argon).unwrap(), PasswordCheck::MatchNeedsRehash);
        assert_eq!(verify_password("nope", &argon).unwrap(), PasswordCheck::Mismatch);
    }

    #[test]
    fn malformed_hashes_are_errors_not_matches() {
        assert!(verify_password("x", "plaintext").is_err());
        assert!(verify_password("x", "$md5$abc").is_err());
    }
}
