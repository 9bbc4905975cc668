//! The one typed configuration of every service. Sources, later winning: defaults, then a TOML
//! file (`GLIMVID_CONFIG_FILE`), then `GLIMVID_*` environment variables. Anything unset means
//! the embedded mode: SQLite, the database queue, the filesystem store, the offline writer and
//! the local media engine, all under the data folder.

use std::{collections::HashMap, fmt, path::PathBuf, str::FromStr, time::Duration};

use serde::Deserialize;

/// A secret that never prints (Debug and Display show `[redacted]`).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: {message}")]
    Invalid { var: String, message: String },
    #[error("config file {path}: {message}")]
    File { path: String, message: String },
}

/// S3-compatible object storage (distributed mode).
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: Option<Secret>,
    pub secret_access_key: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// REST listen address (`GLIMVID_HTTP_ADDR`).
    pub http_addr: String,
    /// gRPC listen address (`GLIMVID_GRPC_ADDR`).
    pub grpc_addr: String,
    /// Where a worker process serves `/healthz`, `/readyz` and `/metrics`
    /// (`GLIMVID_OPS_ADDR`); unset → an ephemeral port on 127.0.0.1, logged at start.
    pub ops_addr: Option<String>,
    /// The embedded mode's state: database, queue, objects (`GLIMVID_DATA_DIR`).
    pub data_dir: PathBuf,
    /// How public video links begin (`GLIMVID_PUBLIC_BASE_URL`); derived from the HTTP address
    /// when unset.
    pub public_base_url: Option<String>,
    /// PostgreSQL URL (`GLIMVID_DATABASE_URL`); unset → SQLite in the data folder.
    pub database_url: Option<Secret>,
    /// RabbitMQ URL (`GLIMVID_AMQP_URL`); unset → the database queue.
    pub amqp_url: Option<Secret>,
    /// S3 store (`GLIMVID_S3_*`); unset endpoint or bucket → the filesystem.
    pub s3: Option<S3Config>,
    /// Where the gateway finds the auth service (`GLIMVID_AUTH_GRPC_URL`); unset → in-process.
    pub auth_grpc_url: Option<String>,
    pub deepseek_api_key: Option<Secret>,
    pub deepseek_base_url: String,
    pub deepseek_model: String,
    pub ark_api_key: Option<Secret>,
    pub ark_base_url: String,
    pub ark_image_model: String,
    pub ark_video_model: String,
    /// Free trial videos of a new account (`GLIMVID_FREE_TRIALS`).
    pub free_trials: i64,
    /// Largest accepted photo, bytes (`GLIMVID_MAX_PHOTO_BYTES`).
    pub max_photo_bytes: u64,
    /// Largest accepted photo, pixels, checked before decoding (`GLIMVID_MAX_PHOTO_PIXELS`).
    pub max_photo_pixels: u64,
    /// Access token lifetime (`GLIMVID_ACCESS_TOKEN_TTL_S`).
    pub access_token_ttl: Duration,
    /// Refresh token lifetime (`GLIMVID_REFRESH_TOKEN_TTL_S`).
    pub refresh_token_ttl: Duration,
    /// Tasks a worker runs at once per stage (`GLIMVID_WORKER_CONCURRENCY`).
    pub worker_concurrency: usize,
    /// Deliveries of one task before it is dead-lettered (`GLIMVID_TASK_MAX_ATTEMPTS`).
    pub task_max_attempts: u32,
    /// `json` or `text` logs (`GLIMVID_LOG_FORMAT`).
    pub log_json: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            http_addr: "127.0.0.1:8080".into(),
            grpc_addr: "127.0.0.1:50051".into(),
            ops_addr: None,
            data_dir: PathBuf::from("./glimvid-data"),
            public_base_url: None,
            database_url: None,
            amqp_url: None,
            s3: None,
            auth_grpc_url: None,
            deepseek_api_key: None,
            deepseek_base_url: "https://api.deepseek.com".into(),
            deepseek_model: "deepseek-chat".into(),
            ark_api_key: None,
            ark_base_url: "https://ark.ap-southeast.bytepluses.com/api/v3".into(),
            ark_image_model: "seededit-3-0-i2i-250628".into(),
            ark_video_model: "seedance-1-0-pro-250528".into(),
            free_trials: 3,
            max_photo_bytes: 20 * 1024 * 1024,
            max_photo_pixels: 40_000_000,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            worker_concurrency: 1,
            task_max_attempts: 5,
            log_json: false,
        }
    }
}

/// Every setting's variable name. The TOML file uses the same names in lower case without the
/// prefix (`http_addr = "0.0.0.0:8080"`); an unknown key there is an error, not a silent typo.
const KNOWN: &[&str] = &[
    "HTTP_ADDR",
    "GRPC_ADDR",
    "OPS_ADDR",
    "DATA_DIR",
    "PUBLIC_BASE_URL",
    "DATABASE_URL",
    "AMQP_URL",
    "S3_ENDPOINT",
    "S3_BUCKET",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "AUTH_GRPC_URL",
    "DEEPSEEK_API_KEY",
    "DEEPSEEK_BASE_URL",
    "DEEPSEEK_MODEL",
    "ARK_API_KEY",
    "ARK_BASE_URL",
    "ARK_IMAGE_MODEL",
    "ARK_VIDEO_MODEL",
    "FREE_TRIALS",
    "MAX_PHOTO_BYTES",
    "MAX_PHOTO_PIXELS",
    "ACCESS_TOKEN_TTL_S",
    "REFRESH_TOKEN_TTL_S",
    "WORKER_CONCURRENCY",
    "TASK_MAX_ATTEMPTS",
    "LOG_FORMAT",
];

impl Config {
    /// From the process environment (and the file it names).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// From explicit variables (tests); reads the file named by `GLIMVID_CONFIG_FILE` if any.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut map: HashMap<String, String> = vars.into_iter().filter(|(k, _)| k.starts_with("GLIMVID_")).collect();
        if let Some(path) = map.get("GLIMVID_CONFIG_FILE").cloned() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError::File { path: path.clone(), message: e.to_string() })?;
            let file: toml::Table =
                toml::from_str(&text).map_err(|e| ConfigError::File { path: path.clone(), message: e.to_string() })?;
            for (k, v) in file {
                let upper = k.to_ascii_uppercase();
                if !KNOWN.contains(&upper.as_str()) {
                    return Err(ConfigError::File { path: path.clone(), message: format!("unknown setting `{k}`") });
                }
                let var = format!("GLIMVID_{upper}");
                let s = match v {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                map.entry(var).or_insert(s);
            }
        }
        let mut c = Self::default();
        let get = |k: &str| map.get(k).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        fn parse<T: FromStr>(var: &str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: fmt::Display,
        {
            v.parse().map_err(|e: T::Err| ConfigError::Invalid { var: var.into(), message: e.to_string() })
        }
        if let Some(v) = get("GLIMVID_HTTP_ADDR") {
            c.http_addr = v;
        }
        if let Some(v) = get("GLIMVID_GRPC_ADDR") {
            c.grpc_addr = v;
        }
        c.ops_addr = get("GLIMVID_OPS_ADDR");
        if let Some(v) = get("GLIMVID_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
        }
        c.public_base_url = get("GLIMVID_PUBLIC_BASE_URL").map(|s| s.trim_end_matches('/').to_owned());
        c.database_url = get("GLIMVID_DATABASE_URL").map(Secret::new);
        c.amqp_url = get("GLIMVID_AMQP_URL").map(Secret::new);
        if let (Some(endpoint), Some(bucket)) = (get("GLIMVID_S3_ENDPOINT"), get("GLIMVID_S3_BUCKET")) {
            c.s3 = Some(S3Config {
                endpoint,
                bucket,
                region: get("GLIMVID_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                access_key_id: get("GLIMVID_S3_ACCESS_KEY_ID").map(Secret::new),
                secret_access_key: get("GLIMVID_S3_SECRET_ACCESS_KEY").map(Secret::new),
            });
        }
        c.auth_grpc_url = get("GLIMVID_AUTH_GRPC_URL");
        c.deepseek_api_key = get("GLIMVID_DEEPSEEK_API_KEY").map(Secret::new);
        if let Some(v) = get("GLIMVID_DEEPSEEK_BASE_URL") {
            c.deepseek_base_url = v.trim_end_matches('/').to_owned();
        }
        if let Some(v) = get("GLIMVID_DEEPSEEK_MODEL") {
            c.deepseek_model = v;
        }
        c.ark_api_key = get("GLIMVID_ARK_API_KEY").map(Secret::new);
        if let Some(v) = get("GLIMVID_ARK_BASE_URL") {
            c.ark_base_url = v.trim_end_matches('/').to_owned();
        }
        if let Some(v) = get("GLIMVID_ARK_IMAGE_MODEL") {
            c.ark_image_model = v;
        }
        if let Some(v) = get("GLIMVID_ARK_VIDEO_MODEL") {
            c.ark_video_model = v;
        }
        if let Some(v) = get("GLIMVID_FREE_TRIALS") {
            c.free_trials = parse("GLIMVID_FREE_TRIALS", &v)?;
        }
        if let Some(v) = get("GLIMVID_MAX_PHOTO_BYTES") {
            c.max_photo_bytes = parse("GLIMVID_MAX_PHOTO_BYTES", &v)?;
        }
        if let Some(v) = get("GLIMVID_MAX_PHOTO_PIXELS") {
            c.max_photo_pixels = parse("GLIMVID_MAX_PHOTO_PIXELS", &v)?;
        }
        if let Some(v) = get("GLIMVID_ACCESS_TOKEN_TTL_S") {
            c.access_token_ttl = Duration::from_secs(parse("GLIMVID_ACCESS_TOKEN_TTL_S", &v)?);
        }
        if let Some(v) = get("GLIMVID_REFRESH_TOKEN_TTL_S") {
            c.refresh_token_ttl = Duration::from_secs(parse("GLIMVID_REFRESH_TOKEN_TTL_S", &v)?);
        }
        if let Some(v) = get("GLIMVID_WORKER_CONCURRENCY") {
            c.worker_concurrency = parse::<usize>("GLIMVID_WORKER_CONCURRENCY", &v)?.clamp(1, 64);
        }
        if let Some(v) = get("GLIMVID_TASK_MAX_ATTEMPTS") {
            c.task_max_attempts = parse::<u32>("GLIMVID_TASK_MAX_ATTEMPTS", &v)?.clamp(1, 100);
        }
        if let Some(v) = get("GLIMVID_LOG_FORMAT") {
            c.log_json = match v.as_str() {
                "json" => true,
                "text" => false,
                other => {
                    return Err(ConfigError::Invalid {
                        var: "GLIMVID_LOG_FORMAT".into(),
                        message: format!("`{other}` is not `json` or `text`"),
                    });
                }
            };
        }
        Ok(c)
    }

    /// The database URL: the configured one, or SQLite in the data folder.
    pub fn database_url_or_embedded(&self) -> String {
        match &self.database_url {
            Some(u) => u.expose().to_owned(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("glimvid.db").display()),
        }
    }

    /// The prefix of public links for a server listening on `http_addr`.
    pub fn public_base(&self, bound_http_addr: &str) -> String {
        self.public_base_url.clone().unwrap_or_else(|| format!("http://{bound_http_addr}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn unset_means_embedded_defaults() {
        let c = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(c.http_addr, "127.0.0.1:8080");
        assert_eq!(c.grpc_addr, "127.0.0.1:50051");
        assert!(c.database_url.is_none() && c.amqp_url.is_none() && c.s3.is_none());
        assert!(c.database_url_or_embedded().starts_with("sqlite://./glimvid-data/"));
    }

    #[test]
    fn env_overrides_file_and_secrets_never_print() {
        let dir = std::env::temp_dir().join(format!("glimvid-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("c.toml");
        std::fs::write(&f, "http_addr = \"0.0.0.0:9000\"\nfree_trials = 7\n").unwrap();
        let c = Config::from_vars(vars(&[
            ("GLIMVID_CONFIG_FILE", f.to_str().unwrap()),
            ("GLIMVID_FREE_TRIALS", "2"),
            ("GLIMVID_DEEPSEEK_API_KEY", "sk-very-secret"),
        ]))
        .unwrap();
        assert_eq!(c.http_addr, "0.0.0.0:9000");
        assert_eq!(c.free_trials, 2);
        let printed = format!("{c:?}");
        assert!(!printed.contains("sk-very-secret"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = Config::from_vars(vars(&[("GLIMVID_FREE_TRIALS", "many")])).unwrap_err();
        assert!(e.to_string().starts_with("GLIMVID_FREE_TRIALS"), "{e}");
        assert!(Config::from_vars(vars(&[("GLIMVID_LOG_FORMAT", "xml")])).is_err());
    }
}
