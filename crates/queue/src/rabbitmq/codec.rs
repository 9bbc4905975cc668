//! Conversions between the port's types and AMQP: string headers, the attempt count, and the
//! broker URL (parsed once, its password kept out of every log line and error).

use std::fmt;

use lapin::{
    auth::AuthProvider,
    types::{AMQPValue, FieldTable, LongString, ShortString},
    uri::{AMQPUri, SASLMechanism},
};

use crate::{Headers, QueueError};

/// Our retry counter: the attempts a task had used when it was re-published by `retry`.
pub(crate) const ATTEMPTS_HEADER: &str = "x-glimvid-attempts";
/// Why a task was dead-lettered by `dead_letter`.
pub(crate) const DEAD_REASON_HEADER: &str = "x-glimvid-dead-reason";
/// When a task was dead-lettered by `dead_letter` (Unix milliseconds).
pub(crate) const DEAD_AT_HEADER: &str = "x-glimvid-dead-at";
/// Set by quorum queues on a redelivery (RabbitMQ ≥ 3.8).
const DELIVERY_COUNT_HEADER: &str = "x-delivery-count";

/// Headers the broker or this adapter sets: not handed to workers as task headers.
fn is_internal_header(key: &str) -> bool {
    key.starts_with("x-glimvid-")
        || key.starts_with("x-death")
        || key.starts_with("x-first-death-")
        || key.starts_with("x-last-death-")
        || key == DELIVERY_COUNT_HEADER
        || key == "x-acquired-count"
}

pub(crate) fn short(s: &str, what: &str) -> Result<ShortString, QueueError> {
    ShortString::try_new(s).map_err(|e| QueueError::Unavailable(format!("{what} is too long for AMQP: {e}")))
}

/// Task headers as AMQP long-string headers.
pub(crate) fn encode_headers(headers: &Headers) -> Result<FieldTable, QueueError> {
    let mut table = FieldTable::default();
    for (k, v) in headers {
        if is_internal_header(k) {
            return Err(QueueError::Unavailable(format!("header {k:?} is reserved for the queue adapter")));
        }
        table.insert(short(k, "a header name")?, AMQPValue::LongString(v.as_str().into()));
    }
    Ok(table)
}

/// The task headers of a delivery: string values only, without the broker's and our own.
pub(crate) fn decode_headers(table: Option<&FieldTable>) -> Headers {
    let mut headers = Headers::new();
    for (k, v) in table.map(|t| t.inner().iter()).into_iter().flatten() {
        if is_internal_header(k.as_str()) {
            continue;
        }
        let value = match v {
            AMQPValue::LongString(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
            AMQPValue::ShortString(s) => s.as_str().to_owned(),
            _ => continue,
        };
        headers.insert(k.as_str().to_owned(), value);
    }
    headers
}

fn as_count(v: &AMQPValue) -> Option<u64> {
    let n: i128 = match v {
        AMQPValue::ShortShortInt(n) => (*n).into(),
        AMQPValue::ShortShortUInt(n) => (*n).into(),
        AMQPValue::ShortInt(n) => (*n).into(),
        AMQPValue::ShortUInt(n) => (*n).into(),
        AMQPValue::LongInt(n) => (*n).into(),
        AMQPValue::LongUInt(n) => (*n).into(),
        AMQPValue::LongLongInt(n) => (*n).into(),
        AMQPValue::LongString(s) => std::str::from_utf8(s.as_bytes()).ok()?.trim().parse().ok()?,
        AMQPValue::ShortString(s) => s.as_str().trim().parse().ok()?,
        _ => return None,
    };
    u64::try_from(n).ok()
}

fn header_count(table: Option<&FieldTable>, key: &str) -> u64 {
    table.and_then(|t| t.inner().get(key)).and_then(as_count).unwrap_or(0)
}

/// 1 on the first delivery; + the broker's redeliveries of this copy (`x-delivery-count`, or 1 if
/// only the `redelivered` flag says so) + the attempts used before our last `retry` re-published it.
pub(crate) fn attempts(table: Option<&FieldTable>, redelivered: bool) -> u32 {
    let redeliveries = header_count(table, DELIVERY_COUNT_HEADER).max(u64::from(redelivered));
    let previous = header_count(table, ATTEMPTS_HEADER);
    u32::try_from(1u64.saturating_add(redeliveries).saturating_add(previous)).unwrap_or(u32::MAX)
}

/// The broker URL, parsed. `Display` and `Debug` never show the password.
#[derive(Clone)]
pub(crate) struct BrokerUrl {
    /// The URI handed to lapin: its password is blanked (lapin's TCP layer traces the URI), the
    /// credentials travel through [`PlainAuth`] instead.
    pub(crate) uri: AMQPUri,
    pub(crate) username: String,
    password: String,
}

impl BrokerUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, QueueError> {
        // The parser's messages can quote the whole URL: never pass them on.
        let mut uri: AMQPUri = url.parse().map_err(|_| {
            QueueError::Unavailable("invalid AMQP URL (expected amqp[s]://user:password@host:port/vhost)".into())
        })?;
        let username = uri.authority.userinfo.username.clone();
        let password = std::mem::take(&mut uri.authority.userinfo.password);
        Ok(Self { uri, username, password })
    }

    /// Whether the credentials go through PLAIN (the default mechanism), which [`PlainAuth`] speaks.
    pub(crate) fn uses_plain(&self) -> bool {
        matches!(self.uri.query.auth_mechanism.unwrap_or_default(), SASLMechanism::Plain)
    }

    /// The URI for lapin: without the password when [`PlainAuth`] carries it (other mechanisms
    /// need it in the URI).
    pub(crate) fn lapin_uri(&self) -> AMQPUri {
        let mut uri = self.uri.clone();
        if !self.uses_plain() {
            uri.authority.userinfo.password = self.password.clone();
        }
        uri
    }

    pub(crate) fn auth(&self) -> PlainAuth {
        PlainAuth { username: self.username.clone(), password: self.password.clone() }
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = &self.uri;
        write!(f, "{}://{}@{}:{}/{}", u.scheme, u.authority.userinfo.username, u.authority.host, u.authority.port, {
            if u.vhost == "/" { "%2f" } else { u.vhost.as_str() }
        })
    }
}

impl fmt::Debug for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// SASL PLAIN with credentials held outside the URI.
pub(crate) struct PlainAuth {
    username: String,
    password: String,
}

impl AuthProvider for PlainAuth {
    fn mechanism(&self) -> ShortString {
        SASLMechanism::Plain.name().into()
    }

    fn auth_starter(&self) -> Result<LongString, String> {
        Ok(format!("\0{}\0{}", self.username, self.password).into())
    }
}

impl fmt::Debug for PlainAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainAuth").field("username", &self.username).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_hide_internal_ones() {
        let mut h = Headers::new();
        h.insert("traceparent".into(), "00-abc-def-01".into());
        h.insert("job_id".into(), "42".into());
        let mut table = encode_headers(&h).unwrap();
        table.insert(ATTEMPTS_HEADER.into(), AMQPValue::LongString("3".into()));
        table.insert(DELIVERY_COUNT_HEADER.into(), AMQPValue::LongLongInt(2));
        table.insert("x-death".into(), AMQPValue::FieldArray(Default::default()));
        table.insert("numeric".into(), AMQPValue::LongInt(7));
        assert_eq!(decode_headers(Some(&table)), h);
        assert!(decode_headers(None).is_empty());
        let mut reserved = Headers::new();
        reserved.insert(ATTEMPTS_HEADER.into(), "1".into());
        assert!(encode_headers(&reserved).is_err());
    }

    #[test]
    fn attempts_add_redeliveries_and_retries() {
        assert_eq!(attempts(None, false), 1);
        assert_eq!(attempts(None, true), 2);
        let mut t = FieldTable::default();
        t.insert(DELIVERY_COUNT_HEADER.into(), AMQPValue::LongLongInt(2));
        assert_eq!(attempts(Some(&t), true), 3);
        t.insert(ATTEMPTS_HEADER.into(), AMQPValue::LongString("4".into()));
        assert_eq!(attempts(Some(&t), true), 7);
        t.insert(DELIVERY_COUNT_HEADER.into(), AMQPValue::LongLongInt(-1));
        assert_eq!(attempts(Some(&t), false), 5);
    }

    #[test]
    fn url_display_hides_the_password() {
        let url = BrokerUrl::parse("amqp://user:s3cr%40t@rabbit.example:5673/%2f?heartbeat=10").unwrap();
        assert_eq!(url.to_string(), "amqp://user@rabbit.example:5673/%2f");
        assert!(!format!("{url:?}").contains("s3cr"));
        assert!(url.uri.authority.userinfo.password.is_empty());
        assert_eq!(url.password, "s3cr@t");
        assert!(url.uses_plain());
        assert!(!format!("{:?}", url.auth()).contains("s3cr"));
        let err = BrokerUrl::parse("amqp://user:hunter2@bad host/").err().unwrap();
        assert!(!err.to_string().contains("hunter2"));
    }
}
