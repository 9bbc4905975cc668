//! What is stored of an upload: upright pixels only, no EXIF (the GPS position above all).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Photo, photo, spawn_app};

const MARKER: &str = "e2e-GPS-48.8583N-2.2945E-secret";

/// `jpeg` with an EXIF block (APP1) right after SOI: orientation 6 (turn 90° clockwise to view)
/// and an image description holding [`MARKER`].
fn with_exif(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], [0xFF, 0xD8], "a JPEG");
    let text = format!("{MARKER}\0");
    let mut tiff = b"MM\0\x2A\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes()); // two entries, in tag order
    let data_offset = 8 + 2 + 2 * 12 + 4;
    // 0x010E ImageDescription, ASCII, count, offset of the text.
    tiff.extend_from_slice(&0x010Eu16.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&(text.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&(data_offset as u32).to_be_bytes());
    // 0x0112 Orientation, SHORT, 1, value 6 (left-justified in the 4-byte field).
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&[0, 6, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    assert_eq!(tiff.len(), data_offset);
    tiff.extend_from_slice(text.as_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[tokio::test]
async fn uploads_are_turned_upright_and_stored_without_metadata() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let t = user.access_token.as_str();
    let rocket = photo("rocket.jpg");
    let tagged = Photo { bytes: with_exif(&rocket.bytes), ..rocket };
    assert!(tagged.bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
    let job = app.submit(t, &[tagged], "A rocket, shot sideways", &json!({"duration_s": 5})).await;
    let id = job["id"].as_str().expect("id").to_owned();
    let r = app.post_empty(&format!("/api/v1/videos/{id}/cancel"), t).await;
    assert_eq!(r.status(), StatusCode::OK);

    // The 640x427 landscape shot, tagged "rotate 90°", is stored upright as 427x640.
    let original = &job["photos"][0];
    assert_eq!((original["width"].as_u64(), original["height"].as_u64()), (Some(427), Some(640)), "{original}");
    let url = original["url"].as_str().expect("url");
    let r = app.get(url, Some(t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let stored = r.bytes().await.expect("stored photo").to_vec();
    assert!(
        !stored.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
        "the stored photo still holds its EXIF text"
    );
    assert!(!stored.windows(6).any(|w| w == b"Exif\0\0"), "the stored photo still has an EXIF block");
    let img = image::load_from_memory(&stored).expect("the stored photo decodes");
    assert_eq!((img.width(), img.height()), (427, 640));

    // Whatever the enhancer made of it before the cancel holds no metadata either.
    let job = app.wait_for(t, &id, Duration::from_secs(30)).await;
    for e in job["enhanced_images"].as_array().into_iter().flatten() {
        let bytes = app.get(e["url"].as_str().expect("url"), Some(t)).await.bytes().await.expect("bytes");
        assert!(!bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()), "an enhanced image holds the EXIF text");
    }
}
