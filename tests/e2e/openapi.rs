//! The OpenAPI document against the running server: it is OpenAPI 3.1, it names exactly the
//! routes the server answers (found by probing the gateway's app, not from a list kept by hand),
//! and every answer of a real session — status, media type and JSON body — is one the document
//! declares for that path and method. Bodies are validated strictly: a field the document does
//! not name fails as surely as a missing or mistyped one.

use std::{collections::BTreeSet, time::Duration};

use reqwest::{Method, Response, StatusCode, header::CONTENT_TYPE};
use serde_json::{Value, json};

use crate::helpers::{TestApp, content_type, form, parse_sse, photo, spawn_app, spawn_app_with, unique_email};

const RENDER_TIMEOUT: Duration = Duration::from_secs(180);
const WEBHOOK_SECRET: &str = "whsec_e2e_openapi";
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The served document, and checks of answers against it.
struct Contract {
    doc: Value,
}

/// Every object schema with `properties` and no word on other fields gets
/// `additionalProperties: false`: the document leaves clients room for new fields, the test does
/// not, so a field added without being documented fails here.
fn strict(schema: &Value) -> Value {
    match schema {
        Value::Object(m) => {
            let mut out: serde_json::Map<String, Value> = m.iter().map(|(k, v)| (k.clone(), strict(v))).collect();
            if out.contains_key("properties") && !out.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(strict).collect()),
        other => other.clone(),
    }
}

/// Every `$ref` string anywhere in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

impl Contract {
    async fn fetch(app: &TestApp) -> Self {
        let r = app.get("/api/v1/openapi.json", None).await;
        assert_eq!(r.status(), StatusCode::OK, "GET /api/v1/openapi.json");
        assert_eq!(content_type(r.headers()), "application/json");
        let doc: Value = r.json().await.expect("the document is JSON");
        Self { doc }
    }

    /// `(method, path)` of every documented operation.
    fn operations(&self) -> BTreeSet<(String, String)> {
        let paths = self.doc["paths"].as_object().expect("paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                METHODS.iter().filter(|m| item.get(**m).is_some()).map(move |m| (m.to_string(), path.clone()))
            })
            .collect()
    }

    /// The response object the document gives for `status` of the operation: the exact code, or
    /// its class (`4XX`), or `default`.
    fn response(&self, method: &str, path: &str, status: u16) -> Result<&Value, String> {
        let op = &self.doc["paths"][path][method];
        if op.is_null() {
            return Err(format!("{} {path} is not in the document", method.to_uppercase()));
        }
        let responses = &op["responses"];
        [status.to_string(), format!("{}XX", status / 100), "default".into()]
            .iter()
            .map(|k| &responses[k])
            .find(|r| !r.is_null())
            .ok_or_else(|| {
                format!("{} {path} answered {status}, which the document does not list", method.to_uppercase())
            })
    }

    /// A validator of `schema` (a schema object of the document) in strict form, its `$ref`s
    /// resolved against the document's components.
    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let mut root = match strict(schema) {
            Value::Object(m) => m,
            other => panic!("not a schema object: {other}"),
        };
        root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        root.insert("components".into(), json!({ "schemas": strict(&self.doc["components"]["schemas"]) }));
        jsonschema::draft202012::new(&Value::Object(root)).unwrap_or_else(|e| panic!("schema {schema}: {e}"))
    }

    /// Checks one answer's status, media type and (JSON) body against the document.
    fn check_body(&self, method: &str, path: &str, status: u16, media: &str, body: &[u8]) -> Result<(), String> {
        let what = format!("{} {path} → {status}", method.to_uppercase());
        let response = self.response(method, path, status)?;
        let content = response["content"].as_object();
        if body.is_empty() && method != "head" && content.is_none_or(|c| c.is_empty()) {
            return Ok(());
        }
        let Some(content) = content else {
            return Err(format!("{what}: the document declares no body, the server sent {media}"));
        };
        let Some(declared) = content.get(media) else {
            return Err(format!(
                "{what}: media type {media} is not declared (declared: {:?})",
                content.keys().collect::<Vec<_>>()
            ));
        };
        if method == "head" || !(media == "application/json" || media.ends_with("+json")) {
            return Ok(());
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("{what}: the body is not JSON: {e}"))?;
        self.validate(&declared["schema"], &value).map_err(|e| format!("{what}: {e}"))
    }

    fn validate(&self, schema: &Value, value: &Value) -> Result<(), String> {
        let v = self.validator(schema);
        let errors: Vec<String> = v.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        if errors.is_empty() { Ok(()) } else { Err(format!("{} in {value}", errors.join("; "))) }
    }

    /// Asserts that the answer is one the document declares; returns the status and the JSON
    /// body (`null` when the body is not JSON).
    async fn check(&self, method: &str, path: &str, r: Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let media = content_type(r.headers());
        let body = r.bytes().await.expect("body");
        if let Err(e) = self.check_body(method, path, status, &media, &body) {
            panic!("{e}\nbody: {}", String::from_utf8_lossy(&body[..body.len().min(2000)]));
        }
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

/// Sends a request and checks its answer against the document (`template` is the documented
/// path, `url` the concrete one).
async fn call(
    app: &TestApp,
    c: &Contract,
    method: Method,
    template: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = app.client.request(method.clone(), app.url(url));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("request");
    c.check(&method.as_str().to_ascii_lowercase(), template, r).await
}

/// [`call`] with the current password in `X-Glimvid-Password` (the step-up routes).
async fn call_with_password(
    app: &TestApp,
    c: &Contract,
    method: Method,
    template: &str,
    token: &str,
    password: &str,
) -> (u16, Value) {
    let rb = app.client.request(method.clone(), app.url(template)).bearer_auth(token);
    let r = rb.header("x-glimvid-password", password).send().await.expect("request");
    c.check(&method.as_str().to_ascii_lowercase(), template, r).await
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_names_every_served_route() {
    let app = spawn_app().await;
    let c = Contract::fetch(&app).await;
    let version = c.doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1."), "OpenAPI version {version}");
    assert!(c.doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()), "info.title");

    let documented = c.operations();
    let served = glimvid_gateway::rest::route_probe::served_routes().await;
    assert!(served.len() >= 25, "the probe found too few routes to be right: {served:?}");
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not in the document: {undocumented:?}\nin the document but not served: {unserved:?}\n\
         (register routes with `openapi::op` on a `#[utoipa::path]`-annotated handler, see routes.rs)"
    );

    // Operation ids are unique, and every `$ref` resolves.
    let mut ids = BTreeSet::new();
    for (method, path) in &documented {
        let id = c.doc["paths"][path][method]["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(!id.is_empty() && ids.insert(id.clone()), "{method} {path}: missing or repeated operationId {id}");
    }
    let mut all = Vec::new();
    refs(&c.doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {r}"));
        assert!(c.doc.pointer(pointer).is_some(), "dangling $ref {r}");
    }

    let r = app.get("/docs", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(content_type(r.headers()), "text/html");
    let page = r.text().await.expect("docs page");
    assert!(page.contains("/api/v1/openapi.json"), "the docs page must render the served document");
}

#[tokio::test]
async fn a_session_matches_the_document() {
    let app = spawn_app_with(&[("GLIMVID_BILLING_WEBHOOK_SECRET", WEBHOOK_SECRET)]).await;
    let c = Contract::fetch(&app).await;
    let post = Method::POST;
    let get = Method::GET;

    // auth
    let email = unique_email();
    let password = crate::helpers::PASSWORD;
    let reg = json!({"email": email, "password": password, "age_confirmed": true});
    let (s, tokens) =
        call(&app, &c, post.clone(), "/api/v1/auth/register", "/api/v1/auth/register", None, Some(reg.clone())).await;
    assert_eq!(s, 201);
    let (s, _) = call(&app, &c, post.clone(), "/api/v1/auth/register", "/api/v1/auth/register", None, Some(reg)).await;
    assert_eq!(s, 409);
    let (s, _) = call(
        &app,
        &c,
        post.clone(),
        "/api/v1/auth/register",
        "/api/v1/auth/register",
        None,
        Some(json!({"email": "x@example.com"})),
    )
    .await;
    assert_eq!(s, 422);
    let login = json!({"email": email, "password": password});
    let (s, _) = call(&app, &c, post.clone(), "/api/v1/auth/login", "/api/v1/auth/login", None, Some(login)).await;
    assert_eq!(s, 200);
    let (s, _) = call(
        &app,
        &c,
        post.clone(),
        "/api/v1/auth/login",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": email, "password": "wrong-password-123"})),
    )
    .await;
    assert_eq!(s, 401);
    let refresh = json!({"refresh_token": tokens["refresh_token"]});
    let (s, tokens) =
        call(&app, &c, post.clone(), "/api/v1/auth/refresh", "/api/v1/auth/refresh", None, Some(refresh)).await;
    assert_eq!(s, 200);
    let t = tokens["access_token"].as_str().expect("access token").to_owned();
    let t = t.as_str();

    // account
    let (s, _) = call(&app, &c, get.clone(), "/api/v1/account", "/api/v1/account", Some(t), None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&app, &c, get.clone(), "/api/v1/account", "/api/v1/account", None, None).await;
    assert_eq!(s, 401);
    let (s, _) = call(
        &app,
        &c,
        Method::PATCH,
        "/api/v1/account",
        "/api/v1/account",
        Some(t),
        Some(json!({"training_opt_out": true})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) =
        call(&app, &c, Method::PATCH, "/api/v1/account", "/api/v1/account", Some(t), Some(json!({"nickname": "x"})))
            .await;
    assert_eq!(s, 422);
    let (s, usage) = call(&app, &c, get.clone(), "/api/v1/account/usage", "/api/v1/account/usage", Some(t), None).await;
    assert_eq!(s, 200);
    assert!(usage["items"].as_array().is_some_and(|i| !i.is_empty()), "registration and login are in the log: {usage}");
    let (s, _) =
        call(&app, &c, get.clone(), "/api/v1/account/usage", "/api/v1/account/usage?limit=0", Some(t), None).await;
    assert_eq!(s, 422);
    let keys = "/api/v1/account/api-keys";
    let (s, _) =
        call(&app, &c, post.clone(), keys, keys, Some(t), Some(json!({"name": "shop", "scopes": ["videos:read"]})))
            .await;
    assert_eq!(s, 403, "a key needs the current password");
    let new_key =
        json!({"name": "shop", "scopes": ["videos:read"], "expires_in_days": 30, "current_password": password});
    let (s, key) = call(&app, &c, post.clone(), keys, keys, Some(t), Some(new_key)).await;
    assert_eq!(s, 201);
    assert!(key["expires_at"].is_string(), "{key}");
    let (s, _) = call(&app, &c, get.clone(), keys, keys, Some(t), None).await;
    assert_eq!(s, 200);
    let key_url = format!("{keys}/{}", key["id"].as_str().expect("key id"));
    let (s, _) = call(&app, &c, Method::DELETE, "/api/v1/account/api-keys/{id}", &key_url, Some(t), None).await;
    assert_eq!(s, 204);

    // videos
    let submit =
        |f: reqwest::multipart::Form| app.client.post(app.url("/api/v1/videos")).bearer_auth(t).multipart(f).send();
    let r = submit(form(
        &[photo("rocket.jpg")],
        Some("A rocket lamp for night owls"),
        Some(&json!({"duration_s": 5}).to_string()),
    ))
    .await
    .expect("POST");
    let (s, job) = c.check("post", "/api/v1/videos", r).await;
    assert_eq!(s, 202);
    let id = job["id"].as_str().expect("job id").to_owned();
    let r = submit(form(&[photo("rocket.jpg")], None, None)).await.expect("POST");
    assert_eq!(c.check("post", "/api/v1/videos", r).await.0, 422);
    let r = app.client.post(app.url("/api/v1/videos")).bearer_auth(t).json(&json!({})).send().await.expect("POST");
    assert_eq!(c.check("post", "/api/v1/videos", r).await.0, 415);
    let (s, _) = call(&app, &c, get.clone(), "/api/v1/videos", "/api/v1/videos?limit=5", Some(t), None).await;
    assert_eq!(s, 200);
    let (s, _) = call(
        &app,
        &c,
        get.clone(),
        "/api/v1/videos/{id}",
        "/api/v1/videos/00000000-0000-7000-8000-000000000000",
        Some(t),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let job_url = format!("/api/v1/videos/{id}");
    let (s, _) = call(&app, &c, get.clone(), "/api/v1/videos/{id}", &job_url, Some(t), None).await;
    assert_eq!(s, 200);

    // The finished job: script, stages, files and public link all fit the document.
    let done = app.wait_for(t, &id, RENDER_TIMEOUT).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    let (s, job) = call(&app, &c, get.clone(), "/api/v1/videos/{id}", &job_url, Some(t), None).await;
    assert_eq!(s, 200);
    assert!(job["script"].is_object() && job["video"].is_object(), "{job:#}");

    let r = app.client.get(app.url(&format!("{job_url}/events"))).bearer_auth(t).send().await.expect("events");
    assert_eq!(r.status(), StatusCode::OK);
    let media = content_type(r.headers());
    let text = r.text().await.expect("SSE body");
    c.check_body("get", "/api/v1/videos/{id}/events", 200, &media, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let events = parse_sse(&text);
    assert!(!events.is_empty(), "no events");
    let event_schema = json!({"$ref": "#/components/schemas/Event"});
    for e in &events {
        c.validate(&event_schema, e).unwrap_or_else(|err| panic!("event: {err}"));
    }

    let video_url = job["video"]["url"].as_str().expect("video url");
    let (s, _) = call(&app, &c, get.clone(), "/api/v1/videos/{id}/assets/{kind}/{n}", video_url, Some(t), None).await;
    assert_eq!(s, 200);
    let public = job["public_url"].as_str().expect("public_url");
    let public_path = format!("/v/{}", public.rsplit('/').next().expect("public id"));
    let (s, _) = call(&app, &c, get.clone(), "/v/{public_id}", &public_path, None, None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&app, &c, Method::HEAD, "/v/{public_id}", &public_path, None, None).await;
    assert_eq!(s, 200);
    for (range, want) in [("bytes=0-99", 206), ("bytes=999999999-", 416)] {
        let r = app.client.get(app.url(&public_path)).header("Range", range).send().await.expect("range");
        assert_eq!(c.check("get", "/v/{public_id}", r).await.0, want, "Range {range}");
    }
    let (s, _) =
        call(&app, &c, post.clone(), "/api/v1/videos/{id}/cancel", &format!("{job_url}/cancel"), Some(t), None).await;
    assert_eq!(s, 409, "a finished job cannot be canceled");

    let (s, _) = call(&app, &c, get.clone(), "/api/v1/account/export", "/api/v1/account/export", Some(t), None).await;
    assert_eq!(s, 403, "the export needs the current password");
    let (s, _) = call_with_password(&app, &c, get.clone(), "/api/v1/account/export", t, password).await;
    assert_eq!(s, 200);
    let (s, _) = call(&app, &c, Method::DELETE, "/api/v1/videos/{id}", &job_url, Some(t), None).await;
    assert_eq!(s, 204);
    let (s, _) = call(&app, &c, get.clone(), "/v/{public_id}", &public_path, None, None).await;
    assert_eq!(s, 404);

    // billing, operations, the end of the session
    let event = json!({"id": "evt_openapi_1", "type": "credits.purchased", "data": {"user_id": tokens["user"]["id"], "credits": 2}})
        .to_string();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    for (signature, want) in
        [(None, 400), (Some(glimvid_auth::webhook::sign(WEBHOOK_SECRET.as_bytes(), now, event.as_bytes())), 200)]
    {
        let mut rb = app
            .client
            .post(app.url("/api/v1/billing/webhook"))
            .header(CONTENT_TYPE, "application/json")
            .body(event.clone());
        if let Some(s) = signature {
            rb = rb.header("Glimvid-Signature", s);
        }
        let (s, _) = c.check("post", "/api/v1/billing/webhook", rb.send().await.expect("webhook")).await;
        assert_eq!(s, want, "billing webhook");
    }
    for path in ["/healthz", "/readyz"] {
        let (s, _) = call(&app, &c, get.clone(), path, path, None, None).await;
        assert_eq!(s, 200, "{path}");
    }
    let (s, _) = call(
        &app,
        &c,
        post.clone(),
        "/api/v1/auth/logout",
        "/api/v1/auth/logout",
        None,
        Some(json!({"refresh_token": tokens["refresh_token"]})),
    )
    .await;
    assert_eq!(s, 204);
    let pw = "/api/v1/account/password";
    let weak = json!({"current_password": password, "new_password": "short"});
    let (s, _) = call(&app, &c, post.clone(), pw, pw, Some(t), Some(weak)).await;
    assert_eq!(s, 422);
    let change = json!({"current_password": password, "new_password": "amber-lantern-meadow-77"});
    let (s, fresh) = call(&app, &c, post.clone(), pw, pw, Some(t), Some(change)).await;
    assert_eq!(s, 200);
    let t2 = fresh["access_token"].as_str().expect("a fresh access token");
    let (s, _) = call(&app, &c, Method::DELETE, "/api/v1/account", "/api/v1/account", Some(t2), None).await;
    assert_eq!(s, 403, "deletion needs the current password");
    let (s, _) = call_with_password(&app, &c, Method::DELETE, "/api/v1/account", t2, "amber-lantern-meadow-77").await;
    assert_eq!(s, 204);
    let (s, _) = call(&app, &c, get.clone(), "/api/v1/account", "/api/v1/account", Some(t2), None).await;
    assert_eq!(s, 401, "a deleted account's token is refused at once");
}

#[tokio::test]
async fn the_checks_catch_drift() {
    let app = spawn_app().await;
    let c = Contract::fetch(&app).await;
    let user = app.register_user().await;
    let account = app.account(&user.access_token).await;
    let ok =
        |body: &Value| c.check_body("get", "/api/v1/account", 200, "application/json", body.to_string().as_bytes());
    ok(&account).unwrap_or_else(|e| panic!("the real account must fit: {e}"));

    let mut extra = account.clone();
    extra["nickname"] = json!("surprise");
    assert!(ok(&extra).is_err(), "an undocumented field must fail");
    let mut missing = account.clone();
    missing.as_object_mut().expect("object").remove("email");
    assert!(ok(&missing).is_err(), "a missing required field must fail");
    let mut mistyped = account.clone();
    mistyped["credits"] = json!("many");
    assert!(ok(&mistyped).is_err(), "a mistyped field must fail");

    // Nested schemas are strict too: a problem document with an extra field, and a job whose
    // stage lacks its status.
    let problem = json!({"type": "https://glimvid.com/problems/not-found", "title": "Not found", "status": 404,
        "detail": "no such job", "code": "not_found", "request_id": "r1"});
    let check_problem = |p: &Value| {
        c.check_body("get", "/api/v1/videos/{id}", 404, "application/problem+json", p.to_string().as_bytes())
    };
    check_problem(&problem).unwrap_or_else(|e| panic!("a real problem shape must fit: {e}"));
    let mut p = problem.clone();
    p["stack"] = json!("at main.rs:1");
    assert!(check_problem(&p).is_err(), "an undocumented problem field must fail");
    assert!(
        c.check_body("get", "/api/v1/account", 200, "text/plain", b"hello").is_err(),
        "an undeclared media type must fail"
    );
    assert!(
        c.check_body("get", "/api/v1/account", 418, "application/json", b"{}").is_err(),
        "an undeclared status must fail"
    );
    assert!(c.response("put", "/api/v1/account", 200).is_err(), "an undocumented method must fail");
    let submitted =
        app.submit(&user.access_token, &[photo("rocket.jpg")], "A rocket lamp", &json!({"duration_s": 5})).await;
    let good =
        |j: &Value| c.check_body("get", "/api/v1/videos/{id}", 200, "application/json", j.to_string().as_bytes());
    good(&submitted).unwrap_or_else(|e| panic!("the real job must fit: {e}"));
    let mut job = submitted.clone();
    job["stages"][0].as_object_mut().expect("a submitted job lists its stages").remove("status");
    assert!(good(&job).is_err(), "a stage without its status must fail");
    let mut job = submitted;
    job["photos"][0]["url"] = json!(42);
    assert!(good(&job).is_err(), "a mistyped nested field must fail");
}
