//! Partner webhooks as the account manages them (REST and gRPC both call these): registering a
//! receiver URL, listing and deleting webhooks, and reading a webhook's deliveries. The
//! dispatcher that posts the deliveries is [`crate::background::webhooks`].
//!
//! Receivers must be public addresses ([`crate::background::webhooks::target`]), checked at
//! registration and again on every connection. Signing secrets are sealed at rest
//! (`webhook:<id>`).

use glimvid_db::repo::webhooks::{self as repo, Delivery, Webhook};
use glimvid_domain::{DomainError, ErrorCode, UserId, WebhookId};
use rand::Rng;
use uuid::Uuid;

use crate::{application::error::AppError, background::webhooks::DNS_TIMEOUT, state::GatewayState};

/// Webhooks an account may register.
pub const MAX_WEBHOOKS: usize = 10;

/// A new webhook and its secret (shown once).
pub struct Registered {
    pub webhook: Webhook,
    pub secret: String,
}

/// Checks a receiver URL: http or https, a host, no credentials or fragment, at most 2 KB.
pub fn parse_url(url: &str) -> Result<String, DomainError> {
    let bad = |m: &str| DomainError::invalid("url", m.to_owned());
    let url = url.trim();
    if url.len() > 2048 {
        return Err(bad("the URL is longer than 2048 characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&format!("not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(bad("the URL must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("the URL has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("the URL must not carry credentials; use the signature to authenticate us"));
    }
    if parsed.fragment().is_some() {
        return Err(bad("the URL must not have a fragment"));
    }
    Ok(parsed.to_string())
}

/// The place a webhook's sealed secret belongs to.
pub(crate) fn secret_context(id: WebhookId) -> String {
    format!("webhook:{id}")
}

/// Registers `url` for the account's job events from now on and makes its signing secret.
/// The URL must lead to public addresses only.
pub async fn register(state: &GatewayState, user_id: UserId, url: &str) -> Result<Registered, AppError> {
    let url = parse_url(url)?;
    let parsed = reqwest::Url::parse(&url).map_err(|_| DomainError::invalid("url", "not a valid URL"))?;
    state.settings.webhooks.policy.check_url(&parsed, DNS_TIMEOUT).await?;
    let db = &state.backends.db;
    if repo::list(db, user_id).await?.len() >= MAX_WEBHOOKS {
        return Err(DomainError::new(
            ErrorCode::FailedPrecondition,
            format!("an account has at most {MAX_WEBHOOKS} webhooks; delete one first"),
        )
        .into());
    }
    let mut raw = [0u8; 24];
    rand::rng().fill(&mut raw);
    let secret = format!("whsec_{}", hex::encode(raw));
    let id = WebhookId::from(Uuid::new_v4());
    let sealed = state.backends.sealer.seal(secret.as_bytes(), &secret_context(id));
    let webhook = repo::create(db, id, user_id, &url, &sealed, glimvid_db::now_ms()).await?;
    tracing::info!(webhook_id = %webhook.id, "webhook registered");
    Ok(Registered { webhook, secret })
}

pub async fn list(state: &GatewayState, user_id: UserId) -> Result<Vec<Webhook>, AppError> {
    Ok(repo::list(&state.backends.db, user_id).await?)
}

fn parse_id(id: &str) -> Result<WebhookId, DomainError> {
    Uuid::parse_str(id.trim()).map(WebhookId::from).map_err(|_| DomainError::not_found("webhook"))
}

pub async fn delete(state: &GatewayState, user_id: UserId, id: &str) -> Result<(), AppError> {
    Ok(repo::delete(&state.backends.db, user_id, parse_id(id)?).await?)
}

/// A page of a webhook's deliveries, newest first; the cursor is the last delivery id seen.
pub async fn deliveries(
    state: &GatewayState,
    user_id: UserId,
    webhook_id: &str,
    cursor: Option<&str>,
    limit: u64,
) -> Result<(Vec<Delivery>, Option<String>), AppError> {
    let db = &state.backends.db;
    let hook = repo::get_owned(db, user_id, parse_id(webhook_id)?).await?;
    let before = crate::application::page::cursor::<i64>(cursor)?;
    let limit = crate::application::page::limit(limit, 100)?;
    let rows = repo::deliveries(db, hook.id(), before, limit + 1).await?;
    let (rows, next) = crate::application::page::split(rows, limit, |d| d.id.to_string());
    Ok((rows, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert_eq!(parse_url(" https://example.com/hook ").unwrap(), "https://example.com/hook");
        assert!(parse_url("http://127.0.0.1:9000/x").is_ok());
        for bad in ["ftp://example.com", "https://user:pw@example.com/", "https://example.com/#x", "not a url", ""] {
            assert_eq!(parse_url(bad).unwrap_err().code, ErrorCode::Validation, "{bad}");
        }
    }
}
