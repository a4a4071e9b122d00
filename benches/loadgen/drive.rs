//! Drives the daemon: raw HTTP/1.1 keep-alive connections, unpaced (maximum rate) or paced
//! (a fixed arrival rate, latency counted from when each request was due).
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Sends `reqs[i]` for i in `indexes` on one connection; returns (index, status, latency us).
async fn connection(
    port: u16,
    reqs: Arc<Vec<Vec<u8>>>,
    indexes: Vec<usize>,
    pace: Option<(Duration, Duration)>,
) -> Vec<(usize, u16, u32, Instant)> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut out = Vec::with_capacity(indexes.len());
    let mut line = String::new();
    // Paced connections start staggered over one period, so arrivals are spread evenly in time
    // instead of every connection firing at the same instant (bursts that measure queueing).
    let mut next = Instant::now() + pace.map(|(_, offset)| offset).unwrap_or_default();
    for i in indexes {
        // Paced: latency counts from when the request was due, so a stalled daemon is not hidden
        // by the sender waiting for it (no coordinated omission).
        let t0 = match pace {
            Some((p, _)) => {
                let due = next;
                tokio::time::sleep_until(due.into()).await;
                next += p;
                due
            }
            None => Instant::now(),
        };
        w.write_all(&reqs[i]).await.unwrap();
        line.clear();
        r.read_line(&mut line).await.unwrap();
        let status: u16 = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut len = 0usize;
        loop {
            line.clear();
            r.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).await.unwrap();
        out.push((i, status, t0.elapsed().as_micros() as u32, t0));
    }
    out
}

pub struct RunResult {
    pub rate: f64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub non_200: usize,
    /// (status, how many) of the answers that were not 200, most frequent first.
    pub statuses: Vec<(u16, usize)>,
    /// The 100 ms of the run whose requests (by when each was due) waited longest.
    pub slowest: Slowest,
}

/// When a run's worst latency happened, to set beside other readings of the machine (a disk
/// probe, PostgreSQL's wait events) taken at the same wall-clock time.
pub struct Slowest {
    /// Wall-clock start of the 100 ms window (UTC).
    pub at: chrono::DateTime<chrono::Utc>,
    /// Seconds from the run's start.
    pub offset: f64,
    /// Requests due in it, and the longest wait among them (ms).
    pub requests: usize,
    pub max: f64,
    /// Requests of the whole run that waited over 20 ms.
    pub over_20ms: usize,
}

impl std::fmt::Display for Slowest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "slowest 100 ms: due from {} (+{:.1} s), {} requests, waited up to {:.2} ms; {} requests over 20 ms in the run",
            self.at.format("%H:%M:%S%.3f"),
            self.offset,
            self.requests,
            self.max,
            self.over_20ms
        )
    }
}

/// [`Slowest`] of `all` (index, status, latency us, due), the run having started at `t0`/`wall`.
fn slowest(all: &[(usize, u16, u32, Instant)], t0: Instant, wall: chrono::DateTime<chrono::Utc>) -> Slowest {
    let mut windows: std::collections::HashMap<u128, (usize, u32)> = std::collections::HashMap::new();
    for (_, _, lat, due) in all {
        let w = windows.entry(due.saturating_duration_since(t0).as_millis() / 100).or_default();
        *w = (w.0 + 1, w.1.max(*lat));
    }
    let (window, (requests, max)) = windows.into_iter().max_by_key(|(_, (_, max))| *max).unwrap_or_default();
    Slowest {
        at: wall + chrono::Duration::milliseconds(window as i64 * 100),
        offset: window as f64 / 10.0,
        requests,
        max: max as f64 / 1000.0,
        over_20ms: all.iter().filter(|(_, _, lat, _)| *lat > 20_000).count(),
    }
}

/// Sends `todo` over `conns` connections spread over the daemons at `ports` (connection c to
/// `ports[c % len]`).
pub async fn run(
    ports: &[u16],
    reqs: &Arc<Vec<Vec<u8>>>,
    todo: &[usize],
    conns: usize,
    rate: Option<f64>,
) -> (RunResult, Vec<usize>, std::collections::HashMap<usize, Instant>) {
    let pace = rate.map(|r| Duration::from_secs_f64(conns as f64 / r));
    let (t0, wall) = (Instant::now(), chrono::Utc::now());
    let tasks: Vec<_> = (0..conns)
        .map(|c| {
            let idx: Vec<usize> = todo.iter().copied().skip(c).step_by(conns).collect();
            let pace = pace.map(|p| (p, p.mul_f64(c as f64 / conns as f64)));
            tokio::spawn(connection(ports[c % ports.len()], reqs.clone(), idx, pace))
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = t0.elapsed().as_secs_f64();
    let sent_at = all.iter().map(|(i, _, _, at)| (*i, *at)).collect();
    let failed: Vec<usize> = all.iter().filter(|(_, s, _, _)| *s != 200).map(|(i, _, _, _)| *i).collect();
    let mut statuses = std::collections::BTreeMap::new();
    for (_, s, _, _) in all.iter().filter(|(_, s, _, _)| *s != 200) {
        *statuses.entry(*s).or_insert(0usize) += 1;
    }
    let mut statuses: Vec<(u16, usize)> = statuses.into_iter().collect();
    statuses.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let mut lat: Vec<u32> = all.iter().map(|(_, _, l, _)| *l).collect();
    lat.sort_unstable();
    let q = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    (
        RunResult {
            rate: all.len() as f64 / secs,
            p50: q(0.5),
            p99: q(0.99),
            max: q(1.0),
            non_200: failed.len(),
            statuses,
            slowest: slowest(&all, t0, wall),
        },
        failed,
        sent_at,
    )
}
