//! Joining a video provider's clips (one MP4 per scene) into the final video: each clip plays
//! where the local render would show a photo, cover-cropped and scaled to the frame, with the
//! same intro title, captions, transitions and outro card, through the same encoder. The result
//! has the same format as a local render whatever the provider sent.
//!
//! Frames are composed in parallel and out of order (the bundled encoder encodes chunks side by
//! side), but clips decode only forwards. Each clip keeps a few paused decoders ([`FrameReader`])
//! and a request resumes the one just behind it, so decoding stays close to one pass per encoder
//! chunk and memory holds a handful of frames per clip, never a whole clip.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use fast_image_resize::FilterType;
use glimvid_domain::{Script, VideoOptions};
use glimvid_providers::{ClipJoiner, JoinRequest, ProviderError, RenderOutput};
use image::RgbImage;

use super::{Composer, FPS, LocalRenderer, RenderError, Sound, Timeline, check_duration, finish, to_frame};
use crate::encode::Encoder;
use crate::imaging::{Rect, resize_yuv};
use crate::probe::{FrameReader, ProbeError};
use crate::yuv::Yuv420;

/// Paused decoders kept per clip (more are opened when needed, the extras dropped).
const READERS_PER_CLIP: usize = 4;

/// A decoder paused after returning `last` (frame `reader.position() - 1`).
struct Cursor {
    reader: FrameReader,
    last: Option<Yuv420>,
}

struct Clip {
    path: PathBuf,
    frames: u32,
    fps: f64,
    cursors: Mutex<Vec<Cursor>>,
}

/// Why a clip's frame could not be had mid-join (the scene then shows its still).
#[derive(Debug, thiserror::Error)]
enum ClipFrameError {
    #[error(transparent)]
    Decode(#[from] ProbeError),
    #[error("no frame decoded up to {0}")]
    NoFrame(u32),
}

impl Clip {
    /// Frame `index` (clamped to the clip: a short clip holds its last frame).
    fn frame(&self, index: u32) -> Result<Yuv420, ClipFrameError> {
        let index = index.min(self.frames.saturating_sub(1));
        // The cursor furthest along that has not passed `index` (a poisoned lock only means a
        // thread panicked while holding the list: the cursors in it are whole).
        let taken = {
            let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
            let best = cursors
                .iter()
                .enumerate()
                .filter(|(_, c)| c.reader.position() <= index + 1)
                .max_by_key(|(_, c)| c.reader.position())
                .map(|(k, _)| k);
            best.map(|k| cursors.swap_remove(k))
        };
        let mut cursor = match taken {
            Some(c) => c,
            None => Cursor { reader: FrameReader::open(&self.path)?, last: None },
        };
        while cursor.reader.position() <= index {
            match cursor.reader.next_frame()? {
                Some(f) => cursor.last = Some(f),
                None => break, // fewer decodable frames than samples: hold the last one
            }
        }
        let frame = cursor.last.clone().ok_or(ClipFrameError::NoFrame(index))?;
        if let Ok(mut cursors) = self.cursors.lock()
            && cursors.len() < READERS_PER_CLIP
        {
            cursors.push(cursor);
        }
        Ok(frame)
    }
}

/// The clips of one join, by scene.
pub(crate) struct Clips {
    clips: Vec<Clip>,
}

impl Clips {
    /// Opens every clip and decodes its first frame (checked up front: a clip that does not
    /// decode is a permanent error, not a black scene). Returns the first frames at about the
    /// frame size too: the composer's stand-in pictures (outro backdrop, fallback).
    fn open(paths: &[PathBuf], frame: (u32, u32)) -> Result<(Self, Vec<RgbImage>), RenderError> {
        let mut clips = Vec::with_capacity(paths.len());
        let mut firsts = Vec::with_capacity(paths.len());
        for (i, path) in paths.iter().enumerate() {
            let bad = |e: String| RenderError::Invalid(format!("clip {} cannot be used: {e}", i + 1));
            let mut reader = FrameReader::open(path).map_err(|e| bad(e.to_string()))?;
            let (frames, fps) = (reader.frame_count(), reader.fps());
            let first =
                reader.next_frame().map_err(|e| bad(e.to_string()))?.ok_or_else(|| bad("no frame decodes".into()))?;
            let img = RgbImage::from_raw(first.width(), first.height(), first.to_rgb()).expect("sized RGB buffer");
            firsts.push(to_frame(img, frame, 1.25));
            let cursor = Cursor { reader, last: Some(first) };
            clips.push(Clip { path: path.clone(), frames, fps, cursors: Mutex::new(vec![cursor]) });
        }
        Ok((Self { clips }, firsts))
    }

    /// Draws clip `i` at `t` seconds into it, cover-cropped to `out`. False (logged) when the
    /// clip fails mid-way: the caller shows the still instead.
    pub(crate) fn draw(&self, i: usize, t: f64, out: &mut Yuv420) -> bool {
        let Some(clip) = self.clips.get(i) else { return false };
        let index = (t.max(0.0) * clip.fps).floor() as u32;
        match clip.frame(index) {
            Ok(f) => {
                let rect = Rect::cover(f.width(), f.height(), out.width() as f64 / out.height() as f64);
                resize_yuv(&f, out, Some(rect), FilterType::CatmullRom);
                true
            }
            Err(e) => {
                tracing::warn!(clip = i, frame = index, error = %e, "a clip frame could not be decoded");
                false
            }
        }
    }
}

/// Joins `clips` (clip `i` for scene `i`) into `output`, silent. CPU-bound: call from a
/// blocking context.
pub fn join_clips(
    script: &Script,
    clips: &[PathBuf],
    options: &VideoOptions,
    output: &Path,
    encoder: &dyn Encoder,
) -> Result<RenderOutput, RenderError> {
    join_sounding(script, clips, options, output, encoder, None)
}

/// As [`join_clips`], with the job's narration and music (the clips' own sound is not used:
/// Seedance runs with `generate_audio` off, so the narrator stays one voice) and its subtitles.
fn join_sounding(
    script: &Script,
    clips: &[PathBuf],
    options: &VideoOptions,
    output: &Path,
    encoder: &dyn Encoder,
    sound: Option<&Sound>,
) -> Result<RenderOutput, RenderError> {
    if script.scenes.is_empty() {
        return Err(RenderError::Invalid("the script has no scenes".into()));
    }
    if clips.len() != script.scenes.len() {
        return Err(RenderError::Invalid(format!(
            "{} clips for {} scenes: one clip per scene is needed",
            clips.len(),
            script.scenes.len()
        )));
    }
    check_duration(options)?;
    let frame = options.aspect_ratio.dimensions();
    let (clips, firsts) = Clips::open(clips, frame)?;
    // Every scene is its own shot (scene i plays clip i), even if the script reused a photo.
    let mut script = script.clone();
    for (i, s) in script.scenes.iter_mut().enumerate() {
        s.photo_index = i as u32;
    }
    let timeline = match sound {
        Some(sound) => sound.timeline(&script, options),
        None => Timeline::new(&script, options.duration_s, FPS, options.style),
    };
    let (audio, cues) = match sound {
        Some(sound) => sound.mix(&timeline)?,
        None => (None, Vec::new()),
    };
    let composer = Composer::new(&script, firsts, frame, timeline, options.style).with_clips(clips);
    finish(&composer, options, audio.as_ref(), &cues, output, encoder)
}

#[async_trait]
impl ClipJoiner for LocalRenderer {
    async fn join(&self, req: JoinRequest) -> Result<RenderOutput, ProviderError> {
        req.observer.note(&self.encoder_note()).await;
        let JoinRequest { script, clips, options, output, observer, voice_over } = req;
        let sound = self.narrate_job(&script, &options, voice_over, observer.as_ref()).await?;
        let encoder: Arc<dyn Encoder> = self.encoder().clone();
        let what = format!("joined {} clips into", clips.len());
        super::run_noted(observer.as_ref(), what, move || {
            join_sounding(&script, &clips, &options, &output, encoder.as_ref(), Some(&sound))
        })
        .await
    }
}
