//! The partner gRPC port serves only the partner API; the internal services (auth, script,
//! enhance) answer only our own processes. Probed as an outsider: the account-takeover call of
//! the security issue (`AuthService/CreateApiKey` with a victim's user id) on every port it
//! could reach, reflection's listing, and forged or unsigned service tokens.

use glimvid_proto::auth::v1::{self as auth_pb, auth_service_client::AuthServiceClient};
use glimvid_proto::script::v1::{self as script_pb, script_service_client::ScriptServiceClient};
use tonic::{Code, Request, transport::Channel};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::distributed::{REAL_BACKENDS, RealRun, real_backends};
use crate::helpers::{TestApp, TestUser, spawn_app, spawn_distributed};

async fn channel(url: &str) -> Channel {
    Channel::from_shared(url.to_owned()).expect("URL").connect().await.expect("gRPC connect")
}

/// The services that reflection on `url` lists, or the status it answered with.
async fn listed_services(url: &str) -> Result<Vec<String>, tonic::Status> {
    let mut c = ServerReflectionClient::new(channel(url).await);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = c.server_reflection_info(tokio_stream::iter([req])).await?.into_inner();
    let first = answers.message().await?.expect("one answer");
    match first.message_response {
        Some(MessageResponse::ListServicesResponse(l)) => Ok(l.service.into_iter().map(|s| s.name).collect()),
        other => panic!("unexpected reflection answer: {other:?}"),
    }
}

fn takeover(user_id: &str) -> Request<auth_pb::CreateApiKeyRequest> {
    Request::new(auth_pb::CreateApiKeyRequest {
        user_id: user_id.into(),
        name: "stolen".into(),
        scopes: vec!["videos:read".into(), "videos:write".into()],
        expires_in_days: None,
    })
}

async fn api_key_count(app: &TestApp, token: &str) -> usize {
    let r = app.client.get(app.url("/api/v1/account/api-keys")).bearer_auth(token).send().await.expect("GET keys");
    assert!(r.status().is_success(), "{}", r.status());
    let v: serde_json::Value = r.json().await.expect("JSON");
    v["items"].as_array().or(v.as_array()).map_or(0, Vec::len)
}

#[tokio::test]
async fn the_partner_port_serves_only_the_partner_api() {
    let app = spawn_app().await;
    let victim = app.register_user().await;

    let err = AuthServiceClient::new(channel(&app.grpc_address).await)
        .create_api_key(takeover(&victim.id))
        .await
        .expect_err("the partner port must not serve AuthService");
    assert_eq!(err.code(), Code::Unimplemented, "{err:?}");
    let err = ScriptServiceClient::new(channel(&app.grpc_address).await)
        .generate_script(Request::new(script_pb::GenerateScriptRequest {
            description: "free provider money".into(),
            ..Default::default()
        }))
        .await
        .expect_err("the partner port must not serve ScriptService");
    assert_eq!(err.code(), Code::Unimplemented, "{err:?}");

    let mut listed = listed_services(&app.grpc_address).await.expect("reflection on the partner port");
    listed.sort();
    assert!(listed.contains(&"glimvid.jobs.v1.VideoJobService".to_owned()), "{listed:?}");
    assert!(listed.contains(&"grpc.health.v1.Health".to_owned()), "{listed:?}");
    for name in &listed {
        assert!(
            name == "glimvid.jobs.v1.VideoJobService" || name.starts_with("grpc."),
            "the partner port lists an internal service: {name} (all: {listed:?})"
        );
    }
    assert_eq!(api_key_count(&app, &victim.access_token).await, 0, "no key was created");
}

/// An outsider on the internal port: no token, a forged token, reflection — all UNAUTHENTICATED,
/// and nothing created.
async fn outsider_is_refused_on_the_internal_port(app: &TestApp, victim: &TestUser) {
    let mut auth = AuthServiceClient::new(channel(&app.internal_grpc_address).await);
    let err = auth.create_api_key(takeover(&victim.id)).await.expect_err("no token, no call");
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    let err = auth
        .delete_account(Request::new(auth_pb::DeleteAccountRequest { user_id: victim.id.clone() }))
        .await
        .expect_err("no token, no deletion");
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");

    // A token of the right shape signed with a guessed secret.
    let forged = glimvid_runtime::ServiceKey::new("an-outsiders-guess-of-the-internal-secret").expect("key");
    let mut req = takeover(&victim.id);
    req.metadata_mut().insert("authorization", format!("Bearer {}", forged.mint("gateway")).parse().expect("value"));
    let err = auth.create_api_key(req).await.expect_err("a forged token is refused");
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");

    let err = listed_services(&app.internal_grpc_address).await.expect_err("reflection is internal too");
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    assert_eq!(api_key_count(app, &victim.access_token).await, 0, "no key was created");
    let r = app.client.get(app.url("/api/v1/account")).bearer_auth(&victim.access_token).send().await.expect("GET");
    assert_eq!(r.status(), reqwest::StatusCode::OK, "the account still exists");
}

#[tokio::test]
async fn the_internal_port_is_loopback_and_refuses_callers_without_a_service_token() {
    let app = spawn_app().await;
    let victim = app.register_user().await;
    let host = app.internal_grpc_address.trim_start_matches("http://").rsplit_once(':').expect("host:port").0;
    assert_eq!(host, "127.0.0.1", "the internal port listens on loopback by default");
    outsider_is_refused_on_the_internal_port(&app, &victim).await;

    // Our own gateway still reaches auth through that port: the REST API works end to end.
    let r = app
        .client
        .post(app.url("/api/v1/account/api-keys"))
        .bearer_auth(&victim.access_token)
        .json(&serde_json::json!({
            "name": "mine",
            "scopes": ["videos:read"],
            "current_password": crate::helpers::PASSWORD,
        }))
        .send()
        .await
        .expect("POST api-keys");
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    assert_eq!(api_key_count(&app, &victim.access_token).await, 1);
}

/// The five services apart: the auth service's port answers only the gateway (service tokens
/// signed with the deployment's secret); the gateway's gRPC port serves only the partner API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_distributed_mode_only_the_gateway_reaches_auth() {
    let Some(real) = real_backends() else {
        eprintln!("skipped: set GLIMVID_TEST_DATABASE_URL, GLIMVID_TEST_AMQP_URL and GLIMVID_TEST_S3_* to run");
        return;
    };
    let _serial = REAL_BACKENDS.lock().await;
    let run = RealRun::create(&real, None).await;
    let env = run.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_distributed(&env).await;
    let victim = app.register_user().await;
    outsider_is_refused_on_the_internal_port(&app, &victim).await;
    let err = AuthServiceClient::new(channel(&app.grpc_address).await)
        .create_api_key(takeover(&victim.id))
        .await
        .expect_err("the gateway's partner port must not serve AuthService");
    assert_eq!(err.code(), Code::Unimplemented, "{err:?}");
    assert_eq!(app.get("/metrics", None).await.status(), reqwest::StatusCode::NOT_FOUND);
    let r = app.client.get(format!("{}/metrics", app.ops_address)).send().await.expect("GET ops metrics");
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    drop(app);
    run.cleanup().await;
}
