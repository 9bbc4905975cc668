//! Rate limits by client address (login, registration, video submissions). Counters live in
//! the database (see `glimvid_db::repo::limits`), so every replica enforces the same budget.
//! [`check`] is the one rule; the REST middleware and the partner gRPC API both call it.

use std::net::IpAddr;

use glimvid_db::repo::limits::{self, Decision, Rule};
use glimvid_domain::{DomainError, ErrorCode};
use glimvid_runtime::config::RateRule;

use crate::state::GatewayState;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    Register,
    SubmitVideo,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Register => "register",
            Self::SubmitVideo => "submit",
        }
    }
}

/// A checked hit, with the rule's window for the `RateLimit-Policy` header.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    pub decision: Decision,
    pub window_s: u64,
}

fn rule_for(state: &GatewayState, action: Action) -> RateRule {
    let a = &state.settings.accounts;
    match action {
        Action::Login => a.rate_limit_login,
        Action::Register => a.rate_limit_register,
        Action::SubmitVideo => a.rate_limit_submit,
    }
}

/// Counts one `action` by `ip`. `Ok(None)` when the rule is off; `Err` (rate limited) when over.
pub async fn check(state: &GatewayState, action: Action, ip: Option<IpAddr>) -> Result<Option<Checked>, Limited> {
    let rule = rule_for(state, action);
    if rule.limit == 0 {
        return Ok(None);
    }
    let ip = ip.map(crate::application::client_ip::network_key).unwrap_or_else(|| "unknown".into());
    let key = format!("{}:ip:{ip}", action.as_str());
    let window_ms = rule.window.as_millis() as i64;
    match limits::hit_db(&state.backends.db, &key, Rule { limit: rule.limit, window_ms }, glimvid_db::now_ms()).await {
        Ok(d) => {
            let checked = Checked { decision: d, window_s: rule.window.as_secs() };
            if d.allowed { Ok(Some(checked)) } else { Err(Limited(checked)) }
        }
        Err(e) => {
            // The database is the limiter: when it is down the request will fail anyway.
            tracing::warn!(error = %e, action = action.as_str(), "rate limiter unavailable; request let through");
            Ok(None)
        }
    }
}

/// Over the limit.
#[derive(Debug, Clone, Copy)]
pub struct Limited(pub Checked);

impl Limited {
    pub fn error(&self) -> DomainError {
        DomainError::new(
            ErrorCode::RateLimited,
            format!("too many requests; try again in {} s", self.0.decision.reset_secs()),
        )
    }
}
