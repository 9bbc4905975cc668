//! The settings, one line each, grouped by responsibility. A line gives the field, its type, its
//! default, its environment variable and how the variable is read; its doc comment is the
//! setting's documentation. The TOML key is the field's name inside the section's table
//! (`[server] http_addr = "0.0.0.0:8080"`).

use std::{collections::HashMap, path::PathBuf, time::Duration};

use glimvid_media::EncoderChoice;
use serde::Deserialize;

use super::{
    ConfigError,
    values::{IpNet, RateRule, Secret, parse::*},
};

/// One setting as the loader sees it: where it lives in the file, and its variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The TOML table (`server`).
    pub section: &'static str,
    /// The key inside the table (`http_addr`).
    pub key: &'static str,
    /// The environment variable (`GLIMVID_HTTP_ADDR`).
    pub env: &'static str,
}

/// Declares a section: the typed struct with its defaults, the list of its settings, how the
/// environment is applied to it, and the raw form its TOML table is read into (every value kept
/// as TOML, unknown keys refused) so that a file value is read exactly like a variable.
macro_rules! section {
    (
        $(#[$meta:meta])*
        $name:ident / $raw:ident = $section:literal {
            $( $(#[doc = $doc:literal])* $field:ident : $ty:ty = $default:expr, $env:literal, $parse:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl $name {
            /// Every setting of the section.
            pub const SETTINGS: &'static [Setting] =
                &[$( Setting { section: $section, key: stringify!($field), env: $env } ),*];

            /// Sets every field whose variable `get` returns; a value that does not parse is an
            /// error naming the variable.
            pub(super) fn apply(&mut self, get: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
                $(
                    if let Some(v) = get($env) {
                        self.$field = ($parse)(&v)
                            .map_err(|message| ConfigError::Invalid { var: $env.into(), message })?;
                    }
                )*
                Ok(())
            }
        }

        /// The section's TOML table before parsing.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(super) struct $raw {
            $( #[serde(default)] $field: Option<toml::Value>, )*
        }

        impl $raw {
            /// Adds each value present to `vars` under its variable, unless the environment
            /// already set it (the environment wins).
            pub(super) fn into_vars(self, vars: &mut HashMap<String, String>) {
                $(
                    if let Some(v) = self.$field {
                        vars.entry($env.to_owned()).or_insert_with(|| super::value_text(v));
                    }
                )*
            }
        }
    };
}

section! {
    /// Listeners, how clients reach the service, and how it talks to its peers.
    ServerConfig / RawServer = "server" {
        /// REST listen address.
        http_addr: String = "127.0.0.1:8080".into(), "GLIMVID_HTTP_ADDR", text;
        /// gRPC listen address.
        grpc_addr: String = "127.0.0.1:50051".into(), "GLIMVID_GRPC_ADDR", text;
        /// Where `glimvid up` serves the internal gRPC services (auth, script, enhance) for its
        /// own gateway; loopback and an ephemeral port by default. The partner port never serves them.
        internal_grpc_addr: String = "127.0.0.1:0".into(), "GLIMVID_INTERNAL_GRPC_ADDR", text;
        /// Where a worker process serves `/healthz`, `/readyz` and `/metrics`; unset → an
        /// ephemeral port on 127.0.0.1, logged at start.
        ops_addr: Option<String> = None, "GLIMVID_OPS_ADDR", some_text;
        /// How public video links begin; derived from the HTTP address when unset.
        public_base_url: Option<String> = None, "GLIMVID_PUBLIC_BASE_URL", some_base_url;
        /// Where the gateway finds the auth service; unset → in-process.
        auth_grpc_url: Option<String> = None, "GLIMVID_AUTH_GRPC_URL", some_text;
        /// Proxies whose `X-Forwarded-For` is believed, as CIDRs (comma-separated, e.g.
        /// `10.0.0.0/8,127.0.0.1/32`); empty → the peer address is the client.
        trusted_proxies: Vec<IpNet> = Vec::new(), "GLIMVID_TRUSTED_PROXIES", nets;
        /// Web origins whose pages may call `/api/v1` from the browser (CORS), e.g.
        /// `https://shop.example.com,http://localhost:3000`; empty → only the app served by the
        /// gateway itself (same origin) can.
        cors_origins: Vec<String> = Vec::new(), "GLIMVID_CORS_ORIGINS", origins;
        /// JSON logs (`GLIMVID_LOG_FORMAT=json`) rather than text.
        log_json: bool = false, "GLIMVID_LOG_FORMAT", log_format;
    }
}

section! {
    /// Where state lives: the data folder, the database, the queue, objects and spooled uploads.
    StorageConfig / RawStorage = "storage" {
        /// The embedded mode's state: database, queue, objects.
        data_dir: PathBuf = PathBuf::from("./glimvid-data"), "GLIMVID_DATA_DIR", path;
        /// PostgreSQL URL; unset → SQLite in the data folder.
        database_url: Option<Secret> = None, "GLIMVID_DATABASE_URL", secret;
        /// RabbitMQ URL; unset → the database queue.
        amqp_url: Option<Secret> = None, "GLIMVID_AMQP_URL", secret;
        /// S3 endpoint; the store is S3 only when both it and the bucket are set.
        s3_endpoint: Option<String> = None, "GLIMVID_S3_ENDPOINT", some_text;
        /// S3 bucket.
        s3_bucket: Option<String> = None, "GLIMVID_S3_BUCKET", some_text;
        /// S3 region.
        s3_region: String = "us-east-1".into(), "GLIMVID_S3_REGION", text;
        /// S3 access key id; unset → the SDK's default credentials.
        s3_access_key_id: Option<Secret> = None, "GLIMVID_S3_ACCESS_KEY_ID", secret;
        /// S3 secret access key.
        s3_secret_access_key: Option<Secret> = None, "GLIMVID_S3_SECRET_ACCESS_KEY", secret;
        /// Disk all REST uploads being received share, MiB: photo parts are spooled to files,
        /// never held whole in memory; beyond this, 503 with `Retry-After`.
        upload_spool_mb: u64 = 1024, "GLIMVID_UPLOAD_SPOOL_MB", num;
        /// Where REST uploads are spooled; unset: `<data dir>/tmp` in `glimvid up`, the system
        /// temporary folder in the gateway service.
        upload_spool_dir: Option<PathBuf> = None, "GLIMVID_UPLOAD_SPOOL_DIR", some_path;
        /// The key that seals secrets kept in the database (signing seeds, webhook secrets): 32
        /// bytes, base64. Unset → in the embedded mode a key file created once in the data folder
        /// (`keys/encryption.key`); required in the distributed mode.
        encryption_key: Option<Secret> = None, "GLIMVID_ENCRYPTION_KEY", sealing_key;
    }
}

section! {
    /// The AI providers and the local media engine.
    ProvidersConfig / RawProviders = "providers" {
        /// DeepSeek API key; unset → the offline script writer.
        deepseek_api_key: Option<Secret> = None, "GLIMVID_DEEPSEEK_API_KEY", secret;
        /// DeepSeek API base URL.
        deepseek_base_url: String = "https://api.deepseek.com".into(), "GLIMVID_DEEPSEEK_BASE_URL", base_url;
        /// DeepSeek model.
        deepseek_model: String = "deepseek-chat".into(), "GLIMVID_DEEPSEEK_MODEL", text;
        /// The local engine's encoder: `bundled` (openh264, nothing to install), `system`
        /// (ffmpeg/libx264) or `auto` (system when ffmpeg with libx264 is on PATH).
        encoder: EncoderChoice = EncoderChoice::Bundled, "GLIMVID_ENCODER", num;
        /// BytePlus Ark API key; unset → the local media engine.
        ark_api_key: Option<Secret> = None, "GLIMVID_ARK_API_KEY", secret;
        /// Ark API base URL.
        ark_base_url: String = "https://ark.ap-southeast.bytepluses.com/api/v3".into(), "GLIMVID_ARK_BASE_URL", base_url;
        /// Ark image (enhancement) model.
        ark_image_model: String = "seededit-3-0-i2i-250628".into(), "GLIMVID_ARK_IMAGE_MODEL", text;
        /// Ark video model.
        ark_video_model: String = "seedance-1-0-pro-250528".into(), "GLIMVID_ARK_VIDEO_MODEL", text;
    }
}

section! {
    /// Who may call: internal service tokens, user tokens and their signing keys, passwords.
    AuthConfig / RawAuth = "auth" {
        /// The secret that signs the service tokens internal gRPC calls carry (at least 32
        /// characters). Required by the auth service and the gateway when they run apart;
        /// `glimvid up` makes a random one per process when unset.
        internal_secret: Option<Secret> = None, "GLIMVID_INTERNAL_SECRET", service_secret;
        /// Access token lifetime (seconds in the file and the variable).
        access_token_ttl: Duration = Duration::from_secs(15 * 60), "GLIMVID_ACCESS_TOKEN_TTL_S", secs(0, u64::MAX);
        /// Refresh token lifetime (seconds).
        refresh_token_ttl: Duration = Duration::from_secs(30 * 24 * 3600), "GLIMVID_REFRESH_TOKEN_TTL_S", secs(0, u64::MAX);
        /// How long an access-token signing key signs before a new one replaces it (seconds, 30
        /// days). The replaced key keeps verifying until the tokens it signed have expired, then
        /// it is deleted: a stolen seed is useful for one period at most.
        signing_key_rotate: Duration = Duration::from_secs(DEFAULT_SIGNING_KEY_ROTATE_S), "GLIMVID_SIGNING_KEY_ROTATE_S", secs(1, u64::MAX);
        /// Password hashes (scrypt, 128 MiB each) running at once in this process. Unset:
        /// `password_hash_memory_mb` / 128, at least 1. Bounded because a burst of logins would
        /// otherwise allocate 128 MiB per request.
        password_hash_concurrency: Option<usize> = None, "GLIMVID_PASSWORD_HASH_CONCURRENCY", |v: &str| count(1, 1024)(v).map(Some);
        /// Memory the password hashes of this process may use together, MiB; sizes the pool
        /// when no concurrency is given.
        password_hash_memory_mb: u64 = DEFAULT_PASSWORD_HASH_MEMORY_MB, "GLIMVID_PASSWORD_HASH_MEMORY_MB", num;
        /// How long a request waits for a free hashing slot before it is answered 503 with
        /// `Retry-After` (milliseconds).
        password_hash_wait: Duration = Duration::from_millis(2000), "GLIMVID_PASSWORD_HASH_WAIT_MS", millis;
    }
}

section! {
    /// What one client, account or request may use.
    LimitsConfig / RawLimits = "limits" {
        /// Free trial videos of a new account.
        free_trials: i64 = 3, "GLIMVID_FREE_TRIALS", num;
        /// Largest accepted photo, bytes.
        max_photo_bytes: u64 = 20 * 1024 * 1024, "GLIMVID_MAX_PHOTO_BYTES", num;
        /// Largest accepted photo, pixels, checked before decoding.
        max_photo_pixels: u64 = 40_000_000, "GLIMVID_MAX_PHOTO_PIXELS", num;
        /// Largest partner gRPC message, bytes; 0 → six photos of `max_photo_bytes` and 1 MiB
        /// for the rest.
        grpc_max_message_bytes: u64 = 0, "GLIMVID_GRPC_MAX_MESSAGE_BYTES", num;
        /// Memory all photo decodes of a process share, MiB.
        decode_memory_mb: u64 = 512, "GLIMVID_DECODE_MEMORY_MB", num;
        /// Largest REST submission body, bytes; 0 → six photos of `max_photo_bytes` and 1 MiB for
        /// the rest. A larger `Content-Length` is refused before a byte is read, a chunked body is
        /// cut off there.
        max_upload_bytes: u64 = 0, "GLIMVID_MAX_UPLOAD_BYTES", num;
        /// Logins per client IP (`count/window`, e.g. `10/1m`).
        rate_limit_login: RateRule = RateRule { limit: 10, window: Duration::from_secs(60) }, "GLIMVID_RATE_LIMIT_LOGIN", num;
        /// Registrations per client IP.
        rate_limit_register: RateRule = RateRule { limit: 20, window: Duration::from_secs(3600) }, "GLIMVID_RATE_LIMIT_REGISTER", num;
        /// Video submissions per client IP.
        rate_limit_submit: RateRule = RateRule { limit: 30, window: Duration::from_secs(60) }, "GLIMVID_RATE_LIMIT_SUBMIT", num;
        /// Videos of one account queued or running at once (0 = no limit).
        max_jobs_in_flight: u32 = 5, "GLIMVID_MAX_JOBS_IN_FLIGHT", num;
        /// Free trial uses per client IP per UTC day, on top of the per-account trials (0 = no limit).
        trials_per_ip_per_day: u32 = 3, "GLIMVID_TRIALS_PER_IP_PER_DAY", num;
        /// Jobs with review per client network, and per account, per UTC day (0 = no limit).
        reviews_per_ip_per_day: u32 = 5, "GLIMVID_REVIEWS_PER_IP_PER_DAY", num;
        /// The longest a job's event stream stays open (seconds, an hour).
        stream_max: Duration = Duration::from_secs(3600), "GLIMVID_STREAM_MAX_S", secs(1, u64::MAX);
        /// A stream of a job awaiting review ends after this long without an event (seconds,
        /// ten minutes).
        stream_idle: Duration = Duration::from_secs(600), "GLIMVID_STREAM_IDLE_S", secs(1, u64::MAX);
        /// Event streams (SSE and `WatchVideoJob`) one account may have open at once in a process
        /// (0 = no limit).
        max_streams_per_account: u32 = 5, "GLIMVID_MAX_STREAMS_PER_ACCOUNT", num;
        /// Partner gRPC connections held open at once; past it new connections wait unaccepted.
        grpc_max_connections: u32 = 1024, "GLIMVID_GRPC_MAX_CONNECTIONS", count(1, 1_000_000);
        /// Partner gRPC connections one client IP may hold at once; more are closed at accept
        /// (0 = no limit, for a load balancer that hides the clients' addresses).
        grpc_max_connections_per_ip: u32 = 64, "GLIMVID_GRPC_MAX_CONNECTIONS_PER_IP", num;
    }
}

section! {
    /// Webhooks: partner deliveries out, the payment provider's events in.
    WebhooksConfig / RawWebhooks = "webhooks" {
        /// The first retry of a failed delivery waits this long (seconds), then twice as long
        /// each time, up to an hour.
        retry_base: Duration = Duration::from_secs(10), "GLIMVID_WEBHOOK_RETRY_BASE_S", secs(1, 3600);
        /// How long a receiver has to answer (seconds).
        timeout: Duration = Duration::from_secs(10), "GLIMVID_WEBHOOK_TIMEOUT_S", secs(1, 120);
        /// After this long (seconds, a day) a delivery that never succeeded is given up.
        give_up: Duration = Duration::from_secs(24 * 3600), "GLIMVID_WEBHOOK_GIVE_UP_S", secs(1, u64::MAX);
        /// Networks webhooks may reach although they are not public, as CIDRs (comma-separated,
        /// e.g. `127.0.0.0/8` for a local receiver); empty → public addresses only.
        allowed_networks: Vec<IpNet> = Vec::new(), "GLIMVID_WEBHOOK_ALLOWED_NETWORKS", nets;
        /// HMAC secret of the payment provider's webhook; unset → it refuses every event.
        billing_secret: Option<Secret> = None, "GLIMVID_BILLING_WEBHOOK_SECRET", secret;
    }
}

section! {
    /// The pipeline's stage workers.
    WorkersConfig / RawWorkers = "workers" {
        /// Tasks a worker runs at once per stage.
        concurrency: usize = 1, "GLIMVID_WORKER_CONCURRENCY", count(1, 64);
        /// Deliveries of one task before it is dead-lettered.
        task_max_attempts: u32 = 5, "GLIMVID_TASK_MAX_ATTEMPTS", count(1, 100);
    }
}

/// Two scrypt hashes at the OWASP parameters (128 MiB each).
pub const DEFAULT_PASSWORD_HASH_MEMORY_MB: u64 = 256;

/// Thirty days: a stolen seed signs for a month at most, and a rotation is rare enough to be
/// noticed in the logs.
pub const DEFAULT_SIGNING_KEY_ROTATE_S: u64 = 30 * 24 * 3600;

/// Memory one scrypt hash takes at N=2^17, r=8 (128 · r · N bytes).
pub const SCRYPT_MEMORY_MB: u64 = 128;

/// S3-compatible object storage (distributed mode).
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: Option<Secret>,
    pub secret_access_key: Option<Secret>,
}

impl ServerConfig {
    /// The prefix of public links for a server listening on `bound_http_addr`.
    pub fn public_base(&self, bound_http_addr: &str) -> String {
        self.public_base_url.clone().unwrap_or_else(|| format!("http://{bound_http_addr}"))
    }
}

impl StorageConfig {
    /// The S3 store, when both its endpoint and bucket are set; else the filesystem is used.
    pub fn s3(&self) -> Option<S3Config> {
        let (endpoint, bucket) = (self.s3_endpoint.clone()?, self.s3_bucket.clone()?);
        Some(S3Config {
            endpoint,
            bucket,
            region: self.s3_region.clone(),
            access_key_id: self.s3_access_key_id.clone(),
            secret_access_key: self.s3_secret_access_key.clone(),
        })
    }

    /// The database URL: the configured one, or SQLite in the data folder.
    pub fn database_url_or_embedded(&self) -> String {
        match &self.database_url {
            Some(u) => u.expose().to_owned(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("glimvid.db").display()),
        }
    }

    /// The sealer of secrets at rest: the configured key, or (embedded mode) the data folder's.
    pub fn sealer(&self) -> Result<crate::seal::Sealer, crate::seal::SealError> {
        match &self.encryption_key {
            Some(k) => crate::seal::Sealer::from_base64(k.expose()),
            None => crate::seal::Sealer::load_or_create(&self.data_dir.join("keys").join("encryption.key")),
        }
    }
}

impl AuthConfig {
    /// The key of internal service tokens: the configured secret; or, when `required` is false
    /// (one process that calls only itself), a random one.
    pub fn service_key(&self, required: bool) -> Result<crate::service_token::ServiceKey, ConfigError> {
        match &self.internal_secret {
            Some(s) => crate::service_token::ServiceKey::new(s.expose())
                .map_err(|e| ConfigError::Invalid { var: "GLIMVID_INTERNAL_SECRET".into(), message: e.to_string() }),
            None if !required => Ok(crate::service_token::ServiceKey::random()),
            None => Err(ConfigError::Invalid {
                var: "GLIMVID_INTERNAL_SECRET".into(),
                message: "required when the auth service and the gateway run apart: both sign and check internal \
                          calls with it (at least 32 characters: `openssl rand -base64 32`)"
                    .into(),
            }),
        }
    }

    /// Hashing slots of the password pool: the explicit concurrency, or what the memory budget
    /// allows, never fewer than one.
    pub fn password_hash_slots(&self) -> usize {
        self.password_hash_concurrency
            .unwrap_or_else(|| (self.password_hash_memory_mb / SCRYPT_MEMORY_MB).max(1) as usize)
    }
}
