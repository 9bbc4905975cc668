//! The user's own account.

use actix_web::{HttpResponse, web};
use glimvid_proto::auth::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::rest::responses::{CurrentPassword, JsonBody, NeedsToken};
use crate::{
    rest::{
        client_ip::ClientIp,
        error::{ApiResult, Problem},
        extract::AuthUser,
        routes::auth::{TokensJson, tokens_json},
        step_up::{self, PasswordHeader},
    },
    state::SharedState,
};

/// The user's account.
#[derive(Serialize, ToSchema)]
#[schema(as = Account)]
pub struct AccountJson {
    id: String,
    email: String,
    /// The preferred language (BCP 47 tag).
    language: String,
    /// Whether the user's content is kept out of any training-data export.
    training_opt_out: bool,
    credits: i64,
    free_trials_left: i64,
    /// RFC 3339.
    created_at: String,
}

pub fn account_json(a: pb::Account) -> AccountJson {
    AccountJson {
        id: a.id,
        email: a.email,
        language: a.language,
        training_opt_out: a.training_opt_out,
        credits: a.credits,
        free_trials_left: a.free_trials_left,
        created_at: a.created_at,
    }
}

/// The account.
#[utoipa::path(
    get,
    path = "/account",
    tag = "account",
    operation_id = "getAccount",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = AccountJson),
        NeedsToken,
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get(state: web::Data<SharedState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let a = state.auth.clone().get_account(pb::GetAccountRequest { user_id: user.user_id.to_string() }).await?;
    Ok(HttpResponse::Ok().json(account_json(a.into_inner())))
}

/// The settings to change; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    /// A new email; needs `current_password` (or the `X-Glimvid-Password` header).
    email: Option<String>,
    language: Option<String>,
    training_opt_out: Option<bool>,
    /// The current password: required when `email` changes, not for the other settings.
    current_password: Option<String>,
}

/// Changes the email, the language or the training opt-out. A new email needs the current
/// password (step-up); the other settings do not.
#[utoipa::path(
    patch,
    path = "/account",
    tag = "account",
    operation_id = "updateAccount",
    security(("bearer" = [])),
    request_body = PatchBody,
    params(("X-Glimvid-Password" = Option<String>, Header, description = "The current password, instead of `current_password` in the body")),
    responses(
        (status = 200, description = "The changed account", body = AccountJson),
        JsonBody,
        NeedsToken,
        (status = 403, description = "A new email without the current password (`password_required`) or with a wrong one (`invalid_password`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new email belongs to another account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown field, a bad email or a bad language", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords for this account", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
pub async fn patch(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: ClientIp,
    password: PasswordHeader,
    body: web::Json<PatchBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    if b.email.is_some() {
        step_up::verify(&state, user, b.current_password, password, &ip).await?;
    }
    let a = state
        .auth
        .clone()
        .update_account(pb::UpdateAccountRequest {
            user_id: user.user_id.to_string(),
            email: b.email,
            language: b.language,
            training_opt_out: b.training_opt_out,
        })
        .await?;
    Ok(HttpResponse::Ok().json(account_json(a.into_inner())))
}

/// `DELETE /api/v1/account`: every row and every object of the user (the auth service's rule).
/// Needs the current password in `X-Glimvid-Password`; the account's access tokens are refused
/// from the next request on.
#[utoipa::path(
    delete,
    path = "/account",
    tag = "account",
    operation_id = "deleteAccount",
    security(("bearer" = [])),
    params(("X-Glimvid-Password" = String, Header, description = "The current password")),
    responses(
        (status = 204, description = "The account and all its content are gone"),
        NeedsToken,
        CurrentPassword,
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: ClientIp,
    password: PasswordHeader,
) -> ApiResult<HttpResponse> {
    step_up::verify(&state, user, None, password, &ip).await?;
    state.auth.clone().delete_account(pb::DeleteAccountRequest { user_id: user.user_id.to_string() }).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u64>,
}

/// A page of the usage log, as `crate::application::account::usage_page` writes it (the schema is kept here;
/// the end-to-end tests validate real pages against it).
#[derive(ToSchema)]
#[schema(as = UsagePage)]
#[allow(dead_code)]
pub struct UsagePageSchema {
    items: Vec<UsageRowSchema>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    next_cursor: Option<String>,
    /// How long rows are kept (days).
    retention_days: u32,
    summary: UsageSummarySchema,
}

/// One request of the user's, as the usage log keeps it.
#[derive(ToSchema)]
#[schema(as = UsageRow)]
#[allow(dead_code)]
pub struct UsageRowSchema {
    /// RFC 3339.
    at: String,
    ip: String,
    /// `register`, `login`, `video_created`, `export`, … (`request` for older rows).
    action: String,
    route: String,
    status: i32,
}

/// What the policy lists as usage data, over the last 30 days.
#[derive(ToSchema)]
#[schema(as = UsageSummary)]
#[allow(dead_code)]
pub struct UsageSummarySchema {
    videos_created_30d: u64,
    credits: i64,
    free_trials_left: i64,
}

/// `GET /api/v1/account/usage`: the user's usage log of the last 30 days, paged.
#[utoipa::path(
    get,
    path = "/account/usage",
    tag = "account",
    operation_id = "getUsage",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "The usage log, newest first", body = UsagePageSchema),
        NeedsToken,
        (status = 422, description = "A bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn usage(state: web::Data<SharedState>, user: AuthUser, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let limit = q.limit.unwrap_or(50);
    let limit = crate::application::page::limit(limit, 500)?;
    let page = crate::application::account::usage_page(&state, user.user_id, q.cursor.as_deref(), limit).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `GET /api/v1/account/export`: a zip of the account, its usage and every script, image and
/// video, streamed from a temporary file. Needs the current password in `X-Glimvid-Password`.
#[utoipa::path(
    get,
    path = "/account/export",
    tag = "account",
    operation_id = "exportAccount",
    security(("bearer" = [])),
    params(("X-Glimvid-Password" = String, Header, description = "The current password")),
    responses(
        (status = 200, description = "`account.json`, `usage.json` and `videos/<job>/…` (job, script, images, video)",
            content_type = "application/zip", body = Vec<u8>,
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"glimvid-export.zip\"`"))),
        NeedsToken,
        CurrentPassword,
    ),
)]
pub async fn export(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: ClientIp,
    password: PasswordHeader,
) -> ApiResult<HttpResponse> {
    step_up::verify(&state, user, None, password, &ip).await?;
    let file = crate::application::account::export_zip(&state, user.user_id).await?;
    crate::application::account::note_usage(
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

/// A partner API key (never its secret).
#[derive(Serialize, ToSchema)]
#[schema(as = ApiKey)]
pub struct ApiKeyJson {
    id: String,
    name: String,
    scopes: Vec<String>,
    /// The first characters of the secret, to tell keys apart.
    prefix: String,
    /// RFC 3339.
    created_at: String,
    /// RFC 3339; `null` while the key works.
    revoked_at: Option<String>,
    /// RFC 3339: when the key stops working; `null` = until revoked.
    expires_at: Option<String>,
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

fn api_key_json(k: pb::ApiKey) -> ApiKeyJson {
    ApiKeyJson {
        id: k.id,
        name: k.name,
        scopes: k.scopes,
        prefix: k.prefix,
        created_at: k.created_at,
        revoked_at: non_empty(k.revoked_at),
        expires_at: non_empty(k.expires_at),
    }
}

/// A new API key with its secret: the only answer that ever shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = NewApiKey)]
pub struct NewApiKeyJson {
    id: String,
    name: String,
    scopes: Vec<String>,
    prefix: String,
    created_at: String,
    revoked_at: Option<String>,
    expires_at: Option<String>,
    /// The key itself: keep it now, it is not shown again.
    secret: String,
}

/// The user's API keys.
#[derive(Serialize, ToSchema)]
#[schema(as = ApiKeyList)]
pub struct ApiKeyListJson {
    items: Vec<ApiKeyJson>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    name: String,
    scopes: Vec<String>,
    /// Days until the key stops working, 1 to 365; absent = until revoked.
    #[schema(minimum = 1, maximum = 365)]
    expires_in_days: Option<u32>,
    /// The current password (or send the `X-Glimvid-Password` header).
    current_password: Option<String>,
}

/// `POST /api/v1/account/api-keys`: the secret is in this answer only. Needs the current
/// password: a key outlives any access token, so a stolen token alone must not mint one.
#[utoipa::path(
    post,
    path = "/account/api-keys",
    tag = "account",
    operation_id = "createApiKey",
    security(("bearer" = [])),
    request_body = NewKeyBody,
    params(("X-Glimvid-Password" = Option<String>, Header, description = "The current password, instead of `current_password` in the body")),
    responses(
        (status = 201, description = "The key, with its secret", body = NewApiKeyJson),
        JsonBody,
        NeedsToken,
        CurrentPassword,
        (status = 422, description = "A bad name, an unknown scope or `expires_in_days` out of 1..=365", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_api_key(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: ClientIp,
    password: PasswordHeader,
    body: web::Json<NewKeyBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    step_up::verify(&state, user, b.current_password, password, &ip).await?;
    let r = state
        .auth
        .clone()
        .create_api_key(pb::CreateApiKeyRequest {
            user_id: user.user_id.to_string(),
            name: b.name,
            scopes: b.scopes,
            expires_in_days: b.expires_in_days,
        })
        .await?
        .into_inner();
    crate::application::account::note_usage(
        &state,
        Some(user.user_id),
        ip.0,
        glimvid_db::repo::usage::action::API_KEY_CREATED,
        "/api/v1/account/api-keys",
        201,
    )
    .await;
    let k = api_key_json(r.key.unwrap_or_default());
    let v = NewApiKeyJson {
        id: k.id,
        name: k.name,
        scopes: k.scopes,
        prefix: k.prefix,
        created_at: k.created_at,
        revoked_at: k.revoked_at,
        expires_at: k.expires_at,
        secret: r.secret,
    };
    Ok(HttpResponse::Created().insert_header((actix_web::http::header::CACHE_CONTROL, "no-store")).json(v))
}

/// `GET /api/v1/account/api-keys`: the user's keys (never their secrets).
#[utoipa::path(
    get,
    path = "/account/api-keys",
    tag = "account",
    operation_id = "listApiKeys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The keys, revoked ones included", body = ApiKeyListJson),
        NeedsToken,
    ),
)]
pub async fn list_api_keys(state: web::Data<SharedState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let r = state.auth.clone().list_api_keys(pb::ListApiKeysRequest { user_id: user.user_id.to_string() }).await?;
    let items: Vec<_> = r.into_inner().keys.into_iter().map(api_key_json).collect();
    Ok(HttpResponse::Ok().json(ApiKeyListJson { items }))
}

/// `DELETE /api/v1/account/api-keys/{id}`: revokes the key at once.
#[utoipa::path(
    delete,
    path = "/account/api-keys/{id}",
    tag = "account",
    operation_id = "revokeApiKey",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked"),
        NeedsToken,
        (status = 404, description = "No such key of this user", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn revoke_api_key(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state
        .auth
        .clone()
        .revoke_api_key(pb::RevokeApiKeyRequest { user_id: user.user_id.to_string(), key_id: id.into_inner() })
        .await?;
    crate::application::account::note_usage(
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    /// The current password (or send the `X-Glimvid-Password` header).
    #[serde(default)]
    current_password: Option<String>,
    /// Must pass the registration policy (long enough, not a common password).
    new_password: String,
    /// Also revoke every API key of the account (default `false`).
    #[serde(default)]
    revoke_api_keys: bool,
}

/// `POST /api/v1/account/password`: changes the password. Every refresh token of the account is
/// revoked and every access token issued before is refused from the next request on (with
/// `revoke_api_keys`, every API key too); the answer is a fresh token pair, the caller's only
/// session from now on.
#[utoipa::path(
    post,
    path = "/account/password",
    tag = "account",
    operation_id = "changePassword",
    security(("bearer" = [])),
    request_body = ChangePasswordBody,
    params(("X-Glimvid-Password" = Option<String>, Header, description = "The current password, instead of `current_password` in the body")),
    responses(
        (status = 200, description = "Changed; a fresh token pair (all others are revoked)", body = TokensJson),
        JsonBody,
        NeedsToken,
        CurrentPassword,
        (status = 422, description = "The new password fails the policy (`field`: `new_password`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn change_password(
    state: web::Data<SharedState>,
    user: AuthUser,
    ip: ClientIp,
    password: PasswordHeader,
    body: web::Json<ChangePasswordBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let current_password = b.current_password.filter(|p| !p.is_empty()).or(password.0).unwrap_or_default();
    let t = state
        .auth
        .clone()
        .change_password(pb::ChangePasswordRequest {
            user_id: user.user_id.to_string(),
            current_password,
            new_password: b.new_password,
            revoke_api_keys: b.revoke_api_keys,
            client_ip: ip.as_string(),
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().insert_header((actix_web::http::header::CACHE_CONTROL, "no-store")).json(tokens_json(t)))
}
