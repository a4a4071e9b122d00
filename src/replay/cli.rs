//! `switchboard replay --from --to [--url]`: asks a running daemon to replay a window (POST
//! /v1/webhook-replays with the operator token) and renders its summary for a terminal.
use std::fmt::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::summary::ReplaySummary;

/// The daemon's own address from `http.bind` (a wildcard bind is reached on loopback).
pub fn default_url(bind: SocketAddr) -> Url {
    let ip = match bind.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    let addr = SocketAddr::new(ip, bind.port());
    Url::parse(&format!("http://{addr}")).unwrap_or_else(|_| Url::parse("http://127.0.0.1:8080").expect("constant URL"))
}

/// Sends the request and returns the summary as text, or the daemon's refusal as the error.
pub async fn request_replay(
    daemon: &Url,
    token: Option<&SecretString>,
    from: &str,
    to: &str,
) -> anyhow::Result<String> {
    let Some(token) = token else {
        bail!(
            "admin.operator_token is not configured (SWITCHBOARD__ADMIN__OPERATOR_TOKEN); the replay endpoint needs it"
        )
    };
    let url = daemon.join("v1/webhook-replays").context("--url")?;
    // No overall timeout: a long window takes a while, and the daemon answers when it is done.
    let body =
        post_as_operator(url, token, Some(serde_json::json!({ "from": from, "to": to })), None, "replay").await?;
    let summary: ReplaySummary = serde_json::from_str(&body).context("the daemon's answer is not a replay summary")?;
    Ok(render(&summary))
}

/// POSTs `body` to the daemon with the operator token and returns the answer's body; a refusal
/// becomes an error with the daemon's problem detail (and its field), `what` naming the request.
pub(super) async fn post_as_operator(
    url: Url,
    token: &SecretString,
    body: Option<serde_json::Value>,
    timeout: Option<Duration>,
    what: &str,
) -> anyhow::Result<String> {
    let mut client = reqwest::Client::builder().connect_timeout(Duration::from_secs(5));
    if let Some(timeout) = timeout {
        client = client.timeout(timeout);
    }
    let mut req = client.build()?.post(url.clone()).bearer_auth(token.expose_secret());
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.with_context(|| format!("cannot reach the daemon at {url}"))?;
    let status = res.status();
    let body = res.text().await.context("reading the daemon's answer")?;
    if !status.is_success() {
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let detail = problem["detail"].as_str().unwrap_or(body.trim());
        match problem["field"].as_str() {
            Some(field) => bail!("the daemon refused the {what} (HTTP {}): {field}: {detail}", status.as_u16()),
            None => bail!("the daemon refused the {what} (HTTP {}): {detail}", status.as_u16()),
        }
    }
    Ok(body)
}

/// The summary for a terminal.
pub fn render(s: &ReplaySummary) -> String {
    let t = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut out = format!("replayed failed webhook deliveries {} .. {}\n", t(s.from), t(s.to));
    let _ = writeln!(out, "  pages {}, records {}", s.pages, s.records);
    let _ = writeln!(
        out,
        "  counted {}, already counted {}, acknowledged {}, dead letters {}, failed {}",
        s.counted, s.duplicates, s.acknowledged, s.dead_letters, s.failed
    );
    for f in &s.failures {
        let _ = writeln!(
            out,
            "  failed: delivery {} event {}: {}",
            f.delivery_id.as_deref().unwrap_or("?"),
            f.event_id.as_deref().unwrap_or("?"),
            f.reason
        );
    }
    if s.failed > s.failures.len() as u64 {
        let _ = writeln!(out, "  ({} more failures not listed)", s.failed - s.failures.len() as u64);
    }
    if !s.complete {
        let _ = writeln!(out, "  incomplete: the page limit was reached; replay the window again");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_cli_reaches_a_wildcard_bind_on_loopback() {
        assert_eq!(default_url("0.0.0.0:8080".parse().expect("addr")).as_str(), "http://127.0.0.1:8080/");
        assert_eq!(default_url("[::]:9000".parse().expect("addr")).as_str(), "http://[::1]:9000/");
        assert_eq!(default_url("10.0.0.5:80".parse().expect("addr")).as_str(), "http://10.0.0.5/");
    }
}
