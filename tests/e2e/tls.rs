//! TLS by configuration (rustls): with `GLIMVID_TLS_CERT_FILE`/`GLIMVID_TLS_KEY_FILE` set, the
//! REST, gRPC and operations listeners answer over TLS only, and the gateway's own calls to the
//! auth service go over it too.

use std::{path::Path, process::Command, time::Duration};

use reqwest::{Certificate, Client};
use serde_json::json;

use crate::helpers::*;

/// A test CA and a server certificate it signs, for `localhost` and `127.0.0.1`.
fn make_certs(dir: &Path) {
    let script = r#"
set -e
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=Glimvid test CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out server.pem 2>/dev/null
"#;
    let out = Command::new("bash").arg("-c").arg(script).current_dir(dir).output().expect("run openssl");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listener_serves_tls_when_configured() {
    let certs = tempfile::tempdir().unwrap();
    make_certs(certs.path());
    let p = |f: &str| certs.path().join(f).display().to_string();
    let ca = std::fs::read(certs.path().join("ca.pem")).unwrap();
    let client = Client::builder()
        .no_proxy()
        .tls_certs_only([Certificate::from_pem(&ca).unwrap()])
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let (cert, key, ca_file) = (p("server.pem"), p("server.key"), p("ca.pem"));
    let env = [
        ("GLIMVID_TLS_CERT_FILE", cert.as_str()),
        ("GLIMVID_TLS_KEY_FILE", key.as_str()),
        ("GLIMVID_TLS_CA_FILE", ca_file.as_str()),
    ];
    let app = spawn_app_with_client(&env, client.clone()).await;
    assert!(app.address.starts_with("https://127.0.0.1:"), "{}", app.address);

    // REST over TLS, including the gateway → auth call over TLS gRPC (register, then log in).
    let user = app.register_user().await;
    let r = app.login(&user.email, &user.password).await;
    assert_eq!(r.status(), 200);
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());

    // Plain HTTP on the same port is refused (no response).
    let plain = app.address.replacen("https://", "http://", 1);
    let r = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("{plain}/healthz"))
        .send()
        .await;
    assert!(r.is_err() || !r.unwrap().status().is_success(), "plain HTTP was answered on a TLS listener");

    // A client that does not trust the CA is refused.
    let untrusting = Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().unwrap();
    assert!(untrusting.get(app.url("/healthz")).send().await.is_err(), "an unknown CA was accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_serves_its_operations_endpoints_over_tls() {
    let certs = tempfile::tempdir().unwrap();
    make_certs(certs.path());
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bin = Path::new(env!("CARGO_BIN_EXE_glimvid")).with_file_name("glimvid-script-service");
    let mut child = tokio::process::Command::new(bin)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GLIMVID_DATA_DIR", data.path())
        .env("GLIMVID_OPS_ADDR", format!("127.0.0.1:{port}"))
        .env("GLIMVID_TLS_CERT_FILE", certs.path().join("server.pem"))
        .env("GLIMVID_TLS_KEY_FILE", certs.path().join("server.key"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the script worker");
    let ca = std::fs::read(certs.path().join("ca.pem")).unwrap();
    let client = Client::builder()
        .no_proxy()
        .tls_certs_only([Certificate::from_pem(&ca).unwrap()])
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}/healthz");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match client.get(&url).send().await {
            Ok(r) => {
                assert_eq!(r.status(), 200);
                assert_eq!(r.json::<serde_json::Value>().await.unwrap(), json!({"status": "ok"}));
                break;
            }
            Err(e) => {
                assert!(std::time::Instant::now() < deadline, "{url}: {e}");
                assert!(child.try_wait().unwrap().is_none(), "the worker exited");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    let _ = child.start_kill();
}
