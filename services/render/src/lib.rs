//! The render service: the render stage worker. It reads the script and the enhanced photos,
//! asks the `VideoGenerator` for an MP4, stores it and gives the job its public link.

use std::sync::Arc;

use async_trait::async_trait;
use glimvid_db::entity::enums::AssetKind;
use glimvid_db::{
    Db,
    repo::jobs::{self, NewAsset, StageResult},
};
use glimvid_domain::{PublicId, Script, Stage};
use glimvid_pipeline::{Backends, StageError, StageHandler, StageRun, Worker, sha256_hex};
use glimvid_providers::{ClipJoiner, ProviderError, RenderObserver, RenderRequest, VideoGenerator, VoiceOver};
use glimvid_runtime::Shutdown;
use rand::RngCore;

pub struct RenderStage {
    generator: Arc<dyn VideoGenerator>,
    scratch: std::path::PathBuf,
}

impl RenderStage {
    /// `scratch` holds each render's output until it is stored.
    pub fn new(generator: Arc<dyn VideoGenerator>, scratch: std::path::PathBuf) -> Self {
        Self { generator, scratch }
    }
}

/// What joins a video provider's clips into the final video: the local engine, so that a video
/// made from Ark's clips has the same captions, cards, transitions and format as a local one.
/// This one has no speech engine (silent videos); the binaries join with their narrating
/// renderer.
pub fn clip_joiner() -> Arc<dyn ClipJoiner> {
    Arc::new(glimvid_media::LocalRenderer::new())
}

/// The size of the `job_stages.provider_task_id` column.
const MAX_RECORDED_TASKS_CHARS: usize = 255;

/// Turns the generator's progress notes into job events, and keeps the provider's task ids in
/// the render stage's row (comma-separated) so that a redelivered task resumes them.
struct JobObserver {
    db: Db,
    job_id: glimvid_domain::JobId,
    /// The ids recorded by an earlier delivery, read with the job view when this run started.
    recorded: Vec<String>,
}

impl JobObserver {
    fn new(run: &StageRun) -> Self {
        let recorded = run
            .view
            .stage(Stage::Render)
            .and_then(|s| s.provider_task_id.as_deref())
            .map(|ids| ids.split(',').map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default();
        Self { db: run.db.clone(), job_id: run.job_id(), recorded }
    }
}

#[async_trait]
impl RenderObserver for JobObserver {
    async fn note(&self, message: &str) {
        if let Err(e) = jobs::note(&self.db, self.job_id, Stage::Render, message).await {
            tracing::warn!(error = %e, "could not record a render note");
        }
    }

    async fn recorded_tasks(&self) -> Vec<String> {
        self.recorded.clone()
    }

    /// One UPDATE outside any transaction: committed when this returns, before any polling.
    async fn record_tasks(&self, task_ids: &[String]) -> Result<(), ProviderError> {
        if task_ids.iter().any(|id| id.is_empty() || id.contains(',')) {
            return Err(ProviderError::permanent("render", "bad_task_id", "a provider task id cannot be recorded"));
        }
        let joined = task_ids.join(",");
        if joined.len() > MAX_RECORDED_TASKS_CHARS {
            return Err(ProviderError::permanent(
                "render",
                "too_many_tasks",
                format!("the provider task ids of this render do not fit in {MAX_RECORDED_TASKS_CHARS} characters"),
            ));
        }
        jobs::set_provider_task(&self.db, self.job_id, Stage::Render, &joined).await.map_err(|e| {
            tracing::warn!(error = %e, "could not record the provider task ids");
            ProviderError::transient("render", "database", "the provider task ids could not be recorded")
        })
    }
}

#[async_trait]
impl StageHandler for RenderStage {
    fn stage(&self) -> Stage {
        Stage::Render
    }

    async fn run(&self, run: &StageRun) -> Result<StageResult, StageError> {
        let job = &run.view.job;
        let options = run.options()?;
        let script: Script = serde_json::from_str(job.script_json.as_deref().unwrap_or(""))
            .map_err(|_| StageError::Permanent("the job has no usable script".into()))?;
        let mut images = Vec::new();
        for a in run.view.assets.iter().filter(|a| a.kind == "enhanced") {
            images.push(run.blob.get(&a.blob_key).await?);
        }
        if images.is_empty() {
            return Err(StageError::Permanent("the job has no enhanced photos".into()));
        }
        tokio::fs::create_dir_all(&self.scratch)
            .await
            .map_err(|e| StageError::transient(format!("scratch space: {e}")))?;
        let dir = tempfile::Builder::new()
            .prefix("render-")
            .tempdir_in(&self.scratch)
            .map_err(|e| StageError::transient(format!("scratch space: {e}")))?;
        let output = dir.path().join("video.mp4");
        let observer = Arc::new(JobObserver::new(run));
        let voice_over = said_ahead(run).await?;
        let out = self
            .generator
            .render(RenderRequest { script, images, options, output: output.clone(), observer, voice_over })
            .await?;
        let bytes = tokio::fs::read(&output).await.map_err(|e| StageError::transient(format!("render output: {e}")))?;
        let key = run.key("video", 0, "mp4");
        run.put_file(&key, &output, "video/mp4").await?;
        let subtitles = store_subtitles(run, &output).await?;
        let mut raw = [0u8; 16];
        rand::rng().fill_bytes(&mut raw);
        Ok(StageResult {
            assets: std::iter::once(NewAsset {
                kind: AssetKind::Video,
                idx: 0,
                blob_key: key,
                size: bytes.len() as i64,
                content_type: "video/mp4".into(),
                sha256: sha256_hex(&bytes),
                width: Some(out.width as i32),
                height: Some(out.height as i32),
            })
            .chain(subtitles)
            .collect(),
            script_json: None,
            public_id: Some(PublicId::from_random(raw).to_string()),
            note: Some(format!(
                "{}x{}, {:.1} s, {} frames, encoded with {}",
                out.width,
                out.height,
                out.duration_ms as f64 / 1000.0,
                out.frames,
                out.encoder
            )),
        })
    }
}

/// The voice-over the script stage said, if it did. One that cannot be read is left aside (the
/// render says the lines again), not the job's failure.
async fn said_ahead(run: &StageRun) -> Result<Option<VoiceOver>, StageError> {
    let Some(asset) = run.view.assets.iter().find(|a| a.kind == AssetKind::Narration.as_str()) else {
        return Ok(None);
    };
    let bytes = run.blob.get(&asset.blob_key).await?;
    match VoiceOver::from_bytes(&bytes) {
        Ok(vo) => Ok(Some(vo)),
        Err(e) => {
            tracing::warn!(error = %e, "the stored voice-over is left aside");
            Ok(None)
        }
    }
}

/// The subtitle files a narrated render wrote beside the video (`video.vtt`, `video.srt`),
/// stored as the job's `subtitles` assets 0 (WebVTT) and 1 (SRT); none for a silent video.
async fn store_subtitles(run: &StageRun, video: &std::path::Path) -> Result<Vec<NewAsset>, StageError> {
    let mut assets = Vec::new();
    for (idx, ext, content_type) in [(0, "vtt", "text/vtt; charset=utf-8"), (1, "srt", "application/x-subrip")] {
        let path = video.with_extension(ext);
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StageError::transient(format!("render subtitles: {e}"))),
        };
        let key = run.key("subtitles", idx, ext);
        run.put_file(&key, &path, content_type).await?;
        assets.push(NewAsset {
            kind: AssetKind::Subtitles,
            idx: idx as i32,
            blob_key: key,
            size: bytes.len() as i64,
            content_type: content_type.into(),
            sha256: sha256_hex(&bytes),
            width: None,
            height: None,
        });
    }
    Ok(assets)
}

/// Runs the render worker until shutdown.
pub async fn run_worker(
    backends: Backends,
    generator: Arc<dyn VideoGenerator>,
    scratch: std::path::PathBuf,
    shutdown: Shutdown,
) {
    Worker::on(Arc::new(RenderStage::new(generator, scratch)), &backends).run(shutdown).await;
}
