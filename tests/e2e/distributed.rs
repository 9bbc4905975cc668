//! The five services as separate processes on PostgreSQL, RabbitMQ and S3 (docs/architecture.md,
//! distributed mode), driven over REST only. Each run gets its own database, RabbitMQ vhost and
//! bucket, removed afterwards.

use std::time::Duration;

use glimvid_blob::{BlobStore, S3Settings, S3Store};
use glimvid_db::sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::*;

pub(crate) struct Real {
    pub pg: String,
    pub amqp: String,
    pub s3_endpoint: String,
    pub s3_key: String,
    pub s3_secret: String,
    pub s3_region: String,
}

/// The real backends of this run, from `GLIMVID_TEST_*`; `None` (the test is skipped, saying
/// so) unless `GLIMVID_TEST_REQUIRE_REAL=1`, which makes a missing one fail the run.
pub(crate) fn real_backends() -> Option<Real> {
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

/// The tests that drive the machine's broker (one restarts it) run one at a time.
pub(crate) static REAL_BACKENDS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `scheme://auth@host:port/<path>` with the path replaced.
fn with_path(url: &str, path: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let cut = url[after_scheme..].find('/').map(|i| after_scheme + i).unwrap_or(url.len());
    format!("{}/{path}", &url[..cut])
}

pub(crate) fn rabbitmqctl(args: &[&str]) {
    let out = std::process::Command::new("rabbitmqctl").args(args).output().expect("run rabbitmqctl");
    assert!(out.status.success(), "rabbitmqctl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A database, a RabbitMQ vhost and a bucket of one test's own, removed by [`RealRun::cleanup`].
pub(crate) struct RealRun {
    pub name: String,
    pub db_url: String,
    pub amqp_url: String,
    pub bucket: String,
    pub store: S3Store,
    real_s3: (String, String, String),
    admin: glimvid_db::sea_orm::DatabaseConnection,
}

impl RealRun {
    /// Creates them; `s3` overrides the run's S3 server (endpoint, key, secret).
    pub async fn create(real: &Real, s3: Option<(String, String, String)>) -> Self {
        let name = format!("e2e{}", std::process::id())
            + &format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis());
        let admin = Database::connect(real.pg.as_str()).await.expect("PostgreSQL");
        admin.execute_unprepared(&format!("CREATE DATABASE glimvid_{name}")).await.expect("create database");
        let db_url = with_path(&real.pg, &format!("glimvid_{name}"));
        rabbitmqctl(&["add_vhost", &name]);
        rabbitmqctl(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"]);
        let amqp_url = with_path(&real.amqp, &name);
        let bucket = format!("glimvid-{name}");
        let real_s3 = s3.unwrap_or_else(|| (real.s3_endpoint.clone(), real.s3_key.clone(), real.s3_secret.clone()));
        let mut settings = S3Settings::new(
            Some(real_s3.0.clone()),
            bucket.clone(),
            real.s3_region.clone(),
            real_s3.1.clone(),
            real_s3.2.clone(),
        );
        settings.create_bucket_if_missing = true;
        let store = S3Store::connect(settings).await.expect("S3 bucket");
        Self { name, db_url, amqp_url, bucket, store, real_s3, admin }
    }

    /// The backend settings of the five services.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("GLIMVID_DATABASE_URL", self.db_url.as_str()),
            ("GLIMVID_AMQP_URL", self.amqp_url.as_str()),
            ("GLIMVID_S3_ENDPOINT", self.real_s3.0.as_str()),
            ("GLIMVID_S3_BUCKET", self.bucket.as_str()),
            ("GLIMVID_S3_REGION", "us-east-1"),
            ("GLIMVID_S3_ACCESS_KEY_ID", self.real_s3.1.as_str()),
            ("GLIMVID_S3_SECRET_ACCESS_KEY", self.real_s3.2.as_str()),
            // Every service of one deployment seals and opens the database's secrets with one key.
            ("GLIMVID_ENCRYPTION_KEY", "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM="),
            // The gateway proves itself to the auth service with tokens signed by this secret.
            ("GLIMVID_INTERNAL_SECRET", "test-only-internal-secret-of-32-characters-or-more"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    pub async fn cleanup(self) {
        let _ = self.store.delete_prefix("").await;
        let _ = self.store.client().delete_bucket().bucket(&self.bucket).send().await;
        rabbitmqctl(&["delete_vhost", &self.name]);
        let _ =
            self.admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS glimvid_{} WITH (FORCE)", self.name)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_services_on_real_backends_run_several_jobs() {
    let Some(real) = real_backends() else {
        eprintln!("skipped: set GLIMVID_TEST_DATABASE_URL, GLIMVID_TEST_AMQP_URL and GLIMVID_TEST_S3_* to run");
        return;
    };
    let _serial = REAL_BACKENDS.lock().await;
    let run = RealRun::create(&real, None).await;
    let env = run.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
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
    // The gateway process serves the partner API over gRPC, on the same state.
    let key = crate::partner_grpc::api_key(&app, &user.access_token, &["videos:read"]).await;
    let mut grpc = crate::partner_grpc::client(&app).await;
    let got = grpc
        .get_video_job(crate::partner_grpc::authed(
            &key,
            glimvid_proto::jobs::v1::GetVideoJobRequest { id: ids[0].0.clone() },
        ))
        .await
        .expect("GetVideoJob on the gateway")
        .into_inner()
        .video_job
        .expect("the job");
    assert_eq!(got.status(), glimvid_proto::jobs::v1::JobStatus::Succeeded);
    // The objects live in the bucket, under the user's prefix.
    let keys = run.store.list(&format!("u/{}/", user.id)).await.unwrap();
    assert!(keys.iter().filter(|k| k.ends_with(".mp4")).count() == 3, "{keys:?}");
    drop(app);
    run.cleanup().await;
}
