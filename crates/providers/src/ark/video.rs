//! [`VideoGenerator`] on Ark content generation tasks (image-to-video): one clip per scene,
//! first frame = the scene's enhanced photo, ratio and resolution from the job, 5 or 10 s per
//! clip. The task ids are recorded through the [`RenderObserver`](crate::RenderObserver) before polling, so that a
//! redelivered render resumes them instead of paying for new ones. The clips are downloaded
//! at once (their URLs expire) and joined by the [`ClipJoiner`] into the final video.
//!
//! Usage (clips, seconds of video, tokens) is put on the job's event stream through
//! [`RenderObserver::note`](crate::RenderObserver::note) and counted in `glimvid_provider_video_seconds_total` and
//! `glimvid_provider_tokens_total`.

use std::{path::PathBuf, sync::Arc, time::Duration};

use async_trait::async_trait;
use futures::future::try_join_all;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{ArkClient, ArkSettings, PROVIDER};
use crate::{ClipJoiner, JoinRequest, ProviderError, RenderOutput, RenderRequest, VideoGenerator, http};

/// Largest clip we accept.
const MAX_CLIP_BYTES: u64 = 200 * 1024 * 1024;

/// How a task is polled: the first pause, growing by half each time up to `max`, for at most
/// `timeout` in one delivery (a longer task is resumed by the next delivery).
#[derive(Debug, Clone, Copy)]
pub struct PollPolicy {
    pub first: Duration,
    pub max: Duration,
    pub timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self { first: Duration::from_secs(3), max: Duration::from_secs(15), timeout: Duration::from_secs(20 * 60) }
    }
}

/// [`VideoGenerator`] on Ark's image-to-video model.
pub struct ArkVideoGenerator {
    c: ArkClient,
    joiner: Arc<dyn ClipJoiner>,
    poll: PollPolicy,
    /// `480p`, `720p` or `1080p`.
    resolution: String,
}

impl std::fmt::Debug for ArkVideoGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArkVideoGenerator")
            .field("model", &self.c.s.video_model)
            .field("poll", &self.poll)
            .field("resolution", &self.resolution)
            .finish()
    }
}

/// What a finished task gave.
struct Finished {
    video_url: String,
    seconds: f64,
    tokens: u64,
}

impl ArkVideoGenerator {
    pub fn new(settings: ArkSettings, joiner: Arc<dyn ClipJoiner>) -> Result<Self, ProviderError> {
        Ok(Self { c: ArkClient::new(settings)?, joiner, poll: PollPolicy::default(), resolution: "1080p".into() })
    }

    pub fn with_poll(mut self, poll: PollPolicy) -> Self {
        self.poll = poll;
        self
    }

    pub fn with_resolution(mut self, resolution: impl Into<String>) -> Self {
        self.resolution = resolution.into();
        self
    }

    /// Creates the task of clip `i`; its id.
    async fn create(&self, req: &RenderRequest, i: usize, clip_s: u32) -> Result<String, ProviderError> {
        let scene = &req.script.scenes[i];
        let photo = &req.images[(scene.photo_index as usize).min(req.images.len() - 1)];
        let first_frame = http::data_uri(photo).ok_or_else(|| {
            ProviderError::permanent(PROVIDER, "invalid_image", format!("the photo of scene {} is not an image", i + 1))
        })?;
        let text = format!(
            "Product video shot: {caption}. Slow, smooth camera move; the product stays exactly as in the image; \
             no added text.",
            caption = scene.caption.trim(),
        );
        let body = json!({
            "model": self.c.s.video_model,
            "content": [
                {"type": "text", "text": text},
                {"type": "image_url", "image_url": {"url": first_frame}, "role": "first_frame"},
            ],
            // The video's parameters as body fields (as current Seedance clients send them), not
            // as `--flags` appended to the prompt.
            "ratio": req.options.aspect_ratio.as_str(),
            "duration": clip_s,
            "resolution": self.resolution,
            "camera_fixed": false,
            "watermark": false,
            "seed": clip_seed(&req.script.title, i, &scene.caption),
            // The narration is ours, one voice over every clip: no per-clip audio from the model.
            "generate_audio": false,
        });
        let what = "Ark video task creation";
        let deadline = Instant::now() + self.c.s.request_timeout * self.c.s.retry.max_attempts.max(1) * 2;
        let answer = self.c.call(Method::POST, "/contents/generations/tasks", Some(&body), what, deadline).await?;
        answer["id"].as_str().filter(|id| valid_task_id(id)).map(str::to_owned).ok_or_else(|| {
            ProviderError::transient(
                PROVIDER,
                "invalid_response",
                format!("{what}: Ark's answer has no usable task id"),
            )
        })
    }

    /// Polls task `id` (clip `i`) until it ends.
    async fn wait(&self, id: &str, i: usize) -> Result<Finished, ProviderError> {
        let what = format!("Ark video task {id} (clip {})", i + 1);
        let deadline = Instant::now() + self.poll.timeout;
        let mut pause = self.poll.first;
        loop {
            if Instant::now() + pause >= deadline {
                let mut e = ProviderError::transient(PROVIDER, "timeout", format!("{what} is still running"));
                e.retry_after = Some(self.poll.max);
                return Err(e);
            }
            tokio::time::sleep(pause).await;
            let v =
                self.c.call(Method::GET, &format!("/contents/generations/tasks/{id}"), None, &what, deadline).await?;
            match v["status"].as_str().unwrap_or("") {
                "succeeded" => {
                    let url = v["content"]["video_url"].as_str().filter(|u| !u.is_empty()).ok_or_else(|| {
                        ProviderError::permanent(
                            PROVIDER,
                            "invalid_response",
                            format!("{what} succeeded without a video URL"),
                        )
                    })?;
                    return Ok(Finished {
                        video_url: url.to_owned(),
                        seconds: v["duration"].as_f64().unwrap_or(0.0),
                        tokens: v["usage"]["completion_tokens"].as_u64().unwrap_or(0),
                    });
                }
                "failed" => return Err(task_failed(&self.c, &what, &v)),
                "cancelled" => {
                    return Err(ProviderError::permanent(PROVIDER, "task_cancelled", format!("{what} was cancelled")));
                }
                "expired" => {
                    return Err(ProviderError::permanent(
                        PROVIDER,
                        "task_expired",
                        format!("{what} expired before it finished"),
                    ));
                }
                _ => {}
            }
            pause = (pause + pause / 2).min(self.poll.max);
        }
    }

    async fn download(&self, url: &str, path: PathBuf, i: usize) -> Result<PathBuf, ProviderError> {
        let what = format!("the download of clip {}", i + 1);
        let deadline = Instant::now() + self.c.s.download_timeout * self.c.s.retry.max_attempts.max(1);
        http::with_retries(PROVIDER, &self.c.s.retry, deadline, &what, |_| {
            http::download_to_file(PROVIDER, &self.c.http, url, &path, self.c.s.download_timeout, MAX_CLIP_BYTES, &what)
        })
        .await?;
        Ok(path)
    }
}

/// Ark ids look like `cgt-20250101…`; anything else is refused before it is stored (the ids
/// are kept comma-separated and used in a URL path).
fn valid_task_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn task_failed(c: &ArkClient, what: &str, v: &Value) -> ProviderError {
    let code = v["error"]["code"].as_str().unwrap_or("");
    let message = v["error"]["message"].as_str().map(|m| http::short(&c.s.api_key.scrub(m), 200)).unwrap_or_default();
    if code.contains("SensitiveContent") || code.contains("RiskDetection") {
        return ProviderError::permanent(
            PROVIDER,
            "content_policy",
            format!("{what} was refused under Ark's content policy ({code})"),
        );
    }
    let detail = match (code.is_empty(), message.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" ({code})"),
        (true, false) => format!(": {message}"),
        (false, false) => format!(" ({code}): {message}"),
    };
    ProviderError::permanent(PROVIDER, "task_failed", format!("{what} failed{detail}"))
}

/// The seed of clip `i`: stable for the same script, so that a clip made again (a failed task,
/// a new attempt) looks like its sibling, and within Ark's range `[0, 2^32 - 1]`. FNV-1a over the
/// title, the scene's index and its caption.
pub fn clip_seed(title: &str, i: usize, caption: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in title.bytes().chain((i as u32).to_le_bytes()).chain(caption.bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Seconds per clip: Ark makes 5 or 10 s clips; the longer when a scene's share of the video is
/// more than 7.5 s.
pub fn clip_seconds(duration_s: u32, scenes: usize) -> u32 {
    if scenes > 0 && duration_s as f64 / scenes as f64 > 7.5 { 10 } else { 5 }
}

#[async_trait]
impl VideoGenerator for ArkVideoGenerator {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn render(&self, req: RenderRequest) -> Result<RenderOutput, ProviderError> {
        let n = req.script.scenes.len();
        if n == 0 || req.images.is_empty() {
            return Err(ProviderError::permanent(PROVIDER, "bad_request", "the render has no scenes or no photos"));
        }
        let clip_s = clip_seconds(req.options.duration_s, n);
        let observer = req.observer.clone();
        let recorded = observer.recorded_tasks().await;
        if recorded.len() > n || !recorded.iter().all(|id| valid_task_id(id)) {
            return Err(ProviderError::permanent(
                PROVIDER,
                "recorded_tasks_mismatch",
                "the provider tasks recorded for this render do not match its script",
            ));
        }
        if !recorded.is_empty() {
            observer.note(&format!("resuming {} Ark task(s) recorded by an earlier attempt", recorded.len())).await;
        }
        let mut ids = recorded;
        for i in ids.len()..n {
            let id = self.create(&req, i, clip_s).await?;
            ids.push(id);
            // Durable before anything else happens: a crash from here on resumes, not repays.
            observer.record_tasks(&ids).await?;
        }
        observer.note(&format!("{n} Ark clip(s) of {clip_s} s in progress: {}", ids.join(", "))).await;

        let finished = try_join_all(ids.iter().enumerate().map(|(i, id)| self.wait(id, i))).await?;
        let clips = try_join_all(
            finished
                .iter()
                .enumerate()
                .map(|(i, f)| self.download(&f.video_url, req.output.with_file_name(format!("clip-{i}.mp4")), i)),
        )
        .await?;

        let seconds: f64 = finished.iter().map(|f| if f.seconds > 0.0 { f.seconds } else { clip_s as f64 }).sum();
        let tokens: u64 = finished.iter().map(|f| f.tokens).sum();
        metrics::counter!("glimvid_provider_video_seconds_total", "provider" => PROVIDER)
            .increment(seconds.round() as u64);
        metrics::counter!("glimvid_provider_tokens_total", "provider" => PROVIDER, "direction" => "out")
            .increment(tokens);
        tracing::info!(provider = PROVIDER, model = %self.c.s.video_model, clips = n, seconds, tokens, "provider usage");
        observer
            .note(&format!(
                "Ark usage: {n} clip(s), {seconds:.0} s of video, {tokens} tokens ({})",
                self.c.s.video_model
            ))
            .await;

        self.joiner
            .join(JoinRequest {
                script: req.script,
                clips,
                options: req.options,
                output: req.output,
                observer,
                voice_over: req.voice_over,
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_are_five_or_ten_seconds() {
        assert_eq!(clip_seconds(15, 3), 5);
        assert_eq!(clip_seconds(30, 3), 10);
        assert_eq!(clip_seconds(60, 6), 10);
        assert_eq!(clip_seconds(20, 4), 5);
    }

    #[test]
    fn seeds_are_stable_per_scene_and_differ_between_scenes() {
        assert_eq!(clip_seed("Cup", 0, "Hello"), clip_seed("Cup", 0, "Hello"));
        assert_ne!(clip_seed("Cup", 0, "Hello"), clip_seed("Cup", 1, "Hello"));
        assert_ne!(clip_seed("Cup", 0, "Hello"), clip_seed("Mug", 0, "Hello"));
    }

    #[test]
    fn task_ids_are_checked() {
        assert!(valid_task_id("cgt-20250101123456-abcde"));
        assert!(!valid_task_id("a,b"));
        assert!(!valid_task_id("../x"));
        assert!(!valid_task_id(""));
    }
}
