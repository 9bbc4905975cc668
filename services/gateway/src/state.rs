//! What every handler shares.

use std::sync::Arc;

use glimvid_auth::VerifyingKeys;
use glimvid_media::UploadLimits;
use glimvid_pipeline::Backends;
use glimvid_proto::auth::v1::GetSigningKeysRequest;
use std::sync::atomic::Ordering;
use tokio::sync::RwLock;

use crate::auth_client::AuthClient;

/// Limits and account settings of the gateway (see `glimvid_runtime::Config`, "limits and
/// accounts").
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub trusted_proxies: Vec<glimvid_runtime::config::IpNet>,
    pub rate_limit_login: glimvid_runtime::config::RateRule,
    pub rate_limit_register: glimvid_runtime::config::RateRule,
    pub rate_limit_submit: glimvid_runtime::config::RateRule,
    /// 0 = no limit.
    pub max_jobs_in_flight: u32,
    /// 0 = no limit.
    pub trials_per_ip_per_day: u32,
    /// Review jobs per network and per account per UTC day; 0 = no limit.
    pub reviews_per_ip_per_day: u32,
    /// The longest an event stream stays open.
    pub stream_max: std::time::Duration,
    /// How long a stream of a job awaiting review waits for an event before it ends.
    pub stream_idle: std::time::Duration,
    /// Event streams an account may have open at once; 0 = no limit.
    pub max_streams_per_account: u32,
    pub billing_webhook_secret: Option<glimvid_runtime::Secret>,
}

impl AccountSettings {
    pub fn from_config(c: &glimvid_runtime::Config) -> Self {
        Self {
            trusted_proxies: c.server.trusted_proxies.clone(),
            rate_limit_login: c.limits.rate_limit_login,
            rate_limit_register: c.limits.rate_limit_register,
            rate_limit_submit: c.limits.rate_limit_submit,
            max_jobs_in_flight: c.limits.max_jobs_in_flight,
            trials_per_ip_per_day: c.limits.trials_per_ip_per_day,
            reviews_per_ip_per_day: c.limits.reviews_per_ip_per_day,
            stream_max: c.limits.stream_max,
            stream_idle: c.limits.stream_idle,
            max_streams_per_account: c.limits.max_streams_per_account,
            billing_webhook_secret: c.webhooks.billing_secret.clone(),
        }
    }
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self::from_config(&glimvid_runtime::Config::default())
    }
}

#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Photos per job.
    pub max_photos: usize,
    /// Bytes per photo.
    pub max_photo_bytes: u64,
    pub upload: UploadLimits,
    /// The largest partner gRPC message, bytes; 0: room for `max_photos` photos of
    /// `max_photo_bytes` and 1 MiB for the rest.
    pub grpc_max_message_bytes: u64,
    /// Memory all photo decodes of the process share, MiB.
    pub decode_memory_mb: u64,
    /// The largest REST submission body, bytes; 0: room for `max_photos` photos of
    /// `max_photo_bytes` and 1 MiB for the rest (see [`GatewaySettings::max_upload_bytes`]).
    pub max_upload_bytes: u64,
    /// Disk all REST uploads being received share, MiB.
    pub upload_spool_mb: u64,
    /// Where REST uploads are spooled.
    pub upload_spool_dir: std::path::PathBuf,
    pub accounts: AccountSettings,
    pub webhooks: crate::webhooks::WebhookSettings,
    /// Origins whose pages may call `/api/v1` from the browser (`GLIMVID_CORS_ORIGINS`).
    pub cors_origins: Vec<String>,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            max_photos: 6,
            max_photo_bytes: 20 * 1024 * 1024,
            upload: UploadLimits::default(),
            grpc_max_message_bytes: 0,
            decode_memory_mb: 512,
            max_upload_bytes: 0,
            upload_spool_mb: 1024,
            upload_spool_dir: std::env::temp_dir(),
            accounts: AccountSettings::default(),
            webhooks: crate::webhooks::WebhookSettings::default(),
            cors_origins: Vec::new(),
        }
    }
}

impl GatewaySettings {
    /// The cap on a whole REST submission body: configured, or every photo at its limit plus
    /// 1 MiB for the text fields and the multipart framing.
    pub fn max_upload_bytes(&self) -> u64 {
        match self.max_upload_bytes {
            0 => self.max_photos as u64 * self.max_photo_bytes + 1024 * 1024,
            n => n,
        }
    }

    /// The cap on the parts of a submission: every photo, a description and options, and a
    /// little slack (a form may repeat a text field); anything beyond is not a real form.
    pub fn max_upload_parts(&self) -> usize {
        self.max_photos + 4
    }
}

pub struct GatewayState {
    pub backends: Backends,
    pub auth: AuthClient,
    pub keys: RwLock<VerifyingKeys>,
    /// When the keys are to be fetched again (ms since the epoch; 0: not fetched yet). The auth
    /// service says how long an answer holds: a newer key, and the retirement of the one it
    /// replaced, may appear after that.
    pub keys_stale_at: std::sync::atomic::AtomicI64,
    /// One key fetch at a time; requests meanwhile verify with the keys held.
    pub keys_fetch: tokio::sync::Mutex<()>,
    /// How public links begin, e.g. `https://glimvid.com`.
    pub public_base: String,
    pub settings: GatewaySettings,
    /// The event streams open per account in this process.
    pub streams: Arc<crate::follow::StreamSlots>,
    /// The one memory budget of photo decodes in this process.
    pub decode: crate::decode_budget::DecodeBudget,
    /// Where REST uploads are spooled, and the disk they may take together.
    pub spool: crate::spool::Spool,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
}

pub type SharedState = Arc<GatewayState>;

/// How long keys hold when the auth service does not say (an older version).
const DEFAULT_KEYS_HOLD_MS: i64 = 60_000;

/// How long after a failed fetch the next one is tried.
const KEYS_RETRY_MS: i64 = 1_000;

impl GatewayState {
    /// Fetches the auth service's public keys (at start, when a token names an unknown key
    /// after a rotation, and when the last answer is stale). Each key carries the moment it is
    /// retired, so a retired key is refused even before the next fetch drops it.
    pub async fn refresh_keys(&self) -> Result<(), tonic::Status> {
        let resp = self.auth.clone().get_signing_keys(GetSigningKeysRequest {}).await?.into_inner();
        let mut keys = VerifyingKeys::default();
        for k in resp.keys {
            // Whole seconds, rounded down: a key is refused up to a second early, never late.
            keys.insert_until(&k.kid, &k.public_key, k.not_after_ms.map(|t| t.div_euclid(1000)));
        }
        let hold = if resp.refresh_after_ms > 0 { resp.refresh_after_ms } else { DEFAULT_KEYS_HOLD_MS };
        *self.keys.write().await = keys;
        self.keys_stale_at.store(glimvid_db::now_ms().saturating_add(hold), Ordering::Relaxed);
        Ok(())
    }

    /// Fetches the keys if the last answer is stale. Failures keep the keys held (logged): the
    /// retirement times they carry still apply.
    pub async fn refresh_keys_if_stale(&self) {
        if glimvid_db::now_ms() < self.keys_stale_at.load(Ordering::Relaxed) {
            return;
        }
        let Ok(_one) = self.keys_fetch.try_lock() else { return };
        if let Err(e) = self.refresh_keys().await {
            tracing::warn!(error = %e, "could not fetch the signing keys; verifying with the ones held");
            // Not on every request while the auth service is away.
            self.keys_stale_at.store(glimvid_db::now_ms().saturating_add(KEYS_RETRY_MS), Ordering::Relaxed);
        }
    }

    pub fn public_url(&self, public_id: &str) -> String {
        format!("{}/v/{public_id}", self.public_base)
    }
}
