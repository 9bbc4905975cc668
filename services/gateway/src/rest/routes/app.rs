//! The web app: `/` and its files under `/app/`, embedded in the binary (`assets/` of this crate,
//! plain HTML, CSS and ES modules: building the binary needs no Node, and what is committed is
//! what is served). See `docs/webapp.md`.
//!
//! Every answer carries a strict Content-Security-Policy (scripts and styles from this origin
//! only, no inline script or style, nothing from a third party) and the usual hardening headers.
//! Files are gzipped once, on first use, at the best level, and revalidated by `ETag`: their names
//! carry no hash, so `no-cache` makes a new binary's app visible at the next load while an
//! unchanged file costs a 304 and no bytes.

use std::{collections::HashMap, io::Write, sync::LazyLock};

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
    web,
};
use glimvid_domain::DomainError;
use sha2::{Digest, Sha256};

use crate::{
    rest::error::{ApiResult, Problem},
    state::SharedState,
};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $name)),
        }
    };
}

/// Every file of the app (a test checks that this is every file in `assets/`).
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("main.js", "text/javascript; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("events.js", "text/javascript; charset=utf-8"),
    asset!("i18n.js", "text/javascript; charset=utf-8"),
    asset!("dom.js", "text/javascript; charset=utf-8"),
    asset!("view-auth.js", "text/javascript; charset=utf-8"),
    asset!("view-create.js", "text/javascript; charset=utf-8"),
    asset!("view-videos.js", "text/javascript; charset=utf-8"),
    asset!("view-job.js", "text/javascript; charset=utf-8"),
    asset!("view-account.js", "text/javascript; charset=utf-8"),
];

/// A file ready to serve: its strong validator and its gzipped bytes.
struct Prepared {
    asset: &'static Asset,
    etag: String,
    gzip: Vec<u8>,
}

static PREPARED: LazyLock<HashMap<&'static str, Prepared>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let digest = Sha256::digest(a.body);
            let etag = format!("\"{}\"", hex::encode(&digest[..16]));
            (a.name, Prepared { asset: a, etag, gzip: gzip(a.body) })
        })
        .collect()
});

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

/// The policy of the app's pages. Media may also come from the public links' origin
/// (`GLIMVID_PUBLIC_BASE_URL`, which may be a CDN in front of the gateway): the player plays the
/// public link. Images are `blob:` too: photo previews and the owner's thumbnails, fetched with
/// the access token, are shown from object URLs.
pub fn content_security_policy(public_base: &str) -> String {
    let media = origin_of(public_base).map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; \
         media-src 'self' blob:{media}; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// `scheme://host[:port]` of a URL, when it is an http(s) URL without spaces or quotes.
fn origin_of(url: &str) -> Option<&str> {
    let rest_at = url.find("://")? + 3;
    let scheme = &url[..rest_at - 3];
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let end = url[rest_at..].find('/').map_or(url.len(), |i| rest_at + i);
    let origin = &url[..end];
    (end > rest_at && !origin.contains([' ', ';', '\'', '"', ','])).then_some(origin)
}

fn serve(req: &HttpRequest, state: Option<&SharedState>, name: &str) -> Option<HttpResponse> {
    let p = PREPARED.get(name)?;
    let mut res = HttpResponse::Ok();
    res.content_type(p.asset.content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, p.etag.as_str()))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header(("Cross-Origin-Opener-Policy", "same-origin"))
        .insert_header(("Cross-Origin-Resource-Policy", "same-origin"))
        .insert_header(("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(state.map_or("", |s| s.public_base.as_str())),
        ));
    let etag_matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == p.etag || t.trim() == "*"));
    if etag_matches {
        return Some(res.status(actix_web::http::StatusCode::NOT_MODIFIED).finish());
    }
    if accepts_gzip(req.headers().get(header::ACCEPT_ENCODING)) {
        res.insert_header((header::CONTENT_ENCODING, "gzip"));
        return Some(res.body(p.gzip.clone()));
    }
    Some(res.body(p.asset.body))
}

/// Whether `Accept-Encoding` lists gzip with a non-zero quality.
fn accepts_gzip(v: Option<&HeaderValue>) -> bool {
    let Some(v) = v.and_then(|v| v.to_str().ok()) else { return false };
    v.split(',').any(|part| {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or("").trim();
        let q_zero = it.any(|p| p.trim().strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>() == Ok(0.0)));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !q_zero
    })
}

/// The web app (sign in, make videos, follow them, the account). Same page at every app path:
/// the app routes by the URL fragment.
#[utoipa::path(
    get,
    path = "/",
    tag = "app",
    operation_id = "getWebApp",
    responses((status = 200, description = "The web app's page (gzip when accepted; `ETag`, 304 when unchanged)",
        content_type = "text/html", body = String)),
)]
pub async fn index(req: HttpRequest) -> HttpResponse {
    let state = req.app_data::<web::Data<SharedState>>().map(|d| d.get_ref());
    serve(&req, state, "index.html").unwrap_or_else(|| HttpResponse::InternalServerError().finish())
}

/// A file of the web app (scripts, styles, icon).
#[utoipa::path(
    get,
    path = "/app/{file}",
    tag = "app",
    operation_id = "getWebAppFile",
    params(("file" = String, Path, description = "The file's name, e.g. `main.js`")),
    responses(
        (status = 200, description = "The file (gzip when accepted; `ETag`, 304 when unchanged)", content_type = "text/javascript", body = String),
        (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn file(req: HttpRequest, name: web::Path<String>) -> ApiResult<HttpResponse> {
    let state = req.app_data::<web::Data<SharedState>>().map(|d| d.get_ref());
    serve(&req, state, &name).ok_or_else(|| DomainError::not_found("file").into())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use actix_web::{
        App,
        body::MessageBody,
        dev::ServiceResponse,
        http::{StatusCode, header},
        test::{self, TestRequest},
        web,
    };

    use super::{ASSETS, PREPARED, accepts_gzip, content_security_policy};

    /// The budget of the first load, compressed (the issue's quality bar: fonts and the app).
    const FIRST_LOAD_BUDGET: usize = 150 * 1024;

    macro_rules! app {
        () => {
            test::init_service(
                App::new().route("/", web::get().to(super::index)).route("/app/{file}", web::get().to(super::file)),
            )
            .await
        };
    }

    #[test]
    fn every_file_in_assets_is_served_and_nothing_else() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut on_disk: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        on_disk.sort();
        let mut listed: Vec<String> = ASSETS.iter().map(|a| a.name.to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "assets/ and ASSETS differ: list new files in ASSETS");
    }

    #[test]
    fn the_whole_app_gzipped_fits_the_first_load_budget() {
        let total: usize = PREPARED.values().map(|p| p.gzip.len()).sum();
        assert!(total <= FIRST_LOAD_BUDGET, "the app is {total} bytes gzipped, over {FIRST_LOAD_BUDGET}");
        for p in PREPARED.values() {
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(p.gzip.as_slice()).read_to_end(&mut back).unwrap();
            assert_eq!(back, p.asset.body, "{}", p.asset.name);
        }
    }

    #[test]
    fn no_inline_script_or_style_and_nothing_from_elsewhere() {
        let html = std::str::from_utf8(ASSETS[0].body).unwrap();
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(tag.contains("src=\"/app/"), "an inline or foreign script: {tag}");
        }
        assert!(!html.contains("<style") && !html.contains(" style="), "inline style in index.html");
        for a in ASSETS {
            let text = String::from_utf8_lossy(a.body);
            for bad in ["http://", "https://", "//cdn", "eval(", "new Function"] {
                // The only absolute URL allowed is the SVG namespace.
                let hits = text.matches(bad).count()
                    - text.matches("http://www.w3.org/2000/svg").count() * usize::from(bad == "http://");
                assert_eq!(hits, 0, "{} contains {bad}", a.name);
            }
        }
    }

    #[test]
    fn the_policy_is_strict_and_names_the_public_links_origin() {
        let csp = content_security_policy("https://media.glimvid.com/base");
        assert!(csp.contains("script-src 'self';") && csp.contains("style-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(csp.contains("media-src 'self' blob: https://media.glimvid.com;"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("connect-src 'self'"), "{csp}");
        assert!(!content_security_policy("javascript:alert(1)").contains("javascript"));
        assert!(!content_security_policy("https://a.b; script-src *").contains("script-src *"));
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        let v = |s: &'static str| Some(header::HeaderValue::from_static(s));
        assert!(accepts_gzip(v("gzip, deflate, br").as_ref()));
        assert!(accepts_gzip(v("br;q=1.0, gzip;q=0.8").as_ref()));
        assert!(!accepts_gzip(v("gzip;q=0").as_ref()));
        assert!(!accepts_gzip(v("identity").as_ref()));
        assert!(!accepts_gzip(None));
    }

    fn hv(res: &ServiceResponse<impl MessageBody>, name: header::HeaderName) -> &str {
        res.headers().get(&name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
    }

    #[actix_web::test]
    async fn the_page_is_served_with_its_headers_gzipped_and_revalidated() {
        let app = app!();
        let res = test::call_service(&app, TestRequest::get().uri("/").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(hv(&res, header::CONTENT_TYPE), "text/html; charset=utf-8");
        assert!(hv(&res, header::CONTENT_SECURITY_POLICY).contains("script-src 'self'"));
        assert_eq!(hv(&res, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(hv(&res, header::X_FRAME_OPTIONS), "DENY");
        assert_eq!(hv(&res, header::CACHE_CONTROL), "no-cache");
        assert!(res.headers().get(header::CONTENT_ENCODING).is_none(), "not asked for gzip");
        let body = test::read_body(res).await;
        assert_eq!(body.as_ref(), ASSETS[0].body);

        let req = TestRequest::get().uri("/app/main.js").insert_header((header::ACCEPT_ENCODING, "gzip")).to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(hv(&res, header::CONTENT_ENCODING), "gzip");
        assert_eq!(hv(&res, header::CONTENT_TYPE), "text/javascript; charset=utf-8");
        let etag = hv(&res, header::ETAG).to_owned();
        let zipped = test::read_body(res).await;
        let mut js = Vec::new();
        flate2::read::GzDecoder::new(zipped.as_ref()).read_to_end(&mut js).unwrap();
        assert!(String::from_utf8(js).unwrap().contains("import"), "main.js is an ES module");

        let req =
            TestRequest::get().uri("/app/main.js").insert_header((header::IF_NONE_MATCH, etag.as_str())).to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert!(test::read_body(res).await.is_empty());
        let req =
            TestRequest::get().uri("/app/main.js").insert_header((header::IF_NONE_MATCH, "\"stale\"")).to_request();
        assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
    }

    #[actix_web::test]
    async fn an_unknown_file_is_a_problem_not_a_guess() {
        let app = app!();
        for path in ["/app/nope.js", "/app/..%2FCargo.toml", "/app/%2e%2e"] {
            let res = test::call_service(&app, TestRequest::get().uri(path).to_request()).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(hv(&res, header::CONTENT_TYPE), "application/problem+json", "{path}");
        }
    }
}
