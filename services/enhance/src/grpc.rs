//! `glimvid.enhance.v1.EnhanceService`: a synchronous preview of what the enhance stage does to
//! one photo. The photo goes through the same upload checks as a job's photos.

use std::sync::Arc;

use glimvid_domain::{AspectRatio, DomainError, ErrorCode, VideoOptions};
use glimvid_media::{UploadLimits, sanitize};
use glimvid_proto::{
    enhance::v1::{self as pb, enhance_service_server::EnhanceServiceServer},
    status::to_status,
};
use glimvid_providers::{EnhanceRequest, ImageEnhancer};
use tonic::{Request, Response, Status};

pub struct EnhanceGrpc {
    enhancer: Arc<dyn ImageEnhancer>,
    limits: UploadLimits,
}

pub fn server(enhancer: Arc<dyn ImageEnhancer>, limits: UploadLimits) -> EnhanceServiceServer<EnhanceGrpc> {
    EnhanceServiceServer::new(EnhanceGrpc { enhancer, limits }).max_decoding_message_size(32 * 1024 * 1024)
}

#[tonic::async_trait]
impl pb::enhance_service_server::EnhanceService for EnhanceGrpc {
    async fn enhance_photo(
        &self,
        r: Request<pb::EnhancePhotoRequest>,
    ) -> Result<Response<pb::EnhancePhotoResponse>, Status> {
        let r = r.into_inner();
        let aspect: AspectRatio = if r.aspect_ratio.is_empty() {
            AspectRatio::default()
        } else {
            r.aspect_ratio.parse().map_err(|e: DomainError| to_status(&e))?
        };
        let limits = self.limits;
        let photo = tokio::task::spawn_blocking(move || sanitize(&r.photo, &limits))
            .await
            .map_err(|_| to_status(&DomainError::new(ErrorCode::Internal, "photo check failed")))?
            .map_err(|e| to_status(&DomainError::invalid("photo", e.to_string()).with_code(e.code())))?;
        let options = VideoOptions { aspect_ratio: aspect, ..VideoOptions::default() };
        let out = self.enhancer.enhance(&EnhanceRequest { photo: photo.bytes, options }).await.map_err(|e| {
            let code = if e.is_transient() { ErrorCode::Unavailable } else { ErrorCode::FailedPrecondition };
            to_status(&DomainError::new(code, e.message))
        })?;
        Ok(Response::new(pb::EnhancePhotoResponse {
            image: out.bytes.to_vec(),
            content_type: out.content_type.into(),
            width: out.width,
            height: out.height,
            note: out.note,
            enhancer: self.enhancer.name().into(),
        }))
    }
}
