//! The methods of `glimvid.jobs.v1.VideoJobService`: each authenticates, converts the message
//! ([`super::convert`]) and calls the application function the REST handler calls too.

use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use glimvid_db::repo::jobs::JobView;
use glimvid_domain::{DomainError, ErrorCode, Stage, UserId};
use glimvid_proto::jobs::v1::{self as pb, video_job_service_server::VideoJobService};
use tonic::{Request, Response, Status};

use super::{
    CallerIp, Principal, VideoJobGrpc,
    convert::*,
    status::{async_stream_deadline, deadline, scoped, status},
};
use crate::{
    application::{
        error::AppError,
        follow::{self, Followed},
        videos::{self, Created, Submission},
        view::job_json,
    },
    state::GatewayState,
};

pub(super) const READ: &str = "videos:read";
pub(super) const WRITE: &str = "videos:write";

/// The account the API key in `authorization: Bearer <key>` speaks for, if it has `scope`.
pub(super) async fn principal_of(state: &GatewayState, header: Option<&str>, scope: &str) -> Result<UserId, AppError> {
    let unauth = |m: &str| AppError(DomainError::new(ErrorCode::Unauthenticated, m));
    let header = header.ok_or_else(|| unauth("an API key is required (metadata `authorization: Bearer <key>`)"))?;
    let key = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| unauth("the authorization metadata must be `Bearer <API key>`"))?
        .trim();
    Ok(crate::application::account::verify_api_key(state, key, scope).await?.user_id)
}

/// The account the guard admitted the call for.
fn principal(ext: &tonic::Extensions) -> Result<UserId, AppError> {
    ext.get::<Principal>().map(|p| p.user_id).ok_or_else(|| {
        AppError(DomainError::new(
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
    async fn photo_from_url(&self, user_id: UserId, url: &str) -> Result<Bytes, AppError> {
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
            crate::application::review::replace_script(&self.state, user_id, &r.id, &body).await
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
            crate::application::review::request_render(&self.state, user_id, &r.id, ip).await
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
            crate::application::webhooks::register(&self.state, user_id, &r.url).await
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
            crate::application::webhooks::list(&self.state, user_id).await
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
            crate::application::webhooks::delete(&self.state, user_id, &r.id).await
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
            crate::application::webhooks::deliveries(&self.state, user_id, &r.webhook_id, Some(&r.page_token), limit)
                .await
        })
        .await?;
        Ok(Response::new(pb::ListWebhookDeliveriesResponse {
            deliveries: rows.iter().map(delivery).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }
}
