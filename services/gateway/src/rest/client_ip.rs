//! The client's address of an actix request, by the rules of
//! [`crate::application::client_ip`].

use std::{
    future::{Ready, ready},
    net::IpAddr,
};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use glimvid_runtime::config::IpNet;

use crate::{
    application::client_ip::{canonical, resolve},
    rest::error::ApiError,
    state::SharedState,
};

/// The client address of a request (see the module's rules).
pub fn of_request(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let xff: Vec<&str> = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
    resolve(req.peer_addr().map(|a| a.ip()), &xff, trusted).map(canonical)
}

/// Extractor: the client's address (`None` only for connections without a peer address).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The address as stored in usage rows and limiter keys.
    pub fn as_string(&self) -> String {
        self.0.map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into())
    }
}

impl FromRequest for ClientIp {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<SharedState>>()
            .map(|s| s.settings.accounts.trusted_proxies.clone())
            .unwrap_or_default();
        ready(Ok(ClientIp(of_request(req, &trusted))))
    }
}
