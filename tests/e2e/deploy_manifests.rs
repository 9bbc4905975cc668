//! What the deployment files promise about exposure, read from the files themselves: only the
//! gateway reaches auth, the operations ports are not public, the ingress's forwarded addresses
//! are believed, and every service of one deployment shares the internal secret.

use std::path::PathBuf;

fn repo_file(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// The YAML documents of a multi-document file that contain every one of `needles`.
fn documents_with<'a>(file: &'a str, needles: &[&str]) -> Vec<&'a str> {
    file.split("\n---").filter(|d| needles.iter().all(|n| d.contains(n))).collect()
}

#[test]
fn only_the_gateway_reaches_auth_and_everything_else_is_closed_by_default() {
    let policies = repo_file("deploy/k8s/network-policies.yaml");
    let deny = documents_with(&policies, &["kind: NetworkPolicy", "podSelector: {}", "policyTypes: [Ingress]"]);
    assert_eq!(deny.len(), 1, "a default-deny ingress policy for the whole namespace");
    assert!(!deny[0].contains("ingress:"), "the default policy allows nothing");
    let auth = documents_with(&policies, &["kind: NetworkPolicy", "name: glimvid-auth }"]);
    assert_eq!(auth.len(), 1, "one policy selects the auth pods");
    let from: Vec<&str> = auth[0].lines().filter(|l| l.contains("Selector:")).collect();
    assert_eq!(from.len(), 2, "the auth pods, and one allowed peer: {from:?}");
    assert!(from[1].contains("glimvid-gateway"), "only the gateway may reach auth: {from:?}");
    assert!(auth[0].contains("port: 50051"));
    // The operations ports are reachable from the monitoring namespace only, and no Service
    // publishes them.
    let ops = documents_with(&policies, &["kind: NetworkPolicy", "port: 9090"]);
    assert_eq!(ops.len(), 1);
    assert!(ops[0].contains("kubernetes.io/metadata.name: monitoring"));
    let gateway = repo_file("deploy/k8s/gateway.yaml");
    assert!(gateway.contains(r#"GLIMVID_OPS_ADDR, value: "0.0.0.0:9090""#));
    let service = documents_with(&gateway, &["kind: Service"]);
    assert_eq!(service.len(), 1);
    assert!(!service[0].contains("9090"), "the gateway's Service must not publish the operations port");
}

#[test]
fn the_ingress_is_a_trusted_proxy_and_the_secrets_are_shared() {
    let config = repo_file("deploy/k8s/00-namespace-config.yaml");
    assert!(config.contains("GLIMVID_TRUSTED_PROXIES:"), "the gateway must believe the ingress's X-Forwarded-For");
    assert!(config.contains("GLIMVID_INTERNAL_SECRET:"));
    assert!(config.contains("GLIMVID_ENCRYPTION_KEY:"));
    let ingress = repo_file("deploy/k8s/ingress.yaml");
    assert!(ingress.contains("kind: Ingress") && ingress.contains("name: glimvid-gateway"));
    assert!(!ingress.contains("glimvid-auth"), "auth is never behind the ingress");

    let compose = repo_file("docker-compose.yml");
    assert!(compose.contains("GLIMVID_INTERNAL_SECRET: ${GLIMVID_INTERNAL_SECRET:?"));
    let auth = compose.split("\n  auth:").nth(1).expect("an auth service").split("\n  gateway:").next().unwrap_or("");
    assert!(!auth.contains("ports:"), "the compose file must not publish the auth service's port");
}

/// What one process of a service may hold at worst, MiB, from the settings it runs with. The
/// per-unit costs are measured and documented in docs/security.md ("Worst-case memory per
/// service"); a setting raised in a manifest without raising the pod's limit fails here.
mod worst_case {
    /// The process itself: runtime, connection pools, TLS, buffers of idle connections.
    pub const BASE_MB: u64 = 96;
    /// One scrypt hash (N = 2^17, r = 8).
    pub const HASH_MB: u64 = 128;
    /// Enhancing one photo at the 40 MP upload limit: the stored photo (at most its raw size,
    /// 160 MB, in practice 20 MB) plus 267 MB of decode and working buffers measured for a 40 MP
    /// RGBA PNG (`cargo run --release -p glimvid-media --example worst_case_memory`), rounded up.
    pub const ENHANCE_TASK_MB: u64 = 448;
    /// Rendering a 60 s 1080x1920 video, libx264 through ffmpeg (the larger of the two encoders,
    /// docs/media-engine.md), rounded up.
    pub const RENDER_TASK_MB: u64 = 320;
    /// Writing a script: a provider's answer (bounded), the job's view, and the voice-over said
    /// ahead (a 60 s video's at most: 60 s of 24 kHz float samples, ~6 MB, held up to three times
    /// while it is stored).
    pub const SCRIPT_TASK_MB: u64 = 32;
    /// The local speech engine, once per process (script and render workers): the model loaded
    /// and one run's working memory (runs are bounded, and one at a time). Measured by
    /// `scripts/bench-media`: 553–571 MB more for a render that speaks than for a silent one,
    /// 611–639 MB peak for the script stage's step alone (its process included); rounded up.
    pub const SPEECH_MB: u64 = 640;
    /// The gateway's upload path besides the decode budget: spooled parts hold only chunk buffers.
    pub const UPLOAD_BUFFERS_MB: u64 = 64;
}

/// A manifest's `GLIMVID_*` setting (`- { name: X, value: "v" }`), if it sets one.
fn env_value(manifest: &str, name: &str) -> Option<u64> {
    let needle = format!("name: {name}, value: \"");
    let start = manifest.find(&needle)? + needle.len();
    manifest[start..].split('"').next()?.parse().ok()
}

/// The container's memory limit, MiB.
fn memory_limit_mb(manifest: &str) -> u64 {
    let line = manifest.lines().find(|l| l.contains("limits:") && l.contains("memory:")).expect("a memory limit");
    let value = line.split("memory:").nth(1).unwrap().trim().trim_start_matches('"');
    let value = value.split('"').next().unwrap();
    if let Some(gi) = value.strip_suffix("Gi") {
        gi.parse::<u64>().unwrap() * 1024
    } else {
        value.strip_suffix("Mi").expect("Mi or Gi").parse().unwrap()
    }
}

#[test]
fn every_pod_limit_covers_its_documented_worst_case() {
    use worst_case::*;
    // Each service's worst case from the settings its Deployment sets (defaults otherwise).
    let worst_of = |service: &str, m: &str| -> u64 {
        let tasks = env_value(m, "GLIMVID_WORKER_CONCURRENCY").unwrap_or(1);
        match service {
            "auth" => {
                let slots = env_value(m, "GLIMVID_PASSWORD_HASH_CONCURRENCY").unwrap_or_else(|| {
                    (env_value(m, "GLIMVID_PASSWORD_HASH_MEMORY_MB").unwrap_or(256) / HASH_MB).max(1)
                });
                BASE_MB + slots * HASH_MB
            }
            "gateway" => BASE_MB + env_value(m, "GLIMVID_DECODE_MEMORY_MB").unwrap_or(512) + UPLOAD_BUFFERS_MB,
            "enhance" => BASE_MB + tasks * ENHANCE_TASK_MB,
            "render" => BASE_MB + SPEECH_MB + tasks * RENDER_TASK_MB,
            _ => BASE_MB + SPEECH_MB + tasks * SCRIPT_TASK_MB,
        }
    };
    for service in ["auth", "gateway", "enhance", "render", "script"] {
        let manifest = repo_file(&format!("deploy/k8s/{service}.yaml"));
        let deployment = documents_with(&manifest, &["kind: Deployment"]);
        assert_eq!(deployment.len(), 1, "{service}: one Deployment");
        let (limit, worst) = (memory_limit_mb(deployment[0]), worst_of(service, deployment[0]));
        assert!(limit >= worst, "{service}: the pod's limit {limit} MiB is below its worst case {worst} MiB");
        // The settings that size the worst case are written in the manifest, not left implicit.
        let knob = match service {
            "auth" => "GLIMVID_PASSWORD_HASH_MEMORY_MB",
            "gateway" => "GLIMVID_DECODE_MEMORY_MB",
            _ => "GLIMVID_WORKER_CONCURRENCY",
        };
        assert!(env_value(deployment[0], knob).is_some(), "{service}: set {knob} explicitly next to the limit");
    }
}

#[test]
fn the_worst_case_arithmetic_reads_the_manifests() {
    let m = "          env:\n            - { name: GLIMVID_WORKER_CONCURRENCY, value: \"3\" }\n          resources:\n            limits: { memory: \"2Gi\" }\n";
    assert_eq!(env_value(m, "GLIMVID_WORKER_CONCURRENCY"), Some(3));
    assert_eq!(env_value(m, "GLIMVID_DECODE_MEMORY_MB"), None);
    assert_eq!(memory_limit_mb(m), 2048);
    assert_eq!(memory_limit_mb("limits: { memory: \"768Mi\" }"), 768);
}
