//! The REST routes under `/api/v1`, the public video links, the operations endpoints and the web
//! app.

pub mod account;
pub mod app;
pub mod auth;
pub mod billing;
pub mod catalogue;
pub mod ops;
pub mod public;
pub mod review;
pub mod videos;
pub mod webhooks;

use actix_web::web;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::rest::openapi::{self, op};

/// Serves the routes of [`register`] (the server's entry point).
pub fn configure(cfg: &mut web::ServiceConfig) {
    register(&mut ServiceConfig::new(cfg));
}

/// Every route, each an [`op`] of its handler's `#[utoipa::path]` annotation (its path relative
/// to the enclosing scope): the server serves this and [`openapi::document`] describes this.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .service(
                scope("/auth")
                    .service(op(auth::__path_register, auth::register))
                    .service(op(auth::__path_login, auth::login))
                    .service(op(auth::__path_refresh, auth::refresh))
                    .service(op(auth::__path_logout, auth::logout)),
            )
            .service(
                op(account::__path_get, account::get)
                    .and(account::__path_patch, account::patch)
                    .and(account::__path_delete, account::delete),
            )
            .service(op(account::__path_usage, account::usage))
            .service(op(account::__path_change_password, account::change_password))
            .service(op(account::__path_export, account::export))
            .service(
                op(account::__path_create_api_key, account::create_api_key)
                    .and(account::__path_list_api_keys, account::list_api_keys),
            )
            .service(op(account::__path_revoke_api_key, account::revoke_api_key))
            .service(op(billing::__path_webhook, billing::webhook))
            .service(op(videos::__path_create, videos::create).and(videos::__path_list, videos::list))
            .service(op(videos::__path_get, videos::get).and(videos::__path_delete, videos::delete))
            .configure(review::configure)
            .service(op(videos::__path_events, videos::events))
            .service(op(videos::__path_cancel, videos::cancel))
            .service(op(videos::__path_asset, videos::asset))
            .service(op(openapi::__path_openapi_json, openapi::openapi_json))
            .configure(webhooks::configure)
            .configure(catalogue::configure),
    )
    .service(op(public::__path_video, public::video))
    .service(op(ops::__path_healthz, ops::healthz))
    .service(op(ops::__path_readyz, ops::readyz))
    .service(op(openapi::__path_docs, openapi::docs))
    .service(op(app::__path_index, app::index))
    .service(op(app::__path_file, app::file));
}
