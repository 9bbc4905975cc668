//! The REST routes under `/api/v1`, the public video links and the operations endpoints.

pub mod account;
pub mod auth;
pub mod billing;
pub mod ops;
pub mod public;
pub mod videos;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(
                web::scope("/auth")
                    .route("/register", web::post().to(auth::register))
                    .route("/login", web::post().to(auth::login))
                    .route("/refresh", web::post().to(auth::refresh))
                    .route("/logout", web::post().to(auth::logout)),
            )
            .service(
                web::resource("/account")
                    .route(web::get().to(account::get))
                    .route(web::patch().to(account::patch))
                    .route(web::delete().to(account::delete)),
            )
            .route("/account/usage", web::get().to(account::usage))
            .route("/account/export", web::get().to(account::export))
            .service(
                web::resource("/account/api-keys")
                    .route(web::post().to(account::create_api_key))
                    .route(web::get().to(account::list_api_keys)),
            )
            .route("/account/api-keys/{id}", web::delete().to(account::revoke_api_key))
            .route("/billing/webhook", web::post().to(billing::webhook))
            .service(web::resource("/videos").route(web::post().to(videos::create)).route(web::get().to(videos::list)))
            .service(
                web::resource("/videos/{id}").route(web::get().to(videos::get)).route(web::delete().to(videos::delete)),
            )
            .route("/videos/{id}/events", web::get().to(videos::events))
            .route("/videos/{id}/cancel", web::post().to(videos::cancel))
            .route("/videos/{id}/assets/{kind}/{n}", web::get().to(videos::asset)),
    )
    .service(web::resource("/v/{public_id}").route(web::get().to(public::video)).route(web::head().to(public::video)))
    .route("/healthz", web::get().to(ops::healthz))
    .route("/readyz", web::get().to(ops::readyz))
    .route("/metrics", web::get().to(ops::metrics));
}
