//! The S3 adapter against a real S3-compatible server, each test in a fresh bucket that is emptied
//! and deleted afterwards. Start a server with `eval "$(scripts/s3-server start)"`; without
//! `GLIMVID_TEST_S3_ENDPOINT` the tests are skipped, unless `GLIMVID_TEST_REQUIRE_REAL=1`.

use std::{future::Future, panic::AssertUnwindSafe, sync::Arc};

use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use glimvid_blob::{BlobError, BlobStore, S3Settings, S3Store, collect, conformance, s3::Secret};
use sha2::{Digest, Sha256};

const MIB: usize = 1024 * 1024;

fn require_real() -> bool {
    std::env::var("GLIMVID_TEST_REQUIRE_REAL").is_ok_and(|v| v == "1" || v == "true")
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Settings for a new random bucket on the test server, or `None` (skip) when none is configured.
fn test_settings(test: &str) -> Option<S3Settings> {
    let Some(endpoint) = var("GLIMVID_TEST_S3_ENDPOINT") else {
        if require_real() {
            panic!(
                "GLIMVID_TEST_REQUIRE_REAL=1 but GLIMVID_TEST_S3_ENDPOINT is not set: start an S3 server with \
                 `eval \"$(scripts/s3-server start)\"`"
            );
        }
        eprintln!("note: {test} skipped: GLIMVID_TEST_S3_ENDPOINT is not set (`eval \"$(scripts/s3-server start)\"`)");
        return None;
    };
    let key = var("GLIMVID_TEST_S3_ACCESS_KEY_ID")
        .expect("GLIMVID_TEST_S3_ENDPOINT is set but GLIMVID_TEST_S3_ACCESS_KEY_ID is not");
    let secret = var("GLIMVID_TEST_S3_SECRET_ACCESS_KEY")
        .expect("GLIMVID_TEST_S3_ENDPOINT is set but GLIMVID_TEST_S3_SECRET_ACCESS_KEY is not");
    let region = var("GLIMVID_TEST_S3_REGION").unwrap_or_else(|| "us-east-1".into());
    let bucket = format!("glimvid-test-{}", uuid::Uuid::new_v4().simple());
    let mut s = S3Settings::new(Some(endpoint), bucket, region, key, secret);
    s.create_bucket_if_missing = true;
    Some(s)
}

/// Runs `test` with a store on a fresh bucket, then empties and deletes the bucket, even if the
/// test failed.
async fn in_fresh_bucket<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Arc<S3Store>, S3Settings) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(settings) = test_settings(name) else { return };
    let store = Arc::new(
        S3Store::connect(settings.clone())
            .await
            .unwrap_or_else(|e| panic!("GLIMVID_TEST_S3_ENDPOINT is set but the S3 server is unusable: {e}")),
    );
    store.ping().await.expect("the new bucket answers");
    let outcome = AssertUnwindSafe(test(store.clone(), settings)).catch_unwind().await;
    let emptied = store.delete_prefix("").await;
    let deleted = store.client().delete_bucket().bucket(store.bucket()).send().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    emptied.expect("emptying the test bucket");
    deleted.expect("deleting the test bucket");
}

#[tokio::test]
async fn s3_store_passes_the_conformance_suite() {
    in_fresh_bucket("s3_store_passes_the_conformance_suite", |store, _| async move {
        assert_eq!(store.kind(), "s3");
        conformance::run_all(store.as_ref(), "conf").await;
    })
    .await;
}

#[tokio::test]
async fn listing_and_prefix_deletion_follow_continuation_tokens() {
    in_fresh_bucket("listing_and_prefix_deletion_follow_continuation_tokens", |store, mut settings| async move {
        // Pages of two keys, so that seven keys take four ListObjectsV2 calls.
        settings.list_page_size = 2;
        settings.create_bucket_if_missing = false;
        let paged = S3Store::connect(settings).await.unwrap();
        let mut keys: Vec<String> = (0..7).map(|i| format!("p/{}/{i}.txt", 7 - i)).collect();
        for k in &keys {
            paged.put(k, Bytes::from_static(b"x"), "text/plain").await.unwrap();
        }
        store.put("q/other.txt", Bytes::from_static(b"y"), "text/plain").await.unwrap();
        keys.sort();
        assert_eq!(paged.list("p/").await.unwrap(), keys);
        assert_eq!(paged.delete_prefix("p/").await.unwrap(), 7);
        assert!(paged.list("p/").await.unwrap().is_empty());
        assert_eq!(store.list("").await.unwrap(), vec!["q/other.txt".to_owned()]);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_secret_is_refused_without_leaking_credentials() {
    in_fresh_bucket("a_wrong_secret_is_refused_without_leaking_credentials", |store, settings| async move {
        let good_secret = settings.secret_access_key.expose().to_owned();
        store.put("a/kept.txt", Bytes::from_static(b"kept"), "text/plain").await.unwrap();

        let mut bad = settings.clone();
        bad.secret_access_key = Secret::new(format!("wrong-{good_secret}-wrong"));
        bad.create_bucket_if_missing = false;
        let intruder = S3Store::connect(bad.clone()).await.expect("connect does no I/O");
        let check = |what: &str, r: Result<(), BlobError>| {
            let err = r.expect_err(what);
            let text = format!("{err} {err:?}");
            assert!(matches!(err, BlobError::Unavailable(_)), "{what}: {text}");
            assert!(!text.contains(&good_secret), "{what} leaks the secret: {text}");
            assert!(!text.contains("wrong-"), "{what} leaks the secret: {text}");
        };
        let refused = intruder.ping().await;
        if let Err(e) = &refused {
            eprintln!("refused as expected: {e}");
        }
        check("ping", refused);
        check("put", intruder.put("a/evil.txt", Bytes::from_static(b"no"), "text/plain").await);
        check("get", intruder.get("a/kept.txt").await.map(drop));
        check("read", intruder.read("a/kept.txt", None).await.map(drop));
        check("size", intruder.size("a/kept.txt").await.map(drop));
        check("list", intruder.list("a/").await.map(drop));
        check("delete", intruder.delete("a/kept.txt").await);
        bad.create_bucket_if_missing = true;
        check("connect", S3Store::connect(bad).await.map(drop));
        assert!(!format!("{:?}", intruder).contains("wrong-"));

        assert_eq!(&store.get("a/kept.txt").await.unwrap()[..], b"kept");
        assert_eq!(store.list("a/").await.unwrap(), vec!["a/kept.txt".to_owned()]);
    })
    .await;
}

#[tokio::test]
async fn a_missing_bucket_is_unavailable_not_a_missing_object() {
    in_fresh_bucket("a_missing_bucket_is_unavailable_not_a_missing_object", |_, mut settings| async move {
        settings.bucket = format!("{}-absent", settings.bucket);
        settings.create_bucket_if_missing = false;
        let store = S3Store::connect(settings).await.unwrap();
        assert!(matches!(store.ping().await, Err(BlobError::Unavailable(_))));
        assert!(matches!(store.list("a/").await, Err(BlobError::Unavailable(_))));
        // (AWS answers NoSuchBucket, mapped to Unavailable; s3s-fs answers NoSuchKey.)
        assert!(store.get("a/b.txt").await.is_err());
    })
    .await;
}

/// Deterministic incompressible bytes.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[tokio::test]
async fn a_large_file_goes_up_in_parts_and_reads_back_identical() {
    in_fresh_bucket("a_large_file_goes_up_in_parts_and_reads_back_identical", |store, _| async move {
        // Above the 16 MiB threshold: parts of 8, 8 and 4 MiB + 12345 bytes.
        let len = 20 * MIB + 12_345;
        let data = noise(len);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("video.mp4");
        std::fs::write(&path, &data).unwrap();
        let key = "u/1/j/2/video/0.mp4";
        store.put_file(key, &path, "video/mp4").await.unwrap();

        let head = store.client().head_object().bucket(store.bucket()).key(key).send().await.unwrap();
        let etag = head.e_tag().unwrap_or_default().trim_matches('"').to_owned();
        assert!(etag.ends_with("-3"), "a multipart upload of three parts has an ETag ending in -3, got {etag}");
        assert_eq!(head.content_type(), Some("video/mp4"));
        assert_eq!(store.size(key).await.unwrap(), Some(len as u64));

        // The whole object, hashed as it streams.
        let r = store.read(key, None).await.unwrap();
        assert_eq!((r.total, r.range.clone()), (len as u64, 0..len as u64));
        let mut hasher = Sha256::new();
        let mut body = r.body;
        let mut streamed = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.unwrap();
            streamed += chunk.len();
            hasher.update(&chunk);
        }
        assert_eq!(streamed, len);
        assert_eq!(hasher.finalize(), Sha256::digest(&data), "sha256 of the object read back");
        assert_eq!(Sha256::digest(store.get(key).await.unwrap()), Sha256::digest(&data));

        // Ranges in the middle, across the part boundaries, and at the end.
        let boundary = 8 * MIB;
        for (start, end) in [(boundary - 10, boundary + 9), (2 * boundary - 1, 2 * boundary), (10_000_000, 10_999_999)]
        {
            let r = store.read(key, Some((start as u64, Some(end as u64)))).await.unwrap();
            assert_eq!(r.total, len as u64);
            assert_eq!(r.range, start as u64..end as u64 + 1);
            assert_eq!(collect(r.body).await.unwrap(), &data[start..=end], "{start}-{end}");
        }
        let r = store.read(key, Some((len as u64 - 100, Some(u64::MAX - 1)))).await.unwrap();
        assert_eq!(r.range, len as u64 - 100..len as u64);
        assert_eq!(collect(r.body).await.unwrap(), &data[len - 100..]);
        assert!(matches!(store.read(key, Some((len as u64, None))).await, Err(BlobError::BadRange)));
        assert!(matches!(store.read(key, Some((10, Some(9)))).await, Err(BlobError::BadRange)));

        // A small file is one PutObject.
        let small = dir.path().join("thumb.jpg");
        std::fs::write(&small, &data[..1000]).unwrap();
        store.put_file("u/1/j/2/thumb/0.jpg", &small, "image/jpeg").await.unwrap();
        assert_eq!(&store.get("u/1/j/2/thumb/0.jpg").await.unwrap()[..], &data[..1000]);
        assert!(matches!(
            store.put_file("u/1/j/2/none.bin", &dir.path().join("absent"), "x").await,
            Err(BlobError::Unavailable(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn empty_objects_read_back_empty() {
    in_fresh_bucket("empty_objects_read_back_empty", |store, _| async move {
        store.put("e/empty.bin", Bytes::new(), "application/octet-stream").await.unwrap();
        assert_eq!(store.size("e/empty.bin").await.unwrap(), Some(0));
        assert!(store.get("e/empty.bin").await.unwrap().is_empty());
        let r = store.read("e/empty.bin", None).await.unwrap();
        assert_eq!((r.total, r.range.clone()), (0, 0..0));
        assert!(collect(r.body).await.unwrap().is_empty());
        assert!(matches!(store.read("e/empty.bin", Some((0, None))).await, Err(BlobError::BadRange)));
    })
    .await;
}

/// Needs no server: nothing listens on the port.
#[tokio::test]
async fn an_unreachable_store_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut s = S3Settings::new(
        Some(format!("http://127.0.0.1:{port}")),
        "glimvid",
        "us-east-1",
        "GLIMVIDTESTKEY0001",
        "unreachable-secret-value",
    );
    s.max_attempts = 2;
    s.connect_timeout = std::time::Duration::from_secs(1);
    let store = S3Store::connect(s.clone()).await.expect("connect does no I/O");
    let started = std::time::Instant::now();
    for r in [store.ping().await, store.get("a/b.txt").await.map(drop), store.size("a/b.txt").await.map(drop)] {
        let err = r.unwrap_err();
        assert!(matches!(err, BlobError::Unavailable(_)), "{err:?}");
        assert!(!err.to_string().contains("unreachable-secret-value"), "{err}");
        eprintln!("unreachable as expected: {err}");
    }
    eprintln!("unreachable: {:?} for three calls", started.elapsed());
    s.create_bucket_if_missing = true;
    assert!(matches!(S3Store::connect(s).await, Err(BlobError::Unavailable(_))));
}
