//! The REST server: the middleware every request goes through (request id, rate limits, CORS,
//! problem documents for the framework's own errors) around the routes of [`super::routes`].

use actix_web::{
    App, HttpResponse, HttpServer,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::{Next, from_fn},
    web,
};
use glimvid_domain::{DomainError, ErrorCode};
use glimvid_runtime::Shutdown;

use super::{
    cors,
    error::{REQUEST_ID, framework_errors, http_status, problem},
    rate_limit, routes,
};
use crate::state::SharedState;

const REQUEST_ID_HEADER: &str = "x-request-id";

/// Gives every request an id (the client's if it sent a sane one), makes it the scope of the
/// handler (so errors can quote it), returns it in `x-request-id`, and counts the request.
async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|s| glimvid_runtime::trace::is_valid_request_id(s))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let started = std::time::Instant::now();
    let span = tracing::info_span!("http", request_id = %id, %method, %route);
    let mut res = REQUEST_ID.scope(id.clone(), tracing::Instrument::instrument(next.call(req), span.clone())).await?;
    let status = res.status().as_u16();
    metrics::counter!("glimvid_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("glimvid_http_request_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if status >= 500 {
        tracing::warn!(parent: &span, status, elapsed_ms, "request failed");
    } else {
        tracing::info!(parent: &span, status, elapsed_ms, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
    Ok(res)
}

fn json_error(err: actix_web::error::JsonPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let e = match &err {
        J::ContentType => {
            DomainError::new(ErrorCode::UnsupportedMediaType, "send a JSON body (Content-Type: application/json)")
        }
        J::Overflow { .. } | J::OverflowKnownLength { .. } => {
            DomainError::new(ErrorCode::PayloadTooLarge, "the JSON body is too large")
        }
        J::Deserialize(d) if d.is_data() => {
            DomainError::new(ErrorCode::Validation, format!("the JSON body does not fit: {d}"))
        }
        other => DomainError::new(ErrorCode::MalformedRequest, format!("the JSON body could not be read: {other}")),
    };
    let resp = problem(http_status(e.code), &e);
    actix_web::error::InternalError::from_response(err, resp).into()
}

fn query_error(err: actix_web::error::QueryPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    let e = DomainError::new(ErrorCode::Validation, format!("bad query parameters: {err}"));
    let resp = problem(http_status(e.code), &e);
    actix_web::error::InternalError::from_response(err, resp).into()
}

fn path_error(err: actix_web::error::PathError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    let e = DomainError::not_found("resource");
    let resp = problem(http_status(e.code), &e);
    actix_web::error::InternalError::from_response(err, resp).into()
}

async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    let e = DomainError::new(ErrorCode::NotFound, format!("no route for {} {}", req.method(), req.path()));
    problem(http_status(e.code), &e)
}

/// Serves the REST API on `listener` until shutdown; in-flight requests get 10 s to finish.
/// With `tls` (serving a certificate) it answers over HTTPS only.
pub async fn run(
    listener: std::net::TcpListener,
    state: SharedState,
    tls: Option<&glimvid_runtime::TlsSettings>,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    if let Err(e) = state.refresh_keys().await {
        tracing::warn!(error = %e, "auth service not reachable yet; tokens will be checked once it is");
    }
    let cors = web::Data::new(cors::AllowedOrigins(state.settings.cors_origins.clone()));
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(cors.clone())
            .app_data(web::JsonConfig::default().limit(64 * 1024).error_handler(json_error))
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .wrap(framework_errors())
            .wrap(from_fn(rate_limit::middleware))
            .wrap(from_fn(request_context))
            // Outermost: answers preflights first, and marks every answer (429s and framework
            // errors included) readable by an allowed origin.
            .wrap(from_fn(cors::middleware))
            .configure(routes::configure)
            .default_service(web::to(not_found))
    })
    .shutdown_timeout(10)
    .disable_signals();
    let server = match tls.filter(|t| t.serves()) {
        Some(t) => server.listen_rustls_0_23(listener, t.server_config()?)?,
        None => server.listen(listener)?,
    }
    .run();
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.wait().await;
        handle.stop(true).await;
    });
    server.await?;
    Ok(())
}
