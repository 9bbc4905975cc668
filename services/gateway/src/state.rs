//! What every handler shares.

use std::sync::Arc;

use glimvid_auth::VerifyingKeys;
use glimvid_media::UploadLimits;
use glimvid_pipeline::Backends;
use glimvid_proto::auth::v1::GetSigningKeysRequest;
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
            trusted_proxies: c.trusted_proxies.clone(),
            rate_limit_login: c.rate_limit_login,
            rate_limit_register: c.rate_limit_register,
            rate_limit_submit: c.rate_limit_submit,
            max_jobs_in_flight: c.max_jobs_in_flight,
            trials_per_ip_per_day: c.trials_per_ip_per_day,
            reviews_per_ip_per_day: c.reviews_per_ip_per_day,
            stream_max: c.stream_max,
            stream_idle: c.stream_idle,
            max_streams_per_account: c.max_streams_per_account,
            billing_webhook_secret: c.billing_webhook_secret.clone(),
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
            accounts: AccountSettings::default(),
            webhooks: crate::webhooks::WebhookSettings::default(),
            cors_origins: Vec::new(),
        }
    }
}

pub struct GatewayState {
    pub backends: Backends,
    pub auth: AuthClient,
    pub keys: RwLock<VerifyingKeys>,
    /// How public links begin, e.g. `https://glimvid.com`.
    pub public_base: String,
    pub settings: GatewaySettings,
    /// The event streams open per account in this process.
    pub streams: Arc<crate::follow::StreamSlots>,
    /// The one memory budget of photo decodes in this process.
    pub decode: crate::decode_budget::DecodeBudget,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
}

pub type SharedState = Arc<GatewayState>;

impl GatewayState {
    /// Fetches the auth service's public keys (at start, and when a token names an unknown key
    /// after a rotation).
    pub async fn refresh_keys(&self) -> Result<(), tonic::Status> {
        let resp = self.auth.clone().get_signing_keys(GetSigningKeysRequest {}).await?.into_inner();
        let mut keys = VerifyingKeys::default();
        for k in resp.keys {
            keys.insert(&k.kid, &k.public_key);
        }
        *self.keys.write().await = keys;
        Ok(())
    }

    pub fn public_url(&self, public_id: &str) -> String {
        format!("{}/v/{public_id}", self.public_base)
    }
}
