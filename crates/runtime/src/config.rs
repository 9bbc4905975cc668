//! The one typed configuration of every service, in sections by responsibility (`server`,
//! `storage`, `providers`, `auth`, `limits`, `webhooks`, `workers`). Sources, later winning:
//! defaults, then a TOML file (`GLIMVID_CONFIG_FILE`, one table per section), then `GLIMVID_*`
//! environment variables. Anything unset means the embedded mode: SQLite, the database queue,
//! the filesystem store, the offline writer and the local media engine, all under the data folder.
//!
//! A file value is turned into text and read exactly like its variable, so the two can never
//! disagree on what a value means.

mod sections;
mod values;

use std::collections::HashMap;

use serde::Deserialize;

pub use sections::{
    AuthConfig, DEFAULT_PASSWORD_HASH_MEMORY_MB, DEFAULT_SIGNING_KEY_ROTATE_S, LimitsConfig, ProvidersConfig, S3Config,
    SCRYPT_MEMORY_MB, ServerConfig, Setting, StorageConfig, WebhooksConfig, WorkersConfig,
};
pub use values::{IpNet, RateRule, Secret};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: {message}")]
    Invalid { var: String, message: String },
    #[error("config file {path}: {message}")]
    File { path: String, message: String },
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub providers: ProvidersConfig,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub webhooks: WebhooksConfig,
    pub workers: WorkersConfig,
}

/// The whole file: one optional table per section, nothing else.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    server: sections::RawServer,
    #[serde(default)]
    storage: sections::RawStorage,
    #[serde(default)]
    providers: sections::RawProviders,
    #[serde(default)]
    auth: sections::RawAuth,
    #[serde(default)]
    limits: sections::RawLimits,
    #[serde(default)]
    webhooks: sections::RawWebhooks,
    #[serde(default)]
    workers: sections::RawWorkers,
}

/// A TOML value as the text its variable would hold (`7`, `true`, a string without quotes).
fn value_text(v: toml::Value) -> String {
    match v {
        toml::Value::String(s) => s,
        other => other.to_string(),
    }
}

impl Config {
    /// Every setting of every section, in the order of the sections.
    pub fn settings() -> impl Iterator<Item = &'static Setting> {
        [
            ServerConfig::SETTINGS,
            StorageConfig::SETTINGS,
            ProvidersConfig::SETTINGS,
            AuthConfig::SETTINGS,
            LimitsConfig::SETTINGS,
            WebhooksConfig::SETTINGS,
            WorkersConfig::SETTINGS,
        ]
        .into_iter()
        .flatten()
    }

    /// From the process environment (and the file it names).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// From explicit variables (tests); reads the file named by `GLIMVID_CONFIG_FILE` if any.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut map: HashMap<String, String> = vars.into_iter().filter(|(k, _)| k.starts_with("GLIMVID_")).collect();
        if let Some(path) = map.get("GLIMVID_CONFIG_FILE").cloned() {
            read_file(&path)?.into_vars(&mut map);
        }
        let get = |k: &str| map.get(k).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut c = Self::default();
        c.server.apply(&get)?;
        c.storage.apply(&get)?;
        c.providers.apply(&get)?;
        c.auth.apply(&get)?;
        c.limits.apply(&get)?;
        c.webhooks.apply(&get)?;
        c.workers.apply(&get)?;
        if c.storage.database_url.is_some() && c.storage.encryption_key.is_none() {
            return Err(ConfigError::Invalid {
                var: "GLIMVID_ENCRYPTION_KEY".into(),
                message: "required with GLIMVID_DATABASE_URL: every service of a deployment seals and opens the \
                          database's secrets with the same key (32 bytes, base64: `openssl rand -base64 32`)"
                    .into(),
            });
        }
        Ok(c)
    }
}

impl RawFile {
    fn into_vars(self, vars: &mut HashMap<String, String>) {
        self.server.into_vars(vars);
        self.storage.into_vars(vars);
        self.providers.into_vars(vars);
        self.auth.into_vars(vars);
        self.limits.into_vars(vars);
        self.webhooks.into_vars(vars);
        self.workers.into_vars(vars);
    }
}

/// Reads the TOML file. A key outside the known sections and settings is an error, not a silent
/// typo; a setting written at the top level (the flat layout of earlier versions) is told which
/// table it belongs in.
fn read_file(path: &str) -> Result<RawFile, ConfigError> {
    let err = |message: String| ConfigError::File { path: path.to_owned(), message };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    for (k, v) in &table {
        if v.is_table() {
            continue;
        }
        let flat = format!("GLIMVID_{}", k.to_ascii_uppercase());
        return Err(err(match Config::settings().find(|s| s.env == flat) {
            Some(s) => format!("`{k}` belongs in the `[{}]` table, as `{}`", s.section, s.key),
            None => format!("unknown setting `{k}`"),
        }));
    }
    toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| err(e.message().to_owned()))
}

#[cfg(test)]
mod tests;
