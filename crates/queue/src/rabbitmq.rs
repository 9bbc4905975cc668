//! The RabbitMQ adapter of [`JobQueue`] (distributed mode), on lapin 4 (rustls, tokio).
//!
//! **Topology** (declared idempotently on the first use of a queue name on each connection; see
//! `rabbitmq/topology.rs` for the arguments): a durable quorum queue `<q>` with an explicit
//! `x-delivery-limit` and the dead-letter exchange `<q>.dlx` (fanout) bound to the durable queue
//! `<q>.dead`; one delay queue `<q>.retry.<bucket>` per retry bucket, whose messages expire after
//! the bucket's TTL and are dead-lettered back into `<q>`. Quorum queues dead-letter at least once.
//!
//! **Publishing** goes through one confirm-mode channel: persistent, mandatory, and a publish
//! returns only once the broker confirmed it (an unroutable or nacked publish is an error).
//!
//! **Receiving**: one consumer (on its own channel, manual acks, `basic.qos` prefetch) per queue
//! name per adapter. A delivery's `receipt` names the connection generation, the consumer, its
//! channel and the delivery tag; the adapter keeps the delivery's acker under that receipt until it
//! is settled once (`ack`, `retry`, `dead_letter` or [`RabbitQueue::release`]). Settling a
//! delivery whose channel or connection is gone, or settling twice, is `QueueError::LostDelivery`:
//! the broker has requeued it (or will), it is never acked on another channel.
//!
//! **Retries**: RabbitMQ has no per-message delay without a plugin, so `retry` publishes a copy
//! (confirmed) into the smallest retry bucket not shorter than the delay (the longest bucket when
//! the delay exceeds them all), then acks the original: a crash in between duplicates the task,
//! never loses it. `x-glimvid-attempts` carries the attempts used so far.
//!
//! **Reconnection**: every operation first checks the connection; a lost connection is replaced
//! on the next call (topology redeclared, consumers recreated), with a backoff between failed
//! attempts. While the broker is unreachable operations fail with `QueueError::Unavailable`.
//! Dropping the adapter closes its connection, so its unacked deliveries go back to the queue.
//!
//! The password of the broker URL never appears in a log line or an error: it is kept out of the
//! URI handed to lapin and sent through a SASL PLAIN provider.

mod codec;
mod topology;

use std::{
    collections::{HashMap, HashSet},
    fmt,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use async_trait::async_trait;
use futures::StreamExt;
use lapin::{
    Acker, BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, Consumer, ExchangeKind,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
        ConfirmSelectOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
        QueueDeleteOptions,
    },
    types::{AMQPValue, FieldTable, LongString, ShortString},
};
use tracing::{debug, info, warn};

use self::codec::{ATTEMPTS_HEADER, BrokerUrl, DEAD_AT_HEADER, DEAD_REASON_HEADER, short};
use crate::{Delivery, Headers, JobQueue, QueueError};

/// Settings of the RabbitMQ adapter. The broker URL is passed to [`RabbitQueue::connect`]
/// separately, so that this struct can be logged.
#[derive(Debug, Clone)]
pub struct RabbitConfig {
    /// Shown in the management UI and `rabbitmqctl list_connections` (default `glimvid`).
    pub connection_name: String,
    /// AMQP heartbeat proposed to the broker (default 30 s; a `heartbeat=` in the URL wins). A dead
    /// peer is noticed after about two missed heartbeats.
    pub heartbeat: Duration,
    /// TCP + AMQP handshake limit (default 10 s).
    pub connect_timeout: Duration,
    /// Limit on each broker round trip: a publisher confirm, a declaration (default 30 s).
    pub operation_timeout: Duration,
    /// Unacked deliveries the broker may push to this adapter per queue name (`basic.qos` on the
    /// queue's consumer; default 1). Set it to the number of concurrent receive loops this process
    /// runs on one queue name; deliveries prefetched but not yet returned by `receive` stay
    /// invisible to other consumers until this adapter takes them or closes.
    pub prefetch: u16,
    /// `x-delivery-limit` of each stage queue (default 10): a task redelivered more often (its
    /// workers kept dying or releasing it) is dead-lettered into `<q>.dead`. Part of the queue's
    /// arguments: changing it for an existing queue makes declarations fail (use a policy then).
    pub delivery_limit: u32,
    /// Delays of the retry queues (default 1 s, 5 s, 30 s, 120 s). A retry waits for the smallest
    /// bucket not shorter than its delay, or the longest bucket.
    pub retry_buckets: Vec<Duration>,
    /// At-least-once dead-lettering on the quorum queues (`x-dead-letter-strategy`, with
    /// `x-overflow: reject-publish`; default true). Part of the queues' arguments.
    pub at_least_once_dead_lettering: bool,
    /// First wait after a failed reconnection attempt, doubling up to `reconnect_max_delay`
    /// (defaults 500 ms and 30 s). The first attempt after a loss is immediate.
    pub reconnect_min_delay: Duration,
    pub reconnect_max_delay: Duration,
}

impl Default for RabbitConfig {
    fn default() -> Self {
        Self {
            connection_name: "glimvid".into(),
            heartbeat: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            operation_timeout: Duration::from_secs(30),
            prefetch: 1,
            delivery_limit: 10,
            retry_buckets: [1, 5, 30, 120].into_iter().map(Duration::from_secs).collect(),
            at_least_once_dead_lettering: true,
            reconnect_min_delay: Duration::from_millis(500),
            reconnect_max_delay: Duration::from_secs(30),
        }
    }
}

/// The RabbitMQ job queue. One AMQP connection per adapter; share the adapter (it is `Sync`).
pub struct RabbitQueue {
    url: BrokerUrl,
    config: RabbitConfig,
    slot: tokio::sync::Mutex<Slot>,
    generations: AtomicU64,
    serials: AtomicU64,
    /// Deliveries handed out and not settled yet, by receipt.
    pending: Mutex<HashMap<String, Pending>>,
}

#[derive(Default)]
struct Slot {
    session: Option<Arc<Session>>,
    failures: u32,
    retry_at: Option<Instant>,
    closed: bool,
}

struct Pending {
    acker: Acker,
    queue: String,
    generation: u64,
    consumer: u64,
    attempts: u32,
    message_id: Option<ShortString>,
}

/// One AMQP connection and what was set up on it.
struct Session {
    generation: u64,
    connection: Option<Connection>,
    publisher: tokio::sync::Mutex<Option<Channel>>,
    control: tokio::sync::Mutex<Option<Channel>>,
    declared: Mutex<HashSet<String>>,
    consumers: tokio::sync::Mutex<HashMap<String, Arc<QueueConsumer>>>,
}

struct QueueConsumer {
    serial: u64,
    channel: Channel,
    stream: tokio::sync::Mutex<Consumer>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unavailable(context: impl fmt::Display, e: impl fmt::Display) -> QueueError {
    QueueError::Unavailable(format!("{context}: {e}"))
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).unwrap_or(0)
}

/// A number in [0, 1) for backoff jitter.
fn jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

impl Session {
    fn connection(&self) -> &Connection {
        self.connection.as_ref().expect("the connection is only taken on drop")
    }

    fn alive(&self) -> bool {
        self.connection.as_ref().is_some_and(|c| c.status().connected())
    }

    fn forget_declared(&self, queue: &str) {
        lock(&self.declared).remove(queue);
    }

    /// The channel in `slot`, opened (in confirm mode if asked) when missing or closed.
    async fn channel(
        &self,
        slot: &tokio::sync::Mutex<Option<Channel>>,
        confirm: bool,
        limit: Duration,
    ) -> Result<Channel, QueueError> {
        let mut slot = slot.lock().await;
        if let Some(ch) = slot.as_ref()
            && ch.status().connected()
        {
            return Ok(ch.clone());
        }
        *slot = None;
        let open = async {
            let ch = self.connection().create_channel().await?;
            if confirm {
                ch.confirm_select(ConfirmSelectOptions::default()).await?;
            }
            Ok::<_, lapin::Error>(ch)
        };
        let ch = match tokio::time::timeout(limit, open).await {
            Ok(Ok(ch)) => ch,
            Ok(Err(e)) => return Err(unavailable("opening a RabbitMQ channel", e)),
            Err(_) => return Err(QueueError::Unavailable("opening a RabbitMQ channel timed out".into())),
        };
        *slot = Some(ch.clone());
        Ok(ch)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let Some(conn) = self.connection.take() else { return };
        if conn.status().connected()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            // Closing promptly hands this connection's unacked deliveries to other consumers.
            rt.spawn(async move {
                let _ = conn.close(200, "glimvid queue adapter closed".into()).await;
            });
        }
    }
}

impl fmt::Debug for RabbitQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RabbitQueue").field("url", &self.url).field("config", &self.config).finish_non_exhaustive()
    }
}

impl RabbitQueue {
    /// Connects to the broker at `url` (`amqp://user:password@host:5672/%2f`, or `amqps://` with
    /// rustls and the system's roots). Fails with `Unavailable` if the broker cannot be reached.
    pub async fn connect(url: &str, config: RabbitConfig) -> Result<Self, QueueError> {
        let queue = Self::connect_lazy(url, config)?;
        queue.session().await?;
        Ok(queue)
    }

    /// Like [`connect`](Self::connect) but connects on first use: only the URL and the config are
    /// checked here (a service can start, and report not ready, before the broker is up).
    pub fn connect_lazy(url: &str, mut config: RabbitConfig) -> Result<Self, QueueError> {
        let url = BrokerUrl::parse(url)?;
        if config.prefetch == 0 {
            return Err(QueueError::Unavailable("RabbitConfig.prefetch must be at least 1".into()));
        }
        config.retry_buckets = topology::normalize_buckets(&config.retry_buckets);
        if config.retry_buckets.is_empty() {
            return Err(QueueError::Unavailable("RabbitConfig.retry_buckets must not be empty".into()));
        }
        Ok(Self {
            url,
            config,
            slot: tokio::sync::Mutex::new(Slot::default()),
            generations: AtomicU64::new(0),
            serials: AtomicU64::new(0),
            pending: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &RabbitConfig {
        &self.config
    }

    /// The broker URL without its password.
    pub fn redacted_url(&self) -> String {
        self.url.to_string()
    }

    /// Gives a delivery back to the queue at once (`basic.nack` with requeue), e.g. when a worker
    /// shuts down mid-task. The broker counts it as a redelivery: past `delivery_limit` the task is
    /// dead-lettered.
    pub async fn release(&self, d: &Delivery) -> Result<(), QueueError> {
        let p = self.take_pending(d)?;
        let nack = p.acker.nack(BasicNackOptions { multiple: false, requeue: true });
        settled(tokio::time::timeout(self.config.operation_timeout, nack).await)
    }

    /// Closes the connection gracefully (consumers cancelled, unacked deliveries requeued by the
    /// broker). Later operations fail with `Unavailable`.
    pub async fn close(&self) {
        let session = {
            let mut slot = self.slot.lock().await;
            slot.closed = true;
            slot.session.take()
        };
        lock(&self.pending).clear();
        if let Some(s) = session
            && s.alive()
        {
            let _ =
                tokio::time::timeout(self.config.operation_timeout, s.connection().close(200, "closing".into())).await;
        }
    }

    /// Deletes everything behind `queue`: the queue, its dead-letter queue and exchange and its
    /// retry queues, with their messages (for tests and tooling; never called by the adapter).
    pub async fn delete_topology(&self, queue: &str) -> Result<(), QueueError> {
        let s = self.session().await?;
        if let Some(c) = s.consumers.lock().await.remove(queue) {
            self.forget_consumer(c.serial);
            let _ = c.channel.close(200, "deleting the queue".into()).await;
        }
        s.forget_declared(queue);
        let ch = s.channel(&s.control, false, self.config.operation_timeout).await?;
        let mut queues = vec![queue.to_owned(), topology::dead_queue(queue)];
        queues.extend(self.config.retry_buckets.iter().map(|b| topology::retry_queue(queue, *b)));
        let work = async {
            for q in queues {
                ch.queue_delete(short(&q, "a queue name")?, QueueDeleteOptions::default())
                    .await
                    .map_err(|e| unavailable(format!("deleting queue {q:?}"), e))?;
            }
            let x = topology::dlx_exchange(queue);
            ch.exchange_delete(short(&x, "an exchange name")?, ExchangeDeleteOptions::default())
                .await
                .map_err(|e| unavailable(format!("deleting exchange {x:?}"), e))
        };
        self.limited("deleting a topology", work).await
    }

    async fn limited<T>(&self, what: &str, work: impl Future<Output = Result<T, QueueError>>) -> Result<T, QueueError> {
        tokio::time::timeout(self.config.operation_timeout, work)
            .await
            .unwrap_or_else(|_| Err(QueueError::Unavailable(format!("{what} timed out"))))
    }

    /// The live connection, reconnecting when it is gone (after a backoff if the last attempt failed).
    async fn session(&self) -> Result<Arc<Session>, QueueError> {
        let mut slot = self.slot.lock().await;
        if slot.closed {
            return Err(QueueError::Unavailable("the RabbitMQ queue adapter was closed".into()));
        }
        if let Some(s) = &slot.session {
            if s.alive() {
                return Ok(s.clone());
            }
            let generation = s.generation;
            slot.session = None;
            self.forget_generation(generation);
            warn!(broker = %self.url, "RabbitMQ connection lost, reconnecting");
        }
        let now = Instant::now();
        if let Some(at) = slot.retry_at
            && now < at
        {
            return Err(QueueError::Unavailable(format!(
                "RabbitMQ at {} is unreachable; next connection attempt in {} ms",
                self.url,
                (at - now).as_millis()
            )));
        }
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let opened = match tokio::time::timeout(self.config.connect_timeout, self.open(generation)).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer within {:?}", self.config.connect_timeout)),
        };
        match opened {
            Ok(session) => {
                if generation > 1 || slot.failures > 0 {
                    info!(broker = %self.url, generation, "reconnected to RabbitMQ");
                } else {
                    debug!(broker = %self.url, "connected to RabbitMQ");
                }
                slot.failures = 0;
                slot.retry_at = None;
                slot.session = Some(session.clone());
                Ok(session)
            }
            Err(e) => {
                slot.failures = slot.failures.saturating_add(1);
                let delay = crate::backoff(
                    slot.failures,
                    self.config.reconnect_min_delay,
                    self.config.reconnect_max_delay,
                    jitter(),
                );
                slot.retry_at = Some(now + delay);
                warn!(broker = %self.url, error = %e, retry_in_ms = delay.as_millis() as u64, "cannot connect to RabbitMQ");
                Err(QueueError::Unavailable(format!("connecting to RabbitMQ at {}: {e}", self.url)))
            }
        }
    }

    async fn open(&self, generation: u64) -> Result<Arc<Session>, lapin::Error> {
        let mut uri = self.url.lapin_uri();
        if uri.query.heartbeat.is_none() {
            uri.query.heartbeat = Some(u16::try_from(self.config.heartbeat.as_secs()).unwrap_or(u16::MAX));
        }
        if uri.query.connection_timeout.is_none() {
            uri.query.connection_timeout =
                Some(u64::try_from(self.config.connect_timeout.as_millis()).unwrap_or(u64::MAX));
        }
        let mut props =
            ConnectionProperties::default().with_connection_name(self.config.connection_name.as_str().into());
        if self.url.uses_plain() {
            props = props.with_auth_provider(self.url.auth());
        }
        let connection = Connection::connect_uri(uri, props).await?;
        Ok(Arc::new(Session {
            generation,
            connection: Some(connection),
            publisher: tokio::sync::Mutex::new(None),
            control: tokio::sync::Mutex::new(None),
            declared: Mutex::new(HashSet::new()),
            consumers: tokio::sync::Mutex::new(HashMap::new()),
        }))
    }

    fn forget_generation(&self, generation: u64) {
        lock(&self.pending).retain(|_, p| p.generation > generation);
    }

    fn forget_consumer(&self, serial: u64) {
        lock(&self.pending).retain(|_, p| p.consumer != serial);
    }

    fn take_pending(&self, d: &Delivery) -> Result<Pending, QueueError> {
        let p = lock(&self.pending).remove(&d.receipt).ok_or(QueueError::LostDelivery)?;
        if p.acker.usable() { Ok(p) } else { Err(QueueError::LostDelivery) }
    }

    /// Declares the topology of `queue` once per connection.
    async fn ensure_topology(&self, s: &Session, queue: &str) -> Result<(), QueueError> {
        if lock(&s.declared).contains(queue) {
            return Ok(());
        }
        topology::check_name(queue)?;
        let ch = s.channel(&s.control, false, self.config.operation_timeout).await?;
        let cfg = &self.config;
        let durable = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
        let work = async {
            let dlx = topology::dlx_exchange(queue);
            let dead = topology::dead_queue(queue);
            ch.exchange_declare(
                dlx.as_str().into(),
                ExchangeKind::Fanout,
                ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() },
                FieldTable::default(),
            )
            .await?;
            ch.queue_declare(dead.as_str().into(), durable, topology::dead_queue_args()).await?;
            ch.queue_bind(
                dead.as_str().into(),
                dlx.as_str().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
            let args = topology::main_queue_args(queue, cfg.delivery_limit, cfg.at_least_once_dead_lettering);
            ch.queue_declare(queue.into(), durable, args).await?;
            for b in &cfg.retry_buckets {
                let args = topology::retry_queue_args(queue, *b, cfg.at_least_once_dead_lettering);
                ch.queue_declare(topology::retry_queue(queue, *b).as_str().into(), durable, args).await?;
            }
            Ok::<_, lapin::Error>(())
        };
        match tokio::time::timeout(cfg.operation_timeout, work).await {
            Ok(Ok(())) => {
                lock(&s.declared).insert(queue.to_owned());
                Ok(())
            }
            Ok(Err(e)) => Err(unavailable(format!("declaring the RabbitMQ topology of {queue:?}"), e)),
            Err(_) => Err(QueueError::Unavailable(format!("declaring the RabbitMQ topology of {queue:?} timed out"))),
        }
    }

    /// Publishes through the default exchange to `routing_key` and waits for the broker's confirm.
    /// `base` is the stage queue the target belongs to (redeclared after an unroutable publish).
    async fn publish_to(
        &self,
        s: &Session,
        base: &str,
        routing_key: &str,
        payload: &[u8],
        headers: FieldTable,
        message_id: Option<ShortString>,
    ) -> Result<(), QueueError> {
        let ch = s.channel(&s.publisher, true, self.config.operation_timeout).await?;
        let message_id = message_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string().into());
        let props = BasicProperties::default()
            .with_delivery_mode(2)
            .with_headers(headers)
            .with_message_id(message_id)
            .with_timestamp(now_ms() / 1000);
        let key = short(routing_key, "a queue name")?;
        let options = BasicPublishOptions { mandatory: true, immediate: false };
        let confirm = async { ch.basic_publish("".into(), key, options, payload, props).await?.await };
        let confirmation = match tokio::time::timeout(self.config.operation_timeout, confirm).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(unavailable(format!("publishing to {routing_key:?}"), e)),
            Err(_) => {
                return Err(QueueError::Unavailable(format!(
                    "no publisher confirm for {routing_key:?} within {:?}",
                    self.config.operation_timeout
                )));
            }
        };
        match confirmation {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(returned)) | Confirmation::Nack(Some(returned)) => {
                s.forget_declared(base);
                Err(QueueError::Unavailable(format!(
                    "publish to {routing_key:?} was returned unroutable: {} {}",
                    returned.reply_code, returned.reply_text
                )))
            }
            Confirmation::Nack(None) => {
                Err(QueueError::Unavailable(format!("the broker nacked a publish to {routing_key:?}")))
            }
            Confirmation::NotRequested => Err(QueueError::Unavailable("publisher confirms are not enabled".into())),
        }
    }

    /// The consumer of `queue` on this connection, (re)created when missing or its channel is closed.
    async fn consumer(&self, s: &Session, queue: &str) -> Result<Arc<QueueConsumer>, QueueError> {
        let mut consumers = s.consumers.lock().await;
        if let Some(c) = consumers.get(queue) {
            if c.channel.status().connected() {
                return Ok(c.clone());
            }
            let serial = c.serial;
            consumers.remove(queue);
            self.forget_consumer(serial);
        }
        self.ensure_topology(s, queue).await?;
        let serial = self.serials.fetch_add(1, Ordering::SeqCst) + 1;
        let tag = format!("glimvid-{}-{serial}", s.generation);
        let start = async {
            let channel = s.connection().create_channel().await?;
            channel.basic_qos(self.config.prefetch, BasicQosOptions { global: false }).await?;
            let consumer = channel
                .basic_consume(queue.into(), tag.as_str().into(), BasicConsumeOptions::default(), FieldTable::default())
                .await?;
            Ok::<_, lapin::Error>((channel, consumer))
        };
        let (channel, consumer) = match tokio::time::timeout(self.config.operation_timeout, start).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                s.forget_declared(queue);
                return Err(unavailable(format!("consuming from {queue:?}"), e));
            }
            Err(_) => return Err(QueueError::Unavailable(format!("consuming from {queue:?} timed out"))),
        };
        let c = Arc::new(QueueConsumer { serial, channel, stream: tokio::sync::Mutex::new(consumer) });
        consumers.insert(queue.to_owned(), c.clone());
        Ok(c)
    }

    async fn drop_consumer(&self, s: &Session, queue: &str, serial: u64) {
        let mut consumers = s.consumers.lock().await;
        if consumers.get(queue).is_some_and(|c| c.serial == serial) {
            consumers.remove(queue);
        }
        self.forget_consumer(serial);
    }

    fn accept(&self, s: &Session, c: &QueueConsumer, queue: &str, d: lapin::message::Delivery) -> Delivery {
        let table = d.properties.headers().as_ref();
        let attempts = codec::attempts(table, d.redelivered);
        let headers = codec::decode_headers(table);
        let receipt = format!("{}.{}.{}.{}", s.generation, c.serial, c.channel.id(), d.delivery_tag);
        lock(&self.pending).insert(
            receipt.clone(),
            Pending {
                acker: d.acker,
                queue: queue.to_owned(),
                generation: s.generation,
                consumer: c.serial,
                attempts,
                message_id: d.properties.message_id().clone(),
            },
        );
        Delivery { queue: queue.to_owned(), payload: d.data, headers, attempts, receipt }
    }

    /// Publishes a settled copy of `d` (to a retry or dead-letter queue), then acks the original.
    /// If the copy cannot be published the delivery stays held, so the caller may settle it again.
    async fn move_then_ack(
        &self,
        d: &Delivery,
        target: impl FnOnce(&Pending) -> Result<(String, FieldTable), QueueError>,
    ) -> Result<(), QueueError> {
        let p = self.take_pending(d)?;
        let (routing_key, headers) = match target(&p) {
            Ok(t) => t,
            Err(e) => {
                lock(&self.pending).insert(d.receipt.clone(), p);
                return Err(e);
            }
        };
        let moved = async {
            let s = self.session().await?;
            if s.generation != p.generation {
                // The original's connection is gone: the broker requeues it; a copy would duplicate it.
                return Err(QueueError::LostDelivery);
            }
            self.ensure_topology(&s, &p.queue).await?;
            self.publish_to(&s, &p.queue, &routing_key, &d.payload, headers, p.message_id.clone()).await
        }
        .await;
        match moved {
            Ok(()) => {
                let ack = p.acker.ack(BasicAckOptions::default());
                settled(tokio::time::timeout(self.config.operation_timeout, ack).await)
            }
            Err(e) => {
                if matches!(e, QueueError::Unavailable(_)) && p.acker.usable() {
                    lock(&self.pending).insert(d.receipt.clone(), p);
                }
                Err(e)
            }
        }
    }

    fn with_attempts(headers: &Headers, attempts: u32) -> Result<FieldTable, QueueError> {
        let mut table = codec::encode_headers(headers)?;
        table.insert(ATTEMPTS_HEADER.into(), AMQPValue::LongString(attempts.to_string().into()));
        Ok(table)
    }

    /// Messages ready in `name` (`queue.declare` passive: ready only, not unacked).
    async fn ready(&self, ch: &Channel, name: &str) -> Result<u64, QueueError> {
        let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let q = ch
            .queue_declare(short(name, "a queue name")?, passive, FieldTable::default())
            .await
            .map_err(|e| unavailable(format!("inspecting queue {name:?}"), e))?;
        Ok(q.message_count().into())
    }
}

/// The outcome of an ack or nack on a held delivery.
fn settled(r: Result<lapin::Result<bool>, tokio::time::error::Elapsed>) -> Result<(), QueueError> {
    match r {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(QueueError::LostDelivery),
        Ok(Err(e)) => {
            debug!(error = %e, "settling a RabbitMQ delivery failed");
            Err(QueueError::LostDelivery)
        }
        Err(_) => Err(QueueError::LostDelivery),
    }
}

#[async_trait]
impl JobQueue for RabbitQueue {
    fn kind(&self) -> &'static str {
        "rabbitmq"
    }

    async fn publish(&self, queue: &str, payload: &[u8], headers: &Headers) -> Result<(), QueueError> {
        topology::check_name(queue)?;
        let table = codec::encode_headers(headers)?;
        let s = self.session().await?;
        self.ensure_topology(&s, queue).await?;
        self.publish_to(&s, queue, queue, payload, table, None).await
    }

    async fn receive(&self, queue: &str, wait: Duration) -> Result<Option<Delivery>, QueueError> {
        let deadline = tokio::time::Instant::now() + wait;
        topology::check_name(queue)?;
        let s = self.session().await?;
        let c = self.consumer(&s, queue).await?;
        let Ok(mut stream) = tokio::time::timeout_at(deadline, c.stream.lock()).await else {
            return Ok(None);
        };
        let next = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(next) => next,
            Err(_) => return Ok(None),
        };
        drop(stream);
        match next {
            Some(Ok(d)) => Ok(Some(self.accept(&s, &c, queue, d))),
            Some(Err(e)) => {
                self.drop_consumer(&s, queue, c.serial).await;
                Err(unavailable(format!("consuming from {queue:?}"), e))
            }
            None => {
                // Cancelled by the broker (the queue was deleted, or its leader moved away).
                self.drop_consumer(&s, queue, c.serial).await;
                s.forget_declared(queue);
                Err(QueueError::Unavailable(format!("the broker cancelled the consumer of {queue:?}")))
            }
        }
    }

    async fn ack(&self, d: &Delivery) -> Result<(), QueueError> {
        let p = self.take_pending(d)?;
        let ack = p.acker.ack(BasicAckOptions::default());
        settled(tokio::time::timeout(self.config.operation_timeout, ack).await)
    }

    async fn retry(&self, d: &Delivery, delay: Duration) -> Result<(), QueueError> {
        let buckets = self.config.retry_buckets.clone();
        self.move_then_ack(d, |p| {
            let target = match topology::bucket_for(&buckets, delay) {
                Some(b) if !delay.is_zero() => topology::retry_queue(&p.queue, b),
                _ => p.queue.clone(),
            };
            Ok((target, Self::with_attempts(&d.headers, p.attempts)?))
        })
        .await
    }

    async fn dead_letter(&self, d: &Delivery, reason: &str) -> Result<(), QueueError> {
        self.move_then_ack(d, |p| {
            let mut table = Self::with_attempts(&d.headers, p.attempts)?;
            table.insert(DEAD_REASON_HEADER.into(), AMQPValue::LongString(LongString::from(reason)));
            table.insert(DEAD_AT_HEADER.into(), AMQPValue::LongString(now_ms().to_string().into()));
            Ok((topology::dead_queue(&p.queue), table))
        })
        .await
    }

    /// Ready in `<q>` + waiting in its retry queues + held unsettled by this adapter. Deliveries
    /// held by other consumers are not counted: AMQP 0-9-1 does not report unacked messages.
    async fn depth(&self, queue: &str) -> Result<u64, QueueError> {
        let s = self.session().await?;
        self.ensure_topology(&s, queue).await?;
        let ch = s.channel(&s.control, false, self.config.operation_timeout).await?;
        let count = async {
            let mut n = self.ready(&ch, queue).await?;
            for b in &self.config.retry_buckets {
                n += self.ready(&ch, &topology::retry_queue(queue, *b)).await?;
            }
            Ok(n)
        };
        let ready = self.limited("measuring a queue", count).await.inspect_err(|_| s.forget_declared(queue))?;
        let held = lock(&self.pending).values().filter(|p| p.queue == queue && p.acker.usable()).count() as u64;
        Ok(ready + held)
    }

    async fn dead_count(&self, queue: &str) -> Result<u64, QueueError> {
        let s = self.session().await?;
        self.ensure_topology(&s, queue).await?;
        let ch = s.channel(&s.control, false, self.config.operation_timeout).await?;
        let dead = topology::dead_queue(queue);
        self.limited("measuring a queue", self.ready(&ch, &dead)).await.inspect_err(|_| s.forget_declared(queue))
    }

    async fn ping(&self) -> Result<(), QueueError> {
        let s = self.session().await?;
        let ch = s.channel(&s.control, false, self.config.operation_timeout).await?;
        let passive = ExchangeDeclareOptions { passive: true, ..ExchangeDeclareOptions::default() };
        let check = async {
            ch.exchange_declare("amq.direct".into(), ExchangeKind::Direct, passive, FieldTable::default())
                .await
                .map_err(|e| unavailable("pinging RabbitMQ", e))
        };
        self.limited("pinging RabbitMQ", check).await
    }
}
