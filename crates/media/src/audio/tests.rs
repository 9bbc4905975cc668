use std::f32::consts::TAU;

use super::{
    OUTPUT_RATE, Pcm,
    aac::{self, FRAME_LEN},
    loudness::{self, TARGET_LUFS},
    mix::{self, DUCK_DB, MixSpec, VoiceSegment},
    resample::resample,
    subtitles::{self, Cue},
    wav,
};
use crate::encode::{BundledH264, EncodeSpec, Encoder, FfmpegEncoder, FrameSource};
use crate::yuv::Yuv420;

/// A speech-like test line: a 140 Hz buzz with harmonics, its loudness wobbling at syllable
/// rate, at `rate` mono, `secs` long.
pub(crate) fn voice(rate: u32, secs: f64, amp: f32) -> Pcm {
    let n = (secs * rate as f64) as usize;
    let samples = (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let buzz: f32 = (1..=8).map(|h| (TAU * 140.0 * h as f32 * t).sin() / h as f32).sum();
            let syllables = 0.55 + 0.45 * (TAU * 4.0 * t).sin();
            amp * 0.5 * buzz * syllables
        })
        .collect();
    Pcm::new(rate, 1, samples).expect("valid test voice")
}

/// A steady chord at 44.1 kHz stereo, `secs` long (music to loop).
pub(crate) fn music(secs: f64) -> Pcm {
    let rate = 44_100;
    let n = (secs * rate as f64) as usize;
    let samples = (0..n)
        .flat_map(|i| {
            let t = i as f32 / rate as f32;
            let l = 0.2 * ((TAU * 220.0 * t).sin() + (TAU * 277.2 * t).sin() + (TAU * 329.6 * t).sin());
            let r = 0.2 * ((TAU * 220.0 * t).sin() + (TAU * 329.6 * t).sin() + (TAU * 440.0 * t).sin());
            [l, r]
        })
        .collect();
    Pcm::new(rate, 2, samples).expect("valid test music")
}

fn rms_db(samples: &[f32]) -> f64 {
    let ms = samples.iter().map(|&s| (s as f64) * (s as f64)).sum::<f64>() / samples.len().max(1) as f64;
    10.0 * ms.max(1e-20).log10()
}

fn at(s: f64) -> usize {
    (s * OUTPUT_RATE as f64) as usize
}

fn spec_6s() -> MixSpec {
    MixSpec {
        frames: mix::frames_for_video(180, 30),
        voices: vec![
            VoiceSegment { start_s: 0.5, pcm: voice(24_000, 2.0, 0.6) },
            // Straight after the first: the join between two lines.
            VoiceSegment { start_s: 2.5, pcm: voice(22_050, 2.5, 0.6) },
        ],
        music: Some(music(2.0)),
    }
}

#[test]
fn audio_resampling_keeps_a_tone_and_its_level() {
    let rate = 24_000;
    let tone = Pcm::new(rate, 1, (0..rate).map(|i| 0.5 * (TAU * 1000.0 * i as f32 / rate as f32).sin()).collect())
        .expect("tone");
    let up = resample(&tone, OUTPUT_RATE);
    assert_eq!(up.frames(), OUTPUT_RATE as usize, "exactly twice the frames");
    // Away from the edges, the result is the same sine sampled at 48 kHz.
    let worst = (1000..47_000)
        .map(|i| (up.samples[i] - 0.5 * (TAU * 1000.0 * i as f32 / OUTPUT_RATE as f32).sin()).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 2e-3, "worst error {worst}");
    // 44.1 kHz -> 48 kHz: the length follows the rate ratio.
    let m = resample(&music(1.0), OUTPUT_RATE);
    assert_eq!(m.frames(), 48_000);
    assert_eq!(m.channels, 2);
}

#[test]
fn audio_wav_round_trip() {
    let pcm = voice(16_000, 0.3, 0.8).to_stereo();
    let back = wav::from_bytes(&wav::to_bytes(&pcm)).expect("parses");
    assert_eq!((back.rate, back.channels, back.frames()), (16_000, 2, pcm.frames()));
    let worst = pcm.samples.iter().zip(&back.samples).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1.0 / 16_000.0, "16-bit quantisation only: {worst}");
    assert!(wav::from_bytes(b"RIFF....WAVEnope").is_err());
}

#[test]
fn audio_mix_is_exactly_the_video_length() {
    for (frames, fps) in [(180u32, 30u32), (1800, 30), (181, 30), (451, 30)] {
        let spec = MixSpec { frames: mix::frames_for_video(frames, fps), ..spec_6s() };
        let out = mix::mix(&spec).expect("mixes");
        assert_eq!(out.rate, OUTPUT_RATE);
        assert_eq!(out.channels, 2);
        assert_eq!(out.frames() as u64, frames as u64 * 1600, "{frames} frames at {fps} fps");
    }
}

#[test]
fn audio_music_is_ducked_under_speech() {
    let stems = mix::stems(&spec_6s()).expect("mixes");
    // While the first line is spoken (away from its edges): music 12-18 dB below the voice.
    let speaking = at(1.0) * 2..at(2.3) * 2;
    let below = rms_db(&stems.voice.samples[speaking.clone()]) - rms_db(&stems.music.samples[speaking]);
    assert!((12.0..=18.0).contains(&below), "music {below:.1} dB below the speech");
    // Before anyone speaks (after the music's fade-in, before the duck's attack) the music is
    // up by the ducking depth.
    let idle = rms_db(&stems.music.samples[at(0.30) * 2..at(0.37) * 2])
        - rms_db(&stems.music.samples[at(1.0) * 2..at(1.07) * 2]);
    assert!((DUCK_DB - 1.5..=DUCK_DB + 1.5).contains(&idle), "ducking depth {idle:.1} dB");
    // The duck moves smoothly: against the same music undimmed (the mix without voices), the
    // level changes by less than 0.5 dB from one 1 ms block to the next.
    let undimmed = mix::stems(&MixSpec { voices: Vec::new(), ..spec_6s() }).expect("mixes").music;
    let envelope: Vec<f64> = stems.music.samples[at(0.1) * 2..at(5.9) * 2]
        .chunks(96)
        .zip(undimmed.samples[at(0.1) * 2..at(5.9) * 2].chunks(96))
        .map(|(d, u)| rms_db(d) - rms_db(u))
        .collect();
    let step = envelope.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f64::max);
    assert!(step < 0.5, "the music level jumps by {step:.2} dB");
    let depth =
        envelope.iter().fold(0.0f64, |m, &e| m.max(-e)) - envelope.iter().fold(f64::MIN, |m, &e| m.max(e)).max(-100.0);
    assert!(depth > DUCK_DB - 1.0, "the duck reaches {depth:.1} dB");
}

#[test]
fn audio_segment_joins_do_not_click() {
    // A loud line cut mid-waveform at both ends, placed right after another: without fades the
    // mix jumps by up to the signal's amplitude in one sample.
    let square_ish = Pcm::new(OUTPUT_RATE, 1, (0..at(0.5)).map(|_| 0.7).collect()).expect("dc");
    let spec = MixSpec {
        frames: at(2.0),
        voices: vec![
            VoiceSegment { start_s: 0.25, pcm: square_ish.clone() },
            VoiceSegment { start_s: 0.75, pcm: square_ish },
        ],
        music: None,
    };
    let out = mix::mix(&spec).expect("mixes");
    let delta = out
        .samples
        .chunks_exact(2)
        .map(|f| f[0])
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    // A 10 ms raised cosine at 0.7 moves at most 0.7 * pi / 2 / 480 per sample.
    assert!(delta < 0.01, "largest step between samples: {delta}");
    // The voice starts on time: silent before, at full level 20 ms in.
    assert!(out.samples[..at(0.25) * 2].iter().all(|s| s.abs() < 1e-6));
    assert!((out.samples[at(0.3) * 2] - 0.7).abs() < 1e-3);
}

#[test]
fn audio_mastering_meets_r128_targets() {
    // Quiet and loud versions of the same mix both land on target.
    for scale in [0.05f32, 1.0, 3.0] {
        let mut pcm = mix::mix(&spec_6s()).expect("mixes");
        pcm.scale(scale);
        let got = loudness::master(&mut pcm).expect("masters");
        let check = loudness::measure(&pcm).expect("measures");
        assert_eq!(got, check);
        assert!((check.integrated_lufs - TARGET_LUFS).abs() <= 1.0, "x{scale}: {:.2} LUFS", check.integrated_lufs);
        assert!(check.true_peak_dbtp <= -1.0, "x{scale}: {:.2} dBTP", check.true_peak_dbtp);
    }
    // Silence stays silence.
    let mut quiet = Pcm::silence(OUTPUT_RATE, 2, at(1.0));
    loudness::master(&mut quiet).expect("masters silence");
    assert_eq!(quiet.peak(), 0.0);
}

#[test]
fn audio_aac_round_trip_keeps_the_signal() {
    let mut pcm = mix::mix(&spec_6s()).expect("mixes");
    loudness::master(&mut pcm).expect("masters");
    let track = aac::encode(&pcm).expect("encodes");
    assert_eq!(track.audio_specific_config()[0] >> 3, 2, "AAC-LC object type");
    assert!(track.units.len() * FRAME_LEN >= pcm.frames());
    let kbps = track.units.iter().map(Vec::len).sum::<usize>() as f64 * 8.0 / pcm.duration_s() / 1000.0;
    assert!((100.0..=200.0).contains(&kbps), "{kbps:.0} kb/s");
    let back =
        aac::decode_units(&track.audio_specific_config(), track.units.iter().map(Vec::as_slice)).expect("decodes");
    assert_eq!((back.rate, back.channels), (OUTPUT_RATE, 2));
    let l = loudness::measure(&back).expect("measures");
    assert!((l.integrated_lufs - TARGET_LUFS).abs() <= 1.0, "{:.2} LUFS after AAC", l.integrated_lufs);
    assert!(l.true_peak_dbtp <= -1.0, "{:.2} dBTP after AAC", l.true_peak_dbtp);
}

#[test]
fn audio_subtitles_round_trip() {
    let cues = vec![
        Cue { start_ms: 0, end_ms: 1_500, text: subtitles::plain_text("**Fresh** coffee, _every_ morning ☕") },
        Cue {
            start_ms: 1_500,
            end_ms: 3_250,
            text: subtitles::plain_text("只需 3 分钟 — [order now](https://x.test) <b>"),
        },
        Cue {
            start_ms: 3_600_000 + 61_001, end_ms: 3_600_000 + 62_999, text: "Price: 19.99 € & 2 > 1\n\n-->".into()
        },
    ];
    assert_eq!(cues[0].text, "Fresh coffee, every morning ☕");
    assert_eq!(cues[1].text, "只需 3 分钟 — order now <b>");
    let vtt = subtitles::to_webvtt(&cues);
    assert!(vtt.starts_with("WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500\n"), "{vtt}");
    assert!(vtt.contains("&lt;b&gt;") && vtt.contains("&amp;"), "{vtt}");
    let srt = subtitles::to_srt(&cues);
    assert!(srt.contains("01:01:01,001 --> 01:01:02,999"), "{srt}");
    let expected: Vec<Cue> = cues.iter().map(|c| Cue { text: c.text.replace("\n\n-->", "\n→"), ..c.clone() }).collect();
    assert_eq!(subtitles::parse_webvtt(&vtt).expect("parses"), expected);
    assert_eq!(subtitles::parse_srt(&srt).expect("parses"), expected);
    assert!(subtitles::parse_webvtt("1\n00:00:00,000 --> 00:00:01,000\nhi\n").is_err());
    assert!(subtitles::parse_srt("1\n00:00:02,000 --> 00:00:01,000\nbackwards\n").is_err());
}

struct Flat(u32);

impl FrameSource for Flat {
    fn frame_count(&self) -> u32 {
        self.0
    }
    fn render(&self, index: u32, out: &mut Yuv420) {
        out.data_mut().fill((index % 200) as u8 + 20);
    }
}

/// Encodes `frames` at 30 fps with a mastered soundtrack through `encoder`, then checks what a
/// player sees: an AAC-LC track at 48 kHz as long as the video, which decodes on target.
fn check_video_with_audio(encoder: &dyn Encoder, frames: u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("speaking.mp4");
    let spec = MixSpec { frames: mix::frames_for_video(frames, 30), ..spec_6s() };
    let mut pcm = mix::mix(&spec).expect("mixes");
    loudness::master(&mut pcm).expect("masters");
    let track = aac::encode(&pcm).expect("encodes");
    let video = EncodeSpec { width: 64, height: 64, fps: 30, bitrate: 200_000 };
    let report = encoder.encode_with_audio(&video, &Flat(frames), &track, &out).expect("encodes the video");
    assert_eq!(report.frames, frames);

    let info = crate::probe::probe_mp4(&out).expect("probes");
    assert_eq!(info.frames, frames);
    assert!(info.faststart);
    let audio = info.audio.expect("an audio track");
    assert_eq!((audio.codec.as_str(), audio.object_type), ("mp4a", 2), "AAC-LC");
    assert_eq!((audio.sample_rate, audio.channels), (48_000, 2));
    let video_ms = frames as i64 * 1000 / 30;
    assert!((audio.duration_ms as i64 - video_ms).abs() <= 33, "audio {} ms, video {video_ms} ms", audio.duration_ms);

    let back = crate::probe::decode_audio(&out).expect("decodes the audio");
    assert!((back.frames() as i64 - pcm.frames() as i64).abs() <= 1600, "{} vs {}", back.frames(), pcm.frames());
    let l = loudness::measure(&back).expect("measures");
    assert!((l.integrated_lufs - TARGET_LUFS).abs() <= 1.0, "{:.2} LUFS in the MP4", l.integrated_lufs);
    assert!(l.true_peak_dbtp <= -1.0, "{:.2} dBTP in the MP4", l.true_peak_dbtp);
}

#[test]
fn audio_bundled_encoder_muxes_aac_beside_h264() {
    check_video_with_audio(&BundledH264::with_lanes(1), 180);
}

#[test]
fn audio_bundled_encoder_keeps_sync_over_60_s() {
    check_video_with_audio(&BundledH264::new(), 1800);
}

#[test]
fn audio_system_encoder_muxes_aac_beside_h264() {
    let Ok(ffmpeg) = FfmpegEncoder::detect() else {
        eprintln!("skipped: no ffmpeg with libx264");
        return;
    };
    check_video_with_audio(&ffmpeg, 180);
}

#[test]
fn audio_bundled_music_mixes_and_masters_on_target() {
    let track = crate::music::for_style(glimvid_domain::Style::Clean).decode().expect("decodes the bundled track");
    let music = Pcm::try_from(track).expect("mixable");
    let spec = MixSpec { music: Some(music), ..spec_6s() };
    let mut pcm = mix::mix(&spec).expect("mixes");
    assert_eq!(pcm.frames(), 180 * 1600);
    let l = loudness::master(&mut pcm).expect("masters");
    assert!((l.integrated_lufs - TARGET_LUFS).abs() <= 1.0, "{:.2} LUFS", l.integrated_lufs);
    assert!(l.true_peak_dbtp <= -1.0, "{:.2} dBTP", l.true_peak_dbtp);
}
