//! Message forwards with alternates (issue 20): a failing primary hands the forward to the next
//! alternate once, a 410 disables the endpoint (listed, skipped, re-enabled by an admin), a
//! receiver's Retry-After sets the next attempt, and a one-URL destination works as before.
//! The daemon's own outbox worker delivers, on a retry schedule in milliseconds.
mod alternates;
mod endpoints;
mod reading;
mod retry_after;

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::admin_support::{eventually, spawn_admin_with, Admin};
use crate::helpers::Db;

/// A loopback receiver that answers `status` (changeable) and records each request's webhook-id.
pub struct Hook {
    server: MockServer,
    status: Arc<AtomicU16>,
    ids: Arc<Mutex<Vec<String>>>,
}

impl Hook {
    pub async fn answering(status: u16) -> Hook {
        Hook::with(status, None).await
    }

    /// Answers `status` with a `Retry-After: retry_after` header.
    pub async fn with(status: u16, retry_after: Option<&str>) -> Hook {
        let server = MockServer::start().await;
        let (code, ids) = (Arc::new(AtomicU16::new(status)), Arc::new(Mutex::new(Vec::new())));
        let (c, i, after) = (code.clone(), ids.clone(), retry_after.map(str::to_owned));
        Mock::given(wiremock::matchers::method("POST"))
            .respond_with(move |req: &Request| {
                let id = req.headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
                i.lock().unwrap().push(id.to_owned());
                let answer = ResponseTemplate::new(c.load(Ordering::SeqCst));
                match &after {
                    Some(a) => answer.insert_header("retry-after", a.as_str()),
                    None => answer,
                }
            })
            .mount(&server)
            .await;
        Hook { server, status: code, ids }
    }

    pub fn url(&self) -> String {
        format!("{}/hook", self.server.uri())
    }

    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// The webhook-id of every request received, in order.
    pub fn ids(&self) -> Vec<String> {
        self.ids.lock().unwrap().clone()
    }
}

/// The daemon, its forwards retried after 0, 20 and 20 ms (3 attempts per URL), no jitter.
pub async fn spawn(db: Db) -> Admin {
    spawn_admin_with(db, |s| {
        s.forwards.retry_schedule = [0, 20, 20].into_iter().map(Duration::from_millis).collect();
        s.forwards.retry_jitter_percent = 0;
    })
    .await
}

/// The company's outbox row of event `event`, once `done` holds for it.
pub async fn row_of(admin: &Admin, token: &str, company: Uuid, event: &str, done: fn(&Value) -> bool) -> Value {
    let path = format!("/v1/companies/{company}/outbox?limit=100");
    eventually(&format!("the forward of {event} settles"), || async {
        let (_, page) = admin.call(Method::GET, &path, Some(token), None).await;
        page["data"].as_array()?.iter().find(|r| r["event_id"] == event && done(r)).cloned()
    })
    .await
}

pub fn settled(row: &Value) -> bool {
    row["status"] != "pending"
}
