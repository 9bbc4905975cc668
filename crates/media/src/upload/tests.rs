use std::time::Instant;

use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage, codecs::jpeg::JpegEncoder};

use super::*;

fn quadrants(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| match (x < w / 2, y < h / 2) {
        (true, true) => Rgb([220, 30, 30]),     // top left: red
        (false, true) => Rgb([30, 200, 40]),    // top right: green
        (true, false) => Rgb([30, 40, 220]),    // bottom left: blue
        (false, false) => Rgb([240, 240, 240]), // bottom right: white
    })
}

fn jpeg_of(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// Latitude 48/1, 51/1, 2982/100 as TIFF rationals: easy to search for in the output.
const GPS_LATITUDE: [u32; 6] = [48, 1, 51, 1, 2982, 100];

/// An APP1 EXIF segment: IFD0 with Orientation and a GPS IFD pointer, then a GPS IFD with a
/// latitude.
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"II\x2a\x00");
    t.extend_from_slice(&8u32.to_le_bytes());
    // IFD0: 2 entries.
    t.extend_from_slice(&2u16.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, ty: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&ty.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value);
    };
    let o = orientation.to_le_bytes();
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    let gps_ifd = 8 + 2 + 2 * 12 + 4;
    entry(&mut t, 0x8825, 4, 1, (gps_ifd as u32).to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), gps_ifd);
    // GPS IFD: 2 entries, then the rational data.
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    let data = gps_ifd + 2 + 2 * 12 + 4;
    entry(&mut t, 0x0002, 5, 3, (data as u32).to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    for v in GPS_LATITUDE {
        t.extend_from_slice(&v.to_le_bytes());
    }
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((2 + 6 + t.len()) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&t);
    seg
}

fn with_segment_after_soi(jpeg: &[u8], seg: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(seg);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The markers of a JPEG's header segments, up to the first scan.
fn header_markers(b: &[u8]) -> Vec<u8> {
    let mut i = 2;
    let mut out = Vec::new();
    while i + 4 <= b.len() && b[i] == 0xFF {
        let m = b[i + 1];
        out.push(m);
        if m == 0xDA {
            break;
        }
        i += 2 + u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn close(p: &Rgb<u8>, want: [u8; 3]) -> bool {
    p.0.iter().zip(want).all(|(a, b)| (*a as i32 - b as i32).abs() < 40)
}

#[test]
fn exif_gps_is_stripped_and_orientation_applied() {
    let src = with_segment_after_soi(&jpeg_of(&quadrants(96, 64), 95), &exif_app1(6));
    let rational: Vec<u8> = GPS_LATITUDE.iter().flat_map(|v| v.to_le_bytes()).collect();
    assert!(contains(&src, b"Exif") && contains(&src, &rational), "the fixture carries EXIF GPS");

    let out = sanitize(&src, &UploadLimits::default()).unwrap();
    assert_eq!(out.content_type, "image/jpeg");
    assert!(!contains(&out.bytes, b"Exif"));
    assert!(!contains(&out.bytes, &rational));
    let markers = header_markers(&out.bytes);
    assert!(markers.contains(&0xDA), "{markers:x?}");
    assert!(
        !markers.iter().any(|m| matches!(m, 0xE1..=0xEF | 0xFE)),
        "no APP1..APP15 or COM segment may survive: {markers:x?}"
    );

    // Orientation 6: the stored image is shown rotated 90 degrees clockwise.
    assert_eq!((out.width, out.height), (64, 96));
    let img = image::load_from_memory(&out.bytes).unwrap().into_rgb8();
    assert_eq!(img.dimensions(), (64, 96));
    assert!(close(img.get_pixel(16, 24), [30, 40, 220]), "top left was bottom left (blue)");
    assert!(close(img.get_pixel(48, 24), [220, 30, 30]), "top right was top left (red)");
    assert!(close(img.get_pixel(48, 72), [30, 200, 40]), "bottom right was top right (green)");
    assert!(close(img.get_pixel(16, 72), [240, 240, 240]), "bottom left was bottom right (white)");
}

#[test]
fn text_and_other_formats_are_refused() {
    let e = sanitize(b"name,price\nmug,12\n", &UploadLimits::default()).unwrap_err();
    assert_eq!(e, UploadError::UnsupportedType);
    assert_eq!(e.code(), ErrorCode::UnsupportedMediaType);
    assert!(sanitize(b"GIF89a\x01\x00\x01\x00", &UploadLimits::default()).is_err());
    assert_eq!(sanitize(b"", &UploadLimits::default()).unwrap_err(), UploadError::UnsupportedType);
    assert!(e.to_string().contains("JPEG, PNG or WebP"));
}

#[test]
fn truncated_jpeg_is_refused() {
    let img =
        RgbImage::from_fn(200, 160, |x, y| Rgb([(x * 7 % 256) as u8, (y * 13 % 256) as u8, ((x ^ y) % 256) as u8]));
    let full = jpeg_of(&img, 90);
    assert!(sanitize(&full, &UploadLimits::default()).is_ok());
    for cut in [full.len() * 6 / 10, full.len() - 2, 300, 20] {
        let e = sanitize(&full[..cut], &UploadLimits::default()).unwrap_err();
        assert!(matches!(e, UploadError::Corrupt { .. }), "cut at {cut}: {e:?}");
        assert_eq!(e.code(), ErrorCode::Validation);
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

#[test]
fn decompression_bomb_header_is_refused_before_decoding() {
    // A 100-byte PNG that claims 30000x30000 RGB: 2.7 GB once decoded.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&30000u32.to_be_bytes());
    ihdr.extend_from_slice(&30000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    png_chunk(&mut png, b"IEND", &[]);

    let started = Instant::now();
    let e = sanitize(&png, &UploadLimits::default()).unwrap_err();
    assert_eq!(e, UploadError::TooManyPixels { width: 30000, height: 30000, max_pixels: DEFAULT_MAX_PIXELS });
    assert_eq!(e.code(), ErrorCode::PayloadTooLarge);
    assert_eq!(e.to_string(), "the photo is 30000x30000 pixels (900 MP); the limit is 40 MP");
    // Generous: decoding would take many seconds and gigabytes; the header check takes microseconds.
    assert!(started.elapsed().as_secs_f64() < 1.0);
}

#[test]
fn tiny_images_are_refused() {
    let e = sanitize(&jpeg_of(&quadrants(40, 300), 90), &UploadLimits::default()).unwrap_err();
    assert_eq!(e, UploadError::TooSmall { width: 40, height: 300, min_side: 64 });
    assert_eq!(e.code(), ErrorCode::Validation);
}

fn png_of(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

#[test]
fn alpha_decides_between_png_and_jpeg() {
    let cutout = RgbaImage::from_fn(80, 80, |x, _| if x < 40 { Rgba([200, 10, 10, 255]) } else { Rgba([0, 0, 0, 0]) });
    let out = sanitize(&png_of(&cutout), &UploadLimits::default()).unwrap();
    assert_eq!(out.content_type, "image/png");
    let back = image::load_from_memory(&out.bytes).unwrap().into_rgba8();
    assert_eq!(back.get_pixel(70, 10)[3], 0);

    let opaque = RgbaImage::from_pixel(80, 80, Rgba([10, 200, 10, 255]));
    let out = sanitize(&png_of(&opaque), &UploadLimits::default()).unwrap();
    assert_eq!(out.content_type, "image/jpeg");
    assert_eq!((out.width, out.height), (80, 80));
}

#[test]
fn webp_is_accepted_and_re_encoded() {
    let img = quadrants(120, 90);
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .write_image(img.as_raw(), 120, 90, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert_eq!(sniff(&webp), Some(ImageFormat::WebP));
    let out = sanitize(&webp, &UploadLimits::default()).unwrap();
    assert_eq!((out.content_type, out.width, out.height), ("image/jpeg", 120, 90));
}

#[test]
fn real_fixture_photos_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in ["coffee.png", "rocket.jpg"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let out = sanitize(&bytes, &UploadLimits::default()).unwrap();
        assert!(out.width >= 400 && out.height >= 400, "{name}");
    }
}

#[test]
fn deep_png_within_the_pixel_limit_is_refused_from_its_header() {
    // A 100-byte PNG that claims 7000x5700 16-bit RGBA: 40 MP (allowed) but 319 MB decoded.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&7000u32.to_be_bytes());
    ihdr.extend_from_slice(&5700u32.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    png_chunk(&mut png, b"IEND", &[]);

    let started = Instant::now();
    let limits = UploadLimits::default();
    let e = plan(&png, &limits).unwrap_err();
    assert_eq!(e, UploadError::TooMuchMemory { width: 7000, height: 5700, bytes_per_pixel: 8, limit: 160_000_000 });
    assert_eq!(e.code(), ErrorCode::Validation);
    assert_eq!(sanitize(&png, &limits).unwrap_err(), e);
    assert!(started.elapsed().as_secs_f64() < 1.0);

    // The same photo in 8-bit RGB passes the header check, with its cost spelled out.
    let rgb = png_of(&RgbaImage::from_pixel(100, 80, Rgba([1, 2, 3, 255])));
    let p = plan(&rgb, &limits).unwrap();
    assert_eq!((p.width, p.height, p.decoded_bytes), (100, 80, 100 * 80 * 4));
    assert_eq!(p.peak_bytes, rgb.len() as u64 + 2 * 100 * 80 * 4);
}

#[test]
fn a_photo_is_planned_from_a_prefix_of_it() {
    // Spooled uploads are planned from their first bytes: the plan must be the whole file's.
    let limits = UploadLimits::default();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut photos: Vec<Vec<u8>> =
        ["coffee.png", "rocket.jpg"].iter().map(|n| std::fs::read(dir.join(n)).unwrap()).collect();
    photos.push(jpeg_of(&quadrants(640, 480), 90));
    photos.push(png_of(&RgbaImage::from_pixel(300, 200, Rgba([1, 2, 3, 128]))));
    for bytes in &photos {
        let whole = plan(bytes, &limits).unwrap();
        let prefix = &bytes[..bytes.len().min(16 * 1024)];
        assert_eq!(plan_header(prefix, bytes.len() as u64, &limits).unwrap(), whole);
        assert!(worst_case_peak(bytes.len() as u64, &limits) >= whole.peak_bytes);
    }
    // A prefix that ends inside the header is not enough, and says so.
    let jpeg = jpeg_of(&quadrants(640, 480), 90);
    let cut = &jpeg[..20];
    assert!(matches!(plan_header(cut, jpeg.len() as u64, &limits), Err(UploadError::Corrupt { .. })));
}
