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
    /// The local engine's encoder: `bundled` (openh264, nothing to install), `system`
    /// (ffmpeg/libx264) or `auto` (system when ffmpeg with libx264 is on PATH)
    /// (`GLIMVID_ENCODER`).
    pub encoder: String,
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
    /// Largest partner gRPC message, bytes (`GLIMVID_GRPC_MAX_MESSAGE_BYTES`); 0 → six photos
    /// of `max_photo_bytes` and 1 MiB for the rest.
    pub grpc_max_message_bytes: u64,
    /// Memory all photo decodes of a process share, MiB (`GLIMVID_DECODE_MEMORY_MB`, 512).
    pub decode_memory_mb: u64,
    /// Largest REST submission body, bytes (`GLIMVID_MAX_UPLOAD_BYTES`); 0 → six photos of
    /// `max_photo_bytes` and 1 MiB for the rest. A larger `Content-Length` is refused before a
    /// byte is read, a chunked body is cut off there.
    pub max_upload_bytes: u64,
    /// Disk all REST uploads being received share, MiB (`GLIMVID_UPLOAD_SPOOL_MB`, 1024): photo
    /// parts are spooled to files, never held whole in memory; beyond this, 503 with `Retry-After`.
    pub upload_spool_mb: u64,
    /// Where REST uploads are spooled (`GLIMVID_UPLOAD_SPOOL_DIR`); unset: `<data dir>/tmp` in
    /// `glimvid up`, the system temporary folder in the gateway service.
    pub upload_spool_dir: Option<PathBuf>,
    /// Access token lifetime (`GLIMVID_ACCESS_TOKEN_TTL_S`).
    pub access_token_ttl: Duration,
    /// Refresh token lifetime (`GLIMVID_REFRESH_TOKEN_TTL_S`).
    pub refresh_token_ttl: Duration,
    /// How long an access-token signing key signs before a new one replaces it
    /// (`GLIMVID_SIGNING_KEY_ROTATE_S`, 30 days). The replaced key keeps verifying until the
    /// tokens it signed have expired (`access_token_ttl` and a minute at most), then it is
    /// deleted: a stolen seed is useful for one period at most.
    pub signing_key_rotate: Duration,
    /// Password hashes (scrypt, 128 MiB each) running at once in this process
    /// (`GLIMVID_PASSWORD_HASH_CONCURRENCY`). Unset: `password_hash_memory_mb` / 128, at least 1.
    /// Bounded because a burst of logins would otherwise allocate 128 MiB per request.
    pub password_hash_concurrency: Option<usize>,
    /// Memory the password hashes of this process may use together, MiB
    /// (`GLIMVID_PASSWORD_HASH_MEMORY_MB`); sizes the pool when no concurrency is given.
    pub password_hash_memory_mb: u64,
    /// How long a request waits for a free hashing slot before it is answered 503 with
    /// `Retry-After` (`GLIMVID_PASSWORD_HASH_WAIT_MS`).
    pub password_hash_wait: Duration,
    /// Tasks a worker runs at once per stage (`GLIMVID_WORKER_CONCURRENCY`).
    pub worker_concurrency: usize,
    /// Deliveries of one task before it is dead-lettered (`GLIMVID_TASK_MAX_ATTEMPTS`).
    pub task_max_attempts: u32,
    /// `json` or `text` logs (`GLIMVID_LOG_FORMAT`).
    pub log_json: bool,
    // limits and accounts
    /// Proxies whose `X-Forwarded-For` is believed, as CIDRs (`GLIMVID_TRUSTED_PROXIES`,
    /// comma-separated, e.g. `10.0.0.0/8,127.0.0.1/32`); empty → the peer address is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Logins per client IP (`GLIMVID_RATE_LIMIT_LOGIN`, `count/window`, e.g. `10/1m`).
    pub rate_limit_login: RateRule,
    /// Registrations per client IP (`GLIMVID_RATE_LIMIT_REGISTER`).
    pub rate_limit_register: RateRule,
    /// Video submissions per client IP (`GLIMVID_RATE_LIMIT_SUBMIT`).
    pub rate_limit_submit: RateRule,
    /// Videos of one account queued or running at once (`GLIMVID_MAX_JOBS_IN_FLIGHT`; 0 = no limit).
    pub max_jobs_in_flight: u32,
    /// Free trial uses per client IP per UTC day, on top of the per-account trials
    /// (`GLIMVID_TRIALS_PER_IP_PER_DAY`; 0 = no limit).
    pub trials_per_ip_per_day: u32,
    /// Jobs with review per client network, and per account, per UTC day
    /// (`GLIMVID_REVIEWS_PER_IP_PER_DAY`; 0 = no limit).
    pub reviews_per_ip_per_day: u32,
    /// The longest a job's event stream stays open (`GLIMVID_STREAM_MAX_S`, an hour).
    pub stream_max: Duration,
    /// A stream of a job awaiting review ends after this long without an event
    /// (`GLIMVID_STREAM_IDLE_S`, ten minutes).
    pub stream_idle: Duration,
    /// Event streams (SSE and `WatchVideoJob`) one account may have open at once in a process
    /// (`GLIMVID_MAX_STREAMS_PER_ACCOUNT`; 0 = no limit).
    pub max_streams_per_account: u32,
    /// HMAC secret of the payment provider's webhook (`GLIMVID_BILLING_WEBHOOK_SECRET`); unset →
    /// the webhook refuses every event.
    pub billing_webhook_secret: Option<Secret>,
    // partner webhooks
    /// The first retry of a failed webhook delivery waits this long, then twice as long each
    /// time, up to an hour (`GLIMVID_WEBHOOK_RETRY_BASE_S`).
    pub webhook_retry_base: Duration,
    /// How long a receiver has to answer (`GLIMVID_WEBHOOK_TIMEOUT_S`).
    pub webhook_timeout: Duration,
    /// After this long a delivery that never succeeded is given up (`GLIMVID_WEBHOOK_GIVE_UP_S`,
    /// a day by default).
    pub webhook_give_up: Duration,
    /// Networks webhooks may reach although they are not public, as CIDRs
    /// (`GLIMVID_WEBHOOK_ALLOWED_NETWORKS`, comma-separated, e.g. `127.0.0.0/8` for a local
    /// receiver); empty → public addresses only.
    pub webhook_allowed_networks: Vec<IpNet>,
    // browsers
    /// Web origins whose pages may call `/api/v1` from the browser (CORS), e.g.
    /// `https://shop.example.com,http://localhost:3000` (`GLIMVID_CORS_ORIGINS`, comma-separated);
    /// empty → none: only the app served by the gateway itself (same origin) can.
    pub cors_origins: Vec<String>,
    // secrets at rest
    /// The key that seals secrets kept in the database (signing seeds, webhook secrets): 32 bytes,
    /// base64 (`GLIMVID_ENCRYPTION_KEY`). Unset → in the embedded mode a key file created once in
    /// the data folder (`keys/encryption.key`); required in the distributed mode.
    pub encryption_key: Option<Secret>,
    // internal services
    /// Where `glimvid up` serves the internal gRPC services (auth, script, enhance) for its own
    /// gateway (`GLIMVID_INTERNAL_GRPC_ADDR`); loopback and an ephemeral port by default. The
    /// partner port (`GLIMVID_GRPC_ADDR`) never serves them.
    pub internal_grpc_addr: String,
    /// The secret that signs the service tokens internal gRPC calls carry
    /// (`GLIMVID_INTERNAL_SECRET`, at least 32 characters). Required by the auth service and the
    /// gateway when they run apart; `glimvid up` makes a random one per process when unset.
    pub internal_secret: Option<Secret>,
}

// limits and accounts
/// A CIDR block (`10.0.0.0/8`, `::1/128`; a bare address means a single host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    pub addr: std::net::IpAddr,
    pub prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: &std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        // An IPv4 client seen through an IPv6 socket is `::ffff:a.b.c.d`.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(*ip),
            v4 => *v4,
        };
        let mask = |bits: u32, prefix: u8| if prefix == 0 { 0 } else { u128::MAX << (bits - prefix as u32) };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let m = mask(32, self.prefix) as u32;
                u32::from(net) & m == u32::from(a) & m
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let m = mask(128, self.prefix);
                u128::from(net) & m == u128::from(a) & m
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, p) = s.trim().split_once('/').map(|(a, p)| (a, Some(p))).unwrap_or((s.trim(), None));
        let addr: std::net::IpAddr = a.parse().map_err(|_| format!("`{s}` is not an IP address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("`{s}`: bad prefix length"))?,
        };
        Ok(Self { addr, prefix })
    }
}

/// At most `limit` requests per `window` (`10/1m`, `5/1h`, `30/60s`, `30/60` = seconds);
/// a limit of 0 turns the rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    pub limit: u32,
    pub window: Duration,
}

impl FromStr for RateRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not `count/window` (e.g. `10/1m`, `5/1h`, `30/60s`)");
        let (n, w) = s.trim().split_once('/').ok_or_else(bad)?;
        let limit = n.trim().parse().map_err(|_| bad())?;
        let w = w.trim();
        let (digits, unit) = w.split_at(w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len()));
        let amount: u64 = if digits.is_empty() { 1 } else { digits.parse().map_err(|_| bad())? };
        let secs = match unit {
            "" | "s" => amount,
            "m" => amount * 60,
            "h" => amount * 3600,
            "d" => amount * 86400,
            _ => return Err(bad()),
        };
        if secs == 0 {
            return Err(bad());
        }
        Ok(Self { limit, window: Duration::from_secs(secs) })
    }
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
            encoder: "bundled".into(),
            ark_api_key: None,
            ark_base_url: "https://ark.ap-southeast.bytepluses.com/api/v3".into(),
            ark_image_model: "seededit-3-0-i2i-250628".into(),
            ark_video_model: "seedance-1-0-pro-250528".into(),
            free_trials: 3,
            max_photo_bytes: 20 * 1024 * 1024,
            max_photo_pixels: 40_000_000,
            grpc_max_message_bytes: 0,
            decode_memory_mb: 512,
            max_upload_bytes: 0,
            upload_spool_mb: 1024,
            upload_spool_dir: None,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            signing_key_rotate: Duration::from_secs(DEFAULT_SIGNING_KEY_ROTATE_S),
            password_hash_concurrency: None,
            password_hash_memory_mb: DEFAULT_PASSWORD_HASH_MEMORY_MB,
            password_hash_wait: Duration::from_millis(2000),
            worker_concurrency: 1,
            task_max_attempts: 5,
            log_json: false,
            // limits and accounts
            trusted_proxies: Vec::new(),
            rate_limit_login: RateRule { limit: 10, window: Duration::from_secs(60) },
            rate_limit_register: RateRule { limit: 20, window: Duration::from_secs(3600) },
            rate_limit_submit: RateRule { limit: 30, window: Duration::from_secs(60) },
            max_jobs_in_flight: 5,
            trials_per_ip_per_day: 3,
            reviews_per_ip_per_day: 5,
            stream_max: Duration::from_secs(3600),
            stream_idle: Duration::from_secs(600),
            max_streams_per_account: 5,
            billing_webhook_secret: None,
            webhook_retry_base: Duration::from_secs(10),
            webhook_timeout: Duration::from_secs(10),
            webhook_give_up: Duration::from_secs(24 * 3600),
            webhook_allowed_networks: Vec::new(),
            cors_origins: Vec::new(),
            encryption_key: None,
            internal_grpc_addr: "127.0.0.1:0".into(),
            internal_secret: None,
        }
    }
}

/// Every setting's variable name. The TOML file uses the same names in lower case without the
/// prefix (`http_addr = "0.0.0.0:8080"`); an unknown key there is an error, not a silent typo.
/// Two scrypt hashes at the OWASP parameters (128 MiB each).
pub const DEFAULT_PASSWORD_HASH_MEMORY_MB: u64 = 256;

/// Thirty days: a stolen seed signs for a month at most, and a rotation is rare enough to be
/// noticed in the logs.
pub const DEFAULT_SIGNING_KEY_ROTATE_S: u64 = 30 * 24 * 3600;

/// Memory one scrypt hash takes at N=2^17, r=8 (128 · r · N bytes).
pub const SCRYPT_MEMORY_MB: u64 = 128;

impl Config {
    /// Hashing slots of the password pool: the explicit concurrency, or what the memory budget
    /// allows, never fewer than one.
    pub fn password_hash_slots(&self) -> usize {
        self.password_hash_concurrency
            .unwrap_or_else(|| (self.password_hash_memory_mb / SCRYPT_MEMORY_MB).max(1) as usize)
    }
}

const KNOWN: &[&str] = &[
    "PASSWORD_HASH_CONCURRENCY",
    "PASSWORD_HASH_MEMORY_MB",
    "PASSWORD_HASH_WAIT_MS",
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
    "ENCODER",
    "ARK_API_KEY",
    "ARK_BASE_URL",
    "ARK_IMAGE_MODEL",
    "ARK_VIDEO_MODEL",
    "FREE_TRIALS",
    "MAX_PHOTO_BYTES",
    "MAX_PHOTO_PIXELS",
    "GRPC_MAX_MESSAGE_BYTES",
    "DECODE_MEMORY_MB",
    "MAX_UPLOAD_BYTES",
    "UPLOAD_SPOOL_MB",
    "UPLOAD_SPOOL_DIR",
    "ACCESS_TOKEN_TTL_S",
    "REFRESH_TOKEN_TTL_S",
    "SIGNING_KEY_ROTATE_S",
    "WORKER_CONCURRENCY",
    "TASK_MAX_ATTEMPTS",
    "LOG_FORMAT",
    // limits and accounts
    "TRUSTED_PROXIES",
    "RATE_LIMIT_LOGIN",
    "RATE_LIMIT_REGISTER",
    "RATE_LIMIT_SUBMIT",
    "MAX_JOBS_IN_FLIGHT",
    "TRIALS_PER_IP_PER_DAY",
    "REVIEWS_PER_IP_PER_DAY",
    "STREAM_MAX_S",
    "STREAM_IDLE_S",
    "MAX_STREAMS_PER_ACCOUNT",
    "BILLING_WEBHOOK_SECRET",
    // partner webhooks
    "WEBHOOK_RETRY_BASE_S",
    "WEBHOOK_TIMEOUT_S",
    "WEBHOOK_GIVE_UP_S",
    "WEBHOOK_ALLOWED_NETWORKS",
    // browsers
    "CORS_ORIGINS",
    // secrets at rest
    "ENCRYPTION_KEY",
    // internal services
    "INTERNAL_GRPC_ADDR",
    "INTERNAL_SECRET",
];

/// A web origin as browsers send it in `Origin`: `http` or `https`, a host, an optional port,
/// nothing else (no path, no trailing slash, no wildcard), lower-cased. Browsers compare origins
/// byte for byte, so a near miss here would silently never match.
fn parse_origin(o: &str) -> Result<String, String> {
    let lower = o.to_ascii_lowercase();
    let bad = |why: &str| Err(format!("`{o}` is not a web origin ({why}; e.g. `https://shop.example.com`)"));
    let Some((scheme, rest)) = lower.split_once("://") else {
        return bad("no scheme");
    };
    if scheme != "http" && scheme != "https" {
        return bad("the scheme must be http or https");
    }
    let (host, port) = if rest.starts_with('[') {
        let Some(end) = rest.find(']') else { return bad("an IPv6 host needs its closing `]`") };
        match &rest[end + 1..] {
            "" => (&rest[..=end], None),
            after => match after.strip_prefix(':') {
                Some(p) => (&rest[..=end], Some(p)),
                None => return bad("nothing may follow the host but a port"),
            },
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let host_ok = !host.is_empty()
        && ((host.starts_with('[')
            && host[1..host.len() - 1].chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.'))
            || host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    if !host_ok {
        return bad("the host may hold letters, digits, dots and dashes only, and no path");
    }
    if let Some(p) = port
        && !p.parse::<u16>().is_ok_and(|n| n != 0)
    {
        return bad("the port must be 1-65535");
    }
    Ok(lower)
}

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
        if let Some(v) = get("GLIMVID_ENCODER") {
            if !matches!(v.as_str(), "bundled" | "system" | "auto") {
                return Err(ConfigError::Invalid {
                    var: "GLIMVID_ENCODER".into(),
                    message: format!("{v:?} is not one of bundled, system, auto"),
                });
            }
            c.encoder = v;
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
        if let Some(v) = get("GLIMVID_GRPC_MAX_MESSAGE_BYTES") {
            c.grpc_max_message_bytes = parse("GLIMVID_GRPC_MAX_MESSAGE_BYTES", &v)?;
        }
        if let Some(v) = get("GLIMVID_DECODE_MEMORY_MB") {
            c.decode_memory_mb = parse("GLIMVID_DECODE_MEMORY_MB", &v)?;
        }
        if let Some(v) = get("GLIMVID_MAX_UPLOAD_BYTES") {
            c.max_upload_bytes = parse("GLIMVID_MAX_UPLOAD_BYTES", &v)?;
        }
        if let Some(v) = get("GLIMVID_UPLOAD_SPOOL_MB") {
            c.upload_spool_mb = parse("GLIMVID_UPLOAD_SPOOL_MB", &v)?;
        }
        if let Some(v) = get("GLIMVID_UPLOAD_SPOOL_DIR") {
            c.upload_spool_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("GLIMVID_ACCESS_TOKEN_TTL_S") {
            c.access_token_ttl = Duration::from_secs(parse("GLIMVID_ACCESS_TOKEN_TTL_S", &v)?);
        }
        if let Some(v) = get("GLIMVID_REFRESH_TOKEN_TTL_S") {
            c.refresh_token_ttl = Duration::from_secs(parse("GLIMVID_REFRESH_TOKEN_TTL_S", &v)?);
        }
        if let Some(v) = get("GLIMVID_SIGNING_KEY_ROTATE_S") {
            c.signing_key_rotate = Duration::from_secs(parse::<u64>("GLIMVID_SIGNING_KEY_ROTATE_S", &v)?.max(1));
        }
        if let Some(v) = get("GLIMVID_PASSWORD_HASH_CONCURRENCY") {
            c.password_hash_concurrency = Some(parse::<usize>("GLIMVID_PASSWORD_HASH_CONCURRENCY", &v)?.clamp(1, 1024));
        }
        if let Some(v) = get("GLIMVID_PASSWORD_HASH_MEMORY_MB") {
            c.password_hash_memory_mb = parse("GLIMVID_PASSWORD_HASH_MEMORY_MB", &v)?;
        }
        if let Some(v) = get("GLIMVID_PASSWORD_HASH_WAIT_MS") {
            c.password_hash_wait = Duration::from_millis(parse("GLIMVID_PASSWORD_HASH_WAIT_MS", &v)?);
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
        // limits and accounts
        if let Some(v) = get("GLIMVID_TRUSTED_PROXIES") {
            c.trusted_proxies = v
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| parse("GLIMVID_TRUSTED_PROXIES", p))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("GLIMVID_RATE_LIMIT_LOGIN") {
            c.rate_limit_login = parse("GLIMVID_RATE_LIMIT_LOGIN", &v)?;
        }
        if let Some(v) = get("GLIMVID_RATE_LIMIT_REGISTER") {
            c.rate_limit_register = parse("GLIMVID_RATE_LIMIT_REGISTER", &v)?;
        }
        if let Some(v) = get("GLIMVID_RATE_LIMIT_SUBMIT") {
            c.rate_limit_submit = parse("GLIMVID_RATE_LIMIT_SUBMIT", &v)?;
        }
        if let Some(v) = get("GLIMVID_MAX_JOBS_IN_FLIGHT") {
            c.max_jobs_in_flight = parse("GLIMVID_MAX_JOBS_IN_FLIGHT", &v)?;
        }
        if let Some(v) = get("GLIMVID_TRIALS_PER_IP_PER_DAY") {
            c.trials_per_ip_per_day = parse("GLIMVID_TRIALS_PER_IP_PER_DAY", &v)?;
        }
        if let Some(v) = get("GLIMVID_REVIEWS_PER_IP_PER_DAY") {
            c.reviews_per_ip_per_day = parse("GLIMVID_REVIEWS_PER_IP_PER_DAY", &v)?;
        }
        if let Some(v) = get("GLIMVID_STREAM_MAX_S") {
            c.stream_max = Duration::from_secs(parse::<u64>("GLIMVID_STREAM_MAX_S", &v)?.max(1));
        }
        if let Some(v) = get("GLIMVID_STREAM_IDLE_S") {
            c.stream_idle = Duration::from_secs(parse::<u64>("GLIMVID_STREAM_IDLE_S", &v)?.max(1));
        }
        if let Some(v) = get("GLIMVID_MAX_STREAMS_PER_ACCOUNT") {
            c.max_streams_per_account = parse("GLIMVID_MAX_STREAMS_PER_ACCOUNT", &v)?;
        }
        // partner webhooks
        if let Some(v) = get("GLIMVID_WEBHOOK_RETRY_BASE_S") {
            c.webhook_retry_base =
                Duration::from_secs(parse::<u64>("GLIMVID_WEBHOOK_RETRY_BASE_S", &v)?.clamp(1, 3600));
        }
        if let Some(v) = get("GLIMVID_WEBHOOK_TIMEOUT_S") {
            c.webhook_timeout = Duration::from_secs(parse::<u64>("GLIMVID_WEBHOOK_TIMEOUT_S", &v)?.clamp(1, 120));
        }
        if let Some(v) = get("GLIMVID_WEBHOOK_GIVE_UP_S") {
            c.webhook_give_up = Duration::from_secs(parse::<u64>("GLIMVID_WEBHOOK_GIVE_UP_S", &v)?.max(1));
        }
        if let Some(v) = get("GLIMVID_WEBHOOK_ALLOWED_NETWORKS") {
            c.webhook_allowed_networks = v
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| parse("GLIMVID_WEBHOOK_ALLOWED_NETWORKS", p))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("GLIMVID_CORS_ORIGINS") {
            c.cors_origins = v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| {
                    parse_origin(o)
                        .map_err(|message| ConfigError::Invalid { var: "GLIMVID_CORS_ORIGINS".into(), message })
                })
                .collect::<Result<_, _>>()?;
        }
        c.billing_webhook_secret = get("GLIMVID_BILLING_WEBHOOK_SECRET").map(Secret::new);
        c.encryption_key = get("GLIMVID_ENCRYPTION_KEY").map(Secret::new);
        if let Some(k) = &c.encryption_key {
            crate::seal::Sealer::from_base64(k.expose())
                .map_err(|e| ConfigError::Invalid { var: "GLIMVID_ENCRYPTION_KEY".into(), message: e.to_string() })?;
        } else if c.database_url.is_some() {
            return Err(ConfigError::Invalid {
                var: "GLIMVID_ENCRYPTION_KEY".into(),
                message: "required with GLIMVID_DATABASE_URL: every service of a deployment seals and opens the \
                          database's secrets with the same key (32 bytes, base64: `openssl rand -base64 32`)"
                    .into(),
            });
        }
        if let Some(v) = get("GLIMVID_INTERNAL_GRPC_ADDR") {
            c.internal_grpc_addr = v;
        }
        c.internal_secret = get("GLIMVID_INTERNAL_SECRET").map(Secret::new);
        if let Some(s) = &c.internal_secret {
            crate::service_token::ServiceKey::new(s.expose())
                .map_err(|message| ConfigError::Invalid { var: "GLIMVID_INTERNAL_SECRET".into(), message })?;
        }
        Ok(c)
    }

    /// The key of internal service tokens: the configured secret; or, when `required` is false
    /// (one process that calls only itself), a random one.
    pub fn service_key(&self, required: bool) -> Result<crate::service_token::ServiceKey, ConfigError> {
        match &self.internal_secret {
            Some(s) => crate::service_token::ServiceKey::new(s.expose())
                .map_err(|message| ConfigError::Invalid { var: "GLIMVID_INTERNAL_SECRET".into(), message }),
            None if !required => Ok(crate::service_token::ServiceKey::random()),
            None => Err(ConfigError::Invalid {
                var: "GLIMVID_INTERNAL_SECRET".into(),
                message: "required when the auth service and the gateway run apart: both sign and check internal \
                          calls with it (at least 32 characters: `openssl rand -base64 32`)"
                    .into(),
            }),
        }
    }

    /// The sealer of secrets at rest: the configured key, or (embedded mode) the data folder's.
    pub fn sealer(&self) -> Result<crate::seal::Sealer, crate::seal::SealError> {
        match &self.encryption_key {
            Some(k) => crate::seal::Sealer::from_base64(k.expose()),
            None => crate::seal::Sealer::load_or_create(&self.data_dir.join("keys").join("encryption.key")),
        }
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
    fn webhook_allowed_networks_parse_or_stop_the_start() {
        assert!(Config::from_vars(vars(&[])).unwrap().webhook_allowed_networks.is_empty());
        let c = Config::from_vars(vars(&[("GLIMVID_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8, fd00::/8")])).unwrap();
        assert_eq!(c.webhook_allowed_networks.len(), 2);
        assert!(c.webhook_allowed_networks[0].contains(&"127.1.2.3".parse().unwrap()));
        for bad in ["127.0.0.0/33", "localhost", "10.0.0.0/8,nope"] {
            let e = Config::from_vars(vars(&[("GLIMVID_WEBHOOK_ALLOWED_NETWORKS", bad)])).unwrap_err();
            assert!(e.to_string().starts_with("GLIMVID_WEBHOOK_ALLOWED_NETWORKS"), "{bad}: {e}");
        }
    }

    #[test]
    fn cors_origins_are_exact_origins_or_stop_the_start() {
        assert!(Config::from_vars(vars(&[])).unwrap().cors_origins.is_empty(), "none by default");
        let c =
            Config::from_vars(vars(&[("GLIMVID_CORS_ORIGINS", "https://Shop.Example.com, http://localhost:3000,")]))
                .unwrap();
        assert_eq!(c.cors_origins, ["https://shop.example.com", "http://localhost:3000"]);
        for bad in
            ["*", "shop.example.com", "https://shop.example.com/", "ftp://x.y", "https://a.b:0", "https://a.b:99999"]
        {
            let e = Config::from_vars(vars(&[("GLIMVID_CORS_ORIGINS", bad)])).unwrap_err();
            assert!(e.to_string().starts_with("GLIMVID_CORS_ORIGINS"), "{bad}: {e}");
        }
    }

    #[test]
    fn password_hash_pool_is_sized_by_concurrency_or_memory() {
        let c = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(c.password_hash_slots(), 2);
        assert_eq!(c.password_hash_wait, Duration::from_millis(2000));
        let c = Config::from_vars(vars(&[("GLIMVID_PASSWORD_HASH_MEMORY_MB", "1024")])).unwrap();
        assert_eq!(c.password_hash_slots(), 8);
        let c = Config::from_vars(vars(&[("GLIMVID_PASSWORD_HASH_MEMORY_MB", "64")])).unwrap();
        assert_eq!(c.password_hash_slots(), 1);
        let c = Config::from_vars(vars(&[
            ("GLIMVID_PASSWORD_HASH_CONCURRENCY", "3"),
            ("GLIMVID_PASSWORD_HASH_MEMORY_MB", "1024"),
            ("GLIMVID_PASSWORD_HASH_WAIT_MS", "50"),
        ]))
        .unwrap();
        assert_eq!(c.password_hash_slots(), 3);
        assert_eq!(c.password_hash_wait, Duration::from_millis(50));
    }

    #[test]
    fn stream_limits_parse() {
        let d = Config::from_vars(vars(&[])).unwrap();
        assert_eq!((d.stream_max.as_secs(), d.stream_idle.as_secs(), d.max_streams_per_account), (3600, 600, 5));
        assert_eq!(d.reviews_per_ip_per_day, 5);
        let c = Config::from_vars(vars(&[
            ("GLIMVID_STREAM_MAX_S", "60"),
            ("GLIMVID_STREAM_IDLE_S", "2"),
            ("GLIMVID_MAX_STREAMS_PER_ACCOUNT", "0"),
        ]))
        .unwrap();
        assert_eq!((c.stream_max.as_secs(), c.stream_idle.as_secs(), c.max_streams_per_account), (60, 2, 0));
        assert!(Config::from_vars(vars(&[("GLIMVID_STREAM_IDLE_S", "soon")])).is_err());
    }

    #[test]
    fn limits_and_proxies_parse() {
        let c = Config::from_vars(vars(&[
            ("GLIMVID_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1/128"),
            ("GLIMVID_RATE_LIMIT_LOGIN", "3/1m"),
            ("GLIMVID_RATE_LIMIT_SUBMIT", "7/90"),
            ("GLIMVID_BILLING_WEBHOOK_SECRET", "whsec_topsecret"),
        ]))
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        assert!(c.trusted_proxies[0].contains(&"10.1.2.3".parse().unwrap()));
        assert!(!c.trusted_proxies[0].contains(&"11.1.2.3".parse().unwrap()));
        assert!(c.trusted_proxies[1].contains(&"::ffff:127.0.0.1".parse().unwrap()));
        assert!(!c.trusted_proxies[1].contains(&"127.0.0.2".parse().unwrap()));
        assert!(c.trusted_proxies[2].contains(&"::1".parse().unwrap()));
        assert_eq!(c.rate_limit_login, RateRule { limit: 3, window: Duration::from_secs(60) });
        assert_eq!(c.rate_limit_submit, RateRule { limit: 7, window: Duration::from_secs(90) });
        assert!(!format!("{c:?}").contains("whsec_topsecret"));
        let e = Config::from_vars(vars(&[("GLIMVID_TRUSTED_PROXIES", "10.0.0.0/33")])).unwrap_err();
        assert!(e.to_string().starts_with("GLIMVID_TRUSTED_PROXIES"), "{e}");
        assert!(Config::from_vars(vars(&[("GLIMVID_RATE_LIMIT_LOGIN", "ten a minute")])).is_err());
        assert!(Config::from_vars(vars(&[("GLIMVID_RATE_LIMIT_LOGIN", "10/0s")])).is_err());
    }

    #[test]
    fn signing_key_rotation_parses() {
        assert_eq!(Config::from_vars(vars(&[])).unwrap().signing_key_rotate, Duration::from_secs(30 * 24 * 3600));
        let c = Config::from_vars(vars(&[("GLIMVID_SIGNING_KEY_ROTATE_S", "2")])).unwrap();
        assert_eq!(c.signing_key_rotate, Duration::from_secs(2));
        let c = Config::from_vars(vars(&[("GLIMVID_SIGNING_KEY_ROTATE_S", "0")])).unwrap();
        assert_eq!(c.signing_key_rotate, Duration::from_secs(1), "never a busy loop");
        let e = Config::from_vars(vars(&[("GLIMVID_SIGNING_KEY_ROTATE_S", "monthly")])).unwrap_err();
        assert!(e.to_string().starts_with("GLIMVID_SIGNING_KEY_ROTATE_S"), "{e}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = Config::from_vars(vars(&[("GLIMVID_FREE_TRIALS", "many")])).unwrap_err();
        assert!(e.to_string().starts_with("GLIMVID_FREE_TRIALS"), "{e}");
        assert!(Config::from_vars(vars(&[("GLIMVID_LOG_FORMAT", "xml")])).is_err());
    }
}
