//! The five services as separate processes on PostgreSQL, RabbitMQ and S3 (DESIGN.md section 2,
//! distributed mode), driven over REST only. Each run gets its own database, RabbitMQ vhost and
//! bucket, removed afterwards.

use std::time::Duration;

use glimvid_blob::{BlobStore, S3Settings, S3Store};
use glimvid_db::sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::*;

struct Real {
    pg: String,
    amqp: String,
    s3_endpoint: String,
    s3_key: String,
    s3_secret: String,
    s3_region: String,
}

fn real_backends() -> Option<Real> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let got = (
        var("GLIMVID_TEST_DATABASE_URL"),
        var("GLIMVID_TEST_AMQP_URL"),
        var("GLIMVID_TEST_S3_ENDPOINT"),
        var("GLIMVID_TEST_S3_ACCESS_KEY_ID"),
        var("GLIMVID_TEST_S3_SECRET_ACCESS_KEY"),
    );
    match got {
        (Some(pg), Some(amqp), Some(s3_endpoint), Some(s3_key), Some(s3_secret)) => Some(Real {
            pg,
            amqp,
            s3_endpoint,
            s3_key,
            s3_secret,
            s3_region: var("GLIMVID_TEST_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
        }),
        _ if std::env::var("GLIMVID_TEST_REQUIRE_REAL").is_ok_and(|v| v == "1") => panic!(
            "GLIMVID_TEST_REQUIRE_REAL=1 but GLIMVID_TEST_DATABASE_URL, GLIMVID_TEST_AMQP_URL and GLIMVID_TEST_S3_* are not all set"
        ),
        _ => None,
    }
}

/// `scheme://auth@host:port/<path>` with the path replaced.
fn with_path(url: &str, path: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let cut = url[after_scheme..].find('/').map(|i| after_scheme + i).unwrap_or(url.len());
    format!("{}/{path}", &url[..cut])
}

fn rabbitmqctl(args: &[&str]) {
    let out = std::process::Command::new("rabbitmqctl").args(args).output().expect("run rabbitmqctl");
    assert!(out.status.success(), "rabbitmqctl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_services_on_real_backends_run_several_jobs() {
    let Some(real) = real_backends() else {
        eprintln!("skipped: set GLIMVID_TEST_DATABASE_URL, GLIMVID_TEST_AMQP_URL and GLIMVID_TEST_S3_* to run");
        return;
    };
    let run = format!("e2e{}", std::process::id())
        + &format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis());
    // A database, a vhost and a bucket of this run's own.
    let admin = Database::connect(real.pg.as_str()).await.expect("PostgreSQL");
    admin.execute_unprepared(&format!("CREATE DATABASE glimvid_{run}")).await.expect("create database");
    let db_url = with_path(&real.pg, &format!("glimvid_{run}"));
    rabbitmqctl(&["add_vhost", &run]);
    rabbitmqctl(&["set_permissions", "-p", &run, "guest", ".*", ".*", ".*"]);
    let amqp_url = with_path(&real.amqp, &run);
    let bucket = format!("glimvid-{run}");
    let mut s3 = S3Settings::new(
        Some(real.s3_endpoint.clone()),
        bucket.clone(),
        real.s3_region.clone(),
        real.s3_key.clone(),
        real.s3_secret.clone(),
    );
    s3.create_bucket_if_missing = true;
    let store = S3Store::connect(s3).await.expect("S3 bucket");

    let env = [
        ("GLIMVID_DATABASE_URL", db_url.as_str()),
        ("GLIMVID_AMQP_URL", amqp_url.as_str()),
        ("GLIMVID_S3_ENDPOINT", real.s3_endpoint.as_str()),
        ("GLIMVID_S3_BUCKET", bucket.as_str()),
        ("GLIMVID_S3_REGION", real.s3_region.as_str()),
        ("GLIMVID_S3_ACCESS_KEY_ID", real.s3_key.as_str()),
        ("GLIMVID_S3_SECRET_ACCESS_KEY", real.s3_secret.as_str()),
    ];
    let app = spawn_distributed(&env).await;
    let user = app.register_user().await;
    let mut ids = Vec::new();
    for (photos, ratio) in
        [(vec!["coffee.png"], "9:16"), (vec!["rocket.jpg", "coffee.png"], "16:9"), (vec!["rocket.jpg"], "1:1")]
    {
        let photos: Vec<Photo> = photos.into_iter().map(photo).collect();
        let job = app
            .submit(
                &user.access_token,
                &photos,
                "Handmade ceramic mug, 350 ml",
                &json!({"aspect_ratio": ratio, "duration_s": 5}),
            )
            .await;
        ids.push((job["id"].as_str().unwrap().to_owned(), ratio));
    }
    for (id, ratio) in &ids {
        let job = app.wait_for(&user.access_token, id, Duration::from_secs(400)).await;
        assert_eq!(job["status"], "succeeded", "{job:#}");
        let (_, info) = fetch_and_probe(&app, &job).await;
        let (w, h) = match *ratio {
            "9:16" => (1080, 1920),
            "16:9" => (1920, 1080),
            _ => (1080, 1080),
        };
        assert_video(&info, w, h, 5000);
    }
    // The objects live in the bucket, under the user's prefix.
    let keys = store.list(&format!("u/{}/", user.id)).await.unwrap();
    assert!(keys.iter().filter(|k| k.ends_with(".mp4")).count() == 3, "{keys:?}");
    drop(app);

    let _ = store.delete_prefix("").await;
    let _ = store.client().delete_bucket().bucket(&bucket).send().await;
    rabbitmqctl(&["delete_vhost", &run]);
    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS glimvid_{run} WITH (FORCE)")).await;
}
