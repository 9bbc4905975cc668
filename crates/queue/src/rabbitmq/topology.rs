//! Names and arguments of the queues and exchanges behind one stage queue name `<q>`:
//!
//! | entity | kind | arguments |
//! | --- | --- | --- |
//! | `<q>` | durable quorum queue | `x-delivery-limit`, `x-dead-letter-exchange: <q>.dlx`, at-least-once dead-lettering |
//! | `<q>.dlx` | durable fanout exchange | bound to `<q>.dead` |
//! | `<q>.dead` | durable classic queue | none: nobody consumes it but operators |
//! | `<q>.retry.<bucket>` | durable quorum queue | `x-message-ttl: <bucket>`, dead-letters to `<q>` through the default exchange |
//!
//! Publishes go through the default exchange (routing key = queue name). A task redelivered more
//! than `x-delivery-limit` times (its consumers kept dying or releasing it) is dead-lettered by the
//! broker through `<q>.dlx` into `<q>.dead`; `dead_letter` publishes into `<q>.dead` directly.

use std::time::Duration;

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};

/// Longest retry-bucket suffix we allow for, so that every derived name fits in 255 bytes.
const MAX_SUFFIX: usize = 32;
const MAX_NAME: usize = 255;

pub(crate) fn dlx_exchange(queue: &str) -> String {
    format!("{queue}.dlx")
}

pub(crate) fn dead_queue(queue: &str) -> String {
    format!("{queue}.dead")
}

pub(crate) fn retry_queue(queue: &str, bucket: Duration) -> String {
    format!("{queue}.retry.{}", bucket_label(bucket))
}

/// `1s`, `120s`, `500ms`.
pub(crate) fn bucket_label(bucket: Duration) -> String {
    if bucket.subsec_millis() == 0 { format!("{}s", bucket.as_secs()) } else { format!("{}ms", bucket.as_millis()) }
}

/// The smallest bucket not shorter than `delay`, or the longest bucket (buckets are sorted).
pub(crate) fn bucket_for(buckets: &[Duration], delay: Duration) -> Option<Duration> {
    buckets.iter().copied().find(|b| *b >= delay).or_else(|| buckets.last().copied())
}

/// Sorted, deduplicated, whole milliseconds, at least 1 ms.
pub(crate) fn normalize_buckets(buckets: &[Duration]) -> Vec<Duration> {
    let mut v: Vec<Duration> = buckets
        .iter()
        .map(|b| Duration::from_millis(u64::try_from(b.as_millis()).unwrap_or(u64::MAX).max(1)))
        .collect();
    v.sort();
    v.dedup();
    v
}

pub(crate) fn check_name(queue: &str) -> Result<(), crate::BadQueueName> {
    use crate::BadQueueName;
    if queue.is_empty() {
        return Err(BadQueueName::Empty);
    }
    if queue.starts_with("amq.") {
        return Err(BadQueueName::Reserved(queue.to_owned()));
    }
    if queue.len() + MAX_SUFFIX > MAX_NAME {
        return Err(BadQueueName::TooLong { name: queue.to_owned(), max: MAX_NAME - MAX_SUFFIX });
    }
    Ok(())
}

fn table(entries: Vec<(&str, AMQPValue)>) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in entries {
        t.insert(ShortString::from(k), v);
    }
    t
}

fn string(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s))
}

/// Arguments that make a quorum queue dead-letter at least once (RabbitMQ ≥ 3.10; a broker without
/// the `stream_queue` feature flag falls back to at most once).
fn at_least_once(at_least_once: bool) -> Vec<(&'static str, AMQPValue)> {
    if at_least_once {
        vec![("x-dead-letter-strategy", string("at-least-once")), ("x-overflow", string("reject-publish"))]
    } else {
        Vec::new()
    }
}

pub(crate) fn main_queue_args(queue: &str, delivery_limit: u32, at_least_once_dlx: bool) -> FieldTable {
    let mut e = vec![
        ("x-queue-type", string("quorum")),
        ("x-delivery-limit", AMQPValue::LongLongInt(delivery_limit.into())),
        ("x-dead-letter-exchange", string(&dlx_exchange(queue))),
    ];
    e.extend(at_least_once(at_least_once_dlx));
    table(e)
}

pub(crate) fn dead_queue_args() -> FieldTable {
    table(vec![("x-queue-type", string("classic"))])
}

pub(crate) fn retry_queue_args(queue: &str, bucket: Duration, at_least_once_dlx: bool) -> FieldTable {
    let ttl = i64::try_from(bucket.as_millis()).unwrap_or(i64::MAX);
    let mut e = vec![
        ("x-queue-type", string("quorum")),
        ("x-message-ttl", AMQPValue::LongLongInt(ttl)),
        ("x-dead-letter-exchange", string("")),
        ("x-dead-letter-routing-key", string(queue)),
    ];
    e.extend(at_least_once(at_least_once_dlx));
    table(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_up_and_cap() {
        let b = normalize_buckets(&[
            Duration::from_secs(30),
            Duration::from_secs(1),
            Duration::from_secs(5),
            Duration::from_secs(1),
            Duration::from_micros(10),
        ]);
        assert_eq!(
            b,
            vec![Duration::from_millis(1), Duration::from_secs(1), Duration::from_secs(5), Duration::from_secs(30)]
        );
        assert_eq!(bucket_for(&b, Duration::from_millis(800)), Some(Duration::from_secs(1)));
        assert_eq!(bucket_for(&b, Duration::from_secs(1)), Some(Duration::from_secs(1)));
        assert_eq!(bucket_for(&b, Duration::from_millis(1001)), Some(Duration::from_secs(5)));
        assert_eq!(bucket_for(&b, Duration::from_secs(600)), Some(Duration::from_secs(30)));
        assert_eq!(bucket_for(&[], Duration::from_secs(1)), None);
    }

    #[test]
    fn names() {
        assert_eq!(retry_queue("glimvid.render", Duration::from_secs(120)), "glimvid.render.retry.120s");
        assert_eq!(retry_queue("q", Duration::from_millis(1500)), "q.retry.1500ms");
        assert_eq!(dead_queue("q"), "q.dead");
        assert_eq!(dlx_exchange("q"), "q.dlx");
        assert!(check_name("glimvid.script").is_ok());
        assert_eq!(check_name(""), Err(crate::BadQueueName::Empty));
        assert!(matches!(check_name("amq.x"), Err(crate::BadQueueName::Reserved(_))));
        assert!(matches!(check_name(&"x".repeat(224)), Err(crate::BadQueueName::TooLong { max: 223, .. })));
        assert!(check_name(&"x".repeat(223)).is_ok());
        assert!(retry_queue(&"x".repeat(223), Duration::from_millis(u64::MAX)).len() <= MAX_NAME);
    }

    #[test]
    fn main_queue_is_a_quorum_queue_with_a_dlx_and_a_limit() {
        let t = main_queue_args("q", 7, true);
        let m = t.inner();
        assert_eq!(m.get("x-queue-type"), Some(&string("quorum")));
        assert_eq!(m.get("x-delivery-limit"), Some(&AMQPValue::LongLongInt(7)));
        assert_eq!(m.get("x-dead-letter-exchange"), Some(&string("q.dlx")));
        assert_eq!(m.get("x-dead-letter-strategy"), Some(&string("at-least-once")));
        assert!(!main_queue_args("q", 7, false).contains_key("x-dead-letter-strategy"));
    }
}
