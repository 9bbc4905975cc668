//! The enhance stage's worst case, measured: the peak memory of enhancing one photo at the
//! upload pixel limit (40 MP by default), as JPEG and as PNG with transparency. The figure sizes
//! the enhance worker's memory limit (docs/security.md, "Worst-case memory per service").
//!
//! cargo run --release -p glimvid-media --example worst_case_memory -- [megapixels]
//!
//! The input is generated first (noise over gradients, so the encoders cannot cheat), then the
//! process's peak RSS is reset (`/proc/self/clear_refs`) and only the enhancement is measured.

use glimvid_domain::AspectRatio;
use glimvid_media::enhance::enhance_photo;
use image::{ImageFormat, RgbImage, RgbaImage};

fn main() {
    let mp: f64 = std::env::args().nth(1).map_or(40.0, |a| a.parse().expect("megapixels"));
    // 8:5 like most camera sensors; 40 MP is 8000 x 5000.
    let width = (mp * 1e6 * 8.0 / 5.0).sqrt() as u32;
    let height = (mp * 1e6 / width as f64) as u32;
    println!("| input | pixels | input MB | baseline RSS MB | peak RSS during enhance MB | added MB |");
    println!("|---|---|---:|---:|---:|---:|");
    for (name, bytes) in [("JPEG q90", jpeg(width, height)), ("PNG RGBA", png(width, height))] {
        let baseline = reset_peak();
        let out = enhance_photo(&bytes, AspectRatio::Portrait.dimensions()).expect("enhance");
        assert_eq!((out.width, out.height), AspectRatio::Portrait.dimensions());
        drop(out);
        let peak = peak_rss_mb();
        println!(
            "| {name} | {width}x{height} | {:.1} | {baseline:.0} | {peak:.0} | {:.0} |",
            bytes.len() as f64 / 1e6,
            peak - baseline
        );
    }
}

/// A deterministic texture: gradients plus xorshift noise.
fn texel(x: u32, y: u32, state: &mut u32) -> [u8; 3] {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    let n = (*state & 0x1f) as u8;
    [((x / 31) as u8).wrapping_add(n), ((y / 23) as u8).wrapping_add(n), ((x + y) / 47) as u8 ^ n]
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut s = 0x9e37_79b9;
    let img = RgbImage::from_fn(width, height, |x, y| image::Rgb(texel(x, y, &mut s)));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).expect("jpeg");
    out
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut s = 0x85eb_ca6b;
    let img = RgbaImage::from_fn(width, height, |x, y| {
        let [r, g, b] = texel(x, y, &mut s);
        image::Rgba([r, g, b, if (x / 64 + y / 64) % 2 == 0 { 255 } else { 96 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).expect("png");
    out.into_inner()
}

/// Resets the kernel's peak-RSS mark and returns the current RSS, MB.
fn reset_peak() -> f64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS (Linux only)");
    status_mb("VmRSS:")
}

fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("a memory field");
    kb / 1024.0
}
