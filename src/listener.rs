//! The HTTP listening socket, with an accept queue sized for bursts of new connections.
//!
//! `std::net::TcpListener::bind` asks the kernel for an accept queue of 128 connections, and
//! actix's `HttpServer::backlog` applies only to addresses the server binds itself, not to a
//! listener handed to it. When more clients connect at once than the queue holds (a load
//! balancer opening its pool, Telnyx and every other client reconnecting after a restart or a
//! failover), Linux drops the SYNs beyond it (`ListenOverflows`), and each of those clients waits
//! for its SYN's retransmission: 1 s, then 2 s more. The load generator's 512 connections hit
//! this in every run measured (docs/BENCHMARKS.md, 2026-12-06 eleventh session).
use std::net::{SocketAddr, TcpListener};

use socket2::{Domain, Protocol, Socket, Type};

/// Connections the kernel may hold for the server before it accepts them (capped by
/// `net.core.somaxconn`, 4096 by default since Linux 5.4).
pub const BACKLOG: i32 = 2048;

/// Binds `addr` and listens with an accept queue of [`BACKLOG`] connections; otherwise as
/// `std::net::TcpListener::bind` (`SO_REUSEADDR` on Unix, so a restarted daemon can bind while
/// connections of the previous one are in TIME_WAIT).
pub fn http_listener(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More clients than std's queue of 128 connect at once while nobody accepts: each connect
    /// completes (queued by the kernel) instead of waiting for a SYN retransmission. (Needs
    /// `net.core.somaxconn` >= 400: the default since Linux 5.4 is 4096.)
    #[tokio::test]
    async fn a_burst_of_connections_beyond_128_is_queued_without_waiting() {
        let listener = http_listener("127.0.0.1:0".parse().unwrap()).expect("bind");
        let addr = listener.local_addr().unwrap();
        let connects = (0..400).map(|_| tokio::net::TcpStream::connect(addr));
        // Under a queue of 128, the connects past it wait >= 1 s for their SYN's retransmission,
        // and (nothing ever accepting) never complete: the deadline is there to fail, not to pace.
        let deadline = std::time::Duration::from_secs(10);
        let connected = tokio::time::timeout(deadline, futures::future::join_all(connects))
            .await
            .expect("every connect completes without waiting for a SYN retransmission");
        assert!(connected.iter().all(Result::is_ok));
        // And the server accepts every one of them.
        listener.set_nonblocking(true).unwrap();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let accept_all = async {
            for _ in 0..400 {
                listener.accept().await.expect("accept");
            }
        };
        tokio::time::timeout(deadline, accept_all).await.expect("all 400 are accepted");
    }

    #[test]
    fn a_taken_address_is_an_error() {
        let first = http_listener("127.0.0.1:0".parse().unwrap()).expect("bind");
        let taken = http_listener(first.local_addr().unwrap());
        assert_eq!(taken.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    }
}
