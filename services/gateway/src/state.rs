//! What every handler shares.

use std::sync::Arc;

use glimvid_auth::VerifyingKeys;
use glimvid_media::UploadLimits;
use glimvid_pipeline::Backends;
use glimvid_proto::auth::v1::{GetSigningKeysRequest, auth_service_client::AuthServiceClient};
use tokio::sync::RwLock;
use tonic::transport::Channel;

#[derive(Debug, Clone, Copy)]
pub struct GatewaySettings {
    /// Photos per job.
    pub max_photos: usize,
    /// Bytes per photo.
    pub max_photo_bytes: u64,
    pub upload: UploadLimits,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self { max_photos: 6, max_photo_bytes: 20 * 1024 * 1024, upload: UploadLimits::default() }
    }
}

pub struct GatewayState {
    pub backends: Backends,
    pub auth: AuthServiceClient<Channel>,
    pub keys: RwLock<VerifyingKeys>,
    /// How public links begin, e.g. `https://glimvid.com`.
    pub public_base: String,
    pub settings: GatewaySettings,
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
