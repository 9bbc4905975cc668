//! Providers that answer at once, for the pipeline benchmark only: they measure what the
//! orchestration costs (queues, database, object store, fan-in) with the providers' time taken
//! out. Chosen only by `GLIMVID_BENCH_INSTANT_PROVIDERS=1`, which the benchmark sets; never a
//! default, and the logs say so loudly at start.

use std::sync::Arc;

use async_trait::async_trait;
use glimvid_domain::{Scene, Script};
use glimvid_providers::{
    EnhanceRequest, EnhancedImage, ImageEnhancer, ProviderError, RenderOutput, RenderRequest, ScriptRequest,
    ScriptWriter, VideoGenerator,
};

use crate::providers::Providers;

/// The environment variable that selects [`instant`].
pub const ENV: &str = "GLIMVID_BENCH_INSTANT_PROVIDERS";

/// Whether this process was asked for the benchmark's instant providers.
pub fn requested() -> bool {
    std::env::var(ENV).is_ok_and(|v| v == "1")
}

/// The three instant adapters.
pub fn instant() -> Providers {
    tracing::warn!("{ENV}=1: the benchmark's instant providers are in use; no real script, photo or video is made");
    Providers {
        writer: Arc::new(InstantWriter),
        enhancer: Arc::new(InstantEnhancer),
        generator: Arc::new(InstantVideo),
    }
}

pub struct InstantWriter;

#[async_trait]
impl ScriptWriter for InstantWriter {
    fn name(&self) -> &'static str {
        "instant-benchmark"
    }

    async fn write(&self, req: &ScriptRequest) -> Result<Script, ProviderError> {
        let n = req.photo_count.max(1) as u32;
        let script = Script {
            title: "Benchmark".into(),
            hook: "Benchmark".into(),
            scenes: (0..3)
                .map(|i| Scene { caption: format!("Scene {i}"), voiceover: format!("Scene {i}"), photo_index: i % n })
                .collect(),
            call_to_action: "Benchmark".into(),
        };
        script
            .validate(req.photo_count)
            .map_err(|e| ProviderError::permanent("instant", "invalid_script", e.to_string()))?;
        Ok(script)
    }
}

pub struct InstantEnhancer;

#[async_trait]
impl ImageEnhancer for InstantEnhancer {
    fn name(&self) -> &'static str {
        "instant-benchmark"
    }

    async fn enhance(&self, req: &EnhanceRequest) -> Result<EnhancedImage, ProviderError> {
        let (width, height) = req.options.aspect_ratio.dimensions();
        let content_type = if req.photo.starts_with(b"\x89PNG") { "image/png" } else { "image/jpeg" };
        Ok(EnhancedImage { bytes: req.photo.clone(), content_type, width, height, note: "instant (benchmark)".into() })
    }
}

pub struct InstantVideo;

/// An `ftyp` box alone: the stored object is an MP4 in name only (the benchmark never plays it).
const STUB_MP4: &[u8] = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2";

#[async_trait]
impl VideoGenerator for InstantVideo {
    fn name(&self) -> &'static str {
        "instant-benchmark"
    }

    async fn render(&self, req: RenderRequest) -> Result<RenderOutput, ProviderError> {
        tokio::fs::write(&req.output, STUB_MP4)
            .await
            .map_err(|e| ProviderError::transient("instant", "io", format!("cannot write the output: {e}")))?;
        let (width, height) = req.options.aspect_ratio.dimensions();
        Ok(RenderOutput {
            width,
            height,
            frames: 0,
            duration_ms: u64::from(req.options.duration_s) * 1000,
            encoder: "none (benchmark)".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use glimvid_domain::VideoOptions;

    use super::*;

    #[tokio::test]
    async fn the_instant_script_is_valid_for_any_photo_count() {
        for n in 1..=6 {
            let req = ScriptRequest {
                description: glimvid_domain::Description::parse("A mug").unwrap(),
                options: VideoOptions::parse_json("", glimvid_domain::Language::En).unwrap(),
                photo_count: n,
            };
            let s = InstantWriter.write(&req).await.unwrap();
            assert!(s.scenes.iter().all(|sc| (sc.photo_index as usize) < n));
        }
    }
}
