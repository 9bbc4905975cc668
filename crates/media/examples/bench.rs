//! Where the render time goes, per frame and single-threaded: composition, RGB to I420, H.264.
//!
//! cargo run -p glimvid-media --example bench -- [9:16|16:9|1:1]

use std::time::Instant;

use bytes::Bytes;
use glimvid_domain::{AspectRatio, Scene, Script, Style, VideoOptions};
use glimvid_media::{
    encode::{EncodeSpec, FrameSource},
    enhance::enhance_photo,
    render::prepare,
    yuv::Yuv420,
};
use openh264::{
    OpenH264API,
    encoder::{BitRate, Complexity, Encoder, EncoderConfig, FrameRate, RateControlMode, UsageType},
    formats::YUVSlices,
};

fn main() {
    let aspect: AspectRatio = std::env::args().nth(1).as_deref().unwrap_or("9:16").parse().unwrap();
    let (w, h) = aspect.dimensions();
    if std::env::var("RESIZE").is_ok() {
        resize_bench(w, h);
        return;
    }
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let images: Vec<Bytes> = ["coffee.png", "rocket.jpg"]
        .iter()
        .map(|n| enhance_photo(&std::fs::read(fixtures.join(n)).unwrap(), (w, h)).unwrap().bytes)
        .collect();
    let script = Script {
        title: "Morning Rocket Espresso".into(),
        hook: String::new(),
        scenes: (0..3)
            .map(|i| Scene { caption: format!("Caption number {i} for the bench"), voiceover: String::new(), photo_index: i % 2 })
            .collect(),
        call_to_action: "Order now".into(),
    };
    let options = VideoOptions { aspect_ratio: aspect, duration_s: 15, style: Style::Clean, ..Default::default() };
    let composer = prepare(&script, &images, &options).unwrap();
    let n = 60u32;
    let frames: Vec<u32> = (0..n).map(|i| i * composer.frame_count() / n).collect();

    let mut rgb = vec![0u8; (w * h * 3) as usize];
    let t = Instant::now();
    for &i in &frames {
        composer.draw_rgb(i, &mut rgb);
    }
    let compose = t.elapsed().as_secs_f64() * 1000.0 / n as f64;

    let mut yuv = Yuv420::new(w, h);
    let t = Instant::now();
    for _ in 0..n {
        yuv.fill_from_rgb(&rgb);
    }
    let convert = t.elapsed().as_secs_f64() * 1000.0 / n as f64;

    let mut yuvs = Vec::new();
    for i in 0..n {
        let mut f = Yuv420::new(w, h);
        composer.render(i * 2, &mut f);
        yuvs.push(f);
    }
    let spec = EncodeSpec::for_frame(w, h, 30);
    let complexity = match std::env::var("COMPLEXITY").as_deref() {
        Ok("low") => Complexity::Low,
        Ok("high") => Complexity::High,
        _ => Complexity::Medium,
    };
    let config = EncoderConfig::new()
        .complexity(complexity)
        .bitrate(BitRate::from_bps(spec.bitrate))
        .max_frame_rate(FrameRate::from_hz(30.0))
        .rate_control_mode(RateControlMode::Bitrate)
        .usage_type(UsageType::CameraVideoRealTime)
        .skip_frames(false)
        .num_threads(1);
    let mut enc = Encoder::with_api_config(OpenH264API::from_source(), config).unwrap();
    let t = Instant::now();
    let mut bytes = 0;
    let mut stream = Vec::new();
    for f in &yuvs {
        let s = YUVSlices::new((f.y(), f.u(), f.v()), (w as usize, h as usize), (w as usize, w as usize / 2, w as usize / 2));
        let unit = enc.encode(&s).unwrap().to_vec();
        bytes += unit.len();
        stream.push(unit);
    }
    let encode = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    // Luma PSNR of the decoded stream against what was encoded.
    let mut dec = openh264::decoder::Decoder::new().unwrap();
    let mut mse_sum = 0.0;
    let mut count = 0;
    for (unit, f) in stream.iter().zip(&yuvs) {
        if let Ok(Some(pic)) = dec.decode(unit) {
            use openh264::formats::YUVSource;
            let ys = pic.strides().0;
            let mut se = 0.0f64;
            for row in 0..h as usize {
                for col in 0..w as usize {
                    let d = pic.y()[row * ys + col] as f64 - f.y()[row * w as usize + col] as f64;
                    se += d * d;
                }
            }
            mse_sum += se / (w * h) as f64;
            count += 1;
        }
    }
    let psnr = 10.0 * (255.0f64 * 255.0 / (mse_sum / count as f64)).log10();
    println!("luma PSNR {psnr:.2} dB over {count} frames");
    println!("{w}x{h}, ms per frame on one thread (rayon threads: {}):", rayon::current_num_threads());
    println!("| compose (RGB) | RGB->I420 | openh264 | kbit/frame |");
    println!("|---|---|---|---|");
    println!("| {compose:.1} | {convert:.1} | {encode:.1} | {:.0} |", bytes as f64 * 8.0 / 1000.0 / n as f64);
}

#[allow(dead_code)]
fn resize_bench(w: u32, h: u32) {
    use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images::{Image, ImageRef}};
    let mut dst = vec![0u8; (w * h * 3) as usize];
    for (name, filter) in [("bilinear", FilterType::Bilinear), ("catmullrom", FilterType::CatmullRom), ("lanczos3", FilterType::Lanczos3)] {
        for pt in [PixelType::U8x3, PixelType::U8x4] {
            let ch = if pt == PixelType::U8x3 { 3 } else { 4 };
            let src: Vec<u8> = (0..w * h * ch).map(|i| (i * 7 % 251) as u8).collect();
            let mut dst4 = vec![0u8; (w * h * ch) as usize];
            let s = ImageRef::new(w, h, &src, pt).unwrap();
            let mut d = Image::from_slice_u8(w, h, &mut dst4, pt).unwrap();
            let mut r = Resizer::new();
            let t = Instant::now();
            for i in 0..20 {
                let z = 1.01 + i as f64 * 0.005;
                let o = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter)).crop(3.3, 5.7, w as f64 / z, h as f64 / z).use_alpha(false);
                r.resize(&s, &mut d, &o).unwrap();
            }
            println!("{name} {pt:?}: {:.1} ms", t.elapsed().as_secs_f64() * 50.0);
        }
    }
    let _ = &mut dst;
}
