//! The mix: voice-over segments placed at their times, background music looped or trimmed to
//! the video, ducked under the voice, everything at 48 kHz stereo and exactly as long as the
//! video. Mastering ([`super::loudness::master`]) comes after.
//!
//! Levels are relative to the speech: the voice bus is measured (EBU R128), the music is set
//! [`MUSIC_BED_BELOW_SPEECH_DB`] below it where nobody speaks, and a further [`DUCK_DB`] below
//! while someone speaks, so the music sits 15 dB under the voice (the usual 12–18 dB).

use super::{AudioError, OUTPUT_RATE, Pcm, loudness, resample::resample};

/// Music level between lines, relative to the speech's loudness.
pub const MUSIC_BED_BELOW_SPEECH_DB: f64 = 6.0;
/// How much further the music goes down while someone speaks.
pub const DUCK_DB: f64 = 9.0;
/// Music level when there is no voice at all, LUFS (mastering then sets the final level).
const MUSIC_ALONE_LUFS: f64 = -20.0;
/// Fade at each end of a voice segment: 10 ms removes the click of a cut waveform and is too
/// short to hear as a fade.
pub const SEGMENT_FADE_S: f64 = 0.010;
/// The music is fully ducked this long before speech starts...
pub const DUCK_ATTACK_S: f64 = 0.12;
/// ...and comes back up over this long after a line ends (after a short hold).
pub const DUCK_RELEASE_S: f64 = 0.40;
const DUCK_HOLD_S: f64 = 0.15;
/// Music fades in at the start and out at the end of the video.
const MUSIC_FADE_IN_S: f64 = 0.3;
const MUSIC_FADE_OUT_S: f64 = 1.5;
/// Crossfade where a looped track meets its own start.
const LOOP_CROSSFADE_S: f64 = 0.25;

/// A voice-over line: its audio (any rate, mono or stereo) and when it starts in the video.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceSegment {
    pub start_s: f64,
    pub pcm: Pcm,
}

/// What to mix.
#[derive(Debug, Clone, PartialEq)]
pub struct MixSpec {
    /// The length of the output in 48 kHz frames (see [`frames_for_video`]).
    pub frames: usize,
    pub voices: Vec<VoiceSegment>,
    /// Background music (any rate), looped or trimmed to length.
    pub music: Option<Pcm>,
}

/// The soundtrack's length for `video_frames` at `fps`: exactly the video's duration in
/// 48 kHz samples (1600 per frame at 30 fps), so audio and video end together.
pub fn frames_for_video(video_frames: u32, fps: u32) -> usize {
    (video_frames as u64 * OUTPUT_RATE as u64 / fps.max(1) as u64) as usize
}

/// The two buses before they are summed (the tests measure the ducking on them).
#[derive(Debug, Clone, PartialEq)]
pub struct Stems {
    pub voice: Pcm,
    pub music: Pcm,
}

impl Stems {
    /// Voice + music.
    pub fn sum(mut self) -> Pcm {
        for (v, m) in self.voice.samples.iter_mut().zip(&self.music.samples) {
            *v += m;
        }
        self.voice
    }
}

/// Mixes `spec` to 48 kHz stereo of exactly `spec.frames` frames.
pub fn mix(spec: &MixSpec) -> Result<Pcm, AudioError> {
    Ok(stems(spec)?.sum())
}

/// The voice and music buses, levelled and ducked.
pub fn stems(spec: &MixSpec) -> Result<Stems, AudioError> {
    let n = spec.frames;
    let voice = voice_bus(spec)?;
    let mut music = Pcm::silence(OUTPUT_RATE, 2, n);
    if let Some(track) = &spec.music {
        music = fit_music(track, n)?;
        let speech = if spec.voices.is_empty() { None } else { Some(loudness::measure(&voice)?.integrated_lufs) };
        let music_lufs = loudness::measure(&music)?.integrated_lufs;
        if music_lufs.is_finite() {
            let bed = match speech {
                Some(l) if l.is_finite() => l - MUSIC_BED_BELOW_SPEECH_DB,
                _ => MUSIC_ALONE_LUFS,
            };
            music.scale(10f64.powf((bed - music_lufs) / 20.0) as f32);
        }
        let duck = duck_envelope(spec, n);
        for (frame, g) in music.samples.chunks_exact_mut(2).zip(duck) {
            frame[0] *= g;
            frame[1] *= g;
        }
    }
    Ok(Stems { voice, music })
}

/// The voice segments at 48 kHz stereo, each faded in and out, placed at their times.
fn voice_bus(spec: &MixSpec) -> Result<Pcm, AudioError> {
    let n = spec.frames;
    let mut bus = Pcm::silence(OUTPUT_RATE, 2, n);
    let fade = (SEGMENT_FADE_S * OUTPUT_RATE as f64) as usize;
    for (i, seg) in spec.voices.iter().enumerate() {
        if !seg.start_s.is_finite() || seg.start_s < 0.0 {
            return Err(AudioError::Invalid(format!("voice segment {} starts at {}", i + 1, seg.start_s)));
        }
        let pcm = resample(&seg.pcm, OUTPUT_RATE).to_stereo();
        let start = (seg.start_s * OUTPUT_RATE as f64).round() as usize;
        if start >= n {
            continue;
        }
        // A line that runs past the end is cut there, with the same fade.
        let len = pcm.frames().min(n - start);
        for k in 0..len {
            let g = edge_gain(k, len, fade, fade);
            bus.samples[2 * (start + k)] += pcm.samples[2 * k] * g;
            bus.samples[2 * (start + k) + 1] += pcm.samples[2 * k + 1] * g;
        }
    }
    Ok(bus)
}

/// A raised-cosine fade over the first `fade_in` and the last `fade_out` frames of `len`.
fn edge_gain(k: usize, len: usize, fade_in: usize, fade_out: usize) -> f32 {
    let ramp = |x: f64| (0.5 - 0.5 * (std::f64::consts::PI * x.clamp(0.0, 1.0)).cos()) as f32;
    let mut g = 1.0;
    if k < fade_in {
        g *= ramp((k as f64 + 0.5) / fade_in as f64);
    }
    let from_end = len - 1 - k;
    if from_end < fade_out {
        g *= ramp((from_end as f64 + 0.5) / fade_out as f64);
    }
    g
}

/// The music at 48 kHz stereo, exactly `n` frames: looped (crossfaded into its own start) when
/// short, trimmed when long, faded in and out.
fn fit_music(track: &Pcm, n: usize) -> Result<Pcm, AudioError> {
    let src = resample(track, OUTPUT_RATE).to_stereo();
    let len = src.frames();
    if len == 0 {
        return Err(AudioError::Invalid("the music track is empty".into()));
    }
    let xf = ((LOOP_CROSSFADE_S * OUTPUT_RATE as f64) as usize).min(len / 4);
    let period = len - xf; // each repetition starts xf frames before the previous one ends
    let mut out = Pcm::silence(OUTPUT_RATE, 2, n);
    let mut start = 0usize;
    let mut first = true;
    while start < n {
        for k in 0..len.min(n - start) {
            // Equal-power crossfade at the joins (not at the very start or end of the track).
            let fin =
                if !first && k < xf { ((k as f64 + 0.5) / xf as f64 * std::f64::consts::FRAC_PI_2).sin() } else { 1.0 };
            let fout = if k >= period && start + len < n {
                ((len - k) as f64 / xf as f64 * std::f64::consts::FRAC_PI_2).sin()
            } else {
                1.0
            };
            let g = (fin * fout) as f32;
            out.samples[2 * (start + k)] += src.samples[2 * k] * g;
            out.samples[2 * (start + k) + 1] += src.samples[2 * k + 1] * g;
        }
        start += period.max(1);
        first = false;
    }
    let (fi, fo) = ((MUSIC_FADE_IN_S * OUTPUT_RATE as f64) as usize, (MUSIC_FADE_OUT_S * OUTPUT_RATE as f64) as usize);
    for k in 0..n {
        let g = edge_gain(k, n, fi.min(n / 4), fo.min(n / 4));
        out.samples[2 * k] *= g;
        out.samples[2 * k + 1] *= g;
    }
    Ok(out)
}

/// The music's gain per output frame: 1 where nobody speaks, −[`DUCK_DB`] while someone does,
/// moving linearly in dB (no pumping clicks): down over [`DUCK_ATTACK_S`] ending as the speech
/// starts, up over [`DUCK_RELEASE_S`] after a short hold.
fn duck_envelope(spec: &MixSpec, n: usize) -> Vec<f32> {
    let rate = OUTPUT_RATE as f64;
    let attack = (DUCK_ATTACK_S * rate) as usize;
    let hold = (DUCK_HOLD_S * rate) as usize;
    // Where the music must be fully ducked: the speech and the hold after it.
    let mut active = vec![false; n];
    for seg in &spec.voices {
        let from = (seg.start_s * rate).round() as usize;
        let len = (seg.pcm.duration_s() * rate).round() as usize;
        let (a, b) = (from.min(n), (from + len + hold).min(n));
        active[a..b].iter_mut().for_each(|x| *x = true);
    }
    // Ramp in dB: with look-ahead, the fall starts `attack` frames before the active range.
    let down = DUCK_DB / attack.max(1) as f64;
    let up = DUCK_DB / (DUCK_RELEASE_S * rate).max(1.0);
    let mut level = vec![0.0f64; n]; // attenuation in dB, 0..=DUCK_DB
    // Forward pass: release after each active range.
    let mut db = 0.0;
    for (l, &a) in level.iter_mut().zip(&active) {
        db = if a { DUCK_DB } else { (db - up).max(0.0) };
        *l = db;
    }
    // Backward pass: the attack ahead of each active range.
    let mut db = 0.0f64;
    for (l, &a) in level.iter_mut().zip(&active).rev() {
        db = if a { DUCK_DB } else { (db - down).max(0.0) };
        *l = l.max(db);
    }
    level.into_iter().map(|d| 10f64.powf(-d / 20.0) as f32).collect()
}
