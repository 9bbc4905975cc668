//! Partner webhooks over REST: register a URL (the signing secret is in this answer only), list,
//! delete, and each webhook's deliveries.

use actix_web::{HttpResponse, web};
use glimvid_db::repo::webhooks::{self as repo, Delivery, Webhook};
use serde::{Deserialize, Serialize};

use crate::{error::ApiResult, extract::AuthUser, state::SharedState, view::rfc3339, webhooks};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/webhooks").route(web::post().to(create)).route(web::get().to(list)))
        .route("/webhooks/{id}", web::delete().to(delete))
        .route("/webhooks/{id}/deliveries", web::get().to(deliveries));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    url: String,
}

#[derive(Serialize)]
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

#[derive(Serialize)]
pub struct DeliveryJson {
    pub id: i64,
    pub event_id: i64,
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
        status: d.status.clone(),
        attempts: d.attempts,
        last_status_code: d.last_status_code,
        last_error: d.last_error.clone(),
        next_attempt_at: (d.status == repo::status::PENDING).then(|| rfc3339(d.next_attempt_at)),
        created_at: rfc3339(d.created_at),
        delivered_at: d.delivered_at.map(rfc3339),
    }
}

pub async fn create(state: web::Data<SharedState>, user: AuthUser, body: web::Json<CreateBody>) -> ApiResult<HttpResponse> {
    let reg = webhooks::register(&state, user.user_id, &body.url).await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(webhook_json(&reg.webhook, Some(reg.secret))))
}

pub async fn list(state: web::Data<SharedState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let hooks = webhooks::list(&state, user.user_id).await?;
    let items: Vec<_> = hooks.iter().map(|w| webhook_json(w, None)).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn delete(state: web::Data<SharedState>, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    webhooks::delete(&state, user.user_id, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    cursor: Option<String>,
    limit: Option<u64>,
}

pub async fn deliveries(
    state: web::Data<SharedState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (rows, next) =
        webhooks::deliveries(&state, user.user_id, &id, q.cursor.as_deref(), q.limit.unwrap_or(20)).await?;
    let items: Vec<_> = rows.iter().map(delivery_json).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": next })))
}
