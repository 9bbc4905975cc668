//! A narrated video's sound: each scene's spoken line placed where the timeline starts it, the
//! chosen music under it (ducked while the narrator speaks), mastered and AAC-encoded to exactly
//! the video's length; and the subtitles of the phrases at their video times.

use glimvid_domain::MusicTrack;
use glimvid_providers::SaidLine;

use super::{RenderError, Timeline};
use crate::audio::{
    OUTPUT_RATE, Pcm,
    aac::{self, AacTrack},
    loudness,
    mix::{self, MixSpec, VoiceSegment},
    resample::resample,
    subtitles::Cue,
};

fn audio_err(e: impl std::fmt::Display) -> RenderError {
    RenderError::Invalid(format!("the soundtrack could not be made: {e}"))
}

/// The mixed, mastered AAC track for `timeline`: `lines[i]` starts at `timeline.speech_at[i]`.
/// `None` when there is nothing to hear (no speech and no music): the video stays silent.
pub fn soundtrack(
    timeline: &Timeline,
    lines: &[SaidLine],
    music: Option<MusicTrack>,
) -> Result<Option<AacTrack>, RenderError> {
    let voices = lines
        .iter()
        .zip(&timeline.speech_at)
        .map(|(l, at)| (&l.speech, at))
        .filter(|(s, _)| !s.samples.is_empty() && s.sample_rate > 0)
        .map(|(s, &at)| {
            let pcm = Pcm::new(s.sample_rate, 1, s.samples.clone()).map_err(audio_err)?;
            Ok(VoiceSegment { start_s: at, pcm: resample(&pcm, OUTPUT_RATE) })
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let music = match music {
        Some(t) => {
            let d = crate::music::track(t).decode().map_err(|e| audio_err(e.reason))?;
            Some(Pcm::new(d.sample_rate, d.channels, d.samples).map_err(audio_err)?)
        }
        None => None,
    };
    if voices.is_empty() && music.is_none() {
        return Ok(None);
    }
    let spec = MixSpec { frames: mix::frames_for_video(timeline.frames, timeline.fps), voices, music };
    let mut pcm = mix::mix(&spec).map_err(audio_err)?;
    loudness::master(&mut pcm).map_err(audio_err)?;
    Ok(Some(aac::encode(&pcm).map_err(audio_err)?))
}

/// The subtitle cues of the spoken phrases, in video time: `lines[i]`'s phrases are timed from
/// the start of scene i's line.
pub fn subtitle_cues(timeline: &Timeline, lines: &[SaidLine]) -> Vec<Cue> {
    let ms = |s: f64| (s.max(0.0) * 1000.0).round() as u64;
    lines
        .iter()
        .zip(&timeline.speech_at)
        .flat_map(|(line, &at)| {
            line.speech.phrases.iter().map(move |p| Cue {
                start_ms: ms(at + p.start),
                end_ms: ms(at + p.end),
                text: p.text.clone(),
            })
        })
        .collect()
}
