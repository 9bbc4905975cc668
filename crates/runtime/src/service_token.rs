//! Proof that a gRPC caller is one of our own processes. The internal services (auth, script,
//! enhance) answer only calls that carry a short-lived service token signed with the
//! deployment's internal secret (`GLIMVID_INTERNAL_SECRET`):
//!
//! `authorization: Bearer gvs1.<caller>.<expiry unix seconds>.<hex HMAC-SHA256(secret, "gvs1.<caller>.<expiry>")>`
//!
//! Tokens live five minutes, are minted per call from the shared secret (no clock-free replay
//! beyond that), and are compared in constant time. A caller without the secret — anyone who
//! reaches the port from outside — gets `UNAUTHENTICATED` before the request is decoded.

use std::{
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tonic::{Request, Status, metadata::MetadataValue, service::Interceptor};

const SCHEME: &str = "gvs1";
/// How long a minted token is valid.
const LIFETIME: Duration = Duration::from_secs(300);
/// Tolerated clock difference between processes.
const SKEW: Duration = Duration::from_secs(60);

/// The deployment's internal secret. Debug never shows it.
#[derive(Clone)]
pub struct ServiceKey {
    secret: Vec<u8>,
}

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceKey([redacted])")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ServiceTokenError {
    #[error("no service token")]
    Missing,
    #[error("the service token is malformed")]
    Malformed,
    #[error("the service token's signature does not match")]
    Signature,
    #[error("the service token has expired")]
    Expired,
}

/// A configured internal secret too short to be safe from guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be at least {min} characters (for example `openssl rand -base64 32`)", min = ServiceKey::MIN_SECRET)]
pub struct WeakSecret;

impl ServiceKey {
    /// The shortest secret accepted, in bytes.
    pub const MIN_SECRET: usize = 32;

    /// A configured secret; at least [`Self::MIN_SECRET`] bytes, so that it cannot be guessed.
    pub fn new(secret: &str) -> Result<Self, WeakSecret> {
        if secret.len() < Self::MIN_SECRET {
            return Err(WeakSecret);
        }
        Ok(Self { secret: secret.as_bytes().to_vec() })
    }

    /// A fresh random secret, for a process whose internal services only it calls (`glimvid up`).
    pub fn random() -> Self {
        use rand::RngCore;
        let mut b = vec![0u8; 32];
        rand::rng().fill_bytes(&mut b);
        Self { secret: b }
    }

    fn mac(&self, body: &str) -> Hmac<Sha256> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        m.update(body.as_bytes());
        m
    }

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }

    /// A token for `caller` (a service name: letters, digits, `-`), valid for five minutes.
    pub fn mint(&self, caller: &str) -> String {
        self.mint_at(caller, Self::now())
    }

    fn mint_at(&self, caller: &str, now: u64) -> String {
        let body = format!("{SCHEME}.{caller}.{}", now + LIFETIME.as_secs());
        let sig = hex::encode(self.mac(&body).finalize().into_bytes());
        format!("{body}.{sig}")
    }

    /// The caller named by a valid token.
    pub fn verify(&self, token: &str) -> Result<String, ServiceTokenError> {
        self.verify_at(token, Self::now())
    }

    fn verify_at(&self, token: &str, now: u64) -> Result<String, ServiceTokenError> {
        let (body, sig) = token.rsplit_once('.').ok_or(ServiceTokenError::Malformed)?;
        let mut parts = body.splitn(3, '.');
        let (Some(SCHEME), Some(caller), Some(exp)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ServiceTokenError::Malformed);
        };
        let exp: u64 = exp.parse().map_err(|_| ServiceTokenError::Malformed)?;
        let sig = hex::decode(sig).map_err(|_| ServiceTokenError::Malformed)?;
        // Constant-time comparison of the signature.
        self.mac(body).verify_slice(&sig).map_err(|_| ServiceTokenError::Signature)?;
        if exp + SKEW.as_secs() < now || exp > now + LIFETIME.as_secs() + SKEW.as_secs() {
            return Err(ServiceTokenError::Expired);
        }
        Ok(caller.to_owned())
    }
}

/// Server side: refuses every call without a valid service token, before its body is read.
#[derive(Clone, Debug)]
pub struct RequireServiceToken(pub ServiceKey);

impl Interceptor for RequireServiceToken {
    fn call(&mut self, req: Request<()>) -> Result<Request<()>, Status> {
        let token = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ServiceTokenError::Missing);
        match token.and_then(|t| self.0.verify(t.trim())) {
            Ok(_) => Ok(req),
            Err(e) => {
                tracing::warn!(reason = %e, "internal gRPC call refused");
                Err(Status::unauthenticated(
                    "this service is internal: calls need a service token signed with the deployment's secret",
                ))
            }
        }
    }
}

/// Client side: adds a fresh service token for `caller` to every call.
#[derive(Clone, Debug)]
pub struct AttachServiceToken {
    pub key: ServiceKey,
    pub caller: &'static str,
}

impl AttachServiceToken {
    /// Adds the token to a request's metadata (for clients that chain interceptors).
    pub fn attach<T>(&self, req: &mut Request<T>) {
        if let Ok(v) = MetadataValue::try_from(format!("Bearer {}", self.key.mint(self.caller))) {
            req.metadata_mut().insert("authorization", v);
        }
    }
}

impl Interceptor for AttachServiceToken {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        self.attach(&mut req);
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> ServiceKey {
        ServiceKey::new(&s.repeat(32)).unwrap()
    }

    #[test]
    fn a_minted_token_verifies_and_names_its_caller() {
        let k = key("a");
        assert_eq!(k.verify(&k.mint("gateway")).unwrap(), "gateway");
    }

    #[test]
    fn another_secret_a_changed_caller_or_garbage_is_refused() {
        let (a, b) = (key("a"), key("b"));
        let t = a.mint("gateway");
        assert_eq!(b.verify(&t), Err(ServiceTokenError::Signature));
        let forged = t.replacen("gateway", "partner", 1);
        assert_eq!(a.verify(&forged), Err(ServiceTokenError::Signature));
        for bad in ["", "gvs1", "gvs1.x.1", "gvs1.x.y.zz", "gvs2.x.1.00", "gv_live_abc"] {
            assert!(a.verify(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_expire_and_cannot_be_minted_for_far_ahead() {
        let k = key("a");
        let t = k.mint_at("gateway", 1_000_000);
        assert!(k.verify_at(&t, 1_000_000).is_ok());
        assert!(k.verify_at(&t, 1_000_000 + 300 + 60).is_ok());
        assert_eq!(k.verify_at(&t, 1_000_000 + 300 + 61), Err(ServiceTokenError::Expired));
        // A token whose expiry is further away than any minted one is refused.
        let far = k.mint_at("gateway", 2_000_000);
        assert_eq!(k.verify_at(&far, 1_000_000), Err(ServiceTokenError::Expired));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(ServiceKey::new("short").unwrap_err(), WeakSecret);
        assert!(format!("{:?}", key("s")).contains("redacted"));
    }

    #[test]
    fn the_interceptors_agree() {
        let k = key("a");
        let mut req = Request::new(());
        AttachServiceToken { key: k.clone(), caller: "gateway" }.attach(&mut req);
        assert!(RequireServiceToken(k).call(req).is_ok());
        let err = RequireServiceToken(key("b")).call(Request::new(())).unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
    }
}
