//! Generates the README's pictures (run by `scripts/contact-sheet`): for each aspect ratio a
//! video rendered from the real photos with the local engine, and a contact sheet of frames
//! sampled from it (decoded back from the MP4, so they show what a viewer sees); and
//! before/after pairs of the enhancement.
//!
//! contact_sheet OUT_DIR PHOTO...
//!
//! Writes OUT_DIR/contact-sheet-{9x16,16x9,1x1}.jpg and OUT_DIR/before-after-<photo>.jpg, each
//! kept under ~300 KB, and the videos under OUT_DIR/../../target/contact-sheet/ (not committed).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use fast_image_resize::{PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image};
use glimvid_domain::{AspectRatio, Language, Scene, Script, Style, VideoOptions};
use glimvid_media::{BundledH264, enhance::enhance_photo, probe, render::render_video};
use image::{Rgb, RgbImage};

const MAX_BYTES: usize = 300 * 1024;
const FRAMES_PER_SHEET: u32 = 8;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().expect("OUT_DIR"));
    let photos: Vec<PathBuf> = args.map(PathBuf::from).collect();
    assert!(photos.len() >= 2, "give at least two photos");
    std::fs::create_dir_all(&out).unwrap();
    let videos = out.join("../../target/contact-sheet");
    std::fs::create_dir_all(&videos).unwrap();

    for (aspect, style, language) in [
        (AspectRatio::Portrait, Style::Clean, Language::En),
        (AspectRatio::Landscape, Style::Elegant, Language::En),
        (AspectRatio::Square, Style::Bold, Language::Zh),
    ] {
        let images: Vec<Bytes> = photos
            .iter()
            .map(|p| {
                let e = enhance_photo(&std::fs::read(p).unwrap(), aspect.dimensions()).unwrap();
                println!("{} {}: {}", aspect.as_str(), name(p), e.note);
                e.bytes
            })
            .collect();
        let options = VideoOptions { aspect_ratio: aspect, duration_s: 12, language, style, ..Default::default() };
        let tag = aspect.as_str().replace(':', "x");
        let video = videos.join(format!("sample-{tag}-{}.mp4", style.as_str()));
        let r = render_video(&script(language, photos.len()), &images, &options, &video, &BundledH264::new()).unwrap();
        println!("rendered {} ({} frames, {})", video.display(), r.frames, style.as_str());
        let picks: Vec<u32> =
            (0..FRAMES_PER_SHEET).map(|i| (r.frames - 1) * (2 * i + 1) / (2 * FRAMES_PER_SHEET)).collect();
        let frames = probe::decode_frames(&video, &picks).unwrap();
        let (cols, thumb_w) = match aspect {
            AspectRatio::Portrait => (4, 270),
            AspectRatio::Landscape => (2, 560),
            AspectRatio::Square => (4, 300),
        };
        let sheet = grid(&frames, cols, thumb_w);
        save_jpeg(&sheet, &out.join(format!("contact-sheet-{tag}.jpg")));
    }

    // Before/after: the photo as uploaded (fitted into the same box) and the enhanced 9:16 frame.
    for p in &photos {
        let raw = std::fs::read(p).unwrap();
        let before = image::load_from_memory(&raw).unwrap().into_rgb8();
        let after = image::load_from_memory(&enhance_photo(&raw, (1080, 1920)).unwrap().bytes).unwrap().into_rgb8();
        let h = 640;
        let b = fit_height(&before, h);
        let a = fit_height(&after, h);
        let gap = 16;
        let mut pair = RgbImage::from_pixel(b.width() + a.width() + gap * 3, h + gap * 2, Rgb([24, 24, 28]));
        image::imageops::replace(&mut pair, &b, gap as i64, gap as i64);
        image::imageops::replace(&mut pair, &a, (b.width() + gap * 2) as i64, gap as i64);
        save_jpeg(&pair, &out.join(format!("before-after-{}.jpg", name(p))));
    }
}

fn name(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

fn script(language: Language, photos: usize) -> Script {
    let (title, captions, cta): (&str, [&str; 4], &str) = match language {
        Language::Zh => (
            "晨光系列：每天的好心情",
            ["精选材料，匠心制作", "轻巧耐用，随身携带", "细节之处见品质", "今天下单，包邮到家"],
            "立即购买，限时八折",
        ),
        _ => (
            "Morning Essentials",
            [
                "Single-origin beans, roasted fresh every week",
                "Built for the moments that matter",
                "Every detail, considered",
                "Order today: free shipping",
            ],
            "Shop now: 20% off",
        ),
    };
    Script {
        title: title.into(),
        hook: String::new(),
        scenes: (0..4)
            .map(|i| Scene { caption: captions[i].into(), voiceover: String::new(), photo_index: (i % photos) as u32 })
            .collect(),
        call_to_action: cta.into(),
    }
}

fn resize(src: &RgbImage, w: u32, h: u32) -> RgbImage {
    let src_img = Image::from_vec_u8(src.width(), src.height(), src.as_raw().clone(), PixelType::U8x3).unwrap();
    let mut dst = Image::new(w, h, PixelType::U8x3);
    Resizer::new()
        .resize(
            &src_img,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(fast_image_resize::FilterType::Lanczos3)),
        )
        .unwrap();
    RgbImage::from_raw(w, h, dst.into_vec()).unwrap()
}

fn fit_height(img: &RgbImage, h: u32) -> RgbImage {
    let w = (img.width() as f64 * h as f64 / img.height() as f64).round() as u32;
    resize(img, w, h)
}

fn grid(frames: &[RgbImage], cols: u32, thumb_w: u32) -> RgbImage {
    let (fw, fh) = frames[0].dimensions();
    let thumb_h = (thumb_w as f64 * fh as f64 / fw as f64).round() as u32;
    let rows = (frames.len() as u32).div_ceil(cols);
    let gap = 8;
    let mut sheet = RgbImage::from_pixel(cols * (thumb_w + gap) + gap, rows * (thumb_h + gap) + gap, Rgb([24, 24, 28]));
    for (i, f) in frames.iter().enumerate() {
        let t = resize(f, thumb_w, thumb_h);
        let (c, r) = (i as u32 % cols, i as u32 / cols);
        image::imageops::replace(
            &mut sheet,
            &t,
            (gap + c * (thumb_w + gap)) as i64,
            (gap + r * (thumb_h + gap)) as i64,
        );
    }
    sheet
}

/// Saves as JPEG at the best quality that stays under [`MAX_BYTES`].
fn save_jpeg(img: &RgbImage, path: &Path) {
    for quality in [88u8, 82, 76, 70, 62, 55, 45] {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(img).unwrap();
        if bytes.len() <= MAX_BYTES || quality == 45 {
            std::fs::write(path, &bytes).unwrap();
            println!("wrote {} ({} KB, q{quality})", path.display(), bytes.len() / 1024);
            return;
        }
    }
}
