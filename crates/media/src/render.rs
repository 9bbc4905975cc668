//! The local video renderer: turns a script and the enhanced photos into a captioned H.264 MP4 at
//! 30 fps, on the CPU, with nothing to install. The [`timeline`] decides what is on screen when,
//! the [`compose`] step draws any frame on demand, and an [`Encoder`] pulls frames (composed in
//! parallel, streamed through a bounded queue) and writes the file. [`join`] does the same with a
//! video provider's clips in place of the photos (the local [`glimvid_providers::ClipJoiner`]).

mod compose;
mod join;
pub mod narrate;
pub mod soundtrack;
mod timeline;

use std::{
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use async_trait::async_trait;
use bytes::Bytes;
use fast_image_resize::FilterType;
use glimvid_domain::{Captions, Script, VideoOptions};
use glimvid_providers::{ProviderError, RenderOutput, RenderRequest, VideoGenerator};
use image::RgbImage;

pub use self::compose::Composer;
pub use self::join::join_clips;
pub use self::timeline::{Narration, Phrase, SpokenLine, Timeline, speech_capacity};
use crate::audio::aac::AacTrack;
use crate::encode::{BundledH264, EncodeError, EncodeSpec, Encoder, EncoderChoice, FrameSource};
use crate::imaging::{DecodeError, QuadYuv, Rect, decode_rgb_reusing, resized, resized_keeping_scratch};
use crate::upload::DEFAULT_MAX_PIXELS;

const PROVIDER: &str = "local";
pub const FPS: u32 = 30;
const MIN_DURATION_S: u32 = 3;
const MAX_DURATION_S: u32 = 600;

/// The embedded [`VideoGenerator`]. Holds the encoder it streams frames into.
#[derive(Clone)]
pub struct LocalRenderer {
    encoder: Arc<dyn Encoder>,
    /// The narrator's engine; without one, videos are rendered without speech.
    speech: Option<Arc<dyn glimvid_providers::SpeechSynthesizer>>,
    /// Why this encoder (reported with it in the job's events).
    reason: String,
}

impl std::fmt::Debug for LocalRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalRenderer").field("encoder", &self.encoder.describe()).finish()
    }
}

impl Default for LocalRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalRenderer {
    /// With the bundled encoder (openh264 + muxide).
    pub fn new() -> Self {
        Self { encoder: Arc::new(BundledH264::new()), speech: None, reason: "default".into() }
    }

    /// With a given encoder adapter.
    pub fn with_encoder(encoder: Arc<dyn Encoder>) -> Self {
        Self { encoder, speech: None, reason: "given".into() }
    }

    /// With the encoder `choice` resolves to on this machine (`auto` looks for ffmpeg with
    /// libx264 on PATH). Fails only when `system` is configured and unusable.
    pub fn with_choice(choice: EncoderChoice) -> Result<Self, EncodeError> {
        let (encoder, reason) = choice.resolve()?;
        Ok(Self { encoder, speech: None, reason })
    }

    /// Narrates the videos with `speech` (the voice comes from each request's options).
    pub fn with_speech(mut self, speech: Arc<dyn glimvid_providers::SpeechSynthesizer>) -> Self {
        self.speech = Some(speech);
        self
    }

    /// Narrates with the local Kokoro engine when its models are installed (`scripts/fetch-voices`);
    /// without them, logs a warning and renders without speech rather than not at all.
    pub fn with_local_speech(self) -> Self {
        match local_speech() {
            Some(engine) => self.with_speech(engine),
            None => self,
        }
    }

    /// The encoder frames are streamed into.
    pub fn encoder(&self) -> &Arc<dyn Encoder> {
        &self.encoder
    }

    /// The job event naming the encoder and why it was chosen.
    pub fn encoder_note(&self) -> String {
        format!("encoder: {} — {}", self.encoder.describe(), self.reason)
    }
}

/// The local Kokoro engine when its models are installed (`scripts/fetch-voices`); without
/// them, logs a warning and gives none (videos are then rendered without narration).
pub fn local_speech() -> Option<Arc<dyn glimvid_providers::SpeechSynthesizer>> {
    match glimvid_speech::KokoroEngine::from_env() {
        Ok(engine) => Some(Arc::new(glimvid_speech::LocalSpeech::new(engine))),
        Err(e) => {
            tracing::warn!(error = %e, "no speech engine: videos will be rendered without narration");
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The request cannot be rendered (no photos, a scene pointing at a missing photo...).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl From<RenderError> for ProviderError {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::Invalid(m) => ProviderError::permanent(PROVIDER, "invalid_input", m),
            // Disk full or a vanished directory may clear up; a codec failure on the same input
            // will not.
            RenderError::Encode(EncodeError::Io(e)) => {
                ProviderError::transient(PROVIDER, "io", format!("writing the video failed: {}", e.kind()))
            }
            RenderError::Encode(e) => ProviderError::permanent(PROVIDER, "encode_failed", e.to_string()),
        }
    }
}

#[async_trait]
impl VideoGenerator for LocalRenderer {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn render(&self, req: RenderRequest) -> Result<RenderOutput, ProviderError> {
        req.observer.note(&self.encoder_note()).await;
        let RenderRequest { script, images, options, output, observer, voice_over } = req;
        let sound = self.narrate_job(&script, &options, voice_over, observer.as_ref()).await?;
        let encoder = self.encoder.clone();
        run_noted(observer.as_ref(), "rendered".into(), move || {
            let timeline = sound.timeline(&script, &options);
            let (audio, cues) = sound.mix(&timeline)?;
            let composer = prepare_timed(&script, &images, &options, timeline)?;
            drop(images); // the photos now live in the composer, decoded: free the files
            finish(&composer, &options, audio.as_ref(), &cues, &output, encoder.as_ref())
        })
        .await
    }
}

impl LocalRenderer {
    /// What the job's narrator says (nothing when its voice is `none`, or when no engine is
    /// configured and nothing was said ahead), at the pace that keeps the video to its duration;
    /// noted on the job. Lines of `ahead` that still match are not said again.
    pub(crate) async fn narrate_job(
        &self,
        script: &Script,
        options: &VideoOptions,
        ahead: Option<glimvid_providers::VoiceOver>,
        observer: &dyn glimvid_providers::RenderObserver,
    ) -> Result<Sound, ProviderError> {
        let voice = options.voice.resolve(options.language);
        let said = match (voice, &self.speech) {
            (Some(voice), Some(engine)) => {
                Some(narrate::say_script(engine.as_ref(), script, options, voice, ahead).await?)
            }
            (Some(voice), None) => {
                let said = narrate::ahead_as_is(script, voice, ahead);
                if said.is_none() {
                    observer.note("no speech engine is configured: rendering without narration").await;
                }
                said
            }
            (None, _) => None,
        };
        if let Some(said) = &said {
            observer.note(&said.note(options.duration_s)).await;
        }
        let said = said.map(|s| s.voice_over);
        Ok(Sound { said, music: options.music.resolve(options.style) })
    }

    /// The narrator's engine, if one is configured.
    pub fn speech(&self) -> Option<&Arc<dyn glimvid_providers::SpeechSynthesizer>> {
        self.speech.as_ref()
    }
}

/// A job's sound before it is laid out: the narration (if any) and the music (if any).
pub(crate) struct Sound {
    said: Option<glimvid_providers::VoiceOver>,
    music: Option<glimvid_domain::MusicTrack>,
}

impl Sound {
    /// The timeline the sound asks for: scenes as long as their lines, captions as chosen.
    pub(crate) fn timeline(&self, script: &Script, options: &VideoOptions) -> Timeline {
        let timeline = match &self.said {
            Some(s) => Timeline::narrated(
                script,
                &narrate::narration(s, options.captions == Captions::Burned),
                options.duration_s,
                FPS,
                options.style,
            ),
            None => Timeline::new(script, options.duration_s, FPS, options.style),
        };
        if options.captions == Captions::None { timeline.without_captions() } else { timeline }
    }

    /// The mixed track (none when there is nothing to hear) and the subtitle cues.
    pub(crate) fn mix(
        &self,
        timeline: &Timeline,
    ) -> Result<(Option<crate::audio::aac::AacTrack>, Vec<crate::audio::subtitles::Cue>), RenderError> {
        let spoken = self.said.as_ref().map_or(&[][..], |s| &s.lines[..]);
        let audio = soundtrack::soundtrack(timeline, spoken, self.music)?;
        Ok((audio, soundtrack::subtitle_cues(timeline, spoken)))
    }
}

/// Writes the subtitles beside the video (when there are any) and the video, with its sound
/// when it has one.
pub(crate) fn finish(
    composer: &Composer,
    options: &VideoOptions,
    audio: Option<&crate::audio::aac::AacTrack>,
    cues: &[crate::audio::subtitles::Cue],
    output: &Path,
    encoder: &dyn Encoder,
) -> Result<RenderOutput, RenderError> {
    if !cues.is_empty() {
        write_subtitles(output, cues)?;
    }
    match audio {
        Some(a) => write_video_with_audio(composer, options, a, output, encoder),
        None => write_video(composer, options, output, encoder),
    }
}

/// Writes the phrases as WebVTT and SRT beside the video (`x.mp4` → `x.vtt`, `x.srt`).
fn write_subtitles(output: &Path, cues: &[crate::audio::subtitles::Cue]) -> Result<(), RenderError> {
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(EncodeError::Io)?;
    }
    std::fs::write(output.with_extension("vtt"), crate::audio::subtitles::to_webvtt(cues)).map_err(EncodeError::Io)?;
    std::fs::write(output.with_extension("srt"), crate::audio::subtitles::to_srt(cues)).map_err(EncodeError::Io)?;
    Ok(())
}

/// Runs a render on the blocking pool, then reports its frames, size and time as a job event
/// beginning with `what`.
pub(crate) async fn run_noted<E: Into<ProviderError> + Send + 'static>(
    observer: &dyn glimvid_providers::RenderObserver,
    what: String,
    work: impl FnOnce() -> Result<RenderOutput, E> + Send + 'static,
) -> Result<RenderOutput, ProviderError> {
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ProviderError::transient(PROVIDER, "internal", format!("render task failed: {e}")))?
        .map_err(Into::into)?;
    observer
        .note(&format!(
            "{what} {} frames ({}x{}) in {:.1} s",
            out.frames,
            out.width,
            out.height,
            secs(started.elapsed())
        ))
        .await;
    Ok(out)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Renders the video synchronously (CPU-bound for seconds: call it from a blocking context).
pub fn render_video(
    script: &Script,
    images: &[Bytes],
    options: &VideoOptions,
    output: &Path,
    encoder: &dyn Encoder,
) -> Result<RenderOutput, RenderError> {
    let composer = prepare(script, images, options)?;
    write_video(&composer, options, output, encoder)
}

/// Streams the composer's frames into the encoder and writes `output` (the second half of
/// [`render_video`], for callers that free the photo files once [`prepare`] has decoded them).
pub fn write_video(
    composer: &Composer,
    options: &VideoOptions,
    output: &Path,
    encoder: &dyn Encoder,
) -> Result<RenderOutput, RenderError> {
    write_muxed(composer, options, None, output, encoder)
}

/// As [`write_video`], with a soundtrack: `audio` (AAC-LC at 48 kHz, mixed to the video's
/// length with [`crate::audio::mix::frames_for_video`]) becomes the MP4's audio track.
pub fn write_video_with_audio(
    composer: &Composer,
    options: &VideoOptions,
    audio: &AacTrack,
    output: &Path,
    encoder: &dyn Encoder,
) -> Result<RenderOutput, RenderError> {
    let video_s = composer.frame_count() as f64 / FPS as f64;
    // More than a video frame apart, the two tracks would end visibly out of step.
    if (audio.duration_s() - video_s).abs() > 1.0 / FPS as f64 {
        return Err(RenderError::Invalid(format!(
            "the soundtrack lasts {:.3} s but the video {video_s:.3} s",
            audio.duration_s()
        )));
    }
    write_muxed(composer, options, Some(audio), output, encoder)
}

fn write_muxed(
    composer: &Composer,
    options: &VideoOptions,
    audio: Option<&AacTrack>,
    output: &Path,
    encoder: &dyn Encoder,
) -> Result<RenderOutput, RenderError> {
    let (width, height) = options.aspect_ratio.dimensions();
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(EncodeError::Io)?;
    }
    let spec = EncodeSpec::for_frame(width, height, FPS);
    let started = Instant::now();
    let report = match audio {
        Some(a) => encoder.encode_with_audio(&spec, composer, a, output)?,
        None => encoder.encode(&spec, composer, output)?,
    };
    tracing::info!(
        frames = report.frames,
        keyframes = report.keyframes,
        bytes = report.bytes,
        encoder = report.encoder,
        audio = audio.is_some(),
        elapsed_s = secs(started.elapsed()),
        "video rendered"
    );
    Ok(RenderOutput {
        width,
        height,
        frames: report.frames,
        duration_ms: report.frames as u64 * 1000 / FPS as u64,
        encoder: report.encoder.to_string(),
    })
}

fn check_duration(options: &VideoOptions) -> Result<(), RenderError> {
    if !(MIN_DURATION_S..=MAX_DURATION_S).contains(&options.duration_s) {
        return Err(RenderError::Invalid(format!(
            "duration must be {MIN_DURATION_S} to {MAX_DURATION_S} seconds (got {})",
            options.duration_s
        )));
    }
    Ok(())
}

/// Checks the request, decodes the photos and builds the frame composer.
pub fn prepare(script: &Script, images: &[Bytes], options: &VideoOptions) -> Result<Composer, RenderError> {
    check_duration(options)?;
    let timeline = Timeline::new(script, options.duration_s, FPS, options.style);
    prepare_timed(script, images, options, timeline)
}

/// As [`prepare`], on a given timeline (a narrated one, or one without captions).
pub fn prepare_timed(
    script: &Script,
    images: &[Bytes],
    options: &VideoOptions,
    timeline: Timeline,
) -> Result<Composer, RenderError> {
    if images.is_empty() {
        return Err(RenderError::Invalid("no photos to render".into()));
    }
    if script.scenes.is_empty() {
        return Err(RenderError::Invalid("the script has no scenes".into()));
    }
    for (i, s) in script.scenes.iter().enumerate() {
        if s.photo_index as usize >= images.len() {
            return Err(RenderError::Invalid(format!(
                "scene {} shows photo {} but only {} photos were given",
                i + 1,
                s.photo_index + 1,
                images.len()
            )));
        }
    }
    check_duration(options)?;
    let frame = options.aspect_ratio.dimensions();
    let zoom = timeline::Pacing::for_style(options.style).zoom;
    let outro_from = compose::outro_photo(&timeline);
    // Decoding and scaling the photos is a good part of a short render. One worker per core
    // takes jobs in turn: each photo all the way to the composer's form (its pixels freed right
    // away), then the texts' layout, the shortest job, last. A worker keeps its decode and
    // resize buffers from photo to photo, and they go with it: a 4000x3000 photo needs ~50 MB
    // of them, which mapped afresh for each photo cost ~75,000 page faults on the anchor job.
    // A photo that cannot be decoded stops the others from being started.
    let jobs = images.len() + 1;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(jobs);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<Result<Picture, DecodeError>>>> = images.iter().map(|_| Mutex::new(None)).collect();
    let texts = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut scratch = Vec::new();
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= jobs || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    if job == images.len() {
                        let laid_out = compose::Texts::new(script, frame, &timeline, options.style);
                        *texts.lock().unwrap_or_else(|e| e.into_inner()) = Some(laid_out);
                        continue;
                    }
                    let done = picture(&images[job], frame, zoom, job == outro_from, &mut scratch);
                    if done.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    *slots[job].lock().unwrap_or_else(|e| e.into_inner()) = Some(done);
                }
            });
        }
    });
    // The first photo that failed is the error; the texts are looked at only once all went well.
    let pictures = slots
        .into_iter()
        .enumerate()
        .map(|(i, slot)| match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(done)) => Ok(done),
            Some(Err(e)) => Err(RenderError::Invalid(format!("photo {} could not be decoded: {e}", i + 1))),
            None => Err(RenderError::Invalid(format!("photo {} was not prepared", i + 1))),
        })
        .collect::<Result<Vec<_>, RenderError>>();
    let (photos, outros): (Vec<_>, Vec<_>) = pictures?.into_iter().unzip();
    let texts = texts
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .ok_or_else(|| RenderError::Invalid("the texts were not laid out".into()))?;
    // The scenes were checked against the photos above, so the outro's photo is one of them.
    let outro = outros
        .into_iter()
        .flatten()
        .next()
        .ok_or_else(|| RenderError::Invalid("the outro's photo is not among the photos".into()))?;
    Ok(Composer::from_parts(texts, photos, outro, frame, timeline))
}

/// How a photo larger than the frame is brought down to the composer's scale (once per photo).
const PRESCALE: FilterType = FilterType::Lanczos3;

/// Photos normally arrive enhanced at exactly the frame size. Anything else is cover-cropped to
/// the frame's aspect, and one larger than the frame is brought down to `zoom` times the frame
/// (at most 1.25x): the deepest Ken Burns zoom then samples it 1:1, and no frame resamples more
/// of a large image than it shows.
pub(crate) fn to_frame(img: RgbImage, frame: (u32, u32), zoom: f64) -> RgbImage {
    match frame_crop(img.dimensions(), frame, zoom) {
        None => img,
        Some((size, rect)) => resized(&img, size.0, size.1, Some(rect), PRESCALE),
    }
}

/// What [`to_frame`] does to a picture of `(iw, ih)`: nothing (`None`), or resample `rect` of it
/// to the size given.
fn frame_crop((iw, ih): (u32, u32), (w, h): (u32, u32), zoom: f64) -> Option<((u32, u32), Rect)> {
    let aspect = w as f64 / h as f64;
    let same_aspect = ((iw as f64 / ih as f64) / aspect - 1.0).abs() < 0.01;
    if same_aspect && iw >= w && iw <= w * 5 / 4 {
        return None;
    }
    let rect = Rect::cover(iw, ih, aspect);
    let scale = (rect.width / w as f64).clamp(1.0, zoom.clamp(1.0, 1.25));
    Some((((w as f64 * scale).round() as u32, (h as f64 * scale).round() as u32), rect))
}

/// A photo in the composer's form, and the outro's backdrop when it is the outro's photo.
type Picture = (QuadYuv, Option<QuadYuv>);

/// One photo from its file to the composer's form, and the outro's backdrop when it is the
/// outro's photo. `scratch` is the decode buffer handed from photo to photo (see
/// [`decode_rgb_reusing`]); the large intermediates stay with the calling thread.
fn picture(
    bytes: &[u8],
    frame: (u32, u32),
    zoom: f64,
    with_outro: bool,
    scratch: &mut Vec<u8>,
) -> Result<Picture, DecodeError> {
    let img = decode_rgb_reusing(bytes, DEFAULT_MAX_PIXELS, [0, 0, 0], std::mem::take(scratch))?;
    let photo = match frame_crop(img.dimensions(), frame, zoom) {
        None => img,
        Some((size, rect)) => {
            let photo = resized_keeping_scratch(&img, size.0, size.1, Some(rect), PRESCALE);
            *scratch = img.into_raw();
            photo
        }
    };
    let outro = with_outro.then(|| compose::outro_picture(&photo, frame));
    Ok((compose::photo_picture(&photo), outro))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod sound_tests;
