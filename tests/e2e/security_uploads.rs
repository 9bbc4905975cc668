//! An outsider's upload costs little: REST checks the account's credits and jobs in flight before
//! a byte of the photos is read (a garbage photo from an account that cannot pay is 402, not
//! 415); the partner port checks the API key before the message is read (a 20 MB message
//! without a key is `UNAUTHENTICATED`); a small PNG that claims more memory than a photo may
//! take is refused from its header, with nothing charged.

use glimvid_proto::jobs::v1 as pb;
use reqwest::StatusCode;
use serde_json::json;
use tonic::Code;

use crate::helpers::{Photo, assert_problem, form, spawn_app_with};

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

/// A PNG of a hundred bytes whose header claims `w`×`h` 16-bit RGBA (8 bytes a pixel).
fn deep_png(w: u32, h: u32) -> Photo {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    png_chunk(&mut png, b"IEND", &[]);
    Photo { file_name: "bomb.png".into(), content_type: "image/png".into(), bytes: png }
}

#[tokio::test]
async fn uploads_are_refused_before_they_are_read_or_decoded() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "0")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    // Bytes that are no image at all: decoding them would answer 415. The account cannot pay,
    // and says so first.
    let garbage =
        Photo { file_name: "x.jpg".into(), content_type: "image/jpeg".into(), bytes: vec![7u8; 4 * 1024 * 1024] };
    let r = app.submit_form(t, form(&[garbage.clone(), garbage], Some("Nothing to pay with"), None)).await;
    assert_problem(r, 402, "an upload of an account without credits").await;

    // With a trial, the header of a deep PNG is enough to refuse it: 7000×5700 is within the
    // pixel limit, but 16-bit RGBA would take 319 MB once decoded.
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "1")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let r = app
        .submit_form(t, form(&[deep_png(7000, 5700)], Some("A bomb"), Some(&json!({"duration_s": 5}).to_string())))
        .await;
    let p = assert_problem(r, 422, "a decompression bomb").await;
    assert!(p["detail"].as_str().unwrap_or_default().contains("once decoded"), "{p:#}");
    let me = app.account(t).await;
    assert_eq!(me["free_trials_left"], 1, "the refused bomb charged: {me:#}");
    assert_eq!(app.list_videos(t).await.len(), 0);
}

#[tokio::test]
async fn the_partner_port_checks_the_key_before_the_message() {
    let app = spawn_app_with(&[]).await;
    let mut c = crate::partner_grpc::client(&app).await;
    let big = pb::CreateVideoJobRequest {
        photos: vec![pb::Photo { source: Some(pb::photo::Source::Data(vec![0u8; 20 * 1024 * 1024])) }],
        description: "No key".into(),
        ..Default::default()
    };
    let e = c.create_video_job(tonic::Request::new(big.clone())).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    let mut req = tonic::Request::new(big);
    req.metadata_mut().insert("authorization", "Bearer gv_live_not-a-key".parse().expect("header"));
    let e = c.create_video_job(req).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    // The port still serves a partner with a key.
    let user = app.register_user().await;
    let key = crate::partner_grpc::api_key(&app, &user.access_token, &["videos:read"]).await;
    let mut req = tonic::Request::new(pb::ListVideoJobsRequest::default());
    req.metadata_mut().insert("authorization", format!("Bearer {key}").parse().expect("header"));
    assert!(c.list_video_jobs(req).await.is_ok());
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
}
