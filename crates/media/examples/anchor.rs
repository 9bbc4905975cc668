//! Our side of the anchor benchmark (`scripts/bench-media`): the same job as
//! `../shared/bench/anchors/ffmpeg_render.sh`, on the same inputs, one step per process so that
//! the harness measures wall time, CPU seconds and peak RSS the same way for every tool.
//!
//! ```text
//! anchor enhance IN.jpg OUT.jpg                      one photo to 1080x1920 (JPEG q90)
//! anchor render bundled|system[:PRESET] INPUTS OUT.mp4 [SECONDS]
//! anchor reference INPUTS OUT.yuv [SECONDS]          our frames, lossless (raw I420)
//! anchor job bundled|system INPUTS OUT.mp4 SECONDS speaking|silent [VOICE_OVER.wav]
//! anchor say INPUTS VOICE_OVER.wav SECONDS           the voice-over, said ahead
//! ```
//!
//! `job` runs the renderer as a job does (the provider's `render`, photos to MP4): `speaking`
//! with each scene's line said by the local voice (`scripts/fetch-voices`), music under it and
//! captions timed to the speech; `silent` with voice and music `none`: the speaking render's cost
//! is the ratio of the two. `say` is the script stage's part of a speaking job: it says the
//! lines and writes the voice-over the job stores; `job ... speaking VOICE_OVER.wav` renders with
//! it as the render stage does, which then says nothing itself (the process does not load the
//! model: a render service holds it loaded, for lines edited in review).
//!
//! INPUTS holds product_1..5.jpg (the anchors' generator) and cap1..4.txt. The job: five scenes,
//! one per photo, captions cap1..4 on the first four; our timeline also draws a title over the
//! first shot and an outro card with a call to action (so one more transition than the anchor's
//! four crossfades): slightly more work than the filter graph does.

use std::{path::Path, time::Instant};

use bytes::Bytes;
use glimvid_domain::{AspectRatio, Language, Scene, Script, Style, VideoOptions};
use glimvid_media::{
    BundledH264, Encoder, FfmpegEncoder,
    encode::FrameSource,
    enhance::enhance_photo,
    render::{prepare, write_video},
    yuv::Yuv420,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, what: &str| args.get(i).unwrap_or_else(|| usage(what)).as_str();
    match arg(0, "a command") {
        "enhance" => {
            let raw = std::fs::read(arg(1, "IN.jpg")).expect("read the photo");
            let e = enhance_photo(&raw, AspectRatio::Portrait.dimensions()).expect("enhance");
            std::fs::write(arg(2, "OUT.jpg"), &e.bytes).expect("write the photo");
            eprintln!("{}", e.note);
        }
        "render" => {
            let (kind, preset) = arg(1, "the encoder").split_once(':').unwrap_or((arg(1, ""), "veryfast"));
            let encoder: Box<dyn Encoder> = match kind {
                "bundled" => Box::new(BundledH264::new()),
                "system" => Box::new(FfmpegEncoder::detect().expect("ffmpeg with libx264").with_preset(preset)),
                other => usage(&format!("bundled or system, not {other}")),
            };
            let seconds = args.get(4).map_or(15, |s| s.parse().expect("seconds"));
            let (script, images, options) = job(Path::new(arg(2, "INPUTS")), seconds);
            let started = Instant::now();
            // As the renderer does: the photo files are freed once decoded.
            let composer = prepare(&script, &images, &options).expect("prepare");
            drop(images);
            let prepared = started.elapsed().as_secs_f64();
            let out = write_video(&composer, &options, Path::new(arg(3, "OUT.mp4")), encoder.as_ref()).expect("render");
            eprintln!(
                "{} frames with {} in {:.2} s (photos prepared in {prepared:.2} s)",
                out.frames,
                encoder.describe(),
                started.elapsed().as_secs_f64()
            );
        }
        "say" => {
            let seconds = arg(3, "SECONDS").parse().expect("seconds");
            let (mut script, _, options) = job(Path::new(arg(1, "INPUTS")), seconds);
            speaking_lines(&mut script);
            let started = Instant::now();
            let engine = glimvid_speech::KokoroEngine::from_env().expect("the local voice (scripts/fetch-voices)");
            let loaded = started.elapsed().as_secs_f64();
            let engine = glimvid_speech::LocalSpeech::new(engine);
            let voice = options.voice.resolve(options.language).expect("an English voice");
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
            let said = rt
                .block_on(glimvid_media::render::narrate::say_script(&engine, &script, &options, voice, None))
                .expect("say the lines");
            std::fs::write(arg(2, "VOICE_OVER.wav"), said.voice_over.to_bytes()).expect("write the voice-over");
            eprintln!(
                "{} in {:.2} s (model loaded in {loaded:.2} s)",
                said.note(seconds),
                started.elapsed().as_secs_f64()
            );
        }
        "job" => {
            let encoder: std::sync::Arc<dyn Encoder> = match arg(1, "the encoder") {
                "bundled" => std::sync::Arc::new(BundledH264::new()),
                "system" => std::sync::Arc::new(FfmpegEncoder::detect().expect("ffmpeg with libx264")),
                other => usage(&format!("bundled or system, not {other}")),
            };
            let seconds = arg(4, "SECONDS").parse().expect("seconds");
            let (mut script, images, mut options) = job(Path::new(arg(2, "INPUTS")), seconds);
            let renderer = glimvid_media::LocalRenderer::with_encoder(encoder);
            let ahead = args.get(6).map(|p| {
                glimvid_providers::VoiceOver::from_bytes(&std::fs::read(p).expect("read the voice-over"))
                    .expect("a voice-over written by `anchor say`")
            });
            let renderer = match arg(5, "speaking or silent") {
                "speaking" if ahead.is_some() => {
                    speaking_lines(&mut script);
                    let voice = options.voice.resolve(options.language).expect("an English voice");
                    // Without an engine, a voice-over for other lines would leave the video silent.
                    assert!(
                        glimvid_media::render::narrate::ahead_as_is(&script, voice, ahead.clone()).is_some(),
                        "the voice-over does not say this job's lines"
                    );
                    renderer
                }
                "speaking" => {
                    speaking_lines(&mut script);
                    let engine =
                        glimvid_speech::KokoroEngine::from_env().expect("the local voice (scripts/fetch-voices)");
                    renderer.with_speech(std::sync::Arc::new(glimvid_speech::LocalSpeech::new(engine)))
                }
                "silent" => {
                    options.voice = glimvid_domain::VoiceChoice::None;
                    options.music = glimvid_domain::MusicChoice::None;
                    renderer
                }
                other => usage(&format!("speaking or silent, not {other}")),
            };
            let started = Instant::now();
            let req = glimvid_providers::RenderRequest {
                script,
                images,
                options,
                output: Path::new(arg(3, "OUT.mp4")).to_path_buf(),
                observer: std::sync::Arc::new(Notes),
                voice_over: ahead,
            };
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
            let out = rt.block_on(glimvid_providers::VideoGenerator::render(&renderer, req)).expect("render");
            eprintln!("{} frames in {:.2} s", out.frames, started.elapsed().as_secs_f64());
        }
        "reference" => {
            use std::io::Write;
            let seconds = args.get(3).map_or(15, |s| s.parse().expect("seconds"));
            let (script, images, options) = job(Path::new(arg(1, "INPUTS")), seconds);
            let composer = prepare(&script, &images, &options).expect("prepare");
            let (w, h) = options.aspect_ratio.dimensions();
            let mut out = std::io::BufWriter::new(std::fs::File::create(arg(2, "OUT.yuv")).expect("create"));
            let mut frame = Yuv420::new(w, h);
            for i in 0..composer.frame_count() {
                composer.render(i, &mut frame);
                for p in [frame.y(), frame.u(), frame.v()] {
                    out.write_all(p).expect("write");
                }
            }
            out.flush().expect("flush");
        }
        other => usage(&format!("enhance, render or reference, not {other}")),
    }
}

/// The speaking job's lines: each scene says its caption.
fn speaking_lines(script: &mut Script) {
    for s in &mut script.scenes {
        s.voiceover = format!("{}.", s.caption.trim_end_matches('.'));
    }
}

/// Prints the render's notes (the encoder, who narrated and what was said ahead).
struct Notes;

#[async_trait::async_trait]
impl glimvid_providers::RenderObserver for Notes {
    async fn note(&self, message: &str) {
        eprintln!("{message}");
    }
}

fn usage(what: &str) -> ! {
    eprintln!("expected {what}; see the doc comment of crates/media/examples/anchor.rs");
    std::process::exit(2)
}

/// The anchor job from INPUTS: the raw photos (cover-cropped by the renderer, as the filter
/// graph does) and the four captions.
fn job(dir: &Path, seconds: u32) -> (Script, Vec<Bytes>, VideoOptions) {
    let images: Vec<Bytes> = (1..=5)
        .map(|i| Bytes::from(std::fs::read(dir.join(format!("product_{i}.jpg"))).expect("read product_N.jpg")))
        .collect();
    let caption = |i: usize| {
        std::fs::read_to_string(dir.join(format!("cap{i}.txt"))).map(|s| s.trim().to_owned()).unwrap_or_default()
    };
    let scenes = (0..5)
        .map(|i| Scene {
            caption: if i < 4 { caption(i + 1) } else { "Designed for every day".into() },
            voiceover: String::new(),
            photo_index: i as u32,
        })
        .collect();
    let script = Script {
        title: "The Essentials Collection".into(),
        hook: String::new(),
        scenes,
        call_to_action: "Order today - free shipping".into(),
    };
    let options = VideoOptions {
        aspect_ratio: AspectRatio::Portrait,
        duration_s: seconds,
        language: Language::En,
        style: Style::Clean,
        ..Default::default()
    };
    (script, images, options)
}
