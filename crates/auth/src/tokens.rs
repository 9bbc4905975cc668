//! Access tokens: compact JWS (JWT) signed with Ed25519 (`alg: EdDSA`) and a key id, so that any
//! service holding the public keys verifies them locally, and keys rotate without logging anyone
//! out. A replaced key keeps verifying until the tokens it signed have expired, then it is
//! retired: from its `not_after` on it verifies nothing, even where it is still cached.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const ISSUER: &str = "glimvid-auth";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: Uuid,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// The account's token version when the token was issued. A password change bumps the
    /// account's version, and verifiers refuse tokens of an older one. Tokens from before
    /// versions existed read as 0.
    #[serde(default)]
    pub ver: i32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("the signing key is retired")]
    Retired,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// The private half: signs with the newest key.
pub struct KeySet {
    kid: String,
    key: SigningKey,
    verifying: VerifyingKeys,
}

impl KeySet {
    /// Builds from `(kid, 32-byte seed)` pairs, newest first; the first one signs.
    pub fn from_seeds(keys: &[(String, Vec<u8>)]) -> Option<Self> {
        let (kid, seed) = keys.first()?;
        let key = SigningKey::from_bytes(&seed.as_slice().try_into().ok()?);
        let mut verifying = VerifyingKeys::default();
        for (k, s) in keys {
            let sk = SigningKey::from_bytes(&s.as_slice().try_into().ok()?);
            verifying.insert(k, &sk.verifying_key().to_bytes());
        }
        Some(Self { kid: kid.clone(), key, verifying })
    }

    /// A new random key: `(kid, seed, public key)`.
    pub fn generate() -> (String, Vec<u8>, Vec<u8>) {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let sk = SigningKey::from_bytes(&seed);
        let kid = format!("k{}", &crate::secret_hash(&B64.encode(sk.verifying_key().to_bytes()))[..12]);
        (kid, seed.to_vec(), sk.verifying_key().to_bytes().to_vec())
    }

    /// The raw public key of a 32-byte seed (`None` if it is not 32 bytes).
    pub fn public_key_of(seed: &[u8]) -> Option<Vec<u8>> {
        let seed: [u8; 32] = seed.try_into().ok()?;
        Some(SigningKey::from_bytes(&seed).verifying_key().to_bytes().to_vec())
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn verifying_keys(&self) -> &VerifyingKeys {
        &self.verifying
    }

    /// An access token for `user_id` at the account's token version `ver`.
    pub fn sign(&self, user_id: Uuid, ver: i32, now_s: i64, ttl_s: i64) -> String {
        let header = Header { alg: "EdDSA".into(), typ: "JWT".into(), kid: self.kid.clone() };
        let claims = AccessClaims { sub: user_id, iss: ISSUER.into(), iat: now_s, exp: now_s + ttl_s, ver };
        let h = B64.encode(serde_json::to_vec(&header).expect("serialize header"));
        let c = B64.encode(serde_json::to_vec(&claims).expect("serialize claims"));
        let signing_input = format!("{h}.{c}");
        let sig = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(sig.to_bytes()))
    }
}

/// The public half: what the gateway holds to verify tokens locally.
#[derive(Debug, Clone, Default)]
pub struct VerifyingKeys {
    /// Each key with the second from which it no longer verifies, if it is known yet.
    keys: HashMap<String, (VerifyingKey, Option<i64>)>,
}

impl VerifyingKeys {
    /// Adds a raw 32-byte public key that verifies until further notice; ignores malformed ones.
    pub fn insert(&mut self, kid: &str, public_key: &[u8]) {
        self.insert_until(kid, public_key, None);
    }

    /// Adds a raw 32-byte public key that verifies nothing from `not_after_s` (Unix seconds) on;
    /// ignores malformed ones.
    pub fn insert_until(&mut self, kid: &str, public_key: &[u8], not_after_s: Option<i64>) {
        if let Ok(bytes) = <[u8; 32]>::try_from(public_key)
            && let Ok(k) = VerifyingKey::from_bytes(&bytes)
        {
            self.keys.insert(kid.to_owned(), (k, not_after_s));
        }
    }

    pub fn contains(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks the key's retirement, signature, issuer and expiry. `UnknownKey` tells the caller
    /// to refresh its keys; `Retired` is final (a retired key never comes back).
    pub fn verify(&self, token: &str, now_s: i64) -> Result<AccessClaims, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(TokenError::Malformed);
        };
        let header: Header = serde_json::from_slice(&B64.decode(h).map_err(|_| TokenError::Malformed)?)
            .map_err(|_| TokenError::Malformed)?;
        if header.alg != "EdDSA" {
            return Err(TokenError::Malformed);
        }
        let (key, not_after) = self.keys.get(&header.kid).ok_or(TokenError::UnknownKey)?;
        if not_after.is_some_and(|t| now_s >= t) {
            return Err(TokenError::Retired);
        }
        let sig_bytes: [u8; 64] =
            B64.decode(s).map_err(|_| TokenError::Malformed)?.try_into().map_err(|_| TokenError::Malformed)?;
        key.verify(format!("{h}.{c}").as_bytes(), &Signature::from_bytes(&sig_bytes))
            .map_err(|_| TokenError::BadSignature)?;
        let claims: AccessClaims = serde_json::from_slice(&B64.decode(c).map_err(|_| TokenError::Malformed)?)
            .map_err(|_| TokenError::Malformed)?;
        if claims.iss != ISSUER {
            return Err(TokenError::BadSignature);
        }
        if claims.exp <= now_s {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyset() -> (KeySet, String) {
        let (kid, seed, _) = KeySet::generate();
        (KeySet::from_seeds(&[(kid.clone(), seed)]).unwrap(), kid)
    }

    #[test]
    fn sign_and_verify() {
        let (ks, kid) = keyset();
        let user = Uuid::now_v7();
        let t = ks.sign(user, 3, 1000, 900);
        let claims = ks.verifying_keys().verify(&t, 1001).unwrap();
        assert_eq!(claims.sub, user);
        assert_eq!(claims.ver, 3, "the token carries the account's version");
        assert_eq!(claims.exp, 1900);
        assert_eq!(ks.kid(), kid);
        assert_eq!(ks.verifying_keys().verify(&t, 1900), Err(TokenError::Expired));
    }

    #[test]
    fn tampering_and_foreign_keys_are_refused() {
        let (ks, _) = keyset();
        let (other, _) = keyset();
        let t = ks.sign(Uuid::now_v7(), 0, 1000, 900);
        assert_eq!(other.verifying_keys().verify(&t, 1001), Err(TokenError::UnknownKey));
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged_claims = B64.encode(
            serde_json::to_vec(&AccessClaims { sub: Uuid::nil(), iss: ISSUER.into(), iat: 0, exp: i64::MAX, ver: 0 })
                .unwrap(),
        );
        parts[1] = &forged_claims;
        assert_eq!(ks.verifying_keys().verify(&parts.join("."), 1001), Err(TokenError::BadSignature));
        assert_eq!(ks.verifying_keys().verify("a.b", 0), Err(TokenError::Malformed));
    }

    #[test]
    fn rotation_keeps_old_tokens_valid() {
        let (k1, s1, _) = KeySet::generate();
        let old = KeySet::from_seeds(&[(k1.clone(), s1.clone())]).unwrap();
        let t = old.sign(Uuid::now_v7(), 0, 1000, 900);
        let (k2, s2, _) = KeySet::generate();
        let rotated = KeySet::from_seeds(&[(k2.clone(), s2), (k1, s1)]).unwrap();
        assert_eq!(rotated.kid(), k2);
        assert!(rotated.verifying_keys().verify(&t, 1001).is_ok());
    }

    #[test]
    fn a_retired_key_verifies_nothing_even_while_cached() {
        let (k1, s1, p1) = KeySet::generate();
        let old = KeySet::from_seeds(&[(k1.clone(), s1)]).unwrap();
        // A token that would still be valid long after its key's retirement (a leaked seed).
        let t = old.sign(Uuid::now_v7(), 0, 1000, 100_000);
        let mut keys = VerifyingKeys::default();
        keys.insert_until(&k1, &p1, Some(2000));
        assert!(keys.verify(&t, 1999).is_ok());
        assert_eq!(keys.verify(&t, 2000), Err(TokenError::Retired));
        assert_eq!(keys.verify(&t, 5000), Err(TokenError::Retired));
        // Without a retirement it would have passed.
        keys.insert(&k1, &p1);
        assert!(keys.verify(&t, 5000).is_ok());
    }
}
