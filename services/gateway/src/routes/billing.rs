//! `POST /api/v1/billing/webhook`: the payment provider's signed events.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::{billing, error::ApiResult, state::SharedState};

pub async fn webhook(state: web::Data<SharedState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let sig = req.headers().get(glimvid_auth::webhook::HEADER).and_then(|v| v.to_str().ok());
    let now = glimvid_db::now_ms() / 1000;
    let outcome = billing::apply_webhook(&state, sig, &body, now).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": outcome.as_str() })))
}
