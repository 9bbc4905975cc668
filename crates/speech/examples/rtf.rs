//! Real-time factor of the local engine per voice (synthesis seconds / audio seconds), on this
//! machine. Needs `scripts/fetch-voices`. Run in release:
//! `cargo run --release -p glimvid-speech --example rtf` (`--wav DIR` also writes each voice).

use std::time::Instant;

use glimvid_domain::{Language, Voice};
use glimvid_speech::{KokoroEngine, ModelPaths, models_dir};

fn sample(language: Language) -> &'static str {
    match language {
        Language::Zh => {
            "今天我们来看看如何用三个简单的步骤做一杯好咖啡。首先，选择新鲜的咖啡豆，然后把它们磨成中等粗细的粉。"
        }
        Language::Fr => {
            "Aujourd'hui, nous voyons comment préparer un bon café en trois étapes simples. D'abord, choisissez des grains frais, puis moulez-les avec soin."
        }
        Language::Es => {
            "Hoy vamos a ver cómo preparar un buen café en tres pasos sencillos. Primero, elige granos frescos y muélelos con cuidado."
        }
        _ => {
            "Today we look at how to make a great cup of coffee in three simple steps. First, pick fresh beans, then grind them to a medium size."
        }
    }
}

fn write_wav(path: &std::path::Path, samples: &[f32], rate: u32) -> std::io::Result<()> {
    let mut b = Vec::with_capacity(44 + samples.len() * 2);
    let data = (samples.len() * 2) as u32;
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
    }
    std::fs::write(path, b)
}

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after the command name.
    (tick(11) + tick(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let wav_dir = args.iter().position(|a| a == "--wav").and_then(|i| args.get(i + 1)).map(std::path::PathBuf::from);
    let paths = ModelPaths::under(&models_dir());
    println!("model {}", paths.model.display());
    let load = Instant::now();
    let engine = KokoroEngine::load(&paths)?;
    println!("engine loaded in {:.2} s", load.elapsed().as_secs_f64());
    // One warm-up run: the first inference pays for allocation and kernel selection.
    engine.synthesize("Warm up.", Voice::ALL[0])?;
    println!(
        "{:<12} {:>4} {:>9} {:>9} {:>6} {:>7} {:>8}",
        "voice", "lang", "audio s", "synth s", "RTF", "cpu s", "cpu/aud"
    );
    let mut total_audio = 0.0;
    let mut total_synth = 0.0;
    for &voice in engine.voices() {
        let start = Instant::now();
        let cpu0 = cpu_seconds();
        let speech = engine.synthesize(sample(voice.language()), voice)?;
        let synth = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        let audio = speech.seconds();
        total_audio += audio;
        total_synth += synth;
        println!(
            "{:<12} {:>4} {:>9.2} {:>9.2} {:>6.3} {:>7.2} {:>8.3}",
            voice.id(),
            voice.language().as_str(),
            audio,
            synth,
            synth / audio,
            cpu,
            cpu / audio
        );
        if let Some(dir) = &wav_dir {
            std::fs::create_dir_all(dir)?;
            write_wav(&dir.join(format!("{}.wav", voice.id())), &speech.samples, speech.sample_rate)?;
        }
    }
    println!("{:<12} {:>4} {:>9.2} {:>9.2} {:>6.3}", "all", "", total_audio, total_synth, total_synth / total_audio);
    Ok(())
}
