//! The script service: the script stage worker, and `glimvid.script.v1.ScriptService` for
//! synchronous previews. Both call the same `ScriptWriter`.
//!
//! Once the script is written, the stage also says its voice-over (when the job has a voice and
//! a speech engine is configured) and stores it with the job: that runs beside the photos'
//! enhancement, and the render, which would otherwise wait for the narrator, reuses every line
//! that still matches.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use glimvid_db::entity::enums::AssetKind;
use glimvid_db::repo::jobs::{NewAsset, StageResult};
use glimvid_domain::{Description, Script, Stage, VideoOptions};
use glimvid_pipeline::{Backends, StageError, StageHandler, StageRun, Worker, sha256_hex};
use glimvid_providers::{ScriptRequest, ScriptWriter, SpeechSynthesizer};
use glimvid_runtime::Shutdown;

pub mod grpc;

pub struct ScriptStage {
    writer: Arc<dyn ScriptWriter>,
    /// Says the voice-over ahead of the render; without one, the render says it.
    speech: Option<Arc<dyn SpeechSynthesizer>>,
}

impl ScriptStage {
    pub fn new(writer: Arc<dyn ScriptWriter>) -> Self {
        Self { writer, speech: None }
    }

    /// Says each script's voice-over with `speech` as soon as the script is written.
    pub fn with_speech(mut self, speech: Option<Arc<dyn SpeechSynthesizer>>) -> Self {
        self.speech = speech;
        self
    }

    /// Says the voice-over and stores it as the job's `narration` asset 0 (a WAV with its
    /// timings). A narrator that fails here is not the job's failure: the render says the
    /// lines then, and fails the job only if it cannot either.
    async fn say_ahead(
        &self,
        run: &StageRun,
        script: &Script,
        options: &VideoOptions,
    ) -> Result<Option<NewAsset>, StageError> {
        let (Some(engine), Some(voice)) = (&self.speech, options.voice.resolve(options.language)) else {
            return Ok(None);
        };
        let started = std::time::Instant::now();
        let said = match glimvid_media::render::narrate::say_script(engine.as_ref(), script, options, voice, None).await
        {
            Ok(said) => said,
            Err(e) => {
                tracing::warn!(error = %e, "the voice-over could not be said ahead");
                run.note(Stage::Script, &format!("the voice-over will be said at render time ({})", e.message)).await;
                return Ok(None);
            }
        };
        let bytes = said.voice_over.to_bytes();
        let (size, sha256) = (bytes.len() as i64, sha256_hex(&bytes));
        let key = run.key("narration", 0, "wav");
        run.put(&key, Bytes::from(bytes), "audio/wav").await?;
        let seconds: f64 = said.voice_over.lines.iter().map(|l| l.speech.seconds()).sum();
        run.note(
            Stage::Script,
            &format!(
                "voice-over said ahead: {seconds:.1} s of speech in {:.1} s ({})",
                started.elapsed().as_secs_f64(),
                said.note(options.duration_s)
            ),
        )
        .await;
        Ok(Some(NewAsset {
            kind: AssetKind::Narration,
            idx: 0,
            blob_key: key,
            size,
            content_type: "audio/wav".into(),
            sha256,
            width: None,
            height: None,
        }))
    }
}

#[async_trait]
impl StageHandler for ScriptStage {
    fn stage(&self) -> Stage {
        Stage::Script
    }

    async fn run(&self, run: &StageRun) -> Result<StageResult, StageError> {
        let job = &run.view.job;
        let options = run.options()?;
        let description = Description::parse(&job.description).map_err(|e| StageError::Permanent(e.message))?;
        let photo_count = job.photo_count.max(1) as usize;
        // Only the description and the options go to the writer: nothing about the user.
        let req = ScriptRequest { description, options, photo_count };
        let script = self.writer.write(&req).await?;
        script.validate(photo_count).map_err(|e| {
            StageError::Permanent(format!("the script writer returned an unusable script: {}", e.message))
        })?;
        let json = serde_json::to_vec(&script).map_err(|e| StageError::Permanent(e.to_string()))?;
        let key = run.key("script", 0, "json");
        run.put(&key, Bytes::from(json.clone()), "application/json").await?;
        let voice_over = self.say_ahead(run, &script, &options).await?;
        Ok(StageResult {
            assets: std::iter::once(NewAsset {
                kind: AssetKind::Script,
                idx: 0,
                blob_key: key,
                size: json.len() as i64,
                content_type: "application/json".into(),
                sha256: sha256_hex(&json),
                width: None,
                height: None,
            })
            .chain(voice_over)
            .collect(),
            script_json: Some(String::from_utf8(json).unwrap_or_default()),
            public_id: None,
            note: Some(format!("{} scenes, written by the {} writer", script.scenes.len(), self.writer.name())),
        })
    }
}

/// Runs the script worker until shutdown.
pub async fn run_worker(
    backends: Backends,
    writer: Arc<dyn ScriptWriter>,
    speech: Option<Arc<dyn SpeechSynthesizer>>,
    shutdown: Shutdown,
) {
    Worker::on(Arc::new(ScriptStage::new(writer).with_speech(speech)), &backends).run(shutdown).await;
}
