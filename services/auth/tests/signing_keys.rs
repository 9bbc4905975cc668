//! The signing keys on every backend, with a driven clock: seeds are sealed at rest (and raw
//! seeds of older versions sealed at start), keys rotate on schedule, once however many instances
//! share the database, and a replaced key is retired (unpublished, deleted, refused from cache)
//! once the longest token it signed has expired.

use std::time::Duration;

use glimvid_auth::{KeySet, TokenError, VerifyingKeys};
use glimvid_auth_service::signing_keys::{KeyError, KeyPolicy, Keyring, PublishedKey, seal_context};
use glimvid_db::{
    Db,
    repo::signing_keys::{self, NewSigningKey},
    testing,
};
use glimvid_runtime::{SealError, Sealer};
use uuid::Uuid;

const T0: i64 = 1_800_000_000_000;
const S: i64 = 1000;

/// Rotate every 10 s, tokens live 5 s: re-read every 2.5 s, a replaced key verifies 7.5 s more.
fn policy() -> KeyPolicy {
    KeyPolicy { rotate_after: Duration::from_secs(10), token_lifetime: Duration::from_secs(5) }
}

fn sealer() -> Sealer {
    Sealer::new(&[42; 32])
}

/// What a gateway holding `published` accepts.
fn gateway_keys(published: &[PublishedKey]) -> VerifyingKeys {
    let mut keys = VerifyingKeys::default();
    for k in published {
        keys.insert_until(&k.kid, &k.public_key, k.not_after_ms.map(|t| t.div_euclid(1000)));
    }
    keys
}

fn kids(published: &[PublishedKey]) -> Vec<&str> {
    published.iter().map(|k| k.kid.as_str()).collect()
}

/// Opens a stored key's seed as an attacker holding the database and the key would.
async fn seed_of(db: &Db, kid: &str) -> Vec<u8> {
    let row = stored(db).await.into_iter().find(|k| k.kid == kid).expect("stored");
    sealer().open(std::str::from_utf8(&row.private_key).unwrap(), &seal_context(kid)).unwrap()
}

async fn stored(db: &Db) -> Vec<signing_keys::SigningKey> {
    signing_keys::all(db).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_are_sealed_and_open_only_with_the_deployment_key_and_their_own_row() {
    for t in testing::databases().await {
        let db = t.db.clone();
        let ring = Keyring::open(db.clone(), sealer(), policy(), T0).await.unwrap();
        let kid = ring.signer(T0).await.kid().to_owned();
        let rows = stored(&db).await;
        assert_eq!(rows.len(), 1, "{}", t.name);
        let row = &rows[0];
        assert_eq!(row.kid, kid);
        let text = std::str::from_utf8(&row.private_key).expect("a sealed seed is text");
        assert!(Sealer::is_sealed(text), "not sealed ({}): {text}", t.name);
        let seed = sealer().open(text, &seal_context(&kid)).expect("opens with the key and its row's context");
        assert_eq!(seed.len(), 32);
        assert_eq!(KeySet::public_key_of(&seed).unwrap(), row.public_key, "it is this key's seed");
        assert!(!row.private_key.windows(32).any(|w| w == seed.as_slice()), "the raw seed is in the row");
        // Another row's context, or another deployment's key: it does not open.
        assert_eq!(sealer().open(text, &seal_context("k-other")), Err(SealError::Open));
        assert_eq!(Sealer::new(&[43; 32]).open(text, &seal_context(&kid)), Err(SealError::Open));
        // An instance configured with another key refuses to start rather than sign.
        match Keyring::open(db.clone(), Sealer::new(&[43; 32]), policy(), T0 + 1).await {
            Err(KeyError::Open { kid: k }) => assert_eq!(k, kid),
            Err(e) => panic!("unexpected error: {e}"),
            Ok(_) => panic!("opened with the wrong key"),
        }
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_seed_of_an_older_version_is_sealed_in_place_at_start() {
    for t in testing::databases().await {
        let db = t.db.clone();
        let (kid, seed, public_key) = KeySet::generate();
        let legacy = NewSigningKey {
            kid: &kid,
            private_key: seed.clone(),
            public_key: public_key.clone(),
            created_at: T0,
            replaces: None,
        };
        assert!(signing_keys::insert(&db, legacy).await.unwrap());
        let ring = Keyring::open(db.clone(), sealer(), policy(), T0 + S).await.unwrap();
        // The same key goes on signing (not due yet), now sealed.
        assert_eq!(ring.signer(T0 + S).await.kid(), kid);
        let rows = stored(&db).await;
        assert_eq!(rows.len(), 1, "{}", t.name);
        assert_ne!(rows[0].private_key, seed);
        let text = std::str::from_utf8(&rows[0].private_key).unwrap();
        assert_eq!(sealer().open(text, &seal_context(&kid)).unwrap(), seed);
        // Tokens it signs verify with what it publishes.
        let token = ring.signer(T0 + S).await.sign(Uuid::now_v7(), 0, (T0 + S) / 1000, 5);
        let published = ring.published(T0 + S).await;
        assert_eq!(published, vec![PublishedKey { kid: kid.clone(), public_key, not_after_ms: None }]);
        assert!(gateway_keys(&published).verify(&token, (T0 + S) / 1000).is_ok());
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_on_schedule_and_retire_when_their_last_token_has_expired() {
    for t in testing::databases().await {
        let db = t.db.clone();
        let ring = Keyring::open(db.clone(), sealer(), policy(), T0).await.unwrap();
        let k1 = ring.signer(T0).await.kid().to_owned();
        // A token signed just before the rotation lives until T0 + 14 s.
        let old_token = ring.signer(T0).await.sign(Uuid::now_v7(), 0, T0 / 1000 + 9, 5);
        ring.refresh(T0 + 10 * S - 1).await.unwrap();
        assert_eq!(ring.signer(T0 + 10 * S - 1).await.kid(), k1, "not due yet ({})", t.name);
        assert_eq!(stored(&db).await.len(), 1);

        // Due: a new key signs; the old one is published with its retirement time.
        ring.refresh(T0 + 10 * S).await.unwrap();
        let k2 = ring.signer(T0 + 10 * S).await.kid().to_owned();
        assert_ne!(k2, k1);
        let published = ring.published(T0 + 10 * S).await;
        assert_eq!(kids(&published), vec![k2.as_str(), k1.as_str()]);
        let retire_at = T0 + 10 * S + 7_500;
        assert_eq!(published[0].not_after_ms, None);
        assert_eq!(published[1].not_after_ms, Some(retire_at), "token life + re-read after the rotation");
        let cached = gateway_keys(&published);
        let k1_seed = seed_of(&db, &k1).await;
        assert!(cached.verify(&old_token, T0 / 1000 + 13).is_ok(), "the old key's tokens verify until they expire");
        let new_token = ring.signer(T0 + 10 * S).await.sign(Uuid::now_v7(), 0, T0 / 1000 + 10, 5);
        assert!(cached.verify(&new_token, T0 / 1000 + 11).is_ok());

        // Retired: no longer published, gone from the database, refused even from a cache.
        assert_eq!(kids(&ring.published(retire_at - 1).await), vec![k2.as_str(), k1.as_str()]);
        assert_eq!(kids(&ring.published(retire_at).await), vec![k2.as_str()]);
        ring.refresh(retire_at).await.unwrap();
        let left: Vec<String> = stored(&db).await.into_iter().map(|k| k.kid).collect();
        assert_eq!(left, vec![k2.clone()], "{}", t.name);
        assert_eq!(kids(&ring.published(retire_at).await), vec![k2.as_str()]);
        // A token forged with the retired seed (leaked) and a long life is refused from cache,
        // while the same forgery was accepted before the retirement.
        let forged =
            KeySet::from_seeds(&[(k1.clone(), k1_seed)]).unwrap().sign(Uuid::now_v7(), 0, retire_at / 1000, 3600);
        assert!(cached.verify(&forged, retire_at / 1000 - 1).is_ok());
        assert_eq!(cached.verify(&forged, retire_at / 1000), Err(TokenError::Retired));
        // A gateway that fetched after the retirement does not know the key at all.
        assert_eq!(
            gateway_keys(&ring.published(retire_at).await).verify(&forged, retire_at / 1000),
            Err(TokenError::UnknownKey)
        );
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_a_database_rotate_once_and_sign_with_the_same_key() {
    for t in testing::databases().await {
        let db = t.db.clone();
        let a = Keyring::open(db.clone(), sealer(), policy(), T0).await.unwrap();
        let b = Keyring::open(db.clone(), sealer(), policy(), T0 + 1).await.unwrap();
        let k1 = a.signer(T0).await.kid().to_owned();
        assert_eq!(b.signer(T0 + 1).await.kid(), k1, "the second instance takes the first one's key");
        // Both find the key due at the same moment.
        let now = T0 + 10 * S;
        let (ka, kb) = tokio::join!(a.signer(now), b.signer(now));
        assert_eq!(ka.kid(), kb.kid(), "{}", t.name);
        assert_ne!(ka.kid(), k1);
        assert_eq!(stored(&db).await.len(), 2, "one new key, not one per instance ({})", t.name);
        assert_eq!(kids(&a.published(now).await), kids(&b.published(now).await));
        t.cleanup().await;
    }
}
