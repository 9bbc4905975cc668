//! An outsider's upload costs little: REST checks the account's credits and jobs in flight before
//! a byte of the photos is read (a garbage photo from an account that cannot pay is 402, not
//! 415); the partner port checks the API key before the message is read (a 20 MB message
//! without a key is `UNAUTHENTICATED`); a small PNG that claims more memory than a photo may
//! take is refused from its header, with nothing charged. A REST upload is spooled to disk in
//! small chunks: the whole body is capped (from its `Content-Length` before a byte is read, or
//! where a chunked body crosses the cap), so is the number of parts, a client that goes away
//! mid-photo leaves no spool file, and concurrent uploads of a hundred megabytes each do not
//! grow the gateway's memory by their size.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use glimvid_proto::jobs::v1 as pb;
use reqwest::StatusCode;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tonic::Code;

use crate::helpers::{Photo, TestApp, assert_problem, form, spawn_app_with};

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

const MIB: usize = 1024 * 1024;
const BOUNDARY: &str = "glimvid-test-boundary-7MA4YWxkTrZu0gW";

/// The opening of a multipart photo part.
fn photo_part_head() -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"p.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
}

/// The end of a part, and the description part, and the end of the form.
fn form_tail() -> String {
    format!(
        "\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nA mug\r\n--{BOUNDARY}--\r\n"
    )
}

/// The request head of a submission over a raw connection.
fn head(app: &TestApp, token: &str, framing: &str) -> String {
    format!(
        "POST /api/v1/videos HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n",
        app.address.trim_start_matches("http://")
    )
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://")).await.expect("connect to the REST port")
}

/// Reads an HTTP response (head and body) until the server has sent it all or closes.
async fn read_response(conn: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok());
            if len.is_some_and(|n| buf.len() >= end + 4 + n) {
                break;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, conn.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("no complete response within 30 s: {}", String::from_utf8_lossy(&buf)),
        }
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    (status, text)
}

/// Writes `n` zero bytes in 64 KiB chunks (the test process never holds a photo either).
async fn write_zeros(conn: &mut TcpStream, mut n: usize) -> std::io::Result<()> {
    let chunk = vec![0u8; 64 * 1024];
    while n > 0 {
        let k = n.min(chunk.len());
        conn.write_all(&chunk[..k]).await?;
        n -= k;
    }
    Ok(())
}

/// A whole submission of `photos` zero-filled photos of `size` bytes each, sent chunk by chunk.
async fn upload_zeros(app: &TestApp, token: &str, photos: usize, size: usize) -> (u16, String) {
    let part = photo_part_head();
    let sep = "\r\n";
    let tail = form_tail();
    let len = photos * (part.len() + size) + (photos - 1) * sep.len() + tail.len();
    let mut conn = connect(app).await;
    conn.write_all(head(app, token, &format!("Content-Length: {len}\r\n")).as_bytes()).await.unwrap();
    for i in 0..photos {
        if i > 0 {
            conn.write_all(sep.as_bytes()).await.unwrap();
        }
        conn.write_all(part.as_bytes()).await.unwrap();
        write_zeros(&mut conn, size).await.unwrap();
    }
    conn.write_all(tail.as_bytes()).await.unwrap();
    read_response(&mut conn).await
}

/// The spool files in a folder.
fn spool_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with("glimvid-upload-"))
                .collect()
        })
        .unwrap_or_default()
}

/// A line of `/proc/<pid>/status` in KiB (`VmHWM`, `VmRSS`).
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/<pid>/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|v| v.trim_start_matches(':').split_whitespace().next()))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

async fn assert_nothing_charged(app: &TestApp, token: &str, trials: i64) {
    let me = app.account(token).await;
    assert_eq!(me["free_trials_left"], trials, "a refused upload charged: {me:#}");
    assert_eq!(app.list_videos(token).await.len(), 0, "a refused upload made a job");
}

#[tokio::test]
async fn a_body_announced_larger_than_the_cap_is_refused_before_it_is_read() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "1")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    // Ten gigabytes announced, not one byte of them sent: the answer comes from the header.
    let mut conn = connect(&app).await;
    let started = Instant::now();
    conn.write_all(head(&app, t, "Content-Length: 10737418240\r\n").as_bytes()).await.unwrap();
    let (status, text) = read_response(&mut conn).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.to_ascii_lowercase().contains("content-type: application/problem+json"), "{text}");
    assert!(text.contains("larger than the 121.0 MiB"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(10), "the refusal took {:?}", started.elapsed());
    assert_nothing_charged(&app, t, 1).await;
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_cap() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "1"), ("GLIMVID_MAX_UPLOAD_BYTES", "2097152")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    // No Content-Length: one photo part that runs past the 2 MiB cap, then the client waits.
    let mut conn = connect(&app).await;
    conn.write_all(head(&app, t, "Transfer-Encoding: chunked\r\n").as_bytes()).await.unwrap();
    let mut body = photo_part_head().into_bytes();
    body.resize(body.len() + 2 * MIB + 1024, 0);
    for piece in body.chunks(64 * 1024) {
        conn.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await.unwrap();
        conn.write_all(piece).await.unwrap();
        conn.write_all(b"\r\n").await.unwrap();
    }
    let (status, text) = read_response(&mut conn).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("larger than the 2.0 MiB"), "{text}");
    assert_nothing_charged(&app, t, 1).await;
    assert_eq!(spool_files(&app.data_dir().join("tmp")), Vec::<String>::new());
}

#[tokio::test]
async fn a_form_with_too_many_parts_is_refused() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "1")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let photo = Photo {
        file_name: "coffee.png".into(),
        content_type: "image/png".into(),
        bytes: std::fs::read(crate::helpers::fixtures_dir().join("coffee.png")).unwrap(),
    };
    // One photo and eleven descriptions: each part is small, their number is not.
    let mut f = form(&[photo], Some("A mug"), None);
    for i in 0..10 {
        f = f.text("description", format!("A mug, take {i}"));
    }
    let r = app.submit_form(t, f).await;
    let p = assert_problem(r, 413, "a form with too many parts").await;
    assert!(p["detail"].as_str().unwrap_or_default().contains("more than 10 parts"), "{p:#}");
    assert_nothing_charged(&app, t, 1).await;
}

#[tokio::test]
async fn a_client_that_goes_away_mid_photo_leaves_no_spool_file() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "1")]).await;
    let user = app.register_user().await;
    let t = &user.access_token;
    let spool = app.data_dir().join("tmp");
    let mut conn = connect(&app).await;
    conn.write_all(head(&app, t, &format!("Content-Length: {}\r\n", 10 * MIB)).as_bytes()).await.unwrap();
    conn.write_all(photo_part_head().as_bytes()).await.unwrap();
    write_zeros(&mut conn, 3 * MIB).await.unwrap();
    // The photo is being spooled...
    let deadline = Instant::now() + Duration::from_secs(20);
    while spool_files(&spool).is_empty() {
        assert!(Instant::now() < deadline, "no spool file appeared in {}", spool.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // ...when the client goes away.
    drop(conn);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = spool_files(&spool);
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "spool files outlived their request: {left:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_nothing_charged(&app, t, 1).await;
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn concurrent_large_uploads_do_not_grow_the_gateway_by_their_size() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "5")]).await;
    let user = app.register_user().await;
    let t = user.access_token.clone();
    // One small upload first, so that the baseline includes the upload path's code and pools.
    let (status, text) = upload_zeros(&app, &t, 1, 64 * 1024).await;
    assert_eq!(status, 415, "{text}");
    let pid = app.pid();
    let before = proc_kib(pid, "VmHWM");
    let rss_before = proc_kib(pid, "VmRSS");
    // The peak may predate the uploads (start-up): sample the resident size while they run too.
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = tokio::spawn({
        let sampling = sampling.clone();
        async move {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::SeqCst) {
                peak = peak.max(proc_kib(pid, "VmRSS"));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peak
        }
    });
    // Four uploads at once of five 19 MiB photos each: 380 MiB on the wire. Zeros are no image,
    // so each is refused (415) after it was received whole, before any decoding.
    let (photos, size) = (5, 19 * MIB);
    let (a, b, c, d) = tokio::join!(
        upload_zeros(&app, &t, photos, size),
        upload_zeros(&app, &t, photos, size),
        upload_zeros(&app, &t, photos, size),
        upload_zeros(&app, &t, photos, size),
    );
    for (status, text) in [a, b, c, d] {
        assert_eq!(status, 415, "{text}");
        assert!(text.contains("photo 1"), "{text}");
    }
    sampling.store(false, std::sync::atomic::Ordering::SeqCst);
    let rss_peak = sampler.await.expect("the sampler");
    let grown_mib = proc_kib(pid, "VmHWM").saturating_sub(before) / 1024;
    let rss_grown_mib = rss_peak.saturating_sub(rss_before) / 1024;
    let sent_mib = (4 * photos * size / MIB) as u64;
    eprintln!(
        "peak RSS grew by {grown_mib} MiB, sampled RSS by {rss_grown_mib} MiB (from {} MiB) for {sent_mib} MiB of concurrent uploads",
        rss_before / 1024
    );
    assert!(
        grown_mib < sent_mib / 4,
        "the gateway's peak memory grew by {grown_mib} MiB for {sent_mib} MiB of uploads"
    );
    assert!(
        rss_grown_mib < sent_mib / 4,
        "the gateway's memory grew by {rss_grown_mib} MiB for {sent_mib} MiB of uploads"
    );
    assert_eq!(spool_files(&app.data_dir().join("tmp")), Vec::<String>::new());
    assert_nothing_charged(&app, &t, 5).await;
}
