//! Step-up on REST: the current password that creating an API key, changing the email,
//! exporting and deleting the account need on top of the access token, so that a stolen token
//! (it lives in the browser's storage) cannot turn into a lasting key, a taken-over account or
//! a copy of everything. The check itself (and the cap on wrong guesses) is the auth service's
//! `VerifyPassword`; here the password is only found and passed on.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use glimvid_proto::auth::v1 as pb;

use crate::{
    rest::{client_ip::ClientIp, error::ApiError, extract::AuthUser},
    state::GatewayState,
};

/// The header that carries the current password where there is no JSON body (`GET` export,
/// `DELETE` account); it works on every step-up route.
pub const PASSWORD_HEADER: &str = "x-glimvid-password";

/// The current password from [`PASSWORD_HEADER`], if sent. Raw bytes as UTF-8, so a password
/// beyond ASCII works too; never logged.
#[derive(Default)]
pub struct PasswordHeader(pub Option<String>);

impl std::fmt::Debug for PasswordHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "PasswordHeader(<redacted>)" } else { "PasswordHeader(None)" })
    }
}

impl FromRequest for PasswordHeader {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let v = req.headers().get(PASSWORD_HEADER).and_then(|v| String::from_utf8(v.as_bytes().to_vec()).ok());
        ready(Ok(Self(v.filter(|p| !p.is_empty()))))
    }
}

/// Asks the auth service whether `password` (the body's `current_password`, else the header's)
/// is the account's: `password_required` / `invalid_password` (403) or `rate_limited` (429 with
/// `Retry-After`) when not. Callers run it before they change or read anything.
pub async fn verify(
    state: &GatewayState,
    user: AuthUser,
    body_password: Option<String>,
    header: PasswordHeader,
    ip: &ClientIp,
) -> Result<(), ApiError> {
    let password = body_password.filter(|p| !p.is_empty()).or(header.0).unwrap_or_default();
    state
        .auth
        .clone()
        .verify_password(pb::VerifyPasswordRequest {
            user_id: user.user_id.to_string(),
            password,
            client_ip: ip.as_string(),
        })
        .await?;
    Ok(())
}
