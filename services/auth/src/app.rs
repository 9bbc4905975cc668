//! Account rules: registration, login, token rotation, the account view.

use std::{sync::Arc, time::Duration};

use glimvid_auth::{PasswordCheck, password, random_secret, rules, secret_hash};
use glimvid_blob::BlobStore;
use glimvid_db::{
    Db, DbError, now_ms,
    repo::{
        api_keys::{self, ApiKey, NewApiKey},
        credits,
        usage::{self, action},
        users::{self, NewRefreshToken, NewUser, RotateOutcome, User},
    },
};
use glimvid_domain::{ApiKeyId, DomainError, ErrorCode, Language, UserId};
use glimvid_runtime::Sealer;

use crate::{
    password_pool::PasswordPool,
    signing_keys::{KeyPolicy, Keyring, PublishedKey},
};
use uuid::Uuid;

mod step_up;

pub use step_up::STEP_UP_GUESSES;

#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    pub free_trials: i64,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Password hashes that may run at once (see [`PasswordPool`]).
    pub password_hash_slots: usize,
    /// How long a login or registration waits for a hashing slot before it is refused as busy.
    pub password_hash_wait: Duration,
    /// How long a key signs access tokens before a new one replaces it.
    pub signing_key_rotate: Duration,
}

/// The account as clients see it.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub id: UserId,
    pub email: String,
    pub language: String,
    pub training_opt_out: bool,
    pub credits: i64,
    pub free_trials_left: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub account: AccountView,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

pub struct AuthApp {
    db: Db,
    settings: AuthSettings,
    /// The access-token signing keys, sealed in the database with the deployment's key.
    keys: Keyring,
    /// Where the user's objects live: account deletion removes them.
    blob: Option<Arc<dyn BlobStore>>,
    /// Every password hash and verification of this process runs here, bounded.
    pool: PasswordPool,
}

/// An API key as its owner sees it (never the secret, except once at creation).
#[derive(Debug, Clone)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    pub scopes: Vec<String>,
    pub prefix: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// The longest an API key may live, in days.
pub const MAX_API_KEY_DAYS: u32 = 365;

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id(),
            name: k.name,
            scopes: k.scopes.split_whitespace().map(str::to_owned).collect(),
            prefix: k.prefix,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            expires_at: k.expires_at,
        }
    }
}

/// Who an API key speaks for.
#[derive(Debug, Clone)]
pub struct ApiPrincipal {
    pub user_id: UserId,
    pub key_id: ApiKeyId,
    pub scopes: Vec<String>,
}

/// Maps persistence errors to what a client may see; internal causes are logged, not shown.
pub(crate) fn db_err(e: DbError) -> DomainError {
    match e {
        DbError::Db(inner) => {
            tracing::error!(error = %inner, "database error");
            DomainError::new(ErrorCode::Unavailable, "the service is temporarily unavailable")
        }
        other => DomainError::new(other.code(), other.to_string()),
    }
}

fn invalid_credentials() -> DomainError {
    DomainError::new(ErrorCode::Unauthenticated, "email or password is incorrect")
}

impl AuthApp {
    /// Loads the signing keys (sealing raw seeds of older versions, creating the first key or
    /// rotating a due one); `sealer` holds the deployment's encryption key.
    pub async fn new(db: Db, settings: AuthSettings, sealer: Sealer) -> Result<Self, DomainError> {
        let policy = KeyPolicy { rotate_after: settings.signing_key_rotate, token_lifetime: settings.access_ttl };
        let keys = Keyring::open(db.clone(), sealer, policy, now_ms()).await.map_err(|e| {
            tracing::error!(error = %e, "could not load the signing keys");
            DomainError::new(ErrorCode::Internal, format!("could not load the signing keys: {e}"))
        })?;
        // Warm the dummy hash now so that the first unknown-email login is not faster.
        tokio::task::spawn_blocking(password::dummy_hash).await.ok();
        let pool = PasswordPool::new(settings.password_hash_slots, settings.password_hash_wait);
        Ok(Self { db, settings, keys, blob: None, pool })
    }

    /// The object store holding users' uploads and outputs (needed for account deletion).
    pub fn with_blob(mut self, blob: Arc<dyn BlobStore>) -> Self {
        self.blob = Some(blob);
        self
    }

    /// Writes a usage row; a failure is logged, never the caller's failure.
    async fn note_usage(&self, user_id: Option<UserId>, client_ip: &str, act: &str, route: &str, status: u16) {
        let ip = if client_ip.is_empty() { "unknown" } else { client_ip };
        let e = usage::Event { user_id, ip, action: act, route, status, at: now_ms() };
        if let Err(e) = usage::record_event(&self.db, e).await {
            tracing::warn!(error = %e, "could not record usage");
        }
    }

    /// The keys that still verify, newest (signing) first, each with the moment it stops.
    pub async fn public_keys(&self) -> Vec<PublishedKey> {
        self.keys.published(now_ms()).await
    }

    /// How long a caller may keep [`Self::public_keys`] before asking again.
    pub fn public_keys_refresh_after(&self) -> Duration {
        self.keys.policy().reread()
    }

    /// Re-reads the signing keys now: rotates a due key, retires replaced ones, deletes retired
    /// ones (see [`crate::spawn_key_maintenance`]).
    pub async fn maintain_keys(&self) -> Result<(), DomainError> {
        self.keys
            .refresh(now_ms())
            .await
            .map_err(|e| DomainError::new(ErrorCode::Unavailable, format!("signing keys: {e}")))
    }

    pub async fn register(
        &self,
        email: &str,
        password_plain: &str,
        language: &str,
        age_confirmed: bool,
        client_ip: &str,
    ) -> Result<Tokens, DomainError> {
        let email = rules::normalize_email(email)?;
        rules::check_password(password_plain)?;
        let language =
            if language.trim().is_empty() { Language::En } else { Language::parse_tag("language", language)? };
        if !age_confirmed {
            return Err(DomainError::invalid(
                "age_confirmed",
                "you must confirm that you are 16 or over to use Glimvid",
            ));
        }
        let hash = self.hash(password_plain.to_owned()).await?;
        let user = users::create_user(
            &self.db,
            NewUser { email: &email, password_hash: &hash, language: language.as_str() },
            self.settings.free_trials,
        )
        .await
        .map_err(db_err)?;
        self.note_usage(Some(user.id()), client_ip, action::REGISTER, "/api/v1/auth/register", 201).await;
        self.issue(user, Uuid::now_v7()).await
    }

    /// Same status, body and (within noise) time for an unknown email and a wrong password.
    pub async fn login(&self, email: &str, password_plain: &str, client_ip: &str) -> Result<Tokens, DomainError> {
        let email = rules::normalize_email(email).unwrap_or_default();
        let user =
            if email.is_empty() { None } else { users::find_by_email(&self.db, &email).await.map_err(db_err)? };
        let live = user.filter(|u| u.deleted_at.is_none());
        let stored =
            live.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| password::dummy_hash().to_owned());
        let pw = password_plain.to_owned();
        let check =
            self.pool.run(move || password::verify_password(&pw, &stored)).await?.unwrap_or(PasswordCheck::Mismatch);
        let Some(user) = live.clone().filter(|_| check.is_match()) else {
            // The owner sees failed attempts on their account in their usage log.
            let owner = live.map(|u| u.id());
            self.note_usage(owner, client_ip, action::LOGIN_FAILED, "/api/v1/auth/login", 401).await;
            return Err(invalid_credentials());
        };
        self.note_usage(Some(user.id()), client_ip, action::LOGIN, "/api/v1/auth/login", 200).await;
        if check == PasswordCheck::MatchNeedsRehash {
            let fresh = self.hash(password_plain.to_owned()).await?;
            users::set_password_hash(&self.db, user.id(), &fresh).await.map_err(db_err)?;
            tracing::info!(user_id = %user.id, "password re-hashed with current parameters");
        }
        self.issue(user, Uuid::now_v7()).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, DomainError> {
        let next = random_secret("rt_");
        let expires = now_ms() + self.settings.refresh_ttl.as_millis() as i64;
        let outcome = users::rotate_refresh_token(&self.db, &secret_hash(refresh_token), secret_hash(&next), expires)
            .await
            .map_err(db_err)?;
        match outcome {
            RotateOutcome::Rotated { user_id } => {
                let user = users::get(&self.db, user_id).await.map_err(db_err)?;
                let version = user.token_version;
                let account = self.account_of(user).await?;
                Ok(Tokens {
                    access_token: self.access_token(account.id, version).await,
                    refresh_token: next,
                    expires_in: self.settings.access_ttl.as_secs() as i64,
                    account,
                })
            }
            RotateOutcome::Invalid => {
                Err(DomainError::new(ErrorCode::Unauthenticated, "refresh token is invalid or expired"))
            }
            RotateOutcome::Reused => {
                tracing::warn!("refresh token reuse detected; family revoked");
                Err(DomainError::new(ErrorCode::Unauthenticated, "refresh token is invalid or expired"))
            }
        }
    }

    pub async fn logout(&self, refresh_token: &str) -> Result<(), DomainError> {
        users::revoke_refresh_token(&self.db, &secret_hash(refresh_token)).await.map_err(db_err)
    }

    pub async fn account(&self, user_id: UserId) -> Result<AccountView, DomainError> {
        let user = users::get(&self.db, user_id).await.map_err(db_err)?;
        if user.deleted_at.is_some() {
            return Err(DomainError::not_found("account"));
        }
        self.account_of(user).await
    }

    /// Changes the settings given. A new email is normalised and must be free; the gateway
    /// asks for the current password (step-up) before it sends one.
    pub async fn update_account(
        &self,
        user_id: UserId,
        email: Option<&str>,
        language: Option<&str>,
        training_opt_out: Option<bool>,
    ) -> Result<AccountView, DomainError> {
        let email = email.map(rules::normalize_email).transpose()?;
        let lang = language.map(|l| Language::parse_tag("language", l)).transpose()?;
        let changes =
            users::AccountChanges { email: email.as_deref(), language: lang.map(|l| l.as_str()), training_opt_out };
        let user = users::update_account(&self.db, user_id, changes).await.map_err(db_err)?;
        self.account_of(user).await
    }

    /// Deletes the account, every row about it and every object under the user's prefix. Its
    /// public links answer 404 once the rows are gone (before the objects go).
    pub async fn delete_account(&self, user_id: UserId) -> Result<(), DomainError> {
        let blob = self.blob.as_ref().ok_or_else(|| {
            DomainError::new(ErrorCode::Unavailable, "account deletion needs the object store, which is not configured")
        })?;
        let keys = users::delete_account(&self.db, user_id).await.map_err(db_err)?;
        for k in &keys {
            if let Err(e) = blob.delete(k).await {
                tracing::warn!(error = %e, key = %k, "could not delete an object of a deleted account");
            }
        }
        // Whatever else sits under the user's prefix (a worker's late write) goes too.
        let prefix = glimvid_pipeline::keys::user_prefix(user_id);
        let rest = blob.delete_prefix(&prefix).await.map_err(|e| {
            tracing::error!(error = %e, %user_id, "objects of a deleted account remain");
            DomainError::new(ErrorCode::Unavailable, "storage is temporarily unavailable; try again")
        })?;
        tracing::info!(%user_id, objects = keys.len() + rest, "account deleted");
        Ok(())
    }

    /// Creates a key, valid `expires_in_days` (1 to [`MAX_API_KEY_DAYS`]; `None` = until
    /// revoked); the secret is returned this once and only its hash is kept.
    pub async fn create_api_key(
        &self,
        user_id: UserId,
        name: &str,
        scopes: &[String],
        expires_in_days: Option<u32>,
    ) -> Result<(ApiKeyView, String), DomainError> {
        let name = glimvid_auth::api_keys::parse_name(name)?;
        let scopes = glimvid_auth::api_keys::parse_scopes(scopes)?;
        let expires_at = match expires_in_days {
            None => None,
            Some(d @ 1..=MAX_API_KEY_DAYS) => Some(now_ms() + i64::from(d) * 86_400_000),
            Some(_) => {
                return Err(DomainError::invalid(
                    "expires_in_days",
                    format!("expires_in_days must be from 1 to {MAX_API_KEY_DAYS} (or absent: until revoked)"),
                ));
            }
        };
        let k = glimvid_auth::api_keys::generate();
        let row = api_keys::create(
            &self.db,
            NewApiKey { user_id, name: &name, prefix: &k.prefix, key_hash: &k.hash, scopes: &scopes, expires_at },
        )
        .await
        .map_err(db_err)?;
        Ok((row.into(), k.secret))
    }

    pub async fn list_api_keys(&self, user_id: UserId) -> Result<Vec<ApiKeyView>, DomainError> {
        Ok(api_keys::list(&self.db, user_id).await.map_err(db_err)?.into_iter().map(Into::into).collect())
    }

    pub async fn revoke_api_key(&self, user_id: UserId, key_id: &str) -> Result<(), DomainError> {
        let id: ApiKeyId = key_id.parse().map_err(|_| DomainError::not_found("API key"))?;
        api_keys::revoke(&self.db, user_id, id).await.map_err(db_err)
    }

    /// The account and scopes a key speaks for; unknown, malformed, revoked and expired keys all
    /// get the same answer.
    pub async fn authenticate_api_key(&self, secret: &str) -> Result<ApiPrincipal, DomainError> {
        let invalid = || DomainError::new(ErrorCode::Unauthenticated, "the API key is not valid");
        if !glimvid_auth::api_keys::looks_like_key(secret) {
            return Err(invalid());
        }
        let key = api_keys::find_active(&self.db, &secret_hash(secret), now_ms())
            .await
            .map_err(db_err)?
            .ok_or_else(invalid)?;
        Ok(ApiPrincipal {
            user_id: key.user_id(),
            key_id: key.id(),
            scopes: key.scopes.split_whitespace().map(str::to_owned).collect(),
        })
    }

    async fn account_of(&self, user: User) -> Result<AccountView, DomainError> {
        let b = credits::balances(self.db.conn(), user.id()).await.map_err(db_err)?;
        Ok(AccountView {
            id: user.id(),
            email: user.email,
            language: user.language,
            training_opt_out: user.training_opt_out,
            credits: b.credits.max(0),
            free_trials_left: b.trials.max(0),
            created_at: user.created_at,
        })
    }

    /// scrypt at N=2^17 costs ~0.1–0.3 s of CPU and 128 MiB: run it in the bounded pool, never
    /// on the executor.
    async fn hash(&self, plain: String) -> Result<String, DomainError> {
        self.pool
            .run(move || password::hash_password(&plain))
            .await?
            .map_err(|_| DomainError::new(ErrorCode::Internal, "password hashing failed"))
    }

    /// An access token at the account's token version `ver` (see [`users::live_token_version`]).
    async fn access_token(&self, user_id: UserId, ver: i32) -> String {
        let now = now_ms();
        self.keys.signer(now).await.sign(user_id.as_uuid(), ver, now / 1000, self.settings.access_ttl.as_secs() as i64)
    }

    async fn issue(&self, user: User, family: Uuid) -> Result<Tokens, DomainError> {
        let refresh = random_secret("rt_");
        users::insert_refresh_token(
            self.db.conn(),
            NewRefreshToken {
                user_id: user.id(),
                family_id: family,
                token_hash: secret_hash(&refresh),
                expires_at: now_ms() + self.settings.refresh_ttl.as_millis() as i64,
            },
        )
        .await
        .map_err(db_err)?;
        let version = user.token_version;
        let account = self.account_of(user).await?;
        Ok(Tokens {
            access_token: self.access_token(account.id, version).await,
            refresh_token: refresh,
            expires_in: self.settings.access_ttl.as_secs() as i64,
            account,
        })
    }
}
