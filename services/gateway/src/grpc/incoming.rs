//! The partner port's connections, capped: at most `total` held at once (past it the next
//! connection is not accepted and waits in the kernel's backlog, costing this process nothing),
//! at most `per_ip` from one client address (more are closed as they are accepted), and a
//! connection that sends nothing within `first_byte` of being accepted is closed. An outsider
//! cannot hold the port's connections, or the memory each takes, by opening and idling.

use std::{
    collections::HashMap,
    io,
    net::IpAddr,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use futures::{Stream, StreamExt};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::{OwnedSemaphorePermit, Semaphore},
    time::Sleep,
};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// The caps of [`capped`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionCaps {
    /// Connections at once, from everyone.
    pub total: usize,
    /// Connections at once from one client address; 0: no limit.
    pub per_ip: usize,
    /// How long a new connection may stay silent before it is closed.
    pub first_byte: Duration,
}

impl Default for ConnectionCaps {
    fn default() -> Self {
        Self { total: 1024, per_ip: 64, first_byte: Duration::from_secs(10) }
    }
}

/// Connections held per client address.
type PerIp = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// `incoming` with the caps applied; each item holds its share of the caps until it is dropped.
pub fn capped<S>(incoming: S, caps: ConnectionCaps) -> impl Stream<Item = io::Result<CappedConnection>>
where
    S: Stream<Item = io::Result<TcpStream>> + Unpin,
{
    let slots = Arc::new(Semaphore::new(caps.total.max(1)));
    let per_ip: PerIp = Arc::default();
    futures::stream::unfold(incoming, move |mut incoming| {
        let (slots, per_ip) = (slots.clone(), per_ip.clone());
        async move {
            loop {
                // The slot first: without one the listener is not polled, so nothing is accepted.
                let slot = slots.clone().acquire_owned().await.ok()?;
                let io = match incoming.next().await? {
                    Ok(io) => io,
                    Err(e) => return Some((Err(e), incoming)),
                };
                let ip = io.peer_addr().ok().map(|a| a.ip());
                let Some(share) = IpShare::take(&per_ip, ip, caps.per_ip) else {
                    metrics::counter!("glimvid_grpc_connections_refused_total", "reason" => "per_ip").increment(1);
                    tracing::debug!(ip = ?ip, "partner connection closed: too many from one address");
                    continue; // dropped: closed at once, and its slot is free again
                };
                let first_byte = Some(Box::pin(tokio::time::sleep(caps.first_byte)));
                let conn = CappedConnection { io, first_byte, _slot: slot, _share: share };
                return Some((Ok(conn), incoming));
            }
        }
    })
}

/// One client address's count, given back on drop.
struct IpShare {
    per_ip: PerIp,
    ip: Option<IpAddr>,
}

impl IpShare {
    fn take(per_ip: &PerIp, ip: Option<IpAddr>, cap: usize) -> Option<Self> {
        if let (Some(addr), true) = (ip, cap > 0) {
            let mut held = per_ip.lock().unwrap_or_else(|e| e.into_inner());
            let n = held.entry(addr).or_default();
            if *n >= cap {
                return None;
            }
            *n += 1;
            return Some(Self { per_ip: per_ip.clone(), ip });
        }
        Some(Self { per_ip: per_ip.clone(), ip: None })
    }
}

impl Drop for IpShare {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut held = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = held.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                held.remove(&ip);
            }
        }
    }
}

/// An accepted connection holding its place under the caps.
pub struct CappedConnection {
    io: TcpStream,
    /// Until the first byte arrives: when it fires, reads fail and the connection is closed.
    first_byte: Option<Pin<Box<Sleep>>>,
    _slot: OwnedSemaphorePermit,
    _share: IpShare,
}

impl Connected for CappedConnection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

impl AsyncRead for CappedConnection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        match &polled {
            Poll::Ready(Ok(())) if buf.filled().len() > before => self.first_byte = None,
            Poll::Pending => {
                if let Some(deadline) = self.first_byte.as_mut()
                    && deadline.as_mut().poll(cx).is_ready()
                {
                    metrics::counter!("glimvid_grpc_connections_refused_total", "reason" => "silent").increment(1);
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "no request on a new connection")));
                }
            }
            _ => {}
        }
        polled
    }
}

impl AsyncWrite for CappedConnection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio_stream::wrappers::TcpListenerStream;

    use super::*;

    async fn listener() -> (TcpListenerStream, std::net::SocketAddr) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        (TcpListenerStream::new(l), addr)
    }

    /// Whether the server side closes `c` within `wait` (a read returns 0 or an error).
    async fn closed(c: &mut TcpStream, wait: Duration) -> bool {
        let mut b = [0u8; 1];
        matches!(tokio::time::timeout(wait, c.read(&mut b)).await, Ok(Ok(0)) | Ok(Err(_)))
    }

    #[tokio::test]
    async fn past_the_total_a_connection_waits_until_one_closes() {
        let (inc, addr) = listener().await;
        let caps = ConnectionCaps { total: 2, per_ip: 0, first_byte: Duration::from_secs(30) };
        let mut accepted = Box::pin(capped(inc, caps));
        let _a = TcpStream::connect(addr).await.unwrap();
        let _b = TcpStream::connect(addr).await.unwrap();
        let first = accepted.next().await.unwrap().unwrap();
        let _second = accepted.next().await.unwrap().unwrap();
        let _c = TcpStream::connect(addr).await.unwrap(); // in the backlog
        let third = tokio::time::timeout(Duration::from_millis(300), accepted.next()).await;
        assert!(third.is_err(), "a third connection was accepted past a cap of 2");
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), accepted.next()).await;
        assert!(matches!(third, Ok(Some(Ok(_)))), "the waiting connection was not accepted once a slot was free");
    }

    #[tokio::test]
    async fn one_address_gets_at_most_its_share() {
        let (inc, addr) = listener().await;
        let caps = ConnectionCaps { total: 10, per_ip: 2, first_byte: Duration::from_secs(30) };
        let mut accepted = Box::pin(capped(inc, caps));
        let server = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Some(c) = accepted.next().await {
                held.push(c.unwrap());
            }
        });
        let mut clients = Vec::new();
        for _ in 0..3 {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        // The third from 127.0.0.1 is closed at accept; the first two stay open.
        assert!(
            closed(&mut clients[2], Duration::from_secs(5)).await,
            "a third connection from one address stayed open"
        );
        assert!(!closed(&mut clients[0], Duration::from_millis(200)).await);
        assert!(!closed(&mut clients[1], Duration::from_millis(200)).await);
        server.abort();
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed_and_a_talking_one_is_not() {
        let (inc, addr) = listener().await;
        let caps = ConnectionCaps { total: 10, per_ip: 0, first_byte: Duration::from_millis(300) };
        let mut accepted = Box::pin(capped(inc, caps));
        let _silent = TcpStream::connect(addr).await.unwrap();
        let mut talking = TcpStream::connect(addr).await.unwrap();
        let mut silent_side = accepted.next().await.unwrap().unwrap();
        let mut talking_side = accepted.next().await.unwrap().unwrap();
        talking.write_all(b"PRI").await.unwrap();
        let mut b = [0u8; 3];
        talking_side.read_exact(&mut b).await.unwrap();
        let err = tokio::time::timeout(Duration::from_secs(5), silent_side.read(&mut b)).await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        // Past the deadline, a connection that spoke in time keeps being read.
        tokio::time::sleep(Duration::from_millis(400)).await;
        talking.write_all(b"xyz").await.unwrap();
        talking_side.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"xyz");
    }
}
