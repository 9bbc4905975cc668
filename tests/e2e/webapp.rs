//! The web app as the real binary serves it (`/`, `/app/*`) and CORS on `/api/v1` for the
//! origins of `GLIMVID_CORS_ORIGINS` (none by default).

use reqwest::{
    Method, StatusCode,
    header::{
        ACCEPT_ENCODING, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
        ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, CONTENT_ENCODING, CONTENT_SECURITY_POLICY,
        ORIGIN,
    },
};

use crate::helpers::{spawn_app, spawn_app_with};

const SHOP: &str = "https://shop.example.com";

#[tokio::test]
async fn the_app_is_served_at_the_root_with_a_strict_policy() {
    let app = spawn_app().await;
    let r = app.get("/", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/app/main.js">"#), "{html}");

    // Compressed when the client asks (reqwest here decodes nothing: it did not ask itself).
    let r = app.client.get(app.url("/app/main.js")).header(ACCEPT_ENCODING, "gzip").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[CONTENT_ENCODING], "gzip");
    let r = app.get("/app/no-such-file.js", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cors_answers_the_listed_origin_only() {
    let app = spawn_app_with(&[("GLIMVID_CORS_ORIGINS", SHOP)]).await;
    let user = app.register_user().await;

    let pre = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/videos"))
        .header(ORIGIN, SHOP)
        .header(ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(ACCESS_CONTROL_REQUEST_HEADERS, "authorization, idempotency-key")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), StatusCode::NO_CONTENT);
    assert_eq!(pre.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], SHOP);
    assert!(pre.headers()[ACCESS_CONTROL_MAX_AGE].to_str().unwrap().parse::<u32>().unwrap() >= 600);

    let r = app
        .client
        .get(app.url("/api/v1/account"))
        .bearer_auth(&user.access_token)
        .header(ORIGIN, SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], SHOP);
    assert!(r.headers()[ACCESS_CONTROL_EXPOSE_HEADERS].to_str().unwrap().contains("retry-after"));

    // A problem document is readable too (the page must show why it was refused).
    let r = app.client.get(app.url("/api/v1/account")).header(ORIGIN, SHOP).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], SHOP);

    for origin in ["https://evil.example.com", "http://shop.example.com"] {
        let r = app
            .client
            .get(app.url("/api/v1/account"))
            .bearer_auth(&user.access_token)
            .header(ORIGIN, origin)
            .send()
            .await
            .unwrap();
        assert!(r.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "{origin}");
    }
}

#[tokio::test]
async fn no_origin_is_allowed_by_default() {
    let app = spawn_app().await;
    let pre = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/account"))
        .header(ORIGIN, SHOP)
        .header(ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .send()
        .await
        .unwrap();
    assert_ne!(pre.status(), StatusCode::NO_CONTENT);
    assert!(pre.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}
