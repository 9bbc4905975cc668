//! The webhook dispatcher: turns job events into signed POSTs to the receivers partners
//! registered ([`crate::application::webhooks`]).
//!
//! It runs beside the REST server, never on the pipeline's path: workers write job events as
//! they always do, and the dispatcher finds the events a webhook has not been given
//! ([`glimvid_db::repo::webhooks::pending_events`]), fixes each body once in a delivery row, and
//! posts due deliveries with `Glimvid-Signature` and `Glimvid-Event-Id`. A failure or a timeout
//! is retried with exponential backoff and jitter until the delivery is a day old; every
//! attempt's outcome is on the delivery row, which the partner can list.
//!
//! Receivers must be public addresses ([`target`]), checked at registration and again on every
//! connection; a failure that is not an HTTP answer is recorded as one generic message, so the
//! deliveries list cannot be used to map ports.

pub mod target;

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use glimvid_db::entity::enums::EventKind;
use glimvid_db::repo::webhooks::{self as repo, Attempt, Claimed};
use glimvid_runtime::{Sealer, Shutdown};
use rand::Rng;

use crate::{
    application::{error::AppError, view::event_json, webhooks::secret_context},
    state::GatewayState,
};

/// Events older than this are not delivered to a webhook registered later (nor after a gap).
const EVENT_HORIZON_MS: i64 = 24 * 3600 * 1000;
/// How long resolving a receiver's host name may take.
pub(crate) const DNS_TIMEOUT: Duration = Duration::from_secs(3);
/// What the deliveries list says of an attempt that got no HTTP answer, whatever the cause
/// (refused by the address rule, no route, connection refused or reset, timeout): telling them
/// apart would tell a prober which ports are open.
pub const DELIVERY_FAILED: &str = "delivery failed";

/// How deliveries are retried and where they may go (from the configuration).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub retry_base: Duration,
    pub timeout: Duration,
    pub give_up: Duration,
    pub policy: target::TargetPolicy,
}

impl WebhookSettings {
    pub fn from_config(c: &glimvid_runtime::WebhooksConfig) -> Self {
        Self {
            retry_base: c.retry_base,
            timeout: c.timeout,
            give_up: c.give_up,
            policy: target::TargetPolicy::new(&c.allowed_networks),
        }
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self::from_config(&glimvid_runtime::WebhooksConfig::default())
    }
}

/// The wait before retry number `attempts` (1 = the first retry): the base doubled each time,
/// at most an hour, with ±20 % jitter so that a receiver coming back is not hit by every
/// delivery at the same instant.
pub fn backoff(base: Duration, attempts: u32, jitter: f64) -> Duration {
    let exp = base.as_secs_f64() * 2f64.powi(attempts.saturating_sub(1).min(20) as i32);
    let capped = exp.min(3600.0);
    Duration::from_secs_f64((capped * (1.0 + 0.2 * jitter.clamp(-1.0, 1.0))).max(0.5))
}

/// The body of one event's delivery: the job event as the SSE stream and WatchVideoJob give it,
/// with `type` for routing (`job.succeeded`, `stage.running`, `note`).
pub fn payload(e: &glimvid_db::repo::jobs::JobEvent) -> String {
    let mut v = serde_json::to_value(event_json(e)).unwrap_or_default();
    let kind = match (e.kind, e.status) {
        (EventKind::Note, _) | (_, None) => e.kind.to_string(),
        (k, Some(s)) => format!("{k}.{s}"),
    };
    if let Some(o) = v.as_object_mut() {
        o.insert("type".into(), kind.into());
    }
    serde_json::to_string(&v).unwrap_or_default()
}

/// The dispatcher: creates missing deliveries and posts due ones until shutdown. Several gateway
/// replicas may run it at once.
pub async fn run_dispatcher(state: Arc<GatewayState>, shutdown: Shutdown) {
    match seal_raw_secrets(&state.backends.db, &state.backends.sealer).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "sealed webhook secrets kept in the clear"),
        Err(e) => tracing::warn!(error = %e, "could not seal the webhook secrets kept in the clear"),
    }
    let client = match delivery_client(&state.settings.webhooks) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook dispatcher could not start");
            return;
        }
    };
    loop {
        let busy = match tick(&state, &client).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e.0, "webhook dispatch round failed; retrying");
                false
            }
        };
        let pause = if busy { Duration::from_millis(50) } else { Duration::from_millis(500) };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.wait() => return,
        }
    }
}

/// The client deliveries go through: every name is resolved by the address rule's resolver
/// (the connection goes only to the addresses it let through, so a name cannot rebind between
/// the check and the connection), no proxy from the environment, no redirects.
pub fn delivery_client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(target::PolicyResolver {
            policy: settings.policy.clone(),
            timeout: DNS_TIMEOUT.min(settings.timeout),
        }))
        .user_agent(concat!("Glimvid-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Seals the secrets of webhooks registered before secrets were sealed. Returns how many.
pub async fn seal_raw_secrets(db: &glimvid_db::Db, sealer: &Sealer) -> Result<usize, glimvid_db::DbError> {
    let mut n = 0;
    for (id, secret) in repo::secrets(db).await? {
        if Sealer::is_sealed(&secret) {
            continue;
        }
        let sealed = sealer.seal(secret.as_bytes(), &secret_context(id));
        // Only if still the raw value: another replica may have sealed it meanwhile.
        if repo::replace_secret(db, id, &secret, &sealed).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// One round: fan events out into deliveries, then send what is due. Returns the work done.
pub async fn tick(state: &GatewayState, client: &reqwest::Client) -> Result<usize, AppError> {
    let db = &state.backends.db;
    let now = glimvid_db::now_ms();
    let pending = repo::pending_events(db, now - EVENT_HORIZON_MS, 500).await?;
    let mut work = 0;
    for p in &pending {
        if repo::insert_delivery(db, p.webhook_id, p.user_id, p.event.id, &payload(&p.event), now).await? {
            work += 1;
        }
    }
    let settings = &state.settings.webhooks;
    // A lease longer than one attempt can take, so a slow receiver is not posted to twice.
    let lease_ms = (settings.timeout.as_millis() as i64) * 2 + 5_000;
    let due = repo::claim_due(db, now, lease_ms, 64).await?;
    work += due.len();
    futures::stream::iter(due)
        .for_each_concurrent(16, |c| async move {
            let id = c.delivery.id;
            let attempt = send(client, &c, settings, &state.backends.sealer).await;
            if let Err(e) = repo::record_attempt(&state.backends.db, id, attempt, glimvid_db::now_ms()).await {
                // The lease runs out and the delivery is tried again: a duplicate at worst.
                tracing::warn!(error = %e, delivery_id = id, "could not record a webhook attempt");
            }
        })
        .await;
    Ok(work)
}

/// Why a delivery got no answer: a cause for our logs only (it never names the address); the
/// receiver's delivery log says [`DELIVERY_FAILED`].
#[derive(Debug, thiserror::Error)]
enum NoAnswer {
    #[error("bad stored URL")]
    BadUrl,
    #[error("refused: {0} address")]
    Refused(&'static str),
    #[error("secret: {0}")]
    Secret(#[from] glimvid_runtime::SealError),
    #[error("timeout")]
    Timeout,
    #[error("connect")]
    Connect,
    #[error("request")]
    Request,
}

/// Before connecting: the URL's literal address (which skips the resolver) against the rule, and
/// the opened secret.
fn prepare(c: &Claimed, settings: &WebhookSettings, sealer: &Sealer) -> Result<Vec<u8>, NoAnswer> {
    let url = reqwest::Url::parse(&c.url).map_err(|_| NoAnswer::BadUrl)?;
    let host = url.host_str().unwrap_or_default();
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = literal.parse::<std::net::IpAddr>() {
        settings.policy.check(ip).map_err(|r| NoAnswer::Refused(r.why))?;
    }
    if Sealer::is_sealed(&c.secret) {
        Ok(sealer.open(&c.secret, &secret_context(c.delivery.webhook_id()))?)
    } else {
        // Registered before sealing and not sealed yet (the dispatcher seals them at start).
        Ok(c.secret.as_bytes().to_vec())
    }
}

/// Posts one delivery, signed now, and says what came of it.
async fn send(client: &reqwest::Client, c: &Claimed, settings: &WebhookSettings, sealer: &Sealer) -> Attempt {
    let d = &c.delivery;
    let now_s = glimvid_db::now_ms() / 1000;
    let result = match prepare(c, settings, sealer) {
        Ok(secret) => {
            let signature = glimvid_auth::webhook::sign(&secret, now_s, d.payload.as_bytes());
            client
                .post(&c.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(glimvid_auth::webhook::HEADER, signature)
                .header("Glimvid-Event-Id", d.event_id.to_string())
                .header("Glimvid-Delivery-Attempt", (d.attempts + 1).to_string())
                .body(d.payload.clone())
                .send()
                .await
                .map_err(|e| {
                    if e.is_timeout() {
                        NoAnswer::Timeout
                    } else if e.is_connect() {
                        NoAnswer::Connect
                    } else {
                        NoAnswer::Request
                    }
                })
        }
        Err(why) => Err(why),
    };
    let (status_code, error) = match result {
        Ok(r) if r.status().is_success() => {
            metrics::counter!("glimvid_webhook_deliveries_total", "outcome" => "delivered").increment(1);
            tracing::info!(
                delivery_id = d.id,
                event_id = d.event_id,
                status = r.status().as_u16(),
                "webhook delivered"
            );
            return Attempt::Delivered { status_code: r.status().as_u16() };
        }
        Ok(r) => (Some(r.status().as_u16()), format!("the receiver answered {}", r.status())),
        Err(why) => {
            // The cause is for our logs only (it never names the address).
            tracing::info!(delivery_id = d.id, cause = %why, "webhook delivery got no answer");
            (None, DELIVERY_FAILED.to_owned())
        }
    };
    let attempts = d.attempts as u32 + 1;
    let wait = backoff(settings.retry_base, attempts, rand::rng().random_range(-1.0..=1.0));
    let next = glimvid_db::now_ms() + wait.as_millis() as i64;
    let retry_at = (next < d.created_at + settings.give_up.as_millis() as i64).then_some(next);
    metrics::counter!("glimvid_webhook_deliveries_total", "outcome" => if retry_at.is_some() { "retry" } else { "gave_up" })
        .increment(1);
    tracing::info!(delivery_id = d.id, event_id = d.event_id, attempts, %error, gave_up = retry_at.is_none(), "webhook delivery failed");
    Attempt::Failed { status_code, error, retry_at }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1, 0.0), Duration::from_secs(10));
        assert_eq!(backoff(base, 2, 0.0), Duration::from_secs(20));
        assert_eq!(backoff(base, 4, 0.0), Duration::from_secs(80));
        assert_eq!(backoff(base, 30, 0.0), Duration::from_secs(3600));
        assert_eq!(backoff(base, 1, 1.0), Duration::from_secs(12));
        assert_eq!(backoff(base, 1, -1.0), Duration::from_secs(8));
    }

    #[test]
    fn a_day_of_retries_at_the_default_base() {
        // From 10 s doubling to an hour: the attempts a failing receiver sees in a day.
        let base = Duration::from_secs(10);
        let (mut t, mut n) = (Duration::ZERO, 0);
        while t < Duration::from_secs(24 * 3600) {
            n += 1;
            t += backoff(base, n, 0.0);
        }
        assert!((25..=40).contains(&n), "{n} attempts");
    }

    #[test]
    fn payload_has_a_type_and_the_event_id() {
        let e = glimvid_db::repo::jobs::JobEvent {
            id: 42,
            job_id: Uuid::nil(),
            kind: EventKind::Job,
            stage: None,
            status: Some(glimvid_db::entity::enums::EventStatus::Succeeded),
            message: None,
            at: 0,
        };
        let v: serde_json::Value = serde_json::from_str(&payload(&e)).unwrap();
        assert_eq!(v["id"], 42);
        assert_eq!(v["type"], "job.succeeded");
    }
}
