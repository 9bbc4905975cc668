//! Writes `assets/voices/<id>.aac`, the sample of each catalogue voice (see
//! `glimvid_media::voice_samples`): the voice's line said by the local engine, resampled to
//! 48 kHz, mastered to −14 LUFS and encoded as AAC-LC. Run by `scripts/voice-samples` after
//! `scripts/fetch-voices`, whenever the engine or the voices change.
//!
//! cargo run --release -p glimvid-media --example voice_samples -- [out_dir]

use std::path::PathBuf;

use glimvid_domain::Voice;
use glimvid_media::{
    audio::{OUTPUT_RATE, Pcm, aac, loudness, resample::resample},
    voice_samples,
};
use glimvid_speech::KokoroEngine;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/voices"), PathBuf::from);
    std::fs::create_dir_all(&out)?;
    let engine = KokoroEngine::from_env()?;
    for &voice in Voice::ALL {
        let text = voice_samples::text(voice);
        let speech = engine.synthesize(&text, voice)?;
        // A little silence around the line, as a player starts and stops.
        let pad = vec![0.0; speech.sample_rate as usize / 5];
        let samples = [pad.clone(), speech.samples, pad].concat();
        let mut pcm = resample(&Pcm::new(speech.sample_rate, 1, samples)?, OUTPUT_RATE);
        loudness::master(&mut pcm)?;
        let track = aac::encode(&pcm)?;
        let path = out.join(format!("{}.aac", voice.id()));
        std::fs::write(&path, track.to_adts())?;
        println!("{} {:.1} s {} bytes: {text}", path.display(), track.duration_s(), std::fs::metadata(&path)?.len());
    }
    Ok(())
}
