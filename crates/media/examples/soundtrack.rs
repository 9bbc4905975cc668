//! A video's soundtrack end to end, without a speech engine: synthetic voice-over lines (a
//! buzz with syllable-rate wobble, 24 kHz mono, as a TTS engine would hand them over) every
//! few seconds, a looped music bed at 44.1 kHz, mixed with ducking, mastered to −14 LUFS and
//! encoded as AAC-LC. Writes `soundtrack.aac`, `soundtrack.wav`, `soundtrack.vtt` and
//! `soundtrack.srt` and prints how long each step took (the `scripts/bench-media` row).
//!
//! cargo run --release -p glimvid-media --example soundtrack -- [seconds] [out_dir]

use std::{f32::consts::TAU, path::PathBuf, time::Instant};

use glimvid_media::audio::{
    Pcm, aac, loudness,
    mix::{self, MixSpec, VoiceSegment},
    subtitles::{self, Cue},
    wav,
};

fn voice(secs: f64) -> Pcm {
    let rate = 24_000;
    let n = (secs * rate as f64) as usize;
    let samples = (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let buzz: f32 = (1..=8).map(|h| (TAU * 140.0 * h as f32 * t).sin() / h as f32).sum();
            0.3 * buzz * (0.55 + 0.45 * (TAU * 4.0 * t).sin())
        })
        .collect();
    Pcm::new(rate, 1, samples).expect("a valid voice line")
}

fn music(secs: f64) -> Pcm {
    let rate = 44_100;
    let samples = (0..(secs * rate as f64) as usize)
        .flat_map(|i| {
            let t = i as f32 / rate as f32;
            let beat = 0.7 + 0.3 * (TAU * 2.0 * t).sin().max(0.0);
            let l = beat * 0.15 * ((TAU * 220.0 * t).sin() + (TAU * 277.2 * t).sin() + (TAU * 329.6 * t).sin());
            let r = beat * 0.15 * ((TAU * 220.0 * t).sin() + (TAU * 329.6 * t).sin() + (TAU * 440.0 * t).sin());
            [l, r]
        })
        .collect();
    Pcm::new(rate, 2, samples).expect("a valid music track")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u32 = args.next().map_or(60, |s| s.parse().expect("seconds"));
    let dir = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&dir).expect("output directory");
    let frames = seconds * 30;

    // A line of ~3 s every 4 s, after a second of intro.
    let mut voices = Vec::new();
    let mut cues = Vec::new();
    let mut t = 1.0;
    while t + 3.0 < seconds as f64 {
        voices.push(VoiceSegment { start_s: t, pcm: voice(3.0) });
        cues.push(Cue {
            start_ms: (t * 1000.0) as u64,
            end_ms: ((t + 3.0) * 1000.0) as u64,
            text: subtitles::plain_text(&format!("Scene **{}**: fresh coffee ☕ 新鲜咖啡", cues.len() + 1)),
        });
        t += 4.0;
    }
    let spec = MixSpec { frames: mix::frames_for_video(frames, 30), voices, music: Some(music(7.5)) };

    let started = Instant::now();
    let mut pcm = mix::mix(&spec).expect("mix");
    let mixed = started.elapsed();
    let level = loudness::master(&mut pcm).expect("master");
    let mastered = started.elapsed();
    let track = aac::encode(&pcm).expect("AAC");
    let total = started.elapsed();

    std::fs::write(dir.join("soundtrack.aac"), track.to_adts()).expect("write aac");
    wav::write(&dir.join("soundtrack.wav"), &pcm).expect("write wav");
    std::fs::write(dir.join("soundtrack.vtt"), subtitles::to_webvtt(&cues)).expect("write vtt");
    std::fs::write(dir.join("soundtrack.srt"), subtitles::to_srt(&cues)).expect("write srt");

    let secs = pcm.duration_s();
    println!(
        "soundtrack {secs:.2} s: mix {:.2} s, master {:.2} s, AAC {:.2} s; total {:.2} s = {:.1}x realtime; \
         {:.2} LUFS, {:.2} dBTP, {} AAC units, {:.0} kb/s",
        mixed.as_secs_f64(),
        (mastered - mixed).as_secs_f64(),
        (total - mastered).as_secs_f64(),
        total.as_secs_f64(),
        secs / total.as_secs_f64(),
        level.integrated_lufs,
        level.true_peak_dbtp,
        track.units.len(),
        track.units.iter().map(Vec::len).sum::<usize>() as f64 * 8.0 / secs / 1000.0,
    );
}
