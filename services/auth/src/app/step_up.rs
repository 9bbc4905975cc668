//! Step-up: the current password, asked again before the actions a stolen access token must not
//! reach (an API key that outlives the token, a new email, the export, deletion), and the
//! password change that throws every stolen credential out.
//!
//! A stolen token must not turn into a password oracle either: wrong guesses are capped per
//! account ([`STEP_UP_GUESSES`]), and the cap is checked before the hash runs, so a guesser past
//! it costs a database round trip, not 128 MiB of scrypt.

use glimvid_auth::{PasswordCheck, password, rules};
use glimvid_db::{
    now_ms,
    repo::{
        limits::{self, Rule},
        usage::action,
        users::{self, User},
    },
};
use glimvid_domain::{DomainError, ErrorCode, UserId};
use uuid::Uuid;

use super::{AuthApp, Tokens, db_err};

/// Wrong current passwords an account may send per window: 5 per 15 minutes. Right ones do not
/// count (their reservation is handed back).
pub const STEP_UP_GUESSES: Rule = Rule { limit: 5, window_ms: 15 * 60 * 1000 };

/// What the usage log shows as the route of a refused password check (it serves several).
const STEP_UP_ROUTE: &str = "password check";

fn password_required() -> DomainError {
    DomainError::new(
        ErrorCode::PasswordRequired,
        "this action needs your current password (`current_password` in the body or the `X-Glimvid-Password` header)",
    )
}

fn invalid_password() -> DomainError {
    DomainError::new(ErrorCode::InvalidPassword, "the current password is wrong")
}

fn guess_key(user_id: UserId) -> String {
    format!("stepup:user:{user_id}")
}

impl AuthApp {
    /// Checks `password_plain` against the account's before a sensitive action. The attempt is
    /// counted before hashing (over the cap: `rate_limited` with the seconds to wait) and
    /// handed back when the password is right, so only wrong guesses use up the allowance.
    pub async fn verify_password(
        &self,
        user_id: UserId,
        password_plain: &str,
        client_ip: &str,
    ) -> Result<User, DomainError> {
        if password_plain.is_empty() {
            return Err(password_required());
        }
        let user = users::get(&self.db, user_id).await.map_err(db_err)?;
        if user.deleted_at.is_some() {
            return Err(DomainError::not_found("account"));
        }
        let key = guess_key(user_id);
        let now = now_ms();
        let d = limits::hit_db(&self.db, &key, STEP_UP_GUESSES, now).await.map_err(db_err)?;
        if !d.allowed {
            let wait = d.reset_secs();
            return Err(DomainError::new(
                ErrorCode::RateLimited,
                format!("too many wrong passwords for this account; try again in {wait} s"),
            )
            .retry_after(wait));
        }
        let (pw, stored) = (password_plain.to_owned(), user.password_hash.clone());
        let check = self.pool.run(move || password::verify_password(&pw, &stored)).await;
        let matched = match check {
            Ok(c) => c.unwrap_or(PasswordCheck::Mismatch).is_match(),
            Err(busy) => {
                // Not a guess: the hash never ran.
                self.refund_guess(&key, now).await;
                return Err(busy);
            }
        };
        if matched {
            self.refund_guess(&key, now).await;
            Ok(user)
        } else {
            self.note_usage(Some(user_id), client_ip, action::PASSWORD_CHECK_FAILED, STEP_UP_ROUTE, 403).await;
            Err(invalid_password())
        }
    }

    async fn refund_guess(&self, key: &str, at: i64) {
        if let Err(e) = limits::refund(&self.db, key, STEP_UP_GUESSES, at).await {
            tracing::warn!(error = %e, "could not hand back a step-up reservation");
        }
    }

    /// Changes the password after checking the current one (capped like [`Self::verify_password`]):
    /// the account's token version moves on (every access token issued before is refused), every
    /// refresh token is revoked and, with `revoke_api_keys`, every API key. The caller gets a
    /// fresh token pair, the only session left.
    pub async fn change_password(
        &self,
        user_id: UserId,
        current: &str,
        new_password: &str,
        revoke_api_keys: bool,
        client_ip: &str,
    ) -> Result<Tokens, DomainError> {
        // The new password's policy first: a typo there must not use up a guess.
        rules::check_password(new_password).map_err(|e| DomainError { field: Some("new_password".into()), ..e })?;
        self.verify_password(user_id, current, client_ip).await?;
        let hash = self.hash(new_password.to_owned()).await?;
        let changed = users::change_password(&self.db, user_id, &hash, revoke_api_keys).await.map_err(db_err)?;
        self.note_usage(Some(user_id), client_ip, action::PASSWORD_CHANGED, "/api/v1/account/password", 200).await;
        tracing::info!(
            %user_id,
            refresh_tokens_revoked = changed.refresh_tokens_revoked,
            api_keys_revoked = changed.api_keys_revoked,
            "password changed"
        );
        let user = users::get(&self.db, user_id).await.map_err(db_err)?;
        self.issue(user, Uuid::now_v7()).await
    }
}
