//! The payment provider's webhook: a signed event (docs/rest-api.md, account endpoints) that grants purchased
//! credits, once per event id. One application function, [`apply_webhook`], for any edge.

use glimvid_auth::webhook::{self, SignatureError};
use glimvid_db::repo::billing::{self, PurchaseOutcome};
use glimvid_domain::{DomainError, ErrorCode, UserId};
use serde::Deserialize;
use uuid::Uuid;

use crate::{error::ApiError, state::GatewayState};

/// The event types that grant credits.
pub const PURCHASE_EVENTS: &[&str] = &["credits.purchased", "checkout.completed"];

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: EventData,
}

#[derive(Deserialize, Default)]
struct EventData {
    user_id: Option<String>,
    credits: Option<i64>,
}

/// What the webhook did with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    Granted {
        user_id: UserId,
        credits: i64,
    },
    /// Seen before: nothing changed.
    Duplicate,
    /// Validly signed but not for us (another event type, an account that no longer exists).
    Ignored(&'static str),
}

impl WebhookOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Granted { .. } => "granted",
            Self::Duplicate => "duplicate",
            Self::Ignored(_) => "ignored",
        }
    }
}

/// Checks the signature of `body` (raw bytes, as received) at `now_s` and applies the event.
pub async fn apply_webhook(
    state: &GatewayState,
    signature: Option<&str>,
    body: &[u8],
    now_s: i64,
) -> Result<WebhookOutcome, ApiError> {
    let Some(secret) = state.settings.accounts.billing_webhook_secret.as_ref() else {
        return Err(DomainError::new(ErrorCode::Unavailable, "the billing webhook is not configured").into());
    };
    let header = signature
        .ok_or_else(|| DomainError::new(ErrorCode::MalformedRequest, "the Glimvid-Signature header is missing"))?;
    webhook::verify(secret.expose().as_bytes(), header, body, now_s).map_err(|e| match e {
        SignatureError::Malformed => DomainError::new(ErrorCode::MalformedRequest, e.to_string()),
        SignatureError::Stale | SignatureError::Mismatch => DomainError::new(ErrorCode::Unauthenticated, e.to_string()),
    })?;
    let ev: Event = serde_json::from_slice(body)
        .map_err(|e| DomainError::new(ErrorCode::MalformedRequest, format!("the event is not valid JSON: {e}")))?;
    if ev.id.is_empty() || ev.id.len() > 200 {
        return Err(DomainError::invalid("id", "the event id must be 1–200 characters").into());
    }
    if !PURCHASE_EVENTS.contains(&ev.kind.as_str()) {
        return Ok(WebhookOutcome::Ignored("event type"));
    }
    let user_id = ev
        .data
        .user_id
        .as_deref()
        .and_then(|u| Uuid::parse_str(u).ok().map(UserId::from))
        .ok_or_else(|| DomainError::invalid("data.user_id", "a purchase names the account (user_id)"))?;
    let credits = ev
        .data
        .credits
        .filter(|c| (1..=1_000_000).contains(c))
        .ok_or_else(|| DomainError::invalid("data.credits", "a purchase grants a positive number of credits"))?;
    match billing::apply_purchase(&state.backends.db, &ev.id, user_id, credits).await {
        Ok(PurchaseOutcome::Granted) => {
            tracing::info!(event_id = %ev.id, %user_id, credits, "credits purchased");
            Ok(WebhookOutcome::Granted { user_id, credits })
        }
        Ok(PurchaseOutcome::Duplicate) => Ok(WebhookOutcome::Duplicate),
        Err(glimvid_db::DbError::NotFound(_)) => Ok(WebhookOutcome::Ignored("unknown account")),
        Err(e) => Err(e.into()),
    }
}
