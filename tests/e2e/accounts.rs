//! Accounts and the privacy policy's promises, end to end: rate limits per client IP (and
//! behind a trusted proxy), free trials per IP per day, jobs in flight, the usage log, API keys,
//! purchases by signed webhook, deletion, the export (a JPEG with GPS EXIF traced through to
//! it) and the training-set export honouring the opt-out.

use std::{io::Read, time::Duration};

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Photo, TestApp, assert_problem, photo, spawn_app_with, unique_email};

const RENDER_TIMEOUT: Duration = Duration::from_secs(180);
const PASSWORD: &str = "violet-teapot-orbit-42";

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn login_from(app: &TestApp, email: &str, password: &str, xff: Option<&str>) -> Response {
    let mut rb = app.client.post(app.url("/api/v1/auth/login")).json(&json!({"email": email, "password": password}));
    if let Some(x) = xff {
        rb = rb.header("x-forwarded-for", x);
    }
    rb.send().await.expect("login")
}

async fn usage(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app.get(&format!("/api/v1/account/usage{query}"), Some(token)).await;
    assert_eq!(r.status(), StatusCode::OK, "GET usage");
    r.json().await.expect("usage JSON")
}

#[tokio::test]
async fn brute_force_on_login_is_answered_with_429_and_ratelimit_headers() {
    // An hour's window: the counter is a fixed window on the clock, and a minute's window could
    // roll over between the hits of a slow run.
    let app = spawn_app_with(&[("GLIMVID_RATE_LIMIT_LOGIN", "3/1h")]).await;
    let user = app.register_user().await;
    for remaining in [2, 1, 0] {
        let r = login_from(&app, &user.email, "wrong-password-1234", None).await;
        assert_eq!(header(&r, "ratelimit-limit").as_deref(), Some("3"));
        assert_eq!(header(&r, "ratelimit-remaining"), Some(remaining.to_string()));
        assert_eq!(header(&r, "ratelimit-policy").as_deref(), Some("3;w=3600"));
        assert_problem(r, 401, "a wrong password within the budget").await;
    }
    // Over the budget even the right password waits, and a forged X-Forwarded-For from an
    // untrusted peer changes nothing.
    for xff in [None, Some("203.0.113.50")] {
        let r = login_from(&app, &user.email, &user.password, xff).await;
        let retry: u64 = header(&r, "retry-after").expect("Retry-After").parse().expect("seconds");
        assert!((1..=3600).contains(&retry), "Retry-After {retry}");
        assert_eq!(header(&r, "ratelimit-remaining").as_deref(), Some("0"));
        assert!(header(&r, "ratelimit-reset").is_some());
        let p = assert_problem(r, 429, "login over the limit").await;
        assert_eq!(p["code"], "rate_limited", "{p}");
    }
    // The limit is per route: the account itself still works.
    assert_eq!(app.account(&user.access_token).await["email"], user.email.as_str());
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget_and_usage_ip() {
    let app =
        spawn_app_with(&[("GLIMVID_TRUSTED_PROXIES", "127.0.0.1/32"), ("GLIMVID_RATE_LIMIT_LOGIN", "2/1h")]).await;
    let user = app.register_user().await;
    let a = "198.51.100.10";
    for _ in 0..2 {
        assert_eq!(login_from(&app, &user.email, &user.password, Some(a)).await.status(), StatusCode::OK);
    }
    assert_problem(login_from(&app, &user.email, &user.password, Some(a)).await, 429, "client A over").await;
    // The right-most untrusted hop counts: a forged left part does not escape the limit...
    let forged = format!("10.9.9.9, {a}");
    assert_problem(login_from(&app, &user.email, &user.password, Some(&forged)).await, 429, "forged hop").await;
    // ...while another client behind the same proxy has its own budget.
    let r = login_from(&app, &user.email, &user.password, Some("198.51.100.11")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = r.json::<Value>().await.expect("tokens")["access_token"].as_str().expect("token").to_owned();
    let log = usage(&app, &token, "").await;
    let ips: Vec<&str> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["action"] == "login")
        .map(|i| i["ip"].as_str().expect("ip"))
        .collect();
    assert_eq!(ips, ["198.51.100.11", a, a], "{log:#}");
}

#[tokio::test]
async fn registrations_are_limited_per_ip() {
    let app = spawn_app_with(&[("GLIMVID_RATE_LIMIT_REGISTER", "2/1h")]).await;
    app.register_user().await;
    app.register_user().await;
    let r = app.register(&json!({"email": unique_email(), "password": PASSWORD, "age_confirmed": true})).await;
    assert!(header(&r, "retry-after").is_some());
    assert_problem(r, 429, "a third registration from one address").await;
}

fn signed(secret: &str, t: i64, body: &str) -> String {
    glimvid_auth::webhook::sign(secret.as_bytes(), t, body.as_bytes())
}

async fn webhook(app: &TestApp, sig: Option<String>, body: &str) -> Response {
    let mut rb = app
        .client
        .post(app.url("/api/v1/billing/webhook"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(s) = sig {
        rb = rb.header("Glimvid-Signature", s);
    }
    rb.send().await.expect("webhook")
}

#[tokio::test]
async fn trials_per_ip_per_day_then_402_then_a_signed_purchase_pays() {
    const SECRET: &str = "whsec_e2e_accounts";
    let app = spawn_app_with(&[
        ("GLIMVID_FREE_TRIALS", "1"),
        ("GLIMVID_TRIALS_PER_IP_PER_DAY", "1"),
        ("GLIMVID_BILLING_WEBHOOK_SECRET", SECRET),
    ])
    .await;
    let (a, b) = (app.register_user().await, app.register_user().await);
    let opts = json!({"duration_s": 5});
    let job = app.submit(&a.access_token, &[photo("coffee.png")], "A cup from network one", &opts).await;
    app.post_empty(&format!("/api/v1/videos/{}/cancel", job["id"].as_str().expect("id")), &a.access_token).await;
    // B has a trial of its own, but this network's trial for today is spent.
    let r = app
        .submit_form(
            &b.access_token,
            crate::helpers::form(&[photo("coffee.png")], Some("Cup two"), Some(&opts.to_string())),
        )
        .await;
    let p = assert_problem(r, 402, "a second trial from one IP on one day").await;
    assert!(p["detail"].as_str().expect("detail").contains("per network per day"), "{p}");
    assert_eq!(app.account(&b.access_token).await["free_trials_left"], 1, "the refused trial is kept");

    // The payment provider's webhook: refused unless signed, fresh and intact.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let body =
        json!({"id": "evt_e2e_1", "type": "credits.purchased", "data": {"user_id": b.id, "credits": 2}}).to_string();
    assert_problem(webhook(&app, None, &body).await, 400, "no signature").await;
    assert_problem(webhook(&app, Some(signed("whsec_wrong", now, &body)), &body).await, 401, "wrong secret").await;
    assert_problem(webhook(&app, Some(signed(SECRET, now - 301, &body)), &body).await, 401, "a stale signature").await;
    let tampered = body.replace("\"credits\":2", "\"credits\":200");
    assert_problem(webhook(&app, Some(signed(SECRET, now, &body)), &tampered).await, 401, "a tampered body").await;
    assert_eq!(app.account(&b.access_token).await["credits"], 0, "refused events granted credits");

    let r = webhook(&app, Some(signed(SECRET, now, &body)), &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.expect("JSON")["status"], "granted");
    // The provider retries: the same event id grants nothing more.
    let r = webhook(&app, Some(signed(SECRET, now + 5, &body)), &body).await;
    assert_eq!(r.json::<Value>().await.expect("JSON")["status"], "duplicate");
    assert_eq!(app.account(&b.access_token).await["credits"], 2);

    // Bought credits pay from that network; the trial stays for another day.
    let job = app.submit(&b.access_token, &[photo("coffee.png")], "Cup two, paid", &opts).await;
    let acct = app.account(&b.access_token).await;
    assert_eq!((acct["credits"].as_i64(), acct["free_trials_left"].as_i64()), (Some(1), Some(1)), "{acct}");
    app.post_empty(&format!("/api/v1/videos/{}/cancel", job["id"].as_str().expect("id")), &b.access_token).await;
}

#[tokio::test]
async fn jobs_in_flight_are_limited_per_account_with_429() {
    let app = spawn_app_with(&[("GLIMVID_MAX_JOBS_IN_FLIGHT", "1")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let opts = json!({"duration_s": 5});
    let first = app.submit(t, &[photo("coffee.png")], "The first cup", &opts).await;
    let r = app
        .submit_form(t, crate::helpers::form(&[photo("coffee.png")], Some("The second cup"), Some(&opts.to_string())))
        .await;
    assert!(header(&r, "retry-after").is_some(), "Retry-After");
    assert_eq!(header(&r, "ratelimit-limit").as_deref(), Some("1"));
    assert_problem(r, 429, "a second job in flight").await;
    assert_eq!(app.account(t).await["free_trials_left"], 2, "the refused job cost a trial");
    let id = first["id"].as_str().expect("id");
    assert_eq!(app.post_empty(&format!("/api/v1/videos/{id}/cancel"), t).await.status(), StatusCode::OK);
    let again = app.submit(t, &[photo("coffee.png")], "The second cup", &opts).await;
    app.post_empty(&format!("/api/v1/videos/{}/cancel", again["id"].as_str().expect("id")), t).await;
}

#[tokio::test]
async fn the_usage_log_shows_ip_time_action_and_generation_counts_paged() {
    let app = crate::helpers::spawn_app().await;
    let user = app.register_user().await;
    let t = &user.access_token;
    assert_eq!(app.login(&user.email, "not-my-password-1").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&user.email, &user.password).await.status(), StatusCode::OK);
    let job = app.submit(t, &[photo("coffee.png")], "A logged cup", &json!({"duration_s": 5})).await;
    app.post_empty(&format!("/api/v1/videos/{}/cancel", job["id"].as_str().expect("id")), t).await;

    let log = usage(&app, t, "").await;
    let actions: Vec<&str> =
        log["items"].as_array().expect("items").iter().map(|i| i["action"].as_str().expect("action")).collect();
    assert_eq!(actions, ["video_created", "login", "login_failed", "register"], "{log:#}");
    for item in log["items"].as_array().expect("items") {
        assert_eq!(item["ip"], "127.0.0.1", "{item}");
        let at = item["at"].as_str().expect("at");
        assert!(chrono_like(at), "timestamp {at}");
    }
    assert_eq!(log["summary"]["videos_created_30d"], 1, "{log:#}");
    assert_eq!(log["summary"]["free_trials_left"], 3, "{log:#}");
    assert_eq!(log["retention_days"], 30);

    let first = usage(&app, t, "?limit=3").await;
    assert_eq!(first["items"].as_array().expect("items").len(), 3);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = usage(&app, t, &format!("?limit=3&cursor={cursor}")).await;
    assert_eq!(second["items"][0]["action"], "register");
    assert!(second["next_cursor"].is_null());
    // Only the owner's rows: another account sees its own.
    let other = app.register_user().await;
    let theirs = usage(&app, &other.access_token, "").await;
    assert_eq!(theirs["items"].as_array().expect("items").len(), 1, "{theirs:#}");
    assert_problem(app.get("/api/v1/account/usage", None).await, 401, "usage without a token").await;
}

fn chrono_like(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[4] == b'-' && s.contains('T') && s.ends_with('Z')
}

#[tokio::test]
async fn api_keys_are_shown_once_scoped_listed_and_revoked() {
    let app = crate::helpers::spawn_app().await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let create = |mut body: Value| {
        let app = &app;
        body["current_password"] = json!(PASSWORD);
        async move {
            app.client.post(app.url("/api/v1/account/api-keys")).bearer_auth(t).json(&body).send().await.expect("POST")
        }
    };
    let r = create(json!({"name": "shop sync", "scopes": ["videos:write", "videos:read"]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let key: Value = r.json().await.expect("key JSON");
    let secret = key["secret"].as_str().expect("secret");
    assert!(secret.starts_with("gv_live_") && secret.len() > 40, "{key}");
    assert_eq!(key["scopes"], json!(["videos:read", "videos:write"]));
    assert!(secret.starts_with(key["prefix"].as_str().expect("prefix")));
    assert_problem(create(json!({"name": "x", "scopes": ["admin"]})).await, 422, "an unknown scope").await;
    assert_problem(create(json!({"name": "x", "scopes": []})).await, 422, "no scope").await;

    let list = app.get("/api/v1/account/api-keys", Some(t)).await;
    assert_eq!(list.status(), StatusCode::OK);
    let text = list.text().await.expect("list");
    assert!(!text.contains(secret), "the secret is shown again: {text}");
    let items: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(items["items"].as_array().expect("items").len(), 1);
    assert!(items["items"][0]["revoked_at"].is_null());

    // Nobody else can revoke it; the owner can.
    let id = key["id"].as_str().expect("id");
    let other = app.register_user().await;
    assert_problem(
        app.delete(&format!("/api/v1/account/api-keys/{id}"), &other.access_token).await,
        404,
        "another's key",
    )
    .await;
    assert_eq!(app.delete(&format!("/api/v1/account/api-keys/{id}"), t).await.status(), StatusCode::NO_CONTENT);
    let items: Value = app.get("/api/v1/account/api-keys", Some(t)).await.json().await.expect("JSON");
    assert!(items["items"][0]["revoked_at"].is_string(), "{items}");
    // The secret is stored only as its hash: it appears nowhere in the database file.
    let db = std::fs::read(app.data_path().join("glimvid.db")).expect("database file");
    let wal = std::fs::read(app.data_path().join("glimvid.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the key's secret is stored");
    }
}

const GPS_MARKER: &str = "e2e-export-GPS-35.6586N-139.7454E";

/// `jpeg` with an EXIF block holding an image description ([`GPS_MARKER`]) and a GPS IFD
/// (latitude 35° 39' 31.05" N).
fn with_gps(jpeg: &[u8]) -> Vec<u8> {
    let text = format!("{GPS_MARKER}\0");
    let mut t = b"MM\0\x2A\0\0\0\x08".to_vec();
    let ifd0_end = 8 + 2 + 2 * 12 + 4;
    let text_at = ifd0_end;
    let gps_at = (text_at + text.len() + 1) & !1;
    t.extend_from_slice(&2u16.to_be_bytes());
    t.extend_from_slice(&0x010Eu16.to_be_bytes()); // ImageDescription
    t.extend_from_slice(&2u16.to_be_bytes());
    t.extend_from_slice(&(text.len() as u32).to_be_bytes());
    t.extend_from_slice(&(text_at as u32).to_be_bytes());
    t.extend_from_slice(&0x8825u16.to_be_bytes()); // GPSInfo IFD pointer
    t.extend_from_slice(&4u16.to_be_bytes());
    t.extend_from_slice(&1u32.to_be_bytes());
    t.extend_from_slice(&(gps_at as u32).to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(text.as_bytes());
    t.resize(gps_at, 0);
    let rationals_at = gps_at + 2 + 2 * 12 + 4;
    t.extend_from_slice(&2u16.to_be_bytes());
    t.extend_from_slice(&0x0001u16.to_be_bytes()); // GPSLatitudeRef "N"
    t.extend_from_slice(&2u16.to_be_bytes());
    t.extend_from_slice(&2u32.to_be_bytes());
    t.extend_from_slice(b"N\0\0\0");
    t.extend_from_slice(&0x0002u16.to_be_bytes()); // GPSLatitude, 3 rationals
    t.extend_from_slice(&5u16.to_be_bytes());
    t.extend_from_slice(&3u32.to_be_bytes());
    t.extend_from_slice(&(rationals_at as u32).to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    for (n, d) in GPS_RATIONALS {
        t.extend_from_slice(&n.to_be_bytes());
        t.extend_from_slice(&d.to_be_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&t);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

const GPS_RATIONALS: [(u32, u32); 3] = [(35, 1), (39, 1), (3105, 100)];

fn gps_bytes() -> Vec<u8> {
    GPS_RATIONALS.iter().flat_map(|(n, d)| [n.to_be_bytes(), d.to_be_bytes()].concat()).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).expect("entry");
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).expect("read entry");
            (f.name().to_owned(), buf)
        })
        .collect()
}

#[tokio::test]
async fn a_gps_tagged_jpeg_is_exported_without_gps_then_deletion_takes_everything_down() {
    let app = crate::helpers::spawn_app().await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let rocket = photo("rocket.jpg");
    let tagged = Photo { bytes: with_gps(&rocket.bytes), ..rocket };
    assert!(contains(&tagged.bytes, &gps_bytes()) && contains(&tagged.bytes, GPS_MARKER.as_bytes()));
    image::load_from_memory(&tagged.bytes).expect("the tagged fixture decodes");
    let job = app.submit(t, &[tagged], "A rocket photographed in Tokyo", &json!({"duration_s": 5})).await;
    let id = job["id"].as_str().expect("id").to_owned();
    let job = app.wait_for(t, &id, RENDER_TIMEOUT).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let public = job["public_url"].as_str().expect("public_url").to_owned();
    assert_eq!(app.get(&public, None).await.status(), StatusCode::OK);

    // The export: account, usage, the script, the photos (without GPS) and the video.
    let r = app
        .client
        .get(app.url("/api/v1/account/export"))
        .bearer_auth(t)
        .header("x-glimvid-password", PASSWORD)
        .send()
        .await
        .expect("GET export");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(crate::helpers::content_type(r.headers()), "application/zip");
    let files = unzip(&r.bytes().await.expect("zip body"));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let get = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone());
    let account: Value = serde_json::from_slice(&get("account.json").expect("account.json")).expect("JSON");
    assert_eq!(account["email"], user.email.as_str());
    let usage_json: Value = serde_json::from_slice(&get("usage.json").expect("usage.json")).expect("JSON");
    assert!(usage_json["items"].as_array().expect("items").iter().any(|i| i["action"] == "video_created"));
    let dir = format!("videos/{id}");
    let script: Value = serde_json::from_slice(&get(&format!("{dir}/script.json")).expect("script")).expect("JSON");
    assert!(script.is_object(), "{script}");
    let original = get(&format!("{dir}/original/0.jpg")).unwrap_or_else(|| panic!("no original in {names:?}"));
    assert!(!contains(&original, &gps_bytes()), "the exported photo still holds the GPS position");
    assert!(!contains(&original, GPS_MARKER.as_bytes()), "the exported photo still holds its EXIF text");
    assert!(!contains(&original, b"Exif\0\0"), "the exported photo still has an EXIF block");
    image::load_from_memory(&original).expect("the exported photo decodes");
    assert!(names.iter().any(|n| n.starts_with(&format!("{dir}/enhanced/"))), "{names:?}");
    let video = get(&format!("{dir}/video/0.mp4")).unwrap_or_else(|| panic!("no video in {names:?}"));
    assert_eq!(&video[4..8], b"ftyp", "the exported video is an MP4");
    let voice_over = get(&format!("{dir}/narration/0.wav")).unwrap_or_else(|| panic!("no voice-over in {names:?}"));
    assert!(voice_over.starts_with(b"RIFF"), "the exported voice-over is a WAV");
    // Nothing in the whole export carries the GPS position.
    for (n, b) in &files {
        assert!(!contains(b, &gps_bytes()), "{n} holds the GPS position");
    }

    // Deletion: the account, its rows and its objects; the public link is 404 at once.
    let r = app
        .client
        .delete(app.url("/api/v1/account"))
        .bearer_auth(t)
        .header("x-glimvid-password", PASSWORD)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get(&public, None).await, 404, "the public link of a deleted account").await;
    assert_problem(app.login(&user.email, &user.password).await, 401, "login after deletion").await;
    assert_problem(app.refresh(&user.refresh_token).await, 401, "refresh after deletion").await;
    assert_problem(app.get("/api/v1/account", Some(t)).await, 401, "the deleted account's token").await;
    let objects = app.data_path().join("objects").join("u").join(&user.id);
    let left: Vec<_> = walk(&objects);
    assert!(left.is_empty(), "objects of the deleted account remain: {left:?}");
    // The email is free again.
    let r = app.register(&json!({"email": user.email, "password": PASSWORD, "age_confirmed": true})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
        }
    }
    out
}

#[tokio::test]
async fn the_training_set_export_is_anonymous_and_honours_the_opt_out() {
    let app = crate::helpers::spawn_app().await;
    let (keep, out) = (app.register_user().await, app.register_user().await);
    let r = app
        .client
        .patch(app.url("/api/v1/account"))
        .bearer_auth(&out.access_token)
        .json(&json!({"training_opt_out": true}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.expect("JSON")["training_opt_out"], true);
    let opts = json!({"duration_s": 5});
    let a = app.submit(&keep.access_token, &[photo("coffee.png")], "A cup anyone may learn from", &opts).await;
    let b = app.submit(&out.access_token, &[photo("rocket.jpg")], "A rocket nobody may learn from", &opts).await;
    for (u, j) in [(&keep, &a), (&out, &b)] {
        let id = j["id"].as_str().expect("id");
        app.wait_until(&u.access_token, id, RENDER_TIMEOUT, |v| !v["script"].is_null()).await;
    }

    let dest = tempfile::tempdir().expect("temp dir");
    let set = dest.path().join("set");
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_glimvid"))
        .args(["admin", "export-training-set", "--out"])
        .arg(&set)
        .env("GLIMVID_DATA_DIR", app.data_path())
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .expect("run glimvid admin");
    assert!(status.success(), "glimvid admin export-training-set failed: {status:?}");
    let files = walk(&set);
    let manifest = std::fs::read_to_string(set.join("manifest.jsonl")).expect("manifest");
    assert_eq!(manifest.lines().count(), 1, "only the account that did not opt out: {manifest}");
    let descriptions: Vec<String> = files
        .iter()
        .filter(|p| p.ends_with("description.txt"))
        .map(|p| std::fs::read_to_string(p).expect("description"))
        .collect();
    assert_eq!(descriptions, ["A cup anyone may learn from"]);
    let photos: Vec<_> =
        files.iter().filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("photo-"))).collect();
    assert_eq!(photos.len(), 1, "{files:?}");
    image::load_from_memory(&std::fs::read(photos[0]).expect("photo")).expect("the exported photo decodes");
    // Nothing that identifies anyone: no email, no account or job id, no IP address.
    for p in &files {
        let bytes = std::fs::read(p).expect("read");
        for needle in
            [keep.email.as_str(), keep.id.as_str(), a["id"].as_str().expect("id"), "127.0.0.1", out.email.as_str()]
        {
            assert!(!contains(&bytes, needle.as_bytes()), "{} contains {needle}", p.display());
        }
    }
}
