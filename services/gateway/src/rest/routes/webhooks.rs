//! Partner webhooks over REST: register a URL (the signing secret is in this answer only), list,
//! delete, and each webhook's deliveries.

use actix_web::{HttpResponse, web};
use glimvid_db::repo::webhooks::{self as repo, Delivery, Webhook};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::rest::responses::{JsonBody, NeedsToken};
use crate::{
    application::{view::rfc3339, webhooks},
    rest::{
        error::{ApiResult, Problem},
        extract::AuthUser,
        openapi::op,
    },
    state::SharedState,
};

/// The webhook routes, relative to `/api/v1`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(op(__path_create, create).and(__path_list, list))
        .service(op(__path_delete, delete))
        .service(op(__path_deliveries, deliveries));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WebhookRegistration)]
pub struct CreateBody {
    /// Where to POST the events: http or https, no credentials, no fragment.
    url: String,
}

/// A registered receiver.
#[derive(Serialize, ToSchema)]
#[schema(as = Webhook)]
pub struct WebhookJson {
    pub id: String,
    pub url: String,
    pub created_at: String,
    /// Only in the answer to the registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn webhook_json(w: &Webhook, secret: Option<String>) -> WebhookJson {
    WebhookJson { id: w.id.to_string(), url: w.url.clone(), created_at: rfc3339(w.created_at), secret }
}

/// The webhooks of the account.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookList)]
pub struct WebhookListJson {
    pub items: Vec<WebhookJson>,
}

/// One event's delivery to one webhook.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookDelivery)]
pub struct DeliveryJson {
    pub id: i64,
    /// The job event's id (also `Glimvid-Event-Id` and `id` in the body sent).
    pub event_id: i64,
    /// `pending` (will be retried), `delivered`, or `failed` (given up after a day).
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

fn delivery_json(d: &Delivery) -> DeliveryJson {
    DeliveryJson {
        id: d.id,
        event_id: d.event_id,
        status: d.status.to_string(),
        attempts: d.attempts,
        last_status_code: d.last_status_code,
        last_error: d.last_error.clone(),
        next_attempt_at: (d.status == repo::status::PENDING).then(|| rfc3339(d.next_attempt_at)),
        created_at: rfc3339(d.created_at),
        delivered_at: d.delivered_at.map(rfc3339),
    }
}

/// A page of deliveries, newest first.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookDeliveryPage)]
pub struct DeliveryPageJson {
    pub items: Vec<DeliveryJson>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "webhooks",
    operation_id = "createWebhook",
    security(("bearer" = [])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "Registered: the webhook with its signing `secret`, shown only here", body = WebhookJson),
        JsonBody,
        NeedsToken,
        (status = 409, description = "The account has the most webhooks it may have", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an http(s) URL, or one with credentials or a fragment", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    state: web::Data<SharedState>,
    user: AuthUser,
    body: web::Json<CreateBody>,
) -> ApiResult<HttpResponse> {
    let reg = webhooks::register(&state, user.user_id, &body.url).await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(webhook_json(&reg.webhook, Some(reg.secret))))
}

#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "webhooks",
    operation_id = "listWebhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account's webhooks (without their secrets)", body = WebhookListJson),
        NeedsToken,
    ),
)]
pub async fn list(state: web::Data<SharedState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let hooks = webhooks::list(&state, user.user_id).await?;
    Ok(HttpResponse::Ok().json(WebhookListJson { items: hooks.iter().map(|w| webhook_json(w, None)).collect() }))
}

#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    tag = "webhooks",
    operation_id = "deleteWebhook",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Removed; its pending deliveries are not sent"),
        NeedsToken,
        (status = 404, description = "No such webhook of yours", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete(state: web::Data<SharedState>, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    webhooks::delete(&state, user.user_id, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1 to 100 (default 20).
    limit: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    tag = "webhooks",
    operation_id = "listWebhookDeliveries",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The webhook's id"), PageQuery),
    responses(
        (status = 200, description = "The webhook's deliveries, newest first", body = DeliveryPageJson),
        NeedsToken,
        (status = 404, description = "No such webhook of yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn deliveries(
    state: web::Data<SharedState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (rows, next) = webhooks::deliveries(
        &state,
        user.user_id,
        &id,
        q.cursor.as_deref(),
        q.limit.unwrap_or(crate::application::page::DEFAULT_SIZE),
    )
    .await?;
    Ok(HttpResponse::Ok().json(DeliveryPageJson { items: rows.iter().map(delivery_json).collect(), next_cursor: next }))
}
