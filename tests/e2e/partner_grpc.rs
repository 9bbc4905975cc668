//! The partner API over gRPC (`glimvid.jobs.v1.VideoJobService`) on `glimvid up`: API-key
//! authentication and scopes, the same checks and codes as REST, idempotent creation, the event
//! stream to the end and resumed from an event id, deadlines, paging, ownership, webhooks
//! management, and health.

use std::time::Duration;

use glimvid_proto::jobs::v1::{self as pb, video_job_service_client::VideoJobServiceClient};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::{Code, Request, Status, transport::Channel};

use crate::helpers::{TestApp, fixture, spawn_app_with};

pub async fn api_key(app: &TestApp, token: &str, scopes: &[&str]) -> String {
    let r = app
        .client
        .post(app.url("/api/v1/account/api-keys"))
        .bearer_auth(token)
        .json(&json!({"name": "partner", "scopes": scopes, "current_password": crate::helpers::PASSWORD}))
        .send()
        .await
        .expect("POST api-keys");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.expect("key JSON");
    v["secret"].as_str().expect("secret").to_owned()
}

pub async fn client(app: &TestApp) -> VideoJobServiceClient<Channel> {
    let ch = Channel::from_shared(app.grpc_address.clone()).expect("URL").connect().await.expect("gRPC connect");
    VideoJobServiceClient::new(ch).max_decoding_message_size(64 * 1024 * 1024)
}

pub fn authed<T>(key: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert("authorization", format!("Bearer {key}").parse().expect("metadata"));
    r
}

fn code_of(s: &Status) -> String {
    s.metadata().get("glimvid-code").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

fn create_req(photo: Vec<u8>, description: &str, key: &str) -> pb::CreateVideoJobRequest {
    pb::CreateVideoJobRequest {
        photos: vec![pb::Photo { source: Some(pb::photo::Source::Data(photo)) }],
        description: description.into(),
        options: Some(pb::VideoOptions { aspect_ratio: "1:1".into(), duration_s: 6, ..Default::default() }),
        idempotency_key: key.into(),
    }
}

#[tokio::test]
async fn a_partner_drives_a_job_over_grpc_with_the_rules_of_rest() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "3")]).await;
    let user = app.register_user().await;
    let key = api_key(&app, &user.access_token, &["videos:read", "videos:write"]).await;
    let read_only = api_key(&app, &user.access_token, &["videos:read"]).await;
    let mut c = client(&app).await;
    let photo = fixture("coffee.png");

    // Authentication and scopes.
    let e = c.list_video_jobs(pb::ListVideoJobsRequest::default()).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    let e = c.list_video_jobs(authed("gv_live_not-a-real-key", pb::ListVideoJobsRequest::default())).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    let e = c.create_video_job(authed(&read_only, create_req(photo.clone(), "Fresh coffee", ""))).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");

    // The same checks as REST, with the same codes; nothing is created.
    let mut bad = create_req(photo.clone(), "Fresh coffee", "");
    bad.options.as_mut().expect("options").aspect_ratio = "4:3".into();
    let e = c.create_video_job(authed(&key, bad)).await.unwrap_err();
    assert_eq!((e.code(), code_of(&e).as_str()), (Code::InvalidArgument, "validation_failed"), "{e:?}");
    let e =
        c.create_video_job(authed(&key, create_req(b"not an image".to_vec(), "Fresh coffee", ""))).await.unwrap_err();
    assert_eq!((e.code(), code_of(&e).as_str()), (Code::InvalidArgument, "unsupported_media_type"), "{e:?}");
    let e = c.create_video_job(authed(&key, create_req(photo.clone(), "  ", ""))).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    let listed = c.list_video_jobs(authed(&key, pb::ListVideoJobsRequest::default())).await.expect("list").into_inner();
    assert!(listed.jobs.is_empty(), "a refused request created a job");
    assert_eq!(app.account(&user.access_token).await["free_trials_left"], 3);

    // Idempotent creation: the same key replays the first job and charges once.
    let created = c
        .create_video_job(authed(&key, create_req(photo.clone(), "Fresh coffee, roasted today", "order-1")))
        .await
        .expect("create")
        .into_inner();
    assert!(!created.replayed);
    let first = created.video_job.expect("the job");
    assert!(matches!(first.status(), pb::JobStatus::Queued | pb::JobStatus::Running), "{first:?}");
    // The options as the job recorded them, typed, with the account's defaults filled in.
    let options = first.options.clone().expect("options");
    assert_eq!((options.aspect_ratio.as_str(), options.duration_s, options.review), ("1:1", 6, false));
    assert!(!options.language.is_empty() && !options.style.is_empty(), "{options:?}");
    assert!(first.create_time.is_some() && first.finish_time.is_none(), "{first:?}");
    let again = c
        .create_video_job(authed(&key, create_req(photo.clone(), "Fresh coffee, roasted today", "order-1")))
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(again.video_job.expect("the job").id, first.id);
    assert!(again.replayed);
    let e = c
        .create_video_job(authed(&key, create_req(photo.clone(), "Another description", "order-1")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert_eq!(app.account(&user.access_token).await["free_trials_left"], 2, "charged once");

    // The stream runs to the job's end.
    let mut stream = c
        .watch_video_job(authed(&key, pb::WatchVideoJobRequest { id: first.id.clone(), after_event_id: 0 }))
        .await
        .expect("watch")
        .into_inner();
    let mut events = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(180), async {
        while let Some(e) = stream.message().await.expect("event") {
            events.push(e.event.expect("an event"));
        }
    })
    .await;
    assert!(read.is_ok(), "the stream did not end; so far {events:?}");
    let last = events.last().expect("events");
    assert_eq!((last.kind(), last.job_status()), (pb::JobEventKind::Job, pb::JobStatus::Succeeded), "{events:?}");
    assert!(events.windows(2).all(|w| w[0].id < w[1].id), "event ids increase");
    assert!(events.iter().all(|e| e.event_time.is_some()), "{events:?}");
    for stage in [pb::StageName::Script, pb::StageName::Enhance, pb::StageName::Render] {
        assert!(
            events.iter().any(|e| e.kind() == pb::JobEventKind::Stage
                && e.stage() == stage
                && e.stage_status() == pb::StageStatus::Succeeded),
            "no {stage:?} succeeded event: {events:?}"
        );
    }
    // Resumed from an event id: only what came after it.
    let mid = events[events.len() / 2].id;
    let mut resumed = c
        .watch_video_job(authed(&key, pb::WatchVideoJobRequest { id: first.id.clone(), after_event_id: mid }))
        .await
        .expect("watch again")
        .into_inner();
    let mut rest = Vec::new();
    while let Some(e) = resumed.message().await.expect("event") {
        rest.push(e.event.expect("an event").id);
    }
    let expected: Vec<i64> = events.iter().map(|e| e.id).filter(|id| *id > mid).collect();
    assert_eq!(rest, expected);

    // The same job as REST shows it.
    let job = c
        .get_video_job(authed(&read_only, pb::GetVideoJobRequest { id: first.id.clone() }))
        .await
        .expect("get")
        .into_inner()
        .video_job
        .expect("the job");
    let rest_view = app.job(&user.access_token, &first.id).await;
    assert_eq!(job.status(), pb::JobStatus::Succeeded);
    assert_eq!(rest_view["status"], "succeeded");
    assert_eq!(Some(job.public_url.as_str()), rest_view["public_url"].as_str());
    assert_eq!(
        job.stages.iter().map(|s| (s.name(), s.status())).collect::<Vec<_>>(),
        [pb::StageName::Script, pb::StageName::Enhance, pb::StageName::Render].map(|n| (n, pb::StageStatus::Succeeded))
    );
    assert!(!job.video_url.is_empty(), "{job:?}");
    // The typed script and times say what REST says.
    let script = job.script.as_ref().expect("the script");
    assert_eq!(Some(script.title.as_str()), rest_view["script"]["title"].as_str());
    let rest_scenes = rest_view["script"]["scenes"].as_array().expect("scenes");
    assert_eq!(script.scenes.len(), rest_scenes.len());
    for (s, r) in script.scenes.iter().zip(rest_scenes) {
        assert_eq!(
            (Some(s.caption.as_str()), Some(s.photo_index as u64)),
            (r["caption"].as_str(), r["photo_index"].as_u64())
        );
    }
    let rest_time = |f: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(rest_view[f].as_str().expect(f)).expect("RFC 3339");
        prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
    };
    assert_eq!(job.create_time, Some(rest_time("created_at")));
    assert_eq!(job.finish_time, Some(rest_time("finished_at")));
    assert_eq!(job.options, first.options);
    let mp4 = app.download(&job.public_url).await;
    assert_eq!(&mp4[4..8], b"ftyp");

    // A photo by the path of one of the caller's uploads; paging; a deadline on a stream.
    let original = rest_view["photos"][0]["url"].as_str().expect("photo url").to_owned();
    let by_url = pb::CreateVideoJobRequest {
        photos: vec![pb::Photo { source: Some(pb::photo::Source::Url(original)) }],
        description: "Coffee again".into(),
        options: None,
        idempotency_key: String::new(),
    };
    let second = c
        .create_video_job(authed(&key, by_url))
        .await
        .expect("create from an upload")
        .into_inner()
        .video_job
        .expect("the job");
    let mut watch = authed(&key, pb::WatchVideoJobRequest { id: second.id.clone(), after_event_id: 0 });
    watch.metadata_mut().insert("grpc-timeout", "300m".parse().expect("timeout"));
    let started = std::time::Instant::now();
    let outcome = async {
        let mut s = c.watch_video_job(watch).await?.into_inner();
        while s.message().await?.is_some() {}
        Ok::<(), Status>(())
    }
    .await;
    let e = outcome.expect_err("a 300 ms deadline on a render cannot be met");
    assert!(matches!(e.code(), Code::DeadlineExceeded | Code::Cancelled), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "the deadline was not honoured");
    let page = c
        .list_video_jobs(authed(&key, pb::ListVideoJobsRequest { page_size: 1, page_token: String::new() }))
        .await
        .expect("page 1")
        .into_inner();
    assert_eq!(page.jobs.len(), 1);
    assert_eq!(page.jobs[0].id, second.id, "newest first");
    let page2 = c
        .list_video_jobs(authed(&key, pb::ListVideoJobsRequest { page_size: 1, page_token: page.next_page_token }))
        .await
        .expect("page 2")
        .into_inner();
    assert_eq!(page2.jobs.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), [first.id.as_str()]);
    assert!(page2.next_page_token.is_empty());
    let e = c
        .list_video_jobs(authed(&key, pb::ListVideoJobsRequest { page_size: 1000, page_token: String::new() }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);

    // Another account's key sees none of it.
    let other = app.register_user().await;
    let other_key = api_key(&app, &other.access_token, &["videos:read", "videos:write"]).await;
    let e = c.get_video_job(authed(&other_key, pb::GetVideoJobRequest { id: first.id.clone() })).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e =
        c.delete_video_job(authed(&other_key, pb::DeleteVideoJobRequest { id: first.id.clone() })).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // Cancel: an ended job is a failed precondition; delete removes it.
    let e = c.cancel_video_job(authed(&key, pb::CancelVideoJobRequest { id: first.id.clone() })).await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    c.delete_video_job(authed(&key, pb::DeleteVideoJobRequest { id: first.id.clone() })).await.expect("delete");
    let e = c.get_video_job(authed(&key, pb::GetVideoJobRequest { id: first.id.clone() })).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert_eq!(app.get(&job.public_url, None).await.status(), StatusCode::NOT_FOUND);

    // Webhooks are managed over gRPC too; the secret is shown once.
    let e =
        c.create_webhook(authed(&key, pb::CreateWebhookRequest { url: "ftp://example.com".into() })).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let hook = c
        .create_webhook(authed(&key, pb::CreateWebhookRequest { url: "https://93.184.215.14/hooks/glimvid".into() }))
        .await
        .expect("create webhook")
        .into_inner();
    assert!(hook.secret.starts_with("whsec_"), "{hook:?}");
    let id = hook.webhook.expect("webhook").id;
    let hooks = c.list_webhooks(authed(&read_only, pb::ListWebhooksRequest {})).await.expect("list").into_inner();
    assert_eq!(hooks.webhooks.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    let e = c.delete_webhook(authed(&other_key, pb::DeleteWebhookRequest { id: id.clone() })).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    c.delete_webhook(authed(&key, pb::DeleteWebhookRequest { id })).await.expect("delete webhook");
}

#[tokio::test]
async fn the_grpc_port_serves_health_for_the_partner_api() {
    let app = spawn_app_with(&[]).await;
    let ch = Channel::from_shared(app.grpc_address.clone()).expect("URL").connect().await.expect("connect");
    let mut health = tonic_health::pb::health_client::HealthClient::new(ch);
    let r = health
        .check(tonic_health::pb::HealthCheckRequest { service: "glimvid.jobs.v1.VideoJobService".into() })
        .await
        .expect("health check")
        .into_inner();
    assert_eq!(r.status(), tonic_health::pb::health_check_response::ServingStatus::Serving);
}

#[tokio::test]
async fn review_before_paying_over_grpc() {
    let app = spawn_app_with(&[("GLIMVID_FREE_TRIALS", "1")]).await;
    let user = app.register_user().await;
    let key = api_key(&app, &user.access_token, &["videos:read", "videos:write"]).await;
    let mut c = client(&app).await;
    let mut req = create_req(fixture("coffee.png"), "Fresh coffee, roasted today", "");
    req.options.as_mut().expect("options").review = true;
    let job = c.create_video_job(authed(&key, req)).await.expect("create").into_inner().video_job.expect("the job");
    assert_eq!(job.options.as_ref().map(|o| o.review), Some(true));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let waiting = loop {
        let j = c.get_video_job(authed(&key, pb::GetVideoJobRequest { id: job.id.clone() })).await.expect("get");
        let j = j.into_inner().video_job.expect("the job");
        if j.status() == pb::JobStatus::AwaitingReview {
            break j;
        }
        assert!(
            std::time::Instant::now() < deadline && j.status() != pb::JobStatus::Failed,
            "never awaiting review: {j:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(app.account(&user.access_token).await["free_trials_left"], 1, "nothing is paid before the render");
    let written = waiting.script.clone().expect("the written script");

    // The same checks as a REST edit: no script, an empty title, a photo the job does not have.
    let update = |script: Option<pb::Script>| authed(&key, pb::UpdateVideoScriptRequest { id: job.id.clone(), script });
    let e = c.update_video_script(update(None)).await.unwrap_err();
    assert_eq!((e.code(), code_of(&e).as_str()), (Code::InvalidArgument, "validation_failed"), "{e:?}");
    let e = c.update_video_script(update(Some(pb::Script { title: " ".into(), ..written.clone() }))).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    let mut elsewhere = written.clone();
    elsewhere.scenes[0].photo_index = 7;
    let e = c.update_video_script(update(Some(elsewhere))).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    let mine = pb::Script { title: "Roasted this morning".into(), ..written.clone() };
    let edited = c
        .update_video_script(update(Some(mine.clone())))
        .await
        .expect("a valid script")
        .into_inner()
        .video_job
        .expect("the job");
    assert_eq!(edited.status(), pb::JobStatus::AwaitingReview);
    assert_eq!(edited.script, Some(mine), "the job shows the edited script");

    let rendering = c
        .render_video_job(authed(&key, pb::RenderVideoJobRequest { id: job.id.clone() }))
        .await
        .expect("render")
        .into_inner()
        .video_job
        .expect("the job");
    assert_ne!(rendering.status(), pb::JobStatus::AwaitingReview);
    assert_eq!(app.account(&user.access_token).await["free_trials_left"], 0, "paid at the render");
    let e = c.render_video_job(authed(&key, pb::RenderVideoJobRequest { id: job.id.clone() })).await.unwrap_err();
    assert!(matches!(e.code(), Code::FailedPrecondition | Code::AlreadyExists), "{e:?}");
    let mut stream = c
        .watch_video_job(authed(&key, pb::WatchVideoJobRequest { id: job.id.clone(), after_event_id: 0 }))
        .await
        .expect("watch")
        .into_inner();
    let mut last = None;
    while let Some(e) = stream.message().await.expect("event") {
        last = e.event;
    }
    assert_eq!(last.expect("events").job_status(), pb::JobStatus::Succeeded);
}
