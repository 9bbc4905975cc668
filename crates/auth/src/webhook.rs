//! Signed webhooks (docs/partner-api.md): `Glimvid-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256(secret, "<t>.<raw body>")>`. Used to check the payment provider's events and to
//! sign the events Glimvid sends to partners.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const HEADER: &str = "Glimvid-Signature";
/// How old (or how far in the future) a signature's timestamp may be.
pub const TOLERANCE_S: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("the signature does not match")]
    Mismatch,
}

fn mac(secret: &[u8], t: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The header value for `body` signed at `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body).finalize().into_bytes()))
}

/// Checks `header` against `body` at `now` (unix seconds). Several `v1=` values are allowed
/// (secret rotation): any match passes. The comparison is constant-time.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut t: Option<i64> = None;
    let mut sigs: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", v)) => sigs.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if sigs.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > TOLERANCE_S {
        return Err(SignatureError::Stale);
    }
    let expected = mac(secret, t, body).finalize().into_bytes();
    let ok = sigs.iter().fold(0u8, |acc, s| acc | u8::from(bool::from(expected[..].ct_eq(s))));
    if ok == 1 { Ok(()) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_fail_for_the_right_reasons() {
        let body = br#"{"id":"evt_1"}"#;
        let h = sign(b"whsec", 1_700_000_000, body);
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(verify(b"whsec", &h, body, 1_700_000_100), Ok(()));
        assert_eq!(verify(b"other", &h, body, 1_700_000_100), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"whsec", &h, b"{}", 1_700_000_100), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"whsec", &h, body, 1_700_000_301), Err(SignatureError::Stale));
        assert_eq!(verify(b"whsec", &h, body, 1_699_999_699), Err(SignatureError::Stale));
        assert_eq!(verify(b"whsec", "v1=00", body, 1_700_000_000), Err(SignatureError::Malformed));
        assert_eq!(verify(b"whsec", "t=1700000000", body, 1_700_000_000), Err(SignatureError::Malformed));
        // A rotated secret: either signature passes.
        let two = format!("{h},v1={}", "ab".repeat(32));
        assert_eq!(verify(b"whsec", &two, body, 1_700_000_000), Ok(()));
    }
}
