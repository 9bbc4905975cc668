//! The partner API over gRPC: `glimvid.jobs.v1.VideoJobService`. Each method authenticates
//! the API key in the metadata, converts the message, and calls the same application function
//! as the REST handler ([`crate::videos`], [`crate::webhooks`], [`crate::follow`]); errors go
//! through the one code table (`glimvid_proto::status`), so a partner sees the code a REST
//! client would see. A client's `grpc-timeout` bounds the work done for it. The API key is
//! checked before the message is read ([`guard`]).

mod guard;

use std::{pin::Pin, time::Duration};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use glimvid_db::entity::enums::{DeliveryStatus, EventKind};
use glimvid_db::repo::{
    jobs::{JobEvent, JobView},
    webhooks::{Delivery, Webhook},
};
use glimvid_domain::{
    DomainError, ErrorCode, JobStatus, Scene, Script, Stage, StageStatus, UserId, options::JobOptions,
};
use glimvid_proto::jobs::v1::{self as pb, video_job_service_server::VideoJobService};
use tonic::{Request, Response, Status, codegen::http, metadata::MetadataMap};
use uuid::Uuid;

use crate::{
    error::{ApiError, REQUEST_ID},
    follow::{self, Followed},
    state::{GatewayState, SharedState},
    videos::{self, Created, Submission},
    view::job_json,
};

const READ: &str = "videos:read";
const WRITE: &str = "videos:write";

/// The service, over the gateway's state.
#[derive(Clone)]
pub struct VideoJobGrpc {
    state: SharedState,
}

pub use guard::{CallerIp, Guarded, Principal};

/// The partner service as the partner port serves it: the API key (and for `CreateVideoJob` the
/// rate limit, credits and jobs in flight) checked from the headers before the message is read,
/// and a message limit that fits the largest submission (`GLIMVID_GRPC_MAX_MESSAGE_BYTES`;
/// beyond it `OUT_OF_RANGE`, refused from the length prefix, before the message is buffered).
pub fn partner_service(
    state: SharedState,
) -> Guarded<pb::video_job_service_server::VideoJobServiceServer<VideoJobGrpc>> {
    let s = &state.settings;
    let max = match s.grpc_max_message_bytes {
        0 => s.max_photos as u64 * s.max_photo_bytes + 1024 * 1024,
        n => n,
    };
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let server = pb::video_job_service_server::VideoJobServiceServer::new(VideoJobGrpc { state: state.clone() })
        .max_decoding_message_size(max)
        .max_encoding_message_size(16 * 1024 * 1024);
    Guarded::new(server, state)
}

/// HTTP/2 flow-control windows of the partner port. What a connection may send before the
/// server reads it is buffered by the server: small windows keep a refused or stalled upload
/// from holding much memory (at most the connection window per connection).
pub const PARTNER_CONNECTION_WINDOW: u32 = 1024 * 1024;
pub const PARTNER_STREAM_WINDOW: u32 = 256 * 1024;
/// Calls at once on one partner connection.
pub const PARTNER_MAX_STREAMS: u32 = 32;

/// The partner port's transport settings (windows, streams, header size) on a server builder.
pub fn partner_transport(b: tonic::transport::Server) -> tonic::transport::Server {
    b.initial_connection_window_size(PARTNER_CONNECTION_WINDOW)
        .initial_stream_window_size(PARTNER_STREAM_WINDOW)
        .max_concurrent_streams(PARTNER_MAX_STREAMS)
        .http2_max_header_list_size(16 * 1024)
}

/// Reports the service as serving on a gRPC port's health service.
pub async fn mark_serving(health: &tonic_health::server::HealthReporter) {
    health.set_serving::<pb::video_job_service_server::VideoJobServiceServer<VideoJobGrpc>>().await;
}

fn status(e: ApiError) -> Status {
    let mut s = glimvid_proto::status::to_status(&e.0);
    let id = crate::error::current_request_id();
    if let Ok(v) = id.parse() {
        s.metadata_mut().insert("x-request-id", v);
    }
    s
}

/// The request id the client sent (`x-request-id`), or a new one.
fn request_id(md: &MetadataMap) -> String {
    request_id_of(md.as_ref())
}

fn request_id_of(headers: &http::HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| glimvid_runtime::trace::is_valid_request_id(s))
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::new_v4().to_string())
}

/// The client's deadline from `grpc-timeout` (e.g. `500m`, `10S`, `2M`).
pub fn deadline(md: &MetadataMap) -> Option<Duration> {
    let v = md.get("grpc-timeout")?.to_str().ok()?;
    let (n, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = n.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

fn deadline_exceeded() -> Status {
    Status::deadline_exceeded("the call's deadline passed before the work was done")
}

/// Runs `work` in the call's request scope, within its deadline.
async fn scoped<T>(md: &MetadataMap, work: impl Future<Output = Result<T, ApiError>>) -> Result<T, Status> {
    let id = request_id(md);
    let limit = deadline(md);
    REQUEST_ID
        .scope(id, async move {
            let r = match limit {
                Some(d) => tokio::time::timeout(d, work).await.map_err(|_| deadline_exceeded())?,
                None => work.await,
            };
            r.map_err(status)
        })
        .await
}

/// The account the API key in `authorization: Bearer <key>` speaks for, if it has `scope`.
async fn principal_of(state: &GatewayState, header: Option<&str>, scope: &str) -> Result<UserId, ApiError> {
    let unauth = |m: &str| ApiError(DomainError::new(ErrorCode::Unauthenticated, m));
    let header = header.ok_or_else(|| unauth("an API key is required (metadata `authorization: Bearer <key>`)"))?;
    let key = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| unauth("the authorization metadata must be `Bearer <API key>`"))?
        .trim();
    Ok(crate::account::verify_api_key(state, key, scope).await?.user_id)
}

/// The account the guard admitted the call for.
fn principal(ext: &tonic::Extensions) -> Result<UserId, ApiError> {
    ext.get::<Principal>().map(|p| p.user_id).ok_or_else(|| {
        ApiError(DomainError::new(
            ErrorCode::Unauthenticated,
            "an API key is required (metadata `authorization: Bearer <key>`)",
        ))
    })
}

fn caller_ip(ext: &tonic::Extensions) -> Option<std::net::IpAddr> {
    ext.get::<CallerIp>().and_then(|c| c.0)
}

impl VideoJobGrpc {
    fn job(&self, v: &JobView) -> pb::VideoJob {
        let j = job_json(&self.state, v);
        pb::VideoJob {
            id: j.id,
            status: job_status(v.job.status.into()) as i32,
            stages: Stage::ALL
                .iter()
                .filter_map(|s| v.stage(*s))
                .map(|s| pb::Stage {
                    name: stage_name(s.stage.into()) as i32,
                    status: stage_status(s.status.into()) as i32,
                    failure_reason: s.failure_reason.clone().unwrap_or_default(),
                })
                .collect(),
            script: j.script.as_ref().map(script),
            enhanced_image_urls: j.enhanced_images.into_iter().map(|a| a.url).collect(),
            video_url: j.video.map(|a| a.url).unwrap_or_default(),
            public_url: j.public_url.unwrap_or_default(),
            failure_reason: j.failure_reason.unwrap_or_default(),
            create_time: Some(timestamp(v.job.created_at)),
            update_time: Some(timestamp(v.job.updated_at)),
            description: j.description,
            options: job_options(&v.job.options_json),
            finish_time: v.job.finished_at.map(timestamp),
        }
    }

    /// A photo given by the path of one of the caller's own uploads.
    async fn photo_from_url(&self, user_id: UserId, url: &str) -> Result<Bytes, ApiError> {
        let bad = || {
            DomainError::invalid(
                "photos",
                format!("`{url}` is not one of your uploads (/api/v1/videos/{{id}}/assets/original/{{n}})"),
            )
        };
        let path = url.split_once("://").map_or(url, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let ["api", "v1", "videos", job, "assets", kind @ ("original" | "enhanced"), n] = parts[..] else {
            return Err(bad().into());
        };
        let n: i32 = n.parse().map_err(|_| bad())?;
        let view = videos::get(&self.state, user_id, job).await?;
        let asset = view.assets.iter().find(|a| a.kind == kind && a.idx == n).ok_or_else(bad)?;
        Ok(self.state.backends.blob.get(&asset.blob_key).await?)
    }
}

/// The options message as the JSON the REST API takes (unset fields left out).
fn options_json(o: Option<&pb::VideoOptions>) -> String {
    let Some(o) = o else { return String::new() };
    let mut m = serde_json::Map::new();
    if !o.aspect_ratio.is_empty() {
        m.insert("aspect_ratio".into(), o.aspect_ratio.clone().into());
    }
    if o.duration_s != 0 {
        m.insert("duration_s".into(), o.duration_s.into());
    }
    if !o.language.is_empty() {
        m.insert("language".into(), o.language.clone().into());
    }
    if !o.style.is_empty() {
        m.insert("style".into(), o.style.clone().into());
    }
    if o.review {
        m.insert("review".into(), true.into());
    }
    serde_json::Value::Object(m).to_string()
}

/// A time in milliseconds since the Unix epoch, as the database keeps it.
fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

/// Exhaustive: a status added to the domain does not compile until the proto names it.
fn job_status(s: JobStatus) -> pb::JobStatus {
    match s {
        JobStatus::Queued => pb::JobStatus::Queued,
        JobStatus::Running => pb::JobStatus::Running,
        JobStatus::AwaitingReview => pb::JobStatus::AwaitingReview,
        JobStatus::Succeeded => pb::JobStatus::Succeeded,
        JobStatus::Failed => pb::JobStatus::Failed,
        JobStatus::Canceled => pb::JobStatus::Canceled,
    }
}

fn stage_name(s: Stage) -> pb::StageName {
    match s {
        Stage::Script => pb::StageName::Script,
        Stage::Enhance => pb::StageName::Enhance,
        Stage::Render => pb::StageName::Render,
    }
}

fn stage_status(s: StageStatus) -> pb::StageStatus {
    match s {
        StageStatus::Pending => pb::StageStatus::Pending,
        StageStatus::Running => pb::StageStatus::Running,
        StageStatus::Succeeded => pb::StageStatus::Succeeded,
        StageStatus::Failed => pb::StageStatus::Failed,
        StageStatus::Canceled => pb::StageStatus::Canceled,
    }
}

fn script(s: &Script) -> pb::Script {
    pb::Script {
        title: s.title.clone(),
        hook: s.hook.clone(),
        scenes: s
            .scenes
            .iter()
            .map(|c| pb::Scene {
                caption: c.caption.clone(),
                voiceover: c.voiceover.clone(),
                photo_index: c.photo_index,
            })
            .collect(),
        call_to_action: s.call_to_action.clone(),
    }
}

/// A script as sent, before the same checks as a REST edit (an empty field is refused there).
fn script_from(s: pb::Script) -> Script {
    Script {
        title: s.title,
        hook: s.hook,
        scenes: s
            .scenes
            .into_iter()
            .map(|c| Scene { caption: c.caption, voiceover: c.voiceover, photo_index: c.photo_index })
            .collect(),
        call_to_action: s.call_to_action,
    }
}

/// The options a job recorded (validated at submission, defaults filled in).
fn job_options(stored: &str) -> Option<pb::VideoOptions> {
    let o: JobOptions = serde_json::from_str(stored).ok()?;
    Some(pb::VideoOptions {
        aspect_ratio: o.video.aspect_ratio.as_str().to_owned(),
        duration_s: o.video.duration_s,
        language: o.video.language.as_str().to_owned(),
        style: o.video.style.as_str().to_owned(),
        review: o.review,
    })
}

fn event(e: &JobEvent) -> pb::JobEvent {
    // A job event carries a job status, a stage event a stage status; anything else (a status
    // of the other kind) reads as unspecified.
    let (kind, job, stage) = match e.kind {
        EventKind::Job => (
            pb::JobEventKind::Job,
            e.status.and_then(|s| s.job_status()).map_or(pb::JobStatus::Unspecified, job_status),
            pb::StageStatus::Unspecified,
        ),
        EventKind::Stage => (
            pb::JobEventKind::Stage,
            pb::JobStatus::Unspecified,
            e.status.and_then(|s| s.stage_status()).map_or(pb::StageStatus::Unspecified, stage_status),
        ),
        EventKind::Note => (pb::JobEventKind::Unspecified, pb::JobStatus::Unspecified, pb::StageStatus::Unspecified),
    };
    pb::JobEvent {
        id: e.id,
        job_id: e.job_id.to_string(),
        kind: kind as i32,
        stage: e.stage.map_or(pb::StageName::Unspecified, |s| stage_name(s.into())) as i32,
        job_status: job as i32,
        stage_status: stage as i32,
        message: e.message.clone().unwrap_or_default(),
        event_time: Some(timestamp(e.at)),
    }
}

fn webhook(w: &Webhook) -> pb::Webhook {
    pb::Webhook { id: w.id.to_string(), url: w.url.clone(), create_time: Some(timestamp(w.created_at)) }
}

fn delivery(d: &Delivery) -> pb::WebhookDelivery {
    use glimvid_db::repo::webhooks::status;
    let delivery_status = match d.status {
        DeliveryStatus::Pending => pb::WebhookDeliveryStatus::Pending,
        DeliveryStatus::Delivered => pb::WebhookDeliveryStatus::Delivered,
        DeliveryStatus::Failed => pb::WebhookDeliveryStatus::Failed,
    };
    pb::WebhookDelivery {
        id: d.id,
        webhook_id: d.webhook_id.to_string(),
        event_id: d.event_id,
        status: delivery_status as i32,
        attempts: d.attempts.max(0) as u32,
        last_status_code: d.last_status_code.unwrap_or(0).max(0) as u32,
        last_error: d.last_error.clone().unwrap_or_default(),
        next_attempt_time: (d.status == status::PENDING).then(|| timestamp(d.next_attempt_at)),
        create_time: Some(timestamp(d.created_at)),
        deliver_time: d.delivered_at.map(timestamp),
    }
}

/// A request's `page_size`, 0 meaning the default.
fn page_size(n: u32) -> u64 {
    if n == 0 { crate::page::DEFAULT_SIZE } else { n as u64 }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::WatchVideoJobResponse, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl VideoJobService for VideoJobGrpc {
    async fn create_video_job(
        &self,
        req: Request<pb::CreateVideoJobRequest>,
    ) -> Result<Response<pb::CreateVideoJobResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        let ip = caller_ip(&ext);
        let v = scoped(&md, async {
            // The rate limit, credits and jobs in flight were checked before the message was read.
            let user_id = principal(&ext)?;
            let s = &self.state.settings;
            if r.photos.len() > s.max_photos {
                return Err(DomainError::invalid("photos", format!("at most {} photos per video", s.max_photos)).into());
            }
            let mut photos = Vec::with_capacity(r.photos.len());
            for (i, p) in r.photos.into_iter().enumerate() {
                let bytes = match p.source {
                    Some(pb::photo::Source::Data(d)) => Bytes::from(d),
                    Some(pb::photo::Source::Url(u)) => self.photo_from_url(user_id, &u).await?,
                    None => return Err(DomainError::invalid("photos", format!("photo {} is empty", i + 1)).into()),
                };
                if bytes.len() as u64 > s.max_photo_bytes {
                    return Err(DomainError {
                        code: ErrorCode::PayloadTooLarge,
                        message: format!("photo {}: larger than {} MB", i + 1, s.max_photo_bytes / (1024 * 1024)),
                        field: Some("photos".into()),
                        retry_after_s: None,
                    }
                    .into());
                }
                photos.push(videos::PhotoData::Memory(bytes));
            }
            let sub = Submission {
                photos,
                description: r.description,
                options: options_json(r.options.as_ref()),
                idempotency_key: Some(r.idempotency_key).filter(|k| !k.is_empty()),
            };
            Ok(match videos::create_from(&self.state, user_id, sub, ip).await? {
                Created::New(v) => (v, false),
                Created::Replayed(v) => (v, true),
            })
        })
        .await?;
        Ok(Response::new(pb::CreateVideoJobResponse { video_job: Some(self.job(&v.0)), replayed: v.1 }))
    }

    async fn get_video_job(
        &self,
        req: Request<pb::GetVideoJobRequest>,
    ) -> Result<Response<pb::GetVideoJobResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        let v = scoped(&md, async {
            let user_id = principal(&ext)?;
            videos::get(&self.state, user_id, &r.id).await
        })
        .await?;
        Ok(Response::new(pb::GetVideoJobResponse { video_job: Some(self.job(&v)) }))
    }

    async fn list_video_jobs(
        &self,
        req: Request<pb::ListVideoJobsRequest>,
    ) -> Result<Response<pb::ListVideoJobsResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        let (views, next) = scoped(&md, async {
            let user_id = principal(&ext)?;
            videos::page(&self.state, user_id, Some(&r.page_token), page_size(r.page_size)).await
        })
        .await?;
        Ok(Response::new(pb::ListVideoJobsResponse {
            jobs: views.iter().map(|v| self.job(v)).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }

    type WatchVideoJobStream = EventStream;

    async fn watch_video_job(
        &self,
        req: Request<pb::WatchVideoJobRequest>,
    ) -> Result<Response<Self::WatchVideoJobStream>, Status> {
        let (md, ext, r) = req.into_parts();
        let view = scoped(&md, async {
            let user_id = principal(&ext)?;
            if r.after_event_id < 0 {
                return Err(DomainError::invalid("after_event_id", "after_event_id must be 0 or more").into());
            }
            let view = videos::get(&self.state, user_id, &r.id).await?;
            let slot = self.state.streams.open(user_id, self.state.settings.accounts.max_streams_per_account)?;
            Ok((view, slot))
        })
        .await?;
        let (view, slot) = view;
        let events =
            follow::events(self.state.clone(), view.job.id(), r.after_event_id, slot).filter_map(|f| async move {
                match f {
                    Ok(Followed::Event(e)) => Some(Ok(pb::WatchVideoJobResponse { event: Some(event(&e)) })),
                    Ok(Followed::Idle) => None,
                    Err(e) => Some(Err(status(e))),
                }
            });
        let stream: EventStream = match deadline(&md) {
            Some(d) => {
                let end = tokio::time::Instant::now() + d;
                Box::pin(async_stream_deadline(events, end))
            }
            None => Box::pin(events),
        };
        Ok(Response::new(stream))
    }

    async fn cancel_video_job(
        &self,
        req: Request<pb::CancelVideoJobRequest>,
    ) -> Result<Response<pb::CancelVideoJobResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        let v = scoped(&md, async {
            let user_id = principal(&ext)?;
            videos::cancel(&self.state, user_id, &r.id).await
        })
        .await?;
        Ok(Response::new(pb::CancelVideoJobResponse { video_job: Some(self.job(&v)) }))
    }

    async fn delete_video_job(
        &self,
        req: Request<pb::DeleteVideoJobRequest>,
    ) -> Result<Response<pb::DeleteVideoJobResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        scoped(&md, async {
            let user_id = principal(&ext)?;
            videos::delete(&self.state, user_id, &r.id).await
        })
        .await?;
        Ok(Response::new(pb::DeleteVideoJobResponse {}))
    }

    async fn update_video_script(
        &self,
        req: Request<pb::UpdateVideoScriptRequest>,
    ) -> Result<Response<pb::UpdateVideoScriptResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        let v = scoped(&md, async {
            let user_id = principal(&ext)?;
            let sent = r.script.ok_or_else(|| DomainError::invalid("script", "the script is required"))?;
            // The REST edit's body, so that both edges apply the same checks.
            let body = serde_json::to_vec(&script_from(sent))
                .map_err(|e| DomainError::new(ErrorCode::Internal, e.to_string()))?;
            crate::review::replace_script(&self.state, user_id, &r.id, &body).await
        })
        .await?;
        Ok(Response::new(pb::UpdateVideoScriptResponse { video_job: Some(self.job(&v)) }))
    }

    async fn render_video_job(
        &self,
        req: Request<pb::RenderVideoJobRequest>,
    ) -> Result<Response<pb::RenderVideoJobResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        let ip = caller_ip(&ext);
        let v = scoped(&md, async {
            let user_id = principal(&ext)?;
            crate::review::request_render(&self.state, user_id, &r.id, ip).await
        })
        .await?;
        Ok(Response::new(pb::RenderVideoJobResponse { video_job: Some(self.job(&v)) }))
    }

    async fn create_webhook(
        &self,
        req: Request<pb::CreateWebhookRequest>,
    ) -> Result<Response<pb::CreateWebhookResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        let reg = scoped(&md, async {
            let user_id = principal(&ext)?;
            crate::webhooks::register(&self.state, user_id, &r.url).await
        })
        .await?;
        Ok(Response::new(pb::CreateWebhookResponse { webhook: Some(webhook(&reg.webhook)), secret: reg.secret }))
    }

    async fn list_webhooks(
        &self,
        req: Request<pb::ListWebhooksRequest>,
    ) -> Result<Response<pb::ListWebhooksResponse>, Status> {
        let (md, ext, _) = req.into_parts();
        let hooks = scoped(&md, async {
            let user_id = principal(&ext)?;
            crate::webhooks::list(&self.state, user_id).await
        })
        .await?;
        Ok(Response::new(pb::ListWebhooksResponse { webhooks: hooks.iter().map(webhook).collect() }))
    }

    async fn delete_webhook(
        &self,
        req: Request<pb::DeleteWebhookRequest>,
    ) -> Result<Response<pb::DeleteWebhookResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        scoped(&md, async {
            let user_id = principal(&ext)?;
            crate::webhooks::delete(&self.state, user_id, &r.id).await
        })
        .await?;
        Ok(Response::new(pb::DeleteWebhookResponse {}))
    }

    async fn list_webhook_deliveries(
        &self,
        req: Request<pb::ListWebhookDeliveriesRequest>,
    ) -> Result<Response<pb::ListWebhookDeliveriesResponse>, Status> {
        let (md, ext, r) = req.into_parts();
        let (rows, next) = scoped(&md, async {
            let user_id = principal(&ext)?;
            let limit = page_size(r.page_size);
            crate::webhooks::deliveries(&self.state, user_id, &r.webhook_id, Some(&r.page_token), limit).await
        })
        .await?;
        Ok(Response::new(pb::ListWebhookDeliveriesResponse {
            deliveries: rows.iter().map(delivery).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }
}

/// Ends `inner` with DEADLINE_EXCEEDED at `end` if it has not ended by then.
fn async_stream_deadline(
    inner: impl Stream<Item = Result<pb::WatchVideoJobResponse, Status>> + Send + 'static,
    end: tokio::time::Instant,
) -> impl Stream<Item = Result<pb::WatchVideoJobResponse, Status>> + Send + 'static {
    let inner = Box::pin(inner);
    futures::stream::unfold(Some(inner), move |st| async move {
        let mut inner = st?;
        tokio::select! {
            item = inner.next() => item.map(|i| (i, Some(inner))),
            _ = tokio::time::sleep_until(end) => Some((Err(deadline_exceeded()), None)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse() {
        let mut md = MetadataMap::new();
        for (v, d) in [
            ("500m", Duration::from_millis(500)),
            ("10S", Duration::from_secs(10)),
            ("2M", Duration::from_secs(120)),
            ("1H", Duration::from_secs(3600)),
            ("250u", Duration::from_micros(250)),
        ] {
            md.insert("grpc-timeout", v.parse().unwrap());
            assert_eq!(deadline(&md), Some(d), "{v}");
        }
        md.insert("grpc-timeout", "10x".parse().unwrap());
        assert_eq!(deadline(&md), None);
        assert_eq!(deadline(&MetadataMap::new()), None);
    }

    #[test]
    fn options_become_the_rest_json() {
        assert_eq!(options_json(None), "");
        let o = pb::VideoOptions { aspect_ratio: "1:1".into(), duration_s: 10, review: true, ..Default::default() };
        let v: serde_json::Value = serde_json::from_str(&options_json(Some(&o))).unwrap();
        assert_eq!(v, serde_json::json!({"aspect_ratio": "1:1", "duration_s": 10, "review": true}));
        assert_eq!(options_json(Some(&pb::VideoOptions::default())), "{}");
    }

    #[test]
    fn times_become_timestamps_to_the_millisecond() {
        let t = timestamp(1_700_000_000_123);
        assert_eq!((t.seconds, t.nanos), (1_700_000_000, 123_000_000));
        // Before the epoch the nanoseconds stay positive, as Timestamp requires.
        let t = timestamp(-1);
        assert_eq!((t.seconds, t.nanos), (-1, 999_000_000));
    }

    #[test]
    fn every_status_has_its_own_proto_value() {
        use std::collections::HashSet;
        let jobs = [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::AwaitingReview,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Canceled,
        ]
        .map(job_status);
        assert!(!jobs.contains(&pb::JobStatus::Unspecified));
        assert_eq!(jobs.iter().collect::<HashSet<_>>().len(), jobs.len());
        assert_eq!(job_status(JobStatus::AwaitingReview), pb::JobStatus::AwaitingReview);
        let stages = Stage::ALL.map(stage_name);
        assert_eq!(stages, [pb::StageName::Script, pb::StageName::Enhance, pb::StageName::Render]);
        let statuses = [
            StageStatus::Pending,
            StageStatus::Running,
            StageStatus::Succeeded,
            StageStatus::Failed,
            StageStatus::Canceled,
        ]
        .map(stage_status);
        assert!(!statuses.contains(&pb::StageStatus::Unspecified));
        assert_eq!(statuses.iter().collect::<HashSet<_>>().len(), statuses.len());
        assert_eq!(stage_status(StageStatus::Canceled), pb::StageStatus::Canceled);
    }

    #[test]
    fn recorded_options_become_the_options_message() {
        let o = job_options(r#"{"aspect_ratio":"1:1","duration_s":6,"language":"de","style":"bold","review":true}"#)
            .expect("options");
        assert_eq!(
            o,
            pb::VideoOptions {
                aspect_ratio: "1:1".into(),
                duration_s: 6,
                language: "de".into(),
                style: "bold".into(),
                review: true
            }
        );
        let o =
            job_options(r#"{"aspect_ratio":"9:16","duration_s":15,"language":"en","style":"clean"}"#).expect("options");
        assert!(!o.review);
        assert_eq!(job_options("not json"), None);
    }

    #[test]
    fn a_script_survives_the_message_both_ways() {
        let s = Script {
            title: "Fresh coffee".into(),
            hook: "Smell that?".into(),
            scenes: vec![Scene { caption: "Beans".into(), voiceover: "Roasted today.".into(), photo_index: 1 }],
            call_to_action: "Order now".into(),
        };
        let m = script(&s);
        assert_eq!(m.scenes[0].photo_index, 1);
        assert_eq!(script_from(m), s);
    }

    #[test]
    fn events_carry_the_status_of_what_they_are_about() {
        let base = JobEvent {
            id: 7,
            job_id: Uuid::nil(),
            kind: EventKind::Stage,
            stage: Some(glimvid_db::entity::enums::Stage::Enhance),
            status: Some(glimvid_db::entity::enums::EventStatus::Failed),
            message: Some("too dark".into()),
            at: 1_500,
        };
        let e = event(&base);
        assert_eq!(e.kind(), pb::JobEventKind::Stage);
        assert_eq!(
            (e.stage(), e.stage_status(), e.job_status()),
            (pb::StageName::Enhance, pb::StageStatus::Failed, pb::JobStatus::Unspecified)
        );
        assert_eq!(e.event_time, Some(prost_types::Timestamp { seconds: 1, nanos: 500_000_000 }));
        let e = event(&JobEvent {
            kind: EventKind::Job,
            stage: None,
            status: Some(glimvid_db::entity::enums::EventStatus::Succeeded),
            ..base
        });
        assert_eq!(
            (e.kind(), e.job_status(), e.stage()),
            (pb::JobEventKind::Job, pb::JobStatus::Succeeded, pb::StageName::Unspecified)
        );
        assert_eq!(e.stage_status(), pb::StageStatus::Unspecified);
    }

    #[test]
    fn a_delivery_shows_its_next_attempt_only_while_pending() {
        let pending = Delivery {
            id: 1,
            webhook_id: Uuid::nil(),
            user_id: Uuid::nil(),
            event_id: 3,
            payload: "{}".into(),
            status: DeliveryStatus::Pending,
            attempts: 2,
            next_attempt_at: 60_000,
            locked_until: 0,
            last_status_code: Some(503),
            last_error: None,
            created_at: 1_000,
            delivered_at: None,
        };
        let d = delivery(&pending);
        assert_eq!(d.status(), pb::WebhookDeliveryStatus::Pending);
        assert_eq!(d.next_attempt_time.map(|t| t.seconds), Some(60));
        assert_eq!((d.deliver_time, d.last_status_code), (None, 503));
        let d = delivery(&Delivery { status: DeliveryStatus::Delivered, delivered_at: Some(2_000), ..pending });
        assert_eq!(d.status(), pb::WebhookDeliveryStatus::Delivered);
        assert_eq!((d.next_attempt_time, d.deliver_time.map(|t| t.seconds)), (None, Some(2)));
    }
}
