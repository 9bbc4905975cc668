//! Signing key rows on every backend (SQLite always; PostgreSQL when configured): a key is
//! replaced once however many instances rotate at once, a raw seed is sealed in place only if it
//! is still raw, replaced keys get one retirement time (the first), and retired keys are deleted
//! when their time comes.

use glimvid_db::repo::signing_keys::{self, NewSigningKey};

// Shared with the other repository tests; this file needs only `each_backend`.
#[allow(dead_code)]
mod common;
use common::each_backend;

fn key<'a>(kid: &'a str, created_at: i64, replaces: Option<&'a str>) -> NewSigningKey<'a> {
    NewSigningKey {
        kid,
        private_key: format!("sealed.v1.{kid}").into_bytes(),
        public_key: vec![7; 32],
        created_at,
        replaces,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_is_replaced_once_and_retired_keys_are_deleted_on_time() {
    each_backend(|db| async move {
        assert!(signing_keys::all(&db).await.unwrap().is_empty());
        assert!(signing_keys::insert(&db, key("k1", 1_000, None)).await.unwrap());

        // Two instances rotate at once: one new key is stored, the other is refused.
        let (a, b) = tokio::join!(
            signing_keys::insert(&db, key("k2a", 2_000, Some("k1"))),
            signing_keys::insert(&db, key("k2b", 2_000, Some("k1")))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a ^ b, "exactly one replacement of k1 is stored ({a}, {b})");
        let winner = if a { "k2a" } else { "k2b" };
        let all = signing_keys::all(&db).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].kid, winner, "newest first");
        assert_eq!(all[0].replaces.as_deref(), Some("k1"));
        assert_eq!(all[1].kid, "k1");

        // Retirement: set once for every key but the newest; a second instance changes nothing.
        assert_eq!(signing_keys::retire_all_but(&db, winner, 5_000).await.unwrap(), 1);
        assert_eq!(signing_keys::retire_all_but(&db, winner, 9_000).await.unwrap(), 0);
        let k1 = signing_keys::all(&db).await.unwrap().into_iter().find(|k| k.kid == "k1").unwrap();
        assert_eq!(k1.retired_at, Some(5_000));

        // Deleted at its retirement time, not before; the newest stays.
        assert_eq!(signing_keys::delete_retired(&db, 4_999).await.unwrap(), 0);
        assert_eq!(signing_keys::delete_retired(&db, 5_000).await.unwrap(), 1);
        let left: Vec<String> = signing_keys::all(&db).await.unwrap().into_iter().map(|k| k.kid).collect();
        assert_eq!(left, vec![winner.to_owned()]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_raw_seed_is_replaced_only_while_it_is_still_raw() {
    each_backend(|db| async move {
        let raw = vec![3u8; 32];
        let mut old = key("legacy", 1_000, None);
        old.private_key = raw.clone();
        assert!(signing_keys::insert(&db, old).await.unwrap());
        // Two instances seal it at once: the first wins, the second finds it changed.
        assert!(signing_keys::replace_private_key(&db, "legacy", &raw, b"sealed.v1.first".to_vec()).await.unwrap());
        assert!(!signing_keys::replace_private_key(&db, "legacy", &raw, b"sealed.v1.second".to_vec()).await.unwrap());
        let stored = signing_keys::all(&db).await.unwrap().remove(0);
        assert_eq!(stored.private_key, b"sealed.v1.first");
        assert!(!signing_keys::replace_private_key(&db, "other", &raw, b"x".to_vec()).await.unwrap());
    })
    .await;
}
