//! The partner port's door: a tower service in front of `VideoJobService` that checks the API
//! key (and, for `CreateVideoJob`, the rate limit, credits and jobs in flight) from the request
//! headers alone, before a byte of the message is read. tonic's interceptors run only after a
//! unary message has been received and decoded, so a 100 MB message would be buffered for
//! anyone; here a stranger is answered `UNAUTHENTICATED` and the body is never polled.

use glimvid_domain::UserId;
use std::{convert::Infallible, net::IpAddr};

use tonic::{
    Status,
    body::Body,
    codegen::{BoxFuture, Context, Poll, Service, http},
    server::NamedService,
    transport::server::{TcpConnectInfo, TlsConnectInfo},
};

use crate::{error::ApiError, limits, state::SharedState};

/// Who an admitted call speaks for; handlers read it from the request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct Principal {
    pub user_id: UserId,
}

/// The client address of an admitted call (the peer, or the trusted proxies' `X-Forwarded-For`).
#[derive(Debug, Clone, Copy)]
pub struct CallerIp(pub Option<IpAddr>);

const SERVICE: &str = "/glimvid.jobs.v1.VideoJobService/";

/// The scope a method needs: reading methods `videos:read`, everything else `videos:write`.
fn scope_of(path: &str) -> &'static str {
    match path.strip_prefix(SERVICE) {
        Some("GetVideoJob" | "ListVideoJobs" | "WatchVideoJob" | "ListWebhooks" | "ListWebhookDeliveries") => {
            super::READ
        }
        _ => super::WRITE,
    }
}

/// Wraps a service of the partner port.
#[derive(Clone)]
pub struct Guarded<S> {
    inner: S,
    state: SharedState,
}

impl<S> Guarded<S> {
    pub fn new(inner: S, state: SharedState) -> Self {
        Self { inner, state }
    }
}

impl<S: NamedService> NamedService for Guarded<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for Guarded<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        // The clone that was made ready serves this call; the fresh one waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move {
            let id = super::request_id_of(req.headers());
            let admitted = crate::error::REQUEST_ID.scope(id, admit(&state, &mut req)).await;
            match admitted {
                Ok(()) => inner.call(req).await,
                // Dropping `req` here resets the stream: its body was never read.
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

/// The checks made from the headers; on success the principal and the client's address are in
/// the request's extensions.
async fn admit(state: &SharedState, req: &mut http::Request<Body>) -> Result<(), Status> {
    let scope = scope_of(req.uri().path());
    let header = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let ip = caller_ip(state, req);
    let create = req.uri().path() == format!("{SERVICE}CreateVideoJob");
    let user_id = async {
        let user_id = super::principal_of(state, header.as_deref(), scope).await?;
        if create {
            if let Err(limited) = limits::check(state, limits::Action::SubmitVideo, ip).await {
                return Err(ApiError::from(limited.error()));
            }
            crate::videos::precheck(state, user_id, ip).await?;
        }
        Ok::<_, ApiError>(user_id)
    }
    .await
    .map_err(super::status)?;
    req.extensions_mut().insert(Principal { user_id });
    req.extensions_mut().insert(CallerIp(ip));
    Ok(())
}

/// The client's address, canonical as on REST: the TCP peer, or the trusted proxies' word.
fn caller_ip(state: &SharedState, req: &http::Request<Body>) -> Option<IpAddr> {
    let ext = req.extensions();
    let peer = ext
        .get::<TcpConnectInfo>()
        .and_then(|i| i.remote_addr())
        .or_else(|| ext.get::<TlsConnectInfo<TcpConnectInfo>>().and_then(|i| i.get_ref().remote_addr()))
        .map(|a| a.ip());
    let forwarded: Vec<&str> =
        req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    crate::client_ip::resolve(peer, &forwarded, &state.settings.accounts.trusted_proxies)
        .map(crate::client_ip::canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_methods_need_only_the_read_scope() {
        assert_eq!(scope_of("/glimvid.jobs.v1.VideoJobService/GetVideoJob"), "videos:read");
        assert_eq!(scope_of("/glimvid.jobs.v1.VideoJobService/WatchVideoJob"), "videos:read");
        assert_eq!(scope_of("/glimvid.jobs.v1.VideoJobService/CreateVideoJob"), "videos:write");
        assert_eq!(scope_of("/glimvid.jobs.v1.VideoJobService/DeleteWebhook"), "videos:write");
        // Anything unknown gets the stricter scope.
        assert_eq!(scope_of("/other.Service/GetVideoJob"), "videos:write");
    }
}
