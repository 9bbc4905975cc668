//! `POST /api/v1/billing/webhook`: the payment provider's signed events.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    application::billing,
    rest::error::{ApiResult, Problem},
    state::SharedState,
};

/// What became of the event.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookOutcome)]
pub struct OutcomeJson {
    /// `granted` (credits added), `duplicate` (event id seen before) or `ignored`.
    status: &'static str,
}

/// The payment provider's signed event. The body is checked byte for byte against the
/// signature, so it is taken as sent.
#[utoipa::path(
    post,
    path = "/billing/webhook",
    tag = "billing",
    operation_id = "billingWebhook",
    params(("Glimvid-Signature" = String, Header,
        description = "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>`; 300 s tolerance")),
    request_body(content = Object, content_type = "application/json", description = "The provider's event"),
    responses(
        (status = 200, description = "Applied, or recognised as a duplicate", body = OutcomeJson),
        (status = 400, description = "No signature, or the event cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A stale or wrong signature", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The event does not fit", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No webhook secret is configured, or the database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn webhook(state: web::Data<SharedState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let sig = req.headers().get(glimvid_auth::webhook::HEADER).and_then(|v| v.to_str().ok());
    let now = glimvid_db::now_ms() / 1000;
    let outcome = billing::apply_webhook(&state, sig, &body, now).await?;
    Ok(HttpResponse::Ok().json(OutcomeJson { status: outcome.as_str() }))
}
