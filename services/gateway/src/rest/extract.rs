//! Typed extractors: the authenticated user, verified locally from the access token and checked
//! against the account's row (one primary-key lookup), so that a deleted account's tokens and
//! those issued before a password change are refused at once, not when they expire.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use glimvid_auth::TokenError;
use glimvid_domain::{DomainError, ErrorCode, UserId};

use crate::{rest::error::ApiError, state::SharedState};

/// A request made with a valid access token.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub user_id: UserId,
}

fn unauthenticated(msg: &str) -> ApiError {
    ApiError(DomainError::new(ErrorCode::Unauthenticated, msg))
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<SharedState>>().map(|d| d.get_ref().clone());
        let header =
            req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError(DomainError::new(ErrorCode::Internal, "state missing")))?;
            let header =
                header.ok_or_else(|| unauthenticated("an access token is required (Authorization: Bearer …)"))?;
            let token = header
                .strip_prefix("Bearer ")
                .or_else(|| header.strip_prefix("bearer "))
                .ok_or_else(|| unauthenticated("the Authorization header must be `Bearer <access token>`"))?
                .trim();
            state.refresh_keys_if_stale().await;
            let now = glimvid_db::now_ms() / 1000;
            let mut result = state.keys.read().await.verify(token, now);
            // Keys may have rotated since we last looked (throttled: key ids are the caller's).
            if result == Err(TokenError::UnknownKey) && state.refresh_keys_for_unknown_kid().await {
                result = state.keys.read().await.verify(token, now);
            }
            match result {
                Ok(claims) => {
                    // No cache: a deleted account or a changed password takes effect with the
                    // very next request.
                    match glimvid_db::repo::users::live_token_version(&state.backends.db, claims.sub.into()).await? {
                        Some(current) if claims.ver >= current => Ok(AuthUser { user_id: claims.sub.into() }),
                        Some(_) => {
                            Err(unauthenticated("the access token was revoked by a password change; log in again"))
                        }
                        None => Err(unauthenticated("the account of this access token no longer exists")),
                    }
                }
                Err(TokenError::Expired) => Err(unauthenticated("the access token has expired; refresh it")),
                Err(_) => Err(unauthenticated("the access token is not valid")),
            }
        })
    }
}
