//! The conformance suite every `JobQueue` adapter must pass (run by each adapter's tests). Each
//! check uses its own queue names, so the suite can share a backend with other tests.

use std::{future::Future, sync::Arc, time::Duration};

use crate::{Headers, JobQueue};

/// Runs every check. `fresh` builds a new, independent consumer on the same backend (as another
/// process would), used to check that an abandoned delivery comes back.
pub async fn run_all<F, Fut>(queue: Arc<dyn JobQueue>, prefix: &str, fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn JobQueue>>,
{
    publish_then_receive(&*queue, &format!("{prefix}.roundtrip")).await;
    empty_queue_times_out(&*queue, &format!("{prefix}.empty")).await;
    in_flight_is_invisible_and_ack_removes(&*queue, &format!("{prefix}.ack")).await;
    retry_delays_and_counts(&*queue, &format!("{prefix}.retry")).await;
    dead_letter_is_never_redelivered(&*queue, &format!("{prefix}.dead")).await;
    queues_are_isolated_and_fifo(&*queue, &format!("{prefix}.iso")).await;
    abandoned_delivery_comes_back(&fresh, &format!("{prefix}.abandon")).await;
}

fn headers() -> Headers {
    let mut h = Headers::new();
    h.insert("traceparent".into(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into());
    h
}

pub async fn publish_then_receive(q: &dyn JobQueue, name: &str) {
    q.publish(name, b"hello", &headers()).await.expect("publish");
    let d = q.receive(name, Duration::from_secs(5)).await.expect("receive").expect("a delivery");
    assert_eq!(d.payload, b"hello");
    assert_eq!(d.queue, name);
    assert_eq!(d.attempts, 1);
    assert_eq!(d.headers.get("traceparent"), headers().get("traceparent"));
    q.ack(&d).await.expect("ack");
    assert_eq!(q.depth(name).await.unwrap(), 0);
}

pub async fn empty_queue_times_out(q: &dyn JobQueue, name: &str) {
    let t = std::time::Instant::now();
    assert!(q.receive(name, Duration::from_millis(300)).await.unwrap().is_none());
    assert!(t.elapsed() >= Duration::from_millis(250), "receive returned before its wait");
}

pub async fn in_flight_is_invisible_and_ack_removes(q: &dyn JobQueue, name: &str) {
    q.publish(name, b"one", &Headers::new()).await.unwrap();
    let d = q.receive(name, Duration::from_secs(5)).await.unwrap().expect("delivery");
    assert!(
        q.receive(name, Duration::from_millis(300)).await.unwrap().is_none(),
        "a task in flight was delivered twice"
    );
    q.ack(&d).await.unwrap();
    assert!(q.receive(name, Duration::from_millis(300)).await.unwrap().is_none(), "an acked task came back");
    assert_eq!(q.depth(name).await.unwrap(), 0);
}

pub async fn retry_delays_and_counts(q: &dyn JobQueue, name: &str) {
    q.publish(name, b"again", &Headers::new()).await.unwrap();
    let d = q.receive(name, Duration::from_secs(5)).await.unwrap().expect("delivery");
    q.retry(&d, Duration::from_millis(800)).await.unwrap();
    assert!(
        q.receive(name, Duration::from_millis(200)).await.unwrap().is_none(),
        "a retried task came back before its delay"
    );
    let d2 = q.receive(name, Duration::from_secs(10)).await.unwrap().expect("retried delivery");
    assert_eq!(d2.payload, b"again");
    assert!(d2.attempts >= 2, "attempts not counted: {}", d2.attempts);
    q.ack(&d2).await.unwrap();
}

pub async fn dead_letter_is_never_redelivered(q: &dyn JobQueue, name: &str) {
    q.publish(name, b"poison", &Headers::new()).await.unwrap();
    let d = q.receive(name, Duration::from_secs(5)).await.unwrap().expect("delivery");
    q.dead_letter(&d, "gave up").await.unwrap();
    assert!(q.receive(name, Duration::from_millis(500)).await.unwrap().is_none());
    assert_eq!(q.dead_count(name).await.unwrap(), 1);
    assert_eq!(q.depth(name).await.unwrap(), 0);
}

pub async fn queues_are_isolated_and_fifo(q: &dyn JobQueue, name: &str) {
    let other = format!("{name}.other");
    for i in 0..5u8 {
        q.publish(name, &[i], &Headers::new()).await.unwrap();
    }
    assert!(q.receive(&other, Duration::from_millis(200)).await.unwrap().is_none());
    for i in 0..5u8 {
        let d = q.receive(name, Duration::from_secs(5)).await.unwrap().expect("delivery");
        assert_eq!(d.payload, vec![i], "out of order");
        q.ack(&d).await.unwrap();
    }
}

pub async fn abandoned_delivery_comes_back<F, Fut>(fresh: &F, name: &str)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn JobQueue>>,
{
    let a = fresh().await;
    a.publish(name, b"orphan", &Headers::new()).await.unwrap();
    let d = a.receive(name, Duration::from_secs(5)).await.unwrap().expect("delivery");
    assert_eq!(d.payload, b"orphan");
    // The consumer dies without settling.
    drop(a);
    let b = fresh().await;
    let again = b.receive(name, Duration::from_secs(30)).await.unwrap().expect("the abandoned task came back");
    assert_eq!(again.payload, b"orphan");
    assert!(again.attempts >= 2);
    b.ack(&again).await.unwrap();
}
