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
