//! Registration, login and token rotation: converted and passed to the auth service.

use actix_web::{HttpResponse, web};
use glimvid_proto::auth::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::rest::responses::JsonBody;
use crate::{
    rest::{
        client_ip::ClientIp,
        error::{ApiResult, Problem},
        routes::account::{AccountJson, account_json},
    },
    state::SharedState,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    email: String,
    /// Must pass the password policy (long enough, not a common password).
    password: String,
    /// The preferred language (BCP 47 tag, e.g. `en`, `de`).
    #[serde(default)]
    language: Option<String>,
    /// Must be `true`: the user confirms being 16 or over.
    #[serde(default)]
    age_confirmed: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    refresh_token: String,
}

/// A fresh token pair and the account it belongs to.
#[derive(Serialize, ToSchema)]
#[schema(as = Tokens)]
pub struct TokensJson {
    user: Option<AccountJson>,
    /// Send as `Authorization: Bearer <access_token>`.
    access_token: String,
    /// Trade for a new pair at `/api/v1/auth/refresh`; each works once.
    refresh_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: i64,
}

pub(crate) fn tokens_json(t: pb::TokenResponse) -> TokensJson {
    TokensJson {
        user: t.account.map(account_json),
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        token_type: "Bearer",
        expires_in: t.expires_in,
    }
}

/// Creates an account; the answer logs it in.
#[utoipa::path(
    post,
    path = "/register",
    tag = "auth",
    operation_id = "register",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "The account exists and is logged in", body = TokensJson,
            headers(("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64), ("RateLimit-Policy" = String))),
        JsonBody,
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad email, weak password, or age not confirmed", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this address", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"),
                ("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64), ("RateLimit-Policy" = String))),
    ),
)]
pub async fn register(
    state: web::Data<SharedState>,
    ip: ClientIp,
    body: web::Json<RegisterBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let t = state
        .auth
        .clone()
        .register(pb::RegisterRequest {
            email: b.email,
            password: b.password,
            language: b.language.unwrap_or_default(),
            age_confirmed: b.age_confirmed,
            client_ip: ip.as_string(),
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Created().json(tokens_json(t)))
}

/// Trades email and password for a token pair.
#[utoipa::path(
    post,
    path = "/login",
    tag = "auth",
    operation_id = "login",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in", body = TokensJson,
            headers(("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64), ("RateLimit-Policy" = String))),
        JsonBody,
        (status = 401, description = "Unknown email or wrong password (the same answer for both)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body does not fit", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many logins from this address", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"),
                ("RateLimit-Limit" = u64), ("RateLimit-Remaining" = u64), ("RateLimit-Reset" = u64), ("RateLimit-Policy" = String))),
    ),
)]
pub async fn login(state: web::Data<SharedState>, ip: ClientIp, body: web::Json<LoginBody>) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let t = state
        .auth
        .clone()
        .login(pb::LoginRequest { email: b.email, password: b.password, client_ip: ip.as_string() })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(tokens_json(t)))
}

/// Rotates the token pair: the old refresh token stops working (reusing it revokes the family).
#[utoipa::path(
    post,
    path = "/refresh",
    tag = "auth",
    operation_id = "refresh",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "A new pair", body = TokensJson),
        JsonBody,
        (status = 401, description = "The refresh token is unknown, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body does not fit", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn refresh(state: web::Data<SharedState>, body: web::Json<RefreshBody>) -> ApiResult<HttpResponse> {
    let t = state.auth.clone().refresh(pb::RefreshRequest { refresh_token: body.into_inner().refresh_token }).await?;
    Ok(HttpResponse::Ok().json(tokens_json(t.into_inner())))
}

/// Ends the session of the refresh token.
#[utoipa::path(
    post,
    path = "/logout",
    tag = "auth",
    operation_id = "logout",
    request_body = RefreshBody,
    responses(
        (status = 204, description = "Logged out"),
        JsonBody,
        (status = 401, description = "The refresh token is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body does not fit", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn logout(state: web::Data<SharedState>, body: web::Json<RefreshBody>) -> ApiResult<HttpResponse> {
    state.auth.clone().logout(pb::LogoutRequest { refresh_token: body.into_inner().refresh_token }).await?;
    Ok(HttpResponse::NoContent().finish())
}
