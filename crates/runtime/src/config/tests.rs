use std::time::Duration;

use super::*;

fn vars(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn unset_means_embedded_defaults() {
    let c = Config::from_vars(vars(&[])).unwrap();
    assert_eq!(c.server.http_addr, "127.0.0.1:8080");
    assert_eq!(c.server.grpc_addr, "127.0.0.1:50051");
    assert!(c.storage.database_url.is_none() && c.storage.amqp_url.is_none() && c.storage.s3().is_none());
    assert!(c.storage.database_url_or_embedded().starts_with("sqlite://./glimvid-data/"));
}

/// A config file in a fresh temporary folder (kept alive by the returned guard).
fn file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("glimvid.toml");
    std::fs::write(&f, text).unwrap();
    let path = f.to_str().unwrap().to_owned();
    (dir, path)
}

#[test]
fn defaults_are_the_documented_ones() {
    let c = Config::default();
    assert_eq!(c.server.internal_grpc_addr, "127.0.0.1:0");
    assert_eq!(c.storage.s3_region, "us-east-1");
    assert_eq!(c.providers.encoder, glimvid_media::EncoderChoice::Bundled);
    assert_eq!(c.providers.deepseek_base_url, "https://api.deepseek.com");
    assert_eq!(c.auth.access_token_ttl, Duration::from_secs(900));
    assert_eq!(c.limits.max_photo_bytes, 20 * 1024 * 1024);
    assert_eq!(c.webhooks.give_up, Duration::from_secs(86_400));
    assert_eq!((c.workers.concurrency, c.workers.task_max_attempts), (1, 5));
    assert!(!c.server.log_json);
}

#[test]
fn file_sections_layer_over_defaults() {
    let (_dir, f) = file(
        "[server]\nhttp_addr = \"0.0.0.0:9000\"\npublic_base_url = \"https://v.example.com/\"\n\
         [storage]\ns3_endpoint = \"http://minio:9000\"\ns3_bucket = \"videos\"\n\
         [providers]\nencoder = \"system\"\n[limits]\nfree_trials = 7\nrate_limit_login = \"3/1m\"\n\
         [webhooks]\ntimeout = 30\n[workers]\nconcurrency = 4\n",
    );
    let c = Config::from_vars(vars(&[("GLIMVID_CONFIG_FILE", &f)])).unwrap();
    assert_eq!(c.server.http_addr, "0.0.0.0:9000");
    assert_eq!(c.server.public_base("ignored"), "https://v.example.com");
    assert_eq!(c.server.grpc_addr, "127.0.0.1:50051", "untouched settings keep their default");
    let s3 = c.storage.s3().unwrap();
    assert_eq!(
        (s3.endpoint.as_str(), s3.bucket.as_str(), s3.region.as_str()),
        ("http://minio:9000", "videos", "us-east-1")
    );
    assert_eq!(c.providers.encoder, glimvid_media::EncoderChoice::System);
    assert_eq!(c.limits.free_trials, 7);
    assert_eq!(c.limits.rate_limit_login, RateRule { limit: 3, window: Duration::from_secs(60) });
    assert_eq!(c.webhooks.timeout, Duration::from_secs(30));
    assert_eq!(c.workers.concurrency, 4);
}

#[test]
fn env_overrides_file_and_secrets_never_print() {
    let (_dir, f) = file("[server]\nhttp_addr = \"0.0.0.0:9000\"\n[limits]\nfree_trials = 7\n");
    let c = Config::from_vars(vars(&[
        ("GLIMVID_CONFIG_FILE", &f),
        ("GLIMVID_FREE_TRIALS", "2"),
        ("GLIMVID_DEEPSEEK_API_KEY", "sk-very-secret"),
    ]))
    .unwrap();
    assert_eq!(c.server.http_addr, "0.0.0.0:9000");
    assert_eq!(c.limits.free_trials, 2);
    let printed = format!("{c:?}");
    assert!(!printed.contains("sk-very-secret"), "{printed}");
    assert!(printed.contains("[redacted]"));
}

#[test]
fn unknown_keys_and_tables_are_refused() {
    for (text, expect) in [
        ("[server]\nhttp_adr = \"x\"\n", "unknown field `http_adr`"),
        ("[serverz]\nhttp_addr = \"x\"\n", "unknown field `serverz`"),
        ("nonsense = 1\n", "unknown setting `nonsense`"),
        ("http_addr = \"0.0.0.0:9000\"\n", "`http_addr` belongs in the `[server]` table"),
        ("webhook_timeout_s = 3\n", "belongs in the `[webhooks]` table, as `timeout`"),
    ] {
        let (_dir, f) = file(text);
        let e = Config::from_vars(vars(&[("GLIMVID_CONFIG_FILE", &f)])).unwrap_err();
        assert!(matches!(e, ConfigError::File { .. }), "{text}: {e}");
        assert!(e.to_string().contains(expect), "{text}: {e}");
    }
}

#[test]
fn a_bad_typed_value_names_its_setting() {
    let (_dir, f) = file("[providers]\nencoder = \"quicktime\"\n");
    let e = Config::from_vars(vars(&[("GLIMVID_CONFIG_FILE", &f)])).unwrap_err();
    assert!(e.to_string().starts_with("GLIMVID_ENCODER:"), "{e}");
    assert!(e.to_string().contains("quicktime"), "{e}");
    let e = Config::from_vars(vars(&[("GLIMVID_WEBHOOK_TIMEOUT_S", "soon")])).unwrap_err();
    assert!(e.to_string().starts_with("GLIMVID_WEBHOOK_TIMEOUT_S:"), "{e}");
}

#[test]
fn every_setting_has_one_variable_and_one_key() {
    let all: Vec<_> = Config::settings().collect();
    let envs: std::collections::HashSet<_> = all.iter().map(|s| s.env).collect();
    let keys: std::collections::HashSet<_> = all.iter().map(|s| (s.section, s.key)).collect();
    assert_eq!(envs.len(), all.len(), "a variable used twice");
    assert_eq!(keys.len(), all.len(), "a key used twice");
    assert!(all.iter().all(|s| s.env.starts_with("GLIMVID_")));
    // The 57 variables of the flat configuration, and the two partner connection caps since.
    assert_eq!(all.len(), 59, "a setting came or went: update this count and docs/configuration.md");
}

#[test]
fn the_documentation_lists_every_variable() {
    let doc = include_str!("../../../../docs/configuration.md");
    for s in Config::settings() {
        assert!(doc.contains(&format!("`{}`", s.env)), "{} is not in docs/configuration.md", s.env);
    }
}

#[test]
fn the_documented_example_file_loads() {
    let doc = include_str!("../../../../docs/configuration.md");
    let example = doc.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).unwrap();
    let (_dir, f) = file(example);
    let c = Config::from_vars(vars(&[("GLIMVID_CONFIG_FILE", &f)])).unwrap();
    assert_eq!(c.server.http_addr, "0.0.0.0:8080");
    assert_eq!(c.providers.encoder, glimvid_media::EncoderChoice::Auto);
    assert_eq!(c.webhooks.timeout, Duration::from_secs(5));
}

#[test]
fn database_url_needs_an_encryption_key() {
    let e = Config::from_vars(vars(&[("GLIMVID_DATABASE_URL", "postgres://x@y/z")])).unwrap_err();
    assert!(e.to_string().starts_with("GLIMVID_ENCRYPTION_KEY"), "{e}");
}

#[test]
fn webhook_allowed_networks_parse_or_stop_the_start() {
    assert!(Config::from_vars(vars(&[])).unwrap().webhooks.allowed_networks.is_empty());
    let c = Config::from_vars(vars(&[("GLIMVID_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8, fd00::/8")])).unwrap();
    assert_eq!(c.webhooks.allowed_networks.len(), 2);
    assert!(c.webhooks.allowed_networks[0].contains(&"127.1.2.3".parse().unwrap()));
    for bad in ["127.0.0.0/33", "localhost", "10.0.0.0/8,nope"] {
        let e = Config::from_vars(vars(&[("GLIMVID_WEBHOOK_ALLOWED_NETWORKS", bad)])).unwrap_err();
        assert!(e.to_string().starts_with("GLIMVID_WEBHOOK_ALLOWED_NETWORKS"), "{bad}: {e}");
    }
}

#[test]
fn cors_origins_are_exact_origins_or_stop_the_start() {
    assert!(Config::from_vars(vars(&[])).unwrap().server.cors_origins.is_empty(), "none by default");
    let c = Config::from_vars(vars(&[("GLIMVID_CORS_ORIGINS", "https://Shop.Example.com, http://localhost:3000,")]))
        .unwrap();
    assert_eq!(c.server.cors_origins, ["https://shop.example.com", "http://localhost:3000"]);
    for bad in ["*", "shop.example.com", "https://shop.example.com/", "ftp://x.y", "https://a.b:0", "https://a.b:99999"]
    {
        let e = Config::from_vars(vars(&[("GLIMVID_CORS_ORIGINS", bad)])).unwrap_err();
        assert!(e.to_string().starts_with("GLIMVID_CORS_ORIGINS"), "{bad}: {e}");
    }
}

#[test]
fn password_hash_pool_is_sized_by_concurrency_or_memory() {
    let c = Config::from_vars(vars(&[])).unwrap();
    assert_eq!(c.auth.password_hash_slots(), 2);
    assert_eq!(c.auth.password_hash_wait, Duration::from_millis(2000));
    let c = Config::from_vars(vars(&[("GLIMVID_PASSWORD_HASH_MEMORY_MB", "1024")])).unwrap();
    assert_eq!(c.auth.password_hash_slots(), 8);
    let c = Config::from_vars(vars(&[("GLIMVID_PASSWORD_HASH_MEMORY_MB", "64")])).unwrap();
    assert_eq!(c.auth.password_hash_slots(), 1);
    let c = Config::from_vars(vars(&[
        ("GLIMVID_PASSWORD_HASH_CONCURRENCY", "3"),
        ("GLIMVID_PASSWORD_HASH_MEMORY_MB", "1024"),
        ("GLIMVID_PASSWORD_HASH_WAIT_MS", "50"),
    ]))
    .unwrap();
    assert_eq!(c.auth.password_hash_slots(), 3);
    assert_eq!(c.auth.password_hash_wait, Duration::from_millis(50));
}

#[test]
fn stream_limits_parse() {
    let d = Config::from_vars(vars(&[])).unwrap();
    assert_eq!(
        (d.limits.stream_max.as_secs(), d.limits.stream_idle.as_secs(), d.limits.max_streams_per_account),
        (3600, 600, 5)
    );
    assert_eq!(d.limits.reviews_per_ip_per_day, 5);
    let c = Config::from_vars(vars(&[
        ("GLIMVID_STREAM_MAX_S", "60"),
        ("GLIMVID_STREAM_IDLE_S", "2"),
        ("GLIMVID_MAX_STREAMS_PER_ACCOUNT", "0"),
    ]))
    .unwrap();
    assert_eq!(
        (c.limits.stream_max.as_secs(), c.limits.stream_idle.as_secs(), c.limits.max_streams_per_account),
        (60, 2, 0)
    );
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
    assert_eq!(c.server.trusted_proxies.len(), 3);
    assert!(c.server.trusted_proxies[0].contains(&"10.1.2.3".parse().unwrap()));
    assert!(!c.server.trusted_proxies[0].contains(&"11.1.2.3".parse().unwrap()));
    assert!(c.server.trusted_proxies[1].contains(&"::ffff:127.0.0.1".parse().unwrap()));
    assert!(!c.server.trusted_proxies[1].contains(&"127.0.0.2".parse().unwrap()));
    assert!(c.server.trusted_proxies[2].contains(&"::1".parse().unwrap()));
    assert_eq!(c.limits.rate_limit_login, RateRule { limit: 3, window: Duration::from_secs(60) });
    assert_eq!(c.limits.rate_limit_submit, RateRule { limit: 7, window: Duration::from_secs(90) });
    assert!(!format!("{c:?}").contains("whsec_topsecret"));
    let e = Config::from_vars(vars(&[("GLIMVID_TRUSTED_PROXIES", "10.0.0.0/33")])).unwrap_err();
    assert!(e.to_string().starts_with("GLIMVID_TRUSTED_PROXIES"), "{e}");
    assert!(Config::from_vars(vars(&[("GLIMVID_RATE_LIMIT_LOGIN", "ten a minute")])).is_err());
    assert!(Config::from_vars(vars(&[("GLIMVID_RATE_LIMIT_LOGIN", "10/0s")])).is_err());
}

#[test]
fn signing_key_rotation_parses() {
    assert_eq!(Config::from_vars(vars(&[])).unwrap().auth.signing_key_rotate, Duration::from_secs(30 * 24 * 3600));
    let c = Config::from_vars(vars(&[("GLIMVID_SIGNING_KEY_ROTATE_S", "2")])).unwrap();
    assert_eq!(c.auth.signing_key_rotate, Duration::from_secs(2));
    let c = Config::from_vars(vars(&[("GLIMVID_SIGNING_KEY_ROTATE_S", "0")])).unwrap();
    assert_eq!(c.auth.signing_key_rotate, Duration::from_secs(1), "never a busy loop");
    let e = Config::from_vars(vars(&[("GLIMVID_SIGNING_KEY_ROTATE_S", "monthly")])).unwrap_err();
    assert!(e.to_string().starts_with("GLIMVID_SIGNING_KEY_ROTATE_S"), "{e}");
}

#[test]
fn bad_values_name_the_variable() {
    let e = Config::from_vars(vars(&[("GLIMVID_FREE_TRIALS", "many")])).unwrap_err();
    assert!(e.to_string().starts_with("GLIMVID_FREE_TRIALS"), "{e}");
    assert!(Config::from_vars(vars(&[("GLIMVID_LOG_FORMAT", "xml")])).is_err());
}
