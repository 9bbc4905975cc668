//! The user's own account.

use actix_web::{HttpResponse, web};
use glimvid_proto::auth::v1 as pb;
use serde::Deserialize;
use serde_json::json;

use crate::{error::ApiResult, extract::AuthUser, state::SharedState};

pub fn account_json(a: pb::Account) -> serde_json::Value {
    json!({
        "id": a.id,
        "email": a.email,
        "language": a.language,
        "training_opt_out": a.training_opt_out,
        "credits": a.credits,
        "free_trials_left": a.free_trials_left,
        "created_at": a.created_at,
    })
}

pub async fn get(state: web::Data<SharedState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let a = state.auth.clone().get_account(pb::GetAccountRequest { user_id: user.user_id.to_string() }).await?;
    Ok(HttpResponse::Ok().json(account_json(a.into_inner())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    language: Option<String>,
    training_opt_out: Option<bool>,
}

pub async fn patch(
    state: web::Data<SharedState>,
    user: AuthUser,
    body: web::Json<PatchBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let a = state
        .auth
        .clone()
        .update_account(pb::UpdateAccountRequest {
            user_id: user.user_id.to_string(),
            language: b.language,
            training_opt_out: b.training_opt_out,
        })
        .await?;
    Ok(HttpResponse::Ok().json(account_json(a.into_inner())))
}

/// `DELETE /api/v1/account`: every row and every object of the user (the auth service's rule).
pub async fn delete(state: web::Data<SharedState>, user: AuthUser) -> ApiResult<HttpResponse> {
    state.auth.clone().delete_account(pb::DeleteAccountRequest { user_id: user.user_id.to_string() }).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    cursor: Option<String>,
    limit: Option<u64>,
}

/// `GET /api/v1/account/usage`: the user's usage log of the last 30 days, paged.
pub async fn usage(state: web::Data<SharedState>, user: AuthUser, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(glimvid_domain::DomainError::invalid("limit", "limit must be 1 to 500").into());
    }
    let page = crate::account::usage_page(&state, user.user_id, q.cursor.as_deref(), limit).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `GET /api/v1/account/export`: a zip of the account, its usage and every script, image and
/// video, streamed from a temporary file.
pub async fn export(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: crate::client_ip::ClientIp,
) -> ApiResult<HttpResponse> {
    let file = crate::account::export_zip(&state, user.user_id).await?;
    crate::account::note_usage(
        &state,
        Some(user.user_id),
        ip.0,
        glimvid_db::repo::usage::action::EXPORT,
        "/api/v1/account/export",
        200,
    )
    .await;
    let len = file.metadata().map(|m| m.len()).ok();
    let file = tokio::fs::File::from_std(file);
    let stream = futures::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, actix_web::Error>(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(actix_web::error::ErrorInternalServerError(e)), f)),
        }
    });
    let mut resp = HttpResponse::Ok();
    resp.content_type("application/zip")
        .insert_header(("Content-Disposition", "attachment; filename=\"glimvid-export.zip\""))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"));
    if let Some(len) = len {
        resp.no_chunking(len);
    }
    Ok(resp.streaming(stream))
}

fn api_key_json(k: pb::ApiKey) -> serde_json::Value {
    json!({
        "id": k.id,
        "name": k.name,
        "scopes": k.scopes,
        "prefix": k.prefix,
        "created_at": k.created_at,
        "revoked_at": if k.revoked_at.is_empty() { None } else { Some(k.revoked_at) },
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    name: String,
    scopes: Vec<String>,
}

/// `POST /api/v1/account/api-keys`: the secret is in this answer only.
pub async fn create_api_key(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: crate::client_ip::ClientIp,
    body: web::Json<NewKeyBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let r = state
        .auth
        .clone()
        .create_api_key(pb::CreateApiKeyRequest { user_id: user.user_id.to_string(), name: b.name, scopes: b.scopes })
        .await?
        .into_inner();
    crate::account::note_usage(
        &state,
        Some(user.user_id),
        ip.0,
        glimvid_db::repo::usage::action::API_KEY_CREATED,
        "/api/v1/account/api-keys",
        201,
    )
    .await;
    let mut v = r.key.map(api_key_json).unwrap_or_else(|| json!({}));
    v["secret"] = json!(r.secret);
    Ok(HttpResponse::Created().insert_header((actix_web::http::header::CACHE_CONTROL, "no-store")).json(v))
}

/// `GET /api/v1/account/api-keys`: the user's keys (never their secrets).
pub async fn list_api_keys(state: web::Data<SharedState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let r = state.auth.clone().list_api_keys(pb::ListApiKeysRequest { user_id: user.user_id.to_string() }).await?;
    let items: Vec<_> = r.into_inner().keys.into_iter().map(api_key_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `DELETE /api/v1/account/api-keys/{id}`: revokes the key at once.
pub async fn revoke_api_key(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: crate::client_ip::ClientIp,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state
        .auth
        .clone()
        .revoke_api_key(pb::RevokeApiKeyRequest { user_id: user.user_id.to_string(), key_id: id.into_inner() })
        .await?;
    crate::account::note_usage(
        &state,
        Some(user.user_id),
        ip.0,
        glimvid_db::repo::usage::action::API_KEY_REVOKED,
        "/api/v1/account/api-keys/{id}",
        204,
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}
