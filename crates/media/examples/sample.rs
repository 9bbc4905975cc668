//! Renders a sample video from the test photos and extracts a few frames as PNG, to look at.
//!
//! cargo run -p glimvid-media --example sample -- [9:16|16:9|1:1] [seconds] [clean|bold|elegant] [en|zh] [out dir]

use std::{path::PathBuf, time::Instant};

use bytes::Bytes;
use glimvid_domain::{AspectRatio, Language, Scene, Script, Style, VideoOptions};
use glimvid_media::{BundledH264, enhance::enhance_photo, probe, render::render_video};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let aspect: AspectRatio = args.first().map_or("9:16", String::as_str).parse().expect("aspect ratio");
    let seconds: u32 = args.get(1).map_or(15, |s| s.parse().expect("seconds"));
    let style: Style = args.get(2).map_or("clean", String::as_str).parse().expect("style");
    let language: Language = args.get(3).map_or("en", String::as_str).parse().expect("language");
    let dir = PathBuf::from(args.get(4).map_or("target/sample", String::as_str));
    std::fs::create_dir_all(&dir).unwrap();

    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let options = VideoOptions { aspect_ratio: aspect, duration_s: seconds, language, style, ..Default::default() };
    let started = Instant::now();
    let images: Vec<Bytes> = ["coffee.png", "rocket.jpg"]
        .iter()
        .map(|name| {
            let raw = std::fs::read(fixtures.join(name)).unwrap();
            let e = enhance_photo(&raw, aspect.dimensions()).unwrap();
            println!("{name}: {}", e.note);
            std::fs::write(dir.join(format!("enhanced-{name}.jpg")), &e.bytes).unwrap();
            e.bytes
        })
        .collect();
    println!("enhanced 2 photos in {:.2} s", started.elapsed().as_secs_f64());

    let script = match language {
        Language::Zh => Script {
            title: "晨光咖啡：每一口都是新的开始".into(),
            hook: "".into(),
            scenes: vec![
                Scene {
                    caption: "精选单一产地咖啡豆，新鲜烘焙".into(), voiceover: String::new(), photo_index: 0
                },
                Scene { caption: "一杯下肚，动力直冲云霄".into(), voiceover: String::new(), photo_index: 1 },
                Scene {
                    caption: "浓郁醇香，顺滑回甘，让早晨充满活力。".into(),
                    voiceover: String::new(),
                    photo_index: 0,
                },
            ],
            call_to_action: "立即购买，限时八折".into(),
        },
        _ => Script {
            title: "Morning Rocket Espresso".into(),
            hook: "".into(),
            scenes: vec![
                Scene {
                    caption: "Single-origin beans, roasted fresh every week".into(),
                    voiceover: String::new(),
                    photo_index: 0,
                },
                Scene {
                    caption: "One cup and your morning takes off".into(),
                    voiceover: String::new(),
                    photo_index: 1,
                },
                Scene {
                    caption: "Rich crema, bold aroma, smooth finish".into(),
                    voiceover: String::new(),
                    photo_index: 0,
                },
            ],
            call_to_action: "Order now: 20% off today".into(),
        },
    };
    let out = dir.join(format!("sample-{}-{seconds}s-{}.mp4", aspect.as_str().replace(':', "x"), style.as_str()));
    let started = Instant::now();
    let r = render_video(&script, &images, &options, &out, &BundledH264::new()).unwrap();
    let render_s = started.elapsed().as_secs_f64();
    println!("rendered {r:?} in {render_s:.2} s -> {}", out.display());

    let started = Instant::now();
    let info = probe::probe_mp4(&out).unwrap();
    println!("probe {info:?} in {:.2} s", started.elapsed().as_secs_f64());
    let n = info.frames;
    let picks = [n / 15, n * 3 / 10, n / 2, n * 7 / 10, n - 1];
    let frames = probe::decode_frames(&out, &picks).unwrap();
    for (i, f) in picks.iter().zip(frames) {
        let p = dir.join(format!("frame-{i:04}.png"));
        f.save(&p).unwrap();
        println!("wrote {}", p.display());
    }
}
