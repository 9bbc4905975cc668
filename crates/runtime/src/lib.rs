//! What every service needs around its work: typed configuration, telemetry (logs and
//! metrics), and one shutdown signal.

pub mod config;
pub mod ops;
pub mod seal;
pub mod service_token;
pub mod shutdown;
pub mod telemetry;
pub mod tls;
pub mod trace;

pub use config::{
    AuthConfig, Config, ConfigError, LimitsConfig, ProvidersConfig, Secret, ServerConfig, StorageConfig,
    WebhooksConfig, WorkersConfig,
};
pub use seal::{SealError, Sealer};
pub use service_token::{AttachServiceToken, RequireServiceToken, ServiceKey, WeakSecret};
pub use shutdown::Shutdown;
pub use tls::TlsSettings;
