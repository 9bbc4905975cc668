//! Registration, login and token rotation: converted and passed to the auth service.

use actix_web::{HttpResponse, web};
use glimvid_proto::auth::v1 as pb;
use serde::Deserialize;
use serde_json::json;

use crate::{client_ip::ClientIp, error::ApiResult, routes::account::account_json, state::SharedState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    email: String,
    password: String,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    age_confirmed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    refresh_token: String,
}

fn tokens_json(t: pb::TokenResponse) -> serde_json::Value {
    json!({
        "user": t.account.map(account_json),
        "access_token": t.access_token,
        "refresh_token": t.refresh_token,
        "token_type": "Bearer",
        "expires_in": t.expires_in,
    })
}

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

pub async fn refresh(state: web::Data<SharedState>, body: web::Json<RefreshBody>) -> ApiResult<HttpResponse> {
    let t = state.auth.clone().refresh(pb::RefreshRequest { refresh_token: body.into_inner().refresh_token }).await?;
    Ok(HttpResponse::Ok().json(tokens_json(t.into_inner())))
}

pub async fn logout(state: web::Data<SharedState>, body: web::Json<RefreshBody>) -> ApiResult<HttpResponse> {
    state.auth.clone().logout(pb::LogoutRequest { refresh_token: body.into_inner().refresh_token }).await?;
    Ok(HttpResponse::NoContent().finish())
}
