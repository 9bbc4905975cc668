//! CORS for `/api/v1`: pages of the origins in `GLIMVID_CORS_ORIGINS` may call the API from the
//! browser; by default no other origin may (the gateway's own app is same-origin and needs none).
//!
//! Small and explicit on purpose (rather than a general CORS crate): the API authenticates with
//! bearer tokens only, so credentials are never allowed, origins are matched exactly, and an
//! origin not on the list gets no CORS headers at all: the request still reaches the handler
//! (a server cannot stop a cross-origin request, only the browser's reading of the answer), and
//! the browser refuses the answer to the page.

use actix_web::{
    HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method,
        header::{self, HeaderMap, HeaderValue},
    },
    middleware::Next,
    web,
};

/// The origins allowed to call `/api/v1` from a browser, exactly as browsers send `Origin`
/// (see `glimvid_runtime::Config::cors_origins`). Shared with the middleware as app data.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(pub Vec<String>);

/// Methods the API answers: what a preflight may ask for.
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// Request headers a page may send: the bearer token, JSON bodies, idempotent submissions,
/// resuming an event stream, quoting a request id, and step-up password checks.
const ALLOW_HEADERS: &str =
    "authorization, content-type, idempotency-key, last-event-id, x-request-id, x-glimvid-password";
/// Response headers a page may read: when to retry (429/503), the request id to quote, where a
/// new job lives, idempotent replays, and rate-limit budgets.
const EXPOSE_HEADERS: &str = "retry-after, x-request-id, location, idempotent-replayed, content-disposition, \
     ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy";
/// How long a browser may reuse a preflight answer, seconds. Chromium caps this at 2 hours and
/// Firefox at 24; 2 hours spares a round trip per call for a whole working session.
pub const PREFLIGHT_MAX_AGE_S: u32 = 7200;

fn allowed_origin(req: &ServiceRequest) -> Option<HeaderValue> {
    if !req.path().starts_with("/api/v1/") {
        return None;
    }
    let origins = req.app_data::<web::Data<AllowedOrigins>>()?;
    let origin = req.headers().get(header::ORIGIN)?;
    let o = origin.to_str().ok()?;
    origins.0.iter().any(|a| a == o).then(|| origin.clone())
}

fn vary_origin(h: &mut HeaderMap) {
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}

/// Answers the preflight of an allowed origin, and marks every answer to one as readable.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let listed = req.app_data::<web::Data<AllowedOrigins>>().is_some_and(|o| !o.0.is_empty());
    let Some(origin) = allowed_origin(&req) else {
        let mut res = next.call(req).await?;
        if listed && res.request().path().starts_with("/api/v1/") {
            // The answer differs by `Origin` when some origins are allowed: caches must know.
            vary_origin(res.headers_mut());
        }
        return Ok(res.map_into_left_body());
    };
    if req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        let res = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, METHODS))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE_S.to_string()))
            .insert_header((header::VARY, "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"))
            .finish();
        return Ok(req.into_response(res).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    vary_origin(h);
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use actix_web::{
        App, HttpResponse,
        body::MessageBody,
        dev::ServiceResponse,
        http::{StatusCode, header},
        middleware::from_fn,
        test::{self, TestRequest},
        web,
    };

    use super::{AllowedOrigins, PREFLIGHT_MAX_AGE_S, middleware};

    const SHOP: &str = "https://shop.example.com";

    /// The middleware around a stand-in API route (answering 429 with `Retry-After`) and `/`.
    macro_rules! app {
        ($origins:expr) => {
            test::init_service(
                App::new()
                    .app_data(web::Data::new(AllowedOrigins($origins.iter().map(|s: &&str| s.to_string()).collect())))
                    .wrap(from_fn(middleware))
                    .route(
                        "/api/v1/account",
                        web::get().to(|| async {
                            HttpResponse::TooManyRequests().insert_header(("retry-after", "7")).finish()
                        }),
                    )
                    .route("/", web::get().to(|| async { HttpResponse::Ok().finish() })),
            )
            .await
        };
    }

    fn header_of(res: &ServiceResponse<impl MessageBody>, name: header::HeaderName) -> Option<String> {
        res.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
    }

    #[actix_web::test]
    async fn an_allowed_origin_gets_a_cached_preflight_and_readable_answers() {
        let app = app!([SHOP]);
        let pre = TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/api/v1/account")
            .insert_header((header::ORIGIN, SHOP))
            .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "DELETE"))
            .insert_header((header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization, x-glimvid-password"))
            .to_request();
        let res = test::call_service(&app, pre).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(header_of(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN).as_deref(), Some(SHOP));
        assert!(header_of(&res, header::ACCESS_CONTROL_ALLOW_METHODS).unwrap().contains("DELETE"));
        let allowed = header_of(&res, header::ACCESS_CONTROL_ALLOW_HEADERS).unwrap();
        assert!(allowed.contains("authorization") && allowed.contains("x-glimvid-password"), "{allowed}");
        assert_eq!(header_of(&res, header::ACCESS_CONTROL_MAX_AGE), Some(PREFLIGHT_MAX_AGE_S.to_string()));
        assert_eq!(header_of(&res, header::ACCESS_CONTROL_ALLOW_CREDENTIALS), None, "bearer tokens: no credentials");

        let get = TestRequest::get().uri("/api/v1/account").insert_header((header::ORIGIN, SHOP)).to_request();
        let res = test::call_service(&app, get).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the handler still answers");
        assert_eq!(header_of(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN).as_deref(), Some(SHOP));
        assert!(header_of(&res, header::ACCESS_CONTROL_EXPOSE_HEADERS).unwrap().contains("retry-after"));
        assert!(header_of(&res, header::VARY).unwrap().contains("Origin"));
    }

    #[actix_web::test]
    async fn other_origins_and_other_paths_get_no_cors_headers() {
        let app = app!([SHOP]);
        for (origin, path) in [
            ("https://evil.example.com", "/api/v1/account"),
            ("https://shop.example.com.evil", "/api/v1/account"),
            (SHOP, "/"),
        ] {
            let pre = TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri(path)
                .insert_header((header::ORIGIN, origin))
                .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET"))
                .to_request();
            let res = test::call_service(&app, pre).await;
            assert_ne!(res.status(), StatusCode::NO_CONTENT, "{origin} {path}");
            assert_eq!(header_of(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), None, "{origin} {path}");
            let get = TestRequest::get().uri(path).insert_header((header::ORIGIN, origin)).to_request();
            let res = test::call_service(&app, get).await;
            assert_eq!(header_of(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), None, "{origin} {path}");
        }
    }

    #[actix_web::test]
    async fn no_origin_is_allowed_by_default() {
        let app = app!([] as [&str; 0]);
        let get = TestRequest::get().uri("/api/v1/account").insert_header((header::ORIGIN, SHOP)).to_request();
        let res = test::call_service(&app, get).await;
        assert_eq!(header_of(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
        assert_eq!(header_of(&res, header::VARY), None);
    }
}
