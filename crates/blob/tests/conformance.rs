//! The shared blob conformance suite on the embedded adapter (the filesystem).

use glimvid_blob::{FsStore, conformance};

#[tokio::test]
async fn fs_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path().join("blobs")).await.unwrap();
    conformance::run_all(&store, "conf").await;
}
