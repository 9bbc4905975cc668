//! Where the render time goes: per frame and on one thread, composition (Ken Burns resample,
//! transitions, text, all in I420) and openh264 at each complexity, with the luma PSNR the
//! encoder reaches at our bitrate (and at others: `BENCH_KBPS=3000,4000`; with `BENCH_VARIANTS=1`,
//! also with each of its analyses switched back). Prints a table.
//!
//! RAYON_NUM_THREADS=1 cargo run -p glimvid-media --example bench -- [9:16|16:9|1:1]
//!
//! `DUMP_YUV=<path>` also writes the encoded frames as raw I420, for encoder experiments.

use std::time::Instant;

use bytes::Bytes;
use glimvid_domain::{AspectRatio, Scene, Script, Style, VideoOptions};
use glimvid_media::{
    encode::{EncodeSpec, FrameSource, encoder_config},
    enhance::enhance_photo,
    render::prepare,
    yuv::Yuv420,
};
use openh264::{
    OpenH264API,
    decoder::Decoder,
    encoder::{Complexity, Encoder, EncoderConfig},
    formats::{YUVSlices, YUVSource},
};

const FRAMES: u32 = 60;

/// A change to the shipped encoder settings.
type Tweak = fn(EncoderConfig) -> EncoderConfig;

fn main() {
    let aspect: AspectRatio = std::env::args().nth(1).as_deref().unwrap_or("9:16").parse().unwrap();
    let (w, h) = aspect.dimensions();
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let images: Vec<Bytes> = ["coffee.png", "rocket.jpg"]
        .iter()
        .map(|n| enhance_photo(&std::fs::read(fixtures.join(n)).unwrap(), (w, h)).unwrap().bytes)
        .collect();
    let script = Script {
        title: "Morning Rocket Espresso".into(),
        hook: String::new(),
        scenes: (0..3)
            .map(|i| Scene {
                caption: format!("Caption number {i} for the bench"),
                voiceover: String::new(),
                photo_index: i % 2,
            })
            .collect(),
        call_to_action: "Order now".into(),
    };
    let options = VideoOptions { aspect_ratio: aspect, duration_s: 15, style: Style::Clean, ..Default::default() };
    let composer = prepare(&script, &images, &options).unwrap();

    // Frames spread over the whole video (shots, transitions, intro, outro).
    let mut yuv = Yuv420::new(w, h);
    let t = Instant::now();
    for i in 0..FRAMES {
        composer.render(i * composer.frame_count() / FRAMES, &mut yuv);
    }
    let compose = ms_per_frame(t);

    // Consecutive frames for the encoder (motion as in the video).
    let frames: Vec<Yuv420> = (0..FRAMES)
        .map(|i| {
            let mut f = Yuv420::new(w, h);
            composer.render(i, &mut f);
            f
        })
        .collect();
    if let Ok(path) = std::env::var("DUMP_YUV") {
        let raw: Vec<u8> = frames.iter().flat_map(|f| [f.y(), f.u(), f.v()].concat()).collect();
        std::fs::write(path, raw).unwrap();
    }

    println!("{w}x{h}, ms per frame on one thread (rayon threads: {})", rayon::current_num_threads());
    println!();
    println!("| step | ms/frame | kbit/frame | luma PSNR dB |");
    println!("|---|---|---|---|");
    println!("| compose (I420) | {compose:.1} | | |");
    let spec = EncodeSpec::for_frame(w, h, 30);
    for (name, complexity) in [("low", Complexity::Low), ("medium", Complexity::Medium), ("high", Complexity::High)] {
        let (ms, kbit, psnr) = encode(&frames, encoder_config(&spec).complexity(complexity));
        println!("| openh264 {name}, {} kbit/s | {ms:.1} | {kbit:.0} | {psnr:.2} |", spec.bitrate / 1000);
    }
    // Other target bitrates at the shipped settings: BENCH_KBPS=3000,4000,5000
    for kbps in std::env::var("BENCH_KBPS").unwrap_or_default().split(',').filter_map(|k| k.trim().parse::<u32>().ok())
    {
        let spec = EncodeSpec { bitrate: kbps * 1000, ..spec };
        let (ms, kbit, psnr) = encode(&frames, encoder_config(&spec));
        println!("| openh264 shipped, {kbps} kbit/s | {ms:.1} | {kbit:.0} | {psnr:.2} |");
        // Encoder analyses switched one at a time from the shipped settings: BENCH_VARIANTS=1
        if std::env::var("BENCH_VARIANTS").is_ok() {
            let variants: [(&str, Tweak); 3] = [
                ("with background detection", |c| c.background_detection(true)),
                ("with scene change detection", |c| c.scene_change_detect(true)),
                ("without adaptive quantisation", |c| c.adaptive_quantization(false)),
            ];
            for (name, f) in variants {
                let (ms, kbit, psnr) = encode(&frames, f(encoder_config(&spec)));
                println!("| openh264 shipped, {kbps} kbit/s, {name} | {ms:.1} | {kbit:.0} | {psnr:.2} |");
            }
        }
    }
}

fn ms_per_frame(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0 / FRAMES as f64
}

/// Encodes the frames with one encoder and decodes them back: (ms/frame, kbit/frame, PSNR).
fn encode(frames: &[Yuv420], config: EncoderConfig) -> (f64, f64, f64) {
    let (w, h) = (frames[0].width() as usize, frames[0].height() as usize);
    let mut enc = Encoder::with_api_config(OpenH264API::from_source(), config).unwrap();
    let t = Instant::now();
    let stream: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| enc.encode(&YUVSlices::new((f.y(), f.u(), f.v()), (w, h), (w, w / 2, w / 2))).unwrap().to_vec())
        .collect();
    let ms = ms_per_frame(t);
    let kbit = stream.iter().map(Vec::len).sum::<usize>() as f64 * 8.0 / 1000.0 / frames.len() as f64;

    let mut dec = Decoder::new().unwrap();
    let (mut mse, mut n) = (0.0, 0);
    for (unit, f) in stream.iter().zip(frames) {
        if let Ok(Some(pic)) = dec.decode(unit) {
            let (ys, py, fy) = (pic.strides().0, pic.y(), f.y());
            let mut se = 0.0f64;
            for row in 0..h {
                for (a, b) in py[row * ys..row * ys + w].iter().zip(&fy[row * w..(row + 1) * w]) {
                    let d = *a as f64 - *b as f64;
                    se += d * d;
                }
            }
            mse += se / (w * h) as f64;
            n += 1;
        }
    }
    (ms, kbit, 10.0 * (255.0f64 * 255.0 / (mse / n as f64)).log10())
}
