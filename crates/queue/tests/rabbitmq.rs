//! The RabbitMQ adapter against a real broker: the shared conformance suite, then what is
//! specific to RabbitMQ (topology, delivery limit, dead-letter contents, unroutable publishes,
//! reconnection through a TCP proxy that cuts the connection).
//!
//! Needs `GLIMVID_TEST_AMQP_URL` (e.g. `amqp://guest:guest@127.0.0.1:5672/%2f`); without it the
//! tests are skipped, unless `GLIMVID_TEST_REQUIRE_REAL=1`, which makes them fail instead. Each
//! test uses queue names under a random prefix and deletes them afterwards.

use std::{
    future::Future,
    net::SocketAddr,
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::FutureExt;
use glimvid_queue::{Headers, JobQueue, QueueError, RabbitConfig, RabbitQueue, conformance};
use lapin::{
    Channel, Connection, ConnectionProperties, ExchangeKind,
    options::{BasicGetOptions, ExchangeDeclareOptions, QueueDeclareOptions, QueueDeleteOptions},
    types::{AMQPValue, FieldTable},
};
use tokio::{net::TcpListener, task::JoinHandle};

fn amqp_url() -> Option<String> {
    match std::env::var("GLIMVID_TEST_AMQP_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("GLIMVID_TEST_REQUIRE_REAL").as_deref() == Ok("1") {
                panic!(
                    "GLIMVID_TEST_REQUIRE_REAL=1 but GLIMVID_TEST_AMQP_URL is unset: the RabbitMQ adapter tests need a \
                     broker (e.g. GLIMVID_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2f)"
                );
            }
            eprintln!("skipping the RabbitMQ adapter tests: GLIMVID_TEST_AMQP_URL is unset");
            None
        }
    }
}

fn prefix(test: &str) -> String {
    format!("glimvid-test-{test}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

fn config(prefix: &str) -> RabbitConfig {
    RabbitConfig {
        connection_name: format!("{prefix} (glimvid-queue tests)"),
        reconnect_min_delay: Duration::from_millis(100),
        reconnect_max_delay: Duration::from_secs(1),
        ..RabbitConfig::default()
    }
}

/// Runs `body`, then deletes the topology of every name in `queues` (also when `body` panics).
async fn with_cleanup<F: Future<Output = ()>>(url: &str, cfg: &RabbitConfig, queues: Vec<String>, body: F) {
    let outcome = AssertUnwindSafe(body).catch_unwind().await;
    match RabbitQueue::connect(url, cfg.clone()).await {
        Ok(admin) => {
            for q in &queues {
                if let Err(e) = admin.delete_topology(q).await {
                    eprintln!("cleanup of {q}: {e}");
                }
            }
            admin.close().await;
        }
        Err(e) => eprintln!("cleanup: cannot connect: {e}"),
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn raw_channel(url: &str) -> (Connection, Channel) {
    let conn = Connection::connect(url, ConnectionProperties::default()).await.expect("raw connection");
    let ch = conn.create_channel().await.expect("raw channel");
    (conn, ch)
}

fn header<'a>(table: &'a FieldTable, key: &str) -> Option<&'a AMQPValue> {
    table.inner().get(key)
}

fn header_str(table: &FieldTable, key: &str) -> Option<String> {
    match header(table, key)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbitmq_passes_the_conformance_suite() {
    let Some(url) = amqp_url() else { return };
    let prefix = prefix("conf");
    let cfg = config(&prefix);
    let queues = ["roundtrip", "empty", "ack", "retry", "dead", "iso", "iso.other", "abandon"]
        .iter()
        .map(|s| format!("{prefix}.{s}"))
        .collect();
    let body = async {
        let q: Arc<dyn JobQueue> = Arc::new(RabbitQueue::connect(&url, cfg.clone()).await.expect("connect"));
        assert_eq!(q.kind(), "rabbitmq");
        q.ping().await.expect("ping");
        conformance::run_all(q, &prefix, || {
            let (url, cfg) = (url.clone(), cfg.clone());
            async move { Arc::new(RabbitQueue::connect(&url, cfg).await.expect("connect")) as Arc<dyn JobQueue> }
        })
        .await;
    };
    with_cleanup(&url, &cfg, queues, body).await;
}

/// The entities behind a stage queue exist with the documented arguments: redeclaring them with
/// exactly these arguments succeeds (the broker refuses an inequivalent redeclaration, as the
/// last check shows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_topology_is_declared_with_its_arguments() {
    let Some(url) = amqp_url() else { return };
    let prefix = prefix("topology");
    let cfg = RabbitConfig { delivery_limit: 4, ..config(&prefix) };
    let name = format!("{prefix}.stage");
    let body = async {
        let q = RabbitQueue::connect(&url, cfg.clone()).await.expect("connect");
        assert_eq!(q.depth(&name).await.unwrap(), 0, "the first use declares the topology");
        let s = |v: &str| AMQPValue::LongString(v.into());
        let table = |entries: Vec<(&str, AMQPValue)>| {
            let mut t = FieldTable::default();
            for (k, v) in entries {
                t.insert(k.into(), v);
            }
            t
        };
        let at_least_once =
            || vec![("x-dead-letter-strategy", s("at-least-once")), ("x-overflow", s("reject-publish"))];
        let durable = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
        let (conn, ch) = raw_channel(&url).await;
        let mut main = vec![
            ("x-queue-type", s("quorum")),
            ("x-delivery-limit", AMQPValue::LongLongInt(4)),
            ("x-dead-letter-exchange", s(&format!("{name}.dlx"))),
        ];
        main.extend(at_least_once());
        ch.queue_declare(name.as_str().into(), durable, table(main)).await.expect("main queue");
        ch.queue_declare(format!("{name}.dead").as_str().into(), durable, table(vec![("x-queue-type", s("classic"))]))
            .await
            .expect("dead-letter queue");
        ch.exchange_declare(
            format!("{name}.dlx").as_str().into(),
            ExchangeKind::Fanout,
            ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() },
            FieldTable::default(),
        )
        .await
        .expect("dead-letter exchange");
        for (label, ms) in [("1s", 1000), ("5s", 5000), ("30s", 30_000), ("120s", 120_000)] {
            let mut retry = vec![
                ("x-queue-type", s("quorum")),
                ("x-message-ttl", AMQPValue::LongLongInt(ms)),
                ("x-dead-letter-exchange", s("")),
                ("x-dead-letter-routing-key", s(&name)),
            ];
            retry.extend(at_least_once());
            ch.queue_declare(format!("{name}.retry.{label}").as_str().into(), durable, table(retry))
                .await
                .unwrap_or_else(|e| panic!("retry queue {label}: {e}"));
        }
        let wrong = table(vec![("x-queue-type", s("quorum")), ("x-delivery-limit", AMQPValue::LongLongInt(5))]);
        let err = ch.queue_declare(name.as_str().into(), durable, wrong).await.expect_err("inequivalent");
        assert!(err.to_string().contains("PRECONDITION_FAILED") || err.to_string().contains("406"), "{err}");
        let _ = conn.close(200, "done".into()).await;
        q.close().await;
    };
    with_cleanup(&url, &cfg, vec![name.clone()], body).await;
}

/// A task whose consumers keep giving it back is dead-lettered by the broker past the delivery
/// limit (through `<q>.dlx` into `<q>.dead`) instead of being dropped or looping forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_redelivered_past_the_delivery_limit_lands_in_the_dead_letter_queue() {
    let Some(url) = amqp_url() else { return };
    let prefix = prefix("limit");
    let cfg = RabbitConfig { delivery_limit: 2, ..config(&prefix) };
    let name = format!("{prefix}.poison");
    let body = async {
        let q = RabbitQueue::connect(&url, cfg.clone()).await.expect("connect");
        q.publish(&name, b"poison", &Headers::new()).await.unwrap();
        let mut deliveries = 0;
        while let Some(d) = q.receive(&name, Duration::from_secs(3)).await.unwrap() {
            deliveries += 1;
            assert_eq!(d.attempts, deliveries, "x-delivery-count counts the redeliveries");
            assert!(deliveries <= 10, "the delivery limit is not enforced");
            q.release(&d).await.unwrap();
        }
        assert_eq!(deliveries, 3, "delivered once plus `delivery_limit` redeliveries");
        eventually("the broker to dead-letter the task", Duration::from_secs(10), || async {
            q.dead_count(&name).await.unwrap() == 1
        })
        .await;
        assert_eq!(q.depth(&name).await.unwrap(), 0);

        let (conn, ch) = raw_channel(&url).await;
        let dead = ch
            .basic_get(format!("{name}.dead").as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
            .expect("the dead-lettered task");
        assert_eq!(dead.delivery.data, b"poison");
        let headers = dead.delivery.properties.headers().clone().unwrap_or_default();
        assert_eq!(header_str(&headers, "x-first-death-reason").as_deref(), Some("delivery_limit"));
        assert_eq!(header_str(&headers, "x-first-death-queue").as_deref(), Some(name.as_str()));
        let _ = conn.close(200, "done".into()).await;
        q.close().await;
    };
    with_cleanup(&url, &cfg, vec![name.clone()], body).await;
}

/// `dead_letter` keeps the payload and the task's headers and records the reason and the attempts;
/// `retry` goes through the delay queue and counts the attempt; `depth` counts tasks waiting for a
/// retry and tasks held by this adapter; settling twice is `LostDelivery`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_depth_dead_letter_and_double_settlement() {
    let Some(url) = amqp_url() else { return };
    let prefix = prefix("settle");
    let cfg = config(&prefix);
    let name = format!("{prefix}.work");
    let body = async {
        let q = RabbitQueue::connect(&url, cfg.clone()).await.expect("connect");
        let mut h = Headers::new();
        h.insert("traceparent".into(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into());
        h.insert("job_id".into(), "job-1".into());
        q.publish(&name, b"task", &h).await.unwrap();
        assert_eq!(q.depth(&name).await.unwrap(), 1, "ready");

        let d = q.receive(&name, Duration::from_secs(5)).await.unwrap().expect("delivery");
        assert_eq!(d.headers, h);
        assert_eq!(q.depth(&name).await.unwrap(), 1, "held by this adapter");
        q.retry(&d, Duration::from_secs(2)).await.unwrap();
        assert!(matches!(q.ack(&d).await, Err(QueueError::LostDelivery)), "settled twice");
        assert!(matches!(q.retry(&d, Duration::ZERO).await, Err(QueueError::LostDelivery)));
        assert_eq!(q.depth(&name).await.unwrap(), 1, "waiting in the 5 s retry bucket");

        let start = Instant::now();
        let d2 = q.receive(&name, Duration::from_secs(15)).await.unwrap().expect("retried delivery");
        assert!(start.elapsed() >= Duration::from_secs(4), "a 2 s delay waits for the 5 s bucket");
        assert_eq!(d2.attempts, 2);
        assert_eq!(d2.headers, h, "broker headers (x-death) are not task headers");
        q.retry(&d2, Duration::ZERO).await.unwrap();
        let d3 = q.receive(&name, Duration::from_secs(5)).await.unwrap().expect("immediate retry");
        assert_eq!(d3.attempts, 3);

        q.dead_letter(&d3, "provider said: insufficient balance").await.unwrap();
        assert!(matches!(q.dead_letter(&d3, "again").await, Err(QueueError::LostDelivery)));
        assert_eq!(q.dead_count(&name).await.unwrap(), 1);
        assert_eq!(q.depth(&name).await.unwrap(), 0);

        let (conn, ch) = raw_channel(&url).await;
        let dead = ch
            .basic_get(format!("{name}.dead").as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
            .expect("the dead-lettered task");
        assert_eq!(dead.delivery.data, b"task");
        assert_eq!(dead.delivery.properties.delivery_mode(), &Some(2), "persistent");
        let headers = dead.delivery.properties.headers().clone().unwrap_or_default();
        assert_eq!(
            header_str(&headers, "x-glimvid-dead-reason").as_deref(),
            Some("provider said: insufficient balance")
        );
        assert_eq!(header_str(&headers, "x-glimvid-attempts").as_deref(), Some("3"));
        assert_eq!(header_str(&headers, "job_id").as_deref(), Some("job-1"));
        let _ = conn.close(200, "done".into()).await;

        // Reserved header names are refused rather than silently overwritten.
        let mut bad = Headers::new();
        bad.insert("x-glimvid-attempts".into(), "0".into());
        assert!(q.publish(&name, b"x", &bad).await.is_err());
        q.close().await;
    };
    with_cleanup(&url, &cfg, vec![name.clone()], body).await;
}

/// Mandatory publishing: a publish that the broker cannot route (here the queue was deleted
/// behind the adapter's back) is an error, and the next publish redeclares the topology.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unroutable_publish_is_an_error_and_the_topology_is_redeclared() {
    let Some(url) = amqp_url() else { return };
    let prefix = prefix("unroutable");
    let cfg = config(&prefix);
    let name = format!("{prefix}.gone");
    let body = async {
        let q = RabbitQueue::connect(&url, cfg.clone()).await.expect("connect");
        q.publish(&name, b"1", &Headers::new()).await.unwrap();
        let (conn, ch) = raw_channel(&url).await;
        ch.queue_delete(name.as_str().into(), QueueDeleteOptions::default()).await.unwrap();
        let err = q.publish(&name, b"2", &Headers::new()).await.expect_err("an unroutable publish must fail");
        assert!(err.to_string().contains("unroutable"), "{err}");
        q.publish(&name, b"3", &Headers::new()).await.expect("the queue is declared again");
        let d = q.receive(&name, Duration::from_secs(5)).await.unwrap().expect("delivery");
        assert_eq!(d.payload, b"3");
        q.ack(&d).await.unwrap();
        let _ = conn.close(200, "done".into()).await;

        let long = "x".repeat(300);
        assert!(q.publish(&long, b"x", &Headers::new()).await.is_err(), "too long a name is an error, not a panic");
        q.close().await;
        assert!(matches!(q.ping().await, Err(QueueError::Unavailable(_))), "closed");
    };
    with_cleanup(&url, &cfg, vec![name.clone()], body).await;
}

/// The broker URL's password appears neither in `Debug` nor in errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_is_never_shown() {
    let Some(url) = amqp_url() else { return };
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let user = rest.rsplit_once('@').and_then(|(u, _)| u.split(':').next()).unwrap_or("guest");
    let wrong = format!("{scheme}://{user}:Wr0ng-pa55word@{host}");
    let err = RabbitQueue::connect(&wrong, config("pw")).await.expect_err("a wrong password is refused");
    assert!(matches!(err, QueueError::Unavailable(_)));
    assert!(!err.to_string().contains("Wr0ng-pa55word"), "{err}");
    let lazy = RabbitQueue::connect_lazy(&wrong, config("pw")).unwrap();
    assert!(!format!("{lazy:?}").contains("Wr0ng-pa55word"));
    assert!(!lazy.redacted_url().contains("Wr0ng-pa55word"));
    let err = RabbitQueue::connect_lazy("amqp://u:Wr0ng-pa55word@bad host:x/", config("pw")).expect_err("bad URL");
    assert!(!err.to_string().contains("Wr0ng-pa55word"), "{err}");
}

/// A TCP proxy between the adapter and the broker, which the test can cut (both sides of every
/// connection closed, nothing listening) and start again on the same port.
struct Proxy {
    port: u16,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Self { port, upstream, tasks: Arc::default() };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, tasks) = (self.upstream, self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(conn);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    async fn resume(&self) {
        let start = Instant::now();
        loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(listener) => return self.serve(listener),
                Err(e) => {
                    assert!(start.elapsed() < Duration::from_secs(10), "cannot listen again: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// The URL with its host and port replaced by `127.0.0.1:port`, and the broker's address.
async fn via_proxy(url: &str, port: u16) -> (String, SocketAddr) {
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let (userinfo, hostpart) = rest.rsplit_once('@').map_or(("", rest), |(u, h)| (u, h));
    let (authority, tail) = hostpart.find(['/', '?']).map_or((hostpart, ""), |i| hostpart.split_at(i));
    let authority = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:5672") };
    let upstream = tokio::net::lookup_host(authority.as_str()).await.unwrap().next().expect("broker address");
    let at = if userinfo.is_empty() { String::new() } else { format!("{userinfo}@") };
    (format!("{scheme}://{at}127.0.0.1:{port}{tail}"), upstream)
}

/// The connection is cut from under the adapter: operations fail with `Unavailable` while the
/// broker is unreachable, a delivery from the dead connection cannot be acked on the new one
/// (`LostDelivery`: the broker requeued it), and once the broker is back the adapter reconnects
/// on its own, redeclares its topology and the task comes back with its attempt counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adapter_reconnects_after_the_connection_drops() {
    let Some(url) = amqp_url() else { return };
    if !url.starts_with("amqp://") {
        eprintln!("skipping the reconnection test: the proxy only forwards plain amqp://");
        return;
    }
    let prefix = prefix("reconnect");
    let cfg = RabbitConfig { heartbeat: Duration::from_secs(5), ..config(&prefix) };
    let name = format!("{prefix}.work");
    let body = async {
        let (_, upstream) = via_proxy(&url, 0).await;
        let proxy = Proxy::start(upstream).await;
        let (proxied, _) = via_proxy(&url, proxy.port).await;
        let q = RabbitQueue::connect(&proxied, cfg.clone()).await.expect("connect through the proxy");
        q.publish(&name, b"first", &Headers::new()).await.unwrap();
        let held = q.receive(&name, Duration::from_secs(5)).await.unwrap().expect("delivery");
        assert_eq!(held.attempts, 1);

        proxy.cut();
        eventually("the adapter to notice the lost connection", Duration::from_secs(20), || async {
            matches!(q.ping().await, Err(QueueError::Unavailable(_)))
        })
        .await;
        assert!(matches!(q.publish(&name, b"x", &Headers::new()).await, Err(QueueError::Unavailable(_))));
        assert!(matches!(q.receive(&name, Duration::from_millis(100)).await, Err(QueueError::Unavailable(_))));
        assert!(matches!(q.ack(&held).await, Err(QueueError::LostDelivery)), "acked on a dead connection");

        proxy.resume().await;
        eventually("the adapter to reconnect", Duration::from_secs(20), || async { q.ping().await.is_ok() }).await;
        q.publish(&name, b"second", &Headers::new()).await.expect("publish after reconnecting");
        let mut got = Vec::new();
        for _ in 0..2 {
            let d = q.receive(&name, Duration::from_secs(10)).await.unwrap().expect("delivery after reconnecting");
            if d.payload == b"first" {
                assert!(d.attempts >= 2, "the redelivery is counted: {}", d.attempts);
            }
            got.push(d.payload.clone());
            q.ack(&d).await.unwrap();
        }
        got.sort();
        assert_eq!(got, vec![b"first".to_vec(), b"second".to_vec()], "nothing lost, nothing duplicated");
        assert!(q.receive(&name, Duration::from_millis(500)).await.unwrap().is_none());
        assert!(matches!(q.ack(&held).await, Err(QueueError::LostDelivery)));
        assert_eq!(q.depth(&name).await.unwrap(), 0);
        q.close().await;
        proxy.cut();
    };
    with_cleanup(&url, &cfg, vec![name.clone()], body).await;
}

fn rabbitmqctl(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("rabbitmqctl").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The broker closes the adapter's connection (as it does when it shuts down, or on
/// `rabbitmqctl close_connection`): the held delivery is lost (requeued by the broker), and the
/// next operations reconnect transparently. Needs `rabbitmqctl` on this machine (skipped otherwise).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adapter_reconnects_after_the_broker_closes_its_connection() {
    let Some(url) = amqp_url() else { return };
    if rabbitmqctl(&["-q", "list_connections", "--no-table-headers", "pid"]).is_none() {
        eprintln!("skipping the server-side close test: rabbitmqctl is not usable here");
        return;
    }
    let prefix = prefix("serverclose");
    let cfg = config(&prefix);
    let name = format!("{prefix}.work");
    let body = async {
        let q = RabbitQueue::connect(&url, cfg.clone()).await.expect("connect");
        q.publish(&name, b"first", &Headers::new()).await.unwrap();
        let held = q.receive(&name, Duration::from_secs(5)).await.unwrap().expect("delivery");

        let marker = format!("\"{}\"", cfg.connection_name);
        let mut pid = None;
        eventually("the broker to list the connection", Duration::from_secs(20), || {
            let found = rabbitmqctl(&["-q", "list_connections", "--no-table-headers", "pid", "client_properties"])
                .and_then(|out| {
                    out.lines().find(|l| l.contains(&marker)).map(|l| l.split('\t').next().unwrap_or("").to_owned())
                });
            let ok = found.is_some();
            pid = found;
            async move { ok }
        })
        .await;
        let pid = pid.expect("connection pid");
        rabbitmqctl(&["close_connection", &pid, "glimvid test: server-side close"]).expect("close_connection");
        tokio::time::sleep(Duration::from_millis(500)).await;

        assert!(matches!(q.ack(&held).await, Err(QueueError::LostDelivery)), "acked on a closed connection");
        q.publish(&name, b"second", &Headers::new()).await.expect("publish reconnects transparently");
        let mut got = Vec::new();
        for _ in 0..2 {
            let d = q.receive(&name, Duration::from_secs(10)).await.unwrap().expect("delivery after reconnecting");
            if d.payload == b"first" {
                assert!(d.attempts >= 2, "the redelivery is counted: {}", d.attempts);
            }
            got.push(d.payload.clone());
            q.ack(&d).await.unwrap();
        }
        got.sort();
        assert_eq!(got, vec![b"first".to_vec(), b"second".to_vec()]);
        q.close().await;
    };
    with_cleanup(&url, &cfg, vec![name.clone()], body).await;
}
