//! The conformance suite every `BlobStore` adapter must pass. Keys live under `prefix`.

use bytes::Bytes;

use crate::{BlobError, BlobStore, collect};

pub async fn run_all(s: &dyn BlobStore, prefix: &str) {
    put_get_overwrite(s, prefix).await;
    ranges(s, prefix).await;
    missing_objects(s, prefix).await;
    list_and_delete_prefix(s, prefix).await;
    put_file_streams(s, prefix).await;
    bad_keys(s).await;
}

pub async fn put_get_overwrite(s: &dyn BlobStore, p: &str) {
    let k = format!("{p}/a/one.bin");
    s.put(&k, Bytes::from_static(b"first"), "application/octet-stream").await.unwrap();
    assert_eq!(&s.get(&k).await.unwrap()[..], b"first");
    s.put(&k, Bytes::from_static(b"second!"), "application/octet-stream").await.unwrap();
    assert_eq!(&s.get(&k).await.unwrap()[..], b"second!");
    assert_eq!(s.size(&k).await.unwrap(), Some(7));
}

pub async fn ranges(s: &dyn BlobStore, p: &str) {
    let k = format!("{p}/r/data.bin");
    let data: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    s.put(&k, Bytes::from(data.clone()), "application/octet-stream").await.unwrap();
    let r = s.read(&k, Some((100, Some(199)))).await.unwrap();
    assert_eq!(r.total, 300_000);
    assert_eq!(r.range, 100..200);
    assert_eq!(collect(r.body).await.unwrap(), &data[100..200]);
    let r = s.read(&k, Some((299_990, None))).await.unwrap();
    assert_eq!(collect(r.body).await.unwrap(), &data[299_990..]);
    let r = s.read(&k, None).await.unwrap();
    assert_eq!(collect(r.body).await.unwrap(), data);
    assert!(matches!(s.read(&k, Some((300_000, None))).await, Err(BlobError::BadRange)));
}

pub async fn missing_objects(s: &dyn BlobStore, p: &str) {
    let k = format!("{p}/nope/none.bin");
    assert!(matches!(s.get(&k).await, Err(BlobError::NotFound)));
    assert!(matches!(s.read(&k, None).await, Err(BlobError::NotFound)));
    assert_eq!(s.size(&k).await.unwrap(), None);
    s.delete(&k).await.expect("deleting a missing object is fine");
}

pub async fn list_and_delete_prefix(s: &dyn BlobStore, p: &str) {
    for k in ["x/1.txt", "x/2.txt", "x/sub/3.txt", "xy/4.txt"] {
        s.put(&format!("{p}/l/{k}"), Bytes::from_static(b"."), "text/plain").await.unwrap();
    }
    let listed = s.list(&format!("{p}/l/x/")).await.unwrap();
    assert_eq!(listed, vec![format!("{p}/l/x/1.txt"), format!("{p}/l/x/2.txt"), format!("{p}/l/x/sub/3.txt")]);
    assert_eq!(s.delete_prefix(&format!("{p}/l/x/")).await.unwrap(), 3);
    assert!(s.list(&format!("{p}/l/x/")).await.unwrap().is_empty());
    assert_eq!(s.list(&format!("{p}/l/")).await.unwrap(), vec![format!("{p}/l/xy/4.txt")]);
}

pub async fn put_file_streams(s: &dyn BlobStore, p: &str) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.bin");
    let data: Vec<u8> = (0..12 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    std::fs::write(&f, &data).unwrap();
    let k = format!("{p}/f/video.mp4");
    s.put_file(&k, &f, "video/mp4").await.unwrap();
    assert_eq!(s.size(&k).await.unwrap(), Some(data.len() as u64));
    let r = s.read(&k, Some((5_000_000, Some(5_000_009)))).await.unwrap();
    assert_eq!(collect(r.body).await.unwrap(), &data[5_000_000..5_000_010]);
}

pub async fn bad_keys(s: &dyn BlobStore) {
    for bad in ["../escape", "/abs", "a//b"] {
        assert!(matches!(s.put(bad, Bytes::new(), "x").await, Err(BlobError::InvalidKey(_))), "{bad}");
    }
}
