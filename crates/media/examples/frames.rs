//! Probes an MP4 and saves chosen frames as PNG, to look at a video without ffmpeg.
//!
//! cargo run -p glimvid-media --example frames -- video.mp4 out_dir 0 45 149

use std::path::PathBuf;

use glimvid_media::probe::{decode_frames, probe_mp4};

fn main() {
    let mut args = std::env::args().skip(1);
    let video = PathBuf::from(args.next().expect("video path"));
    let dir = PathBuf::from(args.next().expect("output directory"));
    let picks: Vec<u32> = args.map(|a| a.parse().expect("frame index")).collect();
    println!("{:?}", probe_mp4(&video).unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    for (i, frame) in picks.iter().zip(decode_frames(&video, &picks).unwrap()) {
        let path = dir.join(format!("frame-{i:04}.png"));
        frame.save(&path).unwrap();
        println!("wrote {}", path.display());
    }
}
