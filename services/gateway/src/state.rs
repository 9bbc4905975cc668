//! What every handler shares.

use std::sync::Arc;

use glimvid_auth::VerifyingKeys;
use glimvid_media::UploadLimits;
use glimvid_pipeline::Backends;
use glimvid_proto::auth::v1::GetSigningKeysRequest;
use std::sync::atomic::Ordering;
use tokio::sync::RwLock;

use crate::{application::spool::Spool, auth_client::AuthClient};

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
    pub webhooks: crate::background::webhooks::WebhookSettings,
    /// Origins whose pages may call `/api/v1` from the browser (`GLIMVID_CORS_ORIGINS`).
    pub cors_origins: Vec<String>,
    /// Partner gRPC connections at once, in all and per client IP (0: no per-IP limit).
    pub grpc_connections: crate::grpc::ConnectionCaps,
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
            webhooks: crate::background::webhooks::WebhookSettings::default(),
            cors_origins: Vec::new(),
            grpc_connections: crate::grpc::ConnectionCaps::default(),
        }
    }
}

impl GatewaySettings {
    /// The settings the configuration gives; REST uploads are spooled to `spool_default` unless
    /// `GLIMVID_UPLOAD_SPOOL_DIR` names a folder (the binaries differ: the all-in-one binary
    /// keeps everything under its data folder).
    pub fn from_config(c: &glimvid_runtime::Config, spool_default: std::path::PathBuf) -> Self {
        Self {
            max_photo_bytes: c.limits.max_photo_bytes,
            upload: UploadLimits { max_pixels: c.limits.max_photo_pixels, ..UploadLimits::default() },
            grpc_max_message_bytes: c.limits.grpc_max_message_bytes,
            decode_memory_mb: c.limits.decode_memory_mb,
            max_upload_bytes: c.limits.max_upload_bytes,
            upload_spool_mb: c.storage.upload_spool_mb,
            upload_spool_dir: c.storage.upload_spool_dir.clone().unwrap_or(spool_default),
            accounts: AccountSettings::from_config(c),
            webhooks: crate::background::webhooks::WebhookSettings::from_config(&c.webhooks),
            cors_origins: c.server.cors_origins.clone(),
            grpc_connections: crate::grpc::ConnectionCaps {
                total: c.limits.grpc_max_connections as usize,
                per_ip: c.limits.grpc_max_connections_per_ip as usize,
                ..Default::default()
            },
            ..Self::default()
        }
    }

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
    /// The earliest moment a token naming an unknown key may cause a fetch (ms since the epoch):
    /// made-up key ids cost the auth service one call per [`UNKNOWN_KID_REFETCH_MS`], not one each.
    pub keys_unknown_next: std::sync::atomic::AtomicI64,
    /// How public links begin, e.g. `https://glimvid.com`.
    pub public_base: String,
    pub settings: GatewaySettings,
    /// The event streams open per account in this process.
    pub streams: Arc<crate::application::follow::StreamSlots>,
    /// The one memory budget of photo decodes in this process.
    pub decode: crate::application::decode_budget::DecodeBudget,
    /// Where REST uploads are spooled, and the disk they may take together.
    pub spool: crate::application::spool::Spool,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
}

pub type SharedState = Arc<GatewayState>;

/// How long keys hold when the auth service does not say (an older version).
const DEFAULT_KEYS_HOLD_MS: i64 = 60_000;

/// How long after a failed fetch the next one is tried.
const KEYS_RETRY_MS: i64 = 1_000;

/// At most one fetch per this long because a token named a key the gateway does not hold (a
/// rotation is seen within it; an outsider's made-up key ids do not reach the auth service).
pub const UNKNOWN_KID_REFETCH_MS: i64 = 5_000;

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

    /// A token named a key the gateway does not hold: fetch the keys again, unless a fetch for
    /// that reason ran in the last [`UNKNOWN_KID_REFETCH_MS`]. Requests arriving meanwhile wait
    /// for the fetch under way rather than start their own. True when the keys held may have
    /// changed since the caller looked (worth verifying again).
    pub async fn refresh_keys_for_unknown_kid(&self) -> bool {
        let asked = glimvid_db::now_ms();
        if asked < self.keys_unknown_next.load(Ordering::Relaxed) {
            metrics::counter!("glimvid_signing_key_refetch_total", "outcome" => "throttled").increment(1);
            return false;
        }
        let _one = self.keys_fetch.lock().await;
        let next = self.keys_unknown_next.load(Ordering::Relaxed);
        if asked < next {
            // Another request fetched while this one waited.
            return true;
        }
        self.keys_unknown_next.store(glimvid_db::now_ms().saturating_add(UNKNOWN_KID_REFETCH_MS), Ordering::Relaxed);
        match self.refresh_keys().await {
            Ok(()) => {
                metrics::counter!("glimvid_signing_key_refetch_total", "outcome" => "fetched").increment(1);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not fetch the signing keys for a token naming an unknown key");
                false
            }
        }
    }

    pub fn public_url(&self, public_id: &str) -> String {
        format!("{}/v/{public_id}", self.public_base)
    }
}

/// The upload spool of [`build`]: its folder is made now, and what a killed process left in it
/// is removed.
fn upload_spool(settings: &GatewaySettings) -> Spool {
    let spool = Spool::from_mb(settings.upload_spool_dir.clone(), settings.upload_spool_mb);
    match spool.prepare() {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, dir = %spool.dir().display(), "removed stale upload spool files"),
        Err(e) => tracing::warn!(error = %e, dir = %spool.dir().display(), "the upload spool folder is not usable yet"),
    }
    spool
}

/// Builds the gateway's state from connected backends and a channel to the auth service.
pub fn build(
    backends: glimvid_pipeline::Backends,
    auth: AuthClient,
    public_base: String,
    settings: GatewaySettings,
) -> SharedState {
    Arc::new(GatewayState {
        backends,
        auth,
        keys: Default::default(),
        keys_stale_at: Default::default(),
        keys_fetch: Default::default(),
        keys_unknown_next: Default::default(),
        public_base,
        decode: crate::application::decode_budget::DecodeBudget::from_mb(settings.decode_memory_mb),
        spool: upload_spool(&settings),
        settings,
        streams: Default::default(),
        metrics: glimvid_runtime::telemetry::metrics(),
    })
}
