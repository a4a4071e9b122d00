//! The HTTP side: an actix-web server on 127.0.0.1:0 in its own thread and actix System (so it
//! works under any test runtime), one handler for every request: authorization, spec check,
//! queued fault, the simulated operation, response check, log, then (POST /messages: after the
//! test's answer delay or hold) the answer and the webhooks it caused.
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;

use super::faults::Fault;
use super::log::{RequestRecord, ViolationKind};
use super::reply::{self, Reply};
use super::routes::{self, Query};
use super::{webhooks, Inner};

/// A running server; [`Running::stop`] ends it.
pub struct Running {
    pub port: u16,
    system: actix_rt::System,
    pub arbiter: actix_rt::ArbiterHandle,
    handle: actix_web::dev::ServerHandle,
}

impl Running {
    /// Stops accepting and drops open connections (also those held by [`Fault::Hang`]).
    pub fn stop(&self) {
        drop(self.handle.stop(false));
        self.system.stop();
    }
}

/// Starts the server for `inner` on a free port.
pub fn start(inner: Arc<Inner>) -> Running {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("telnyx-sim".into())
        .spawn(move || {
            let system = actix_rt::System::new();
            system.block_on(async move {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
                let port = listener.local_addr().expect("local address").port();
                let data = web::Data::from(inner);
                let server =
                    HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(dispatch)))
                        .workers(1)
                        // Idle connections stay open as a real API front end keeps them (nginx's
                        // 75 s; actix's default is 5 s), longer than the daemon's pool keeps them.
                        .keep_alive(std::time::Duration::from_secs(75))
                        .disable_signals()
                        .shutdown_timeout(0)
                        .listen(listener)
                        .expect("listen")
                        .run();
                let handle = server.handle();
                actix_rt::spawn(server);
                let _ = tx.send((port, actix_rt::System::current(), actix_rt::Arbiter::current(), handle));
            });
            system.run().ok();
        })
        .expect("spawn the simulator thread");
    let (port, system, arbiter, handle) = rx.recv().expect("the simulator starts");
    Running { port, system, arbiter, handle }
}

/// Every request comes here.
async fn dispatch(req: HttpRequest, body: web::Bytes, sim: web::Data<Inner>) -> HttpResponse {
    // When the request arrived, before the spec checks: what a rate limit at Telnyx's edge counts.
    let arrived = std::time::Instant::now();
    let sim = sim.into_inner();
    let method = req.method().as_str().to_owned();
    let path = req.path().to_owned();
    let query = Query(url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect());
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let matched = routes::find(&method, &path);
    let spec_op = sim.spec.and_then(|s| s.find(&method, &path));
    let operation = spec_op
        .as_ref()
        .map(|(op, _)| op.name())
        .or(matched.as_ref().map(|m| m.operation.clone()))
        .unwrap_or_else(|| format!("{method} {path}"));

    let mut record = RequestRecord {
        method: method.clone(),
        path: path.clone(),
        operation: spec_op.as_ref().map(|(op, _)| op.name()).or(matched.as_ref().map(|m| m.operation.clone())),
        query: query.0.clone(),
        body: Some(json.clone()).filter(|j| !j.is_null()),
        status: 0,
        fault: None,
    };
    let refused = refuse(&sim, &operation, &auth, spec_op.as_ref(), &query, content_type.as_deref(), &body);
    let reply = match (refused, &matched) {
        (Some(reply), _) => reply,
        (None, None) => {
            if spec_op.is_some() || sim.spec.is_none() {
                sim.log.violation(ViolationKind::Unsimulated, &operation, "the simulator does not implement this");
            }
            Reply::error(404, &reply::NOT_FOUND)
        }
        (None, Some(m)) => {
            let fault = sim.faults().take(&operation);
            record.fault = fault.as_ref().map(|f| format!("{f:?}"));
            match fault {
                Some(Fault::Hang) => {
                    sim.log.request(record.clone());
                    std::future::pending::<Reply>().await
                }
                Some(Fault::Delay(d)) => {
                    tokio::time::sleep(d).await;
                    run(&sim, m, &query, &json, std::time::Instant::now())
                }
                Some(Fault::FailAfterEffect(status)) => {
                    let done = run(&sim, m, &query, &json, arrived);
                    Reply::error(status, &reply::UNEXPECTED).with_webhooks(done.webhooks)
                }
                Some(other) => other.reply().expect("answering faults have a reply"),
                None => run(&sim, m, &query, &json, arrived),
            }
        }
    };
    // Injected faults answer what Telnyx answers anywhere (429, 5xx), declared or not.
    let checked = record.fault.is_none() || matches!(reply.status, 200..=299);
    if let (Some(spec), Some((op, _)), true) = (sim.spec, spec_op.as_ref(), checked) {
        for problem in spec.check_response(op, reply.status, &reply.body) {
            sim.log.violation(ViolationKind::Response, &operation, &problem);
        }
    }
    record.status = reply.status;
    let taken_message = record.is("POST /messages") && (200..300).contains(&reply.status);
    sim.log.request(record);
    if taken_message {
        // Taken (and logged) now; answered when the test's delay or hold lets it.
        super::messages::answer_when_let(&sim).await;
    }
    if !reply.webhooks.is_empty() {
        let hooks = reply.webhooks.clone();
        let inner = Arc::clone(&sim);
        actix_web::rt::spawn(async move {
            for hook in hooks {
                webhooks::deliver(&inner, hook).await;
            }
        });
    }
    let mut resp = HttpResponse::build(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (k, v) in &reply.headers {
        resp.insert_header((k.as_str(), v.as_str()));
    }
    resp.content_type("application/json").body(reply.body.to_string())
}

/// The answer for a request Telnyx would refuse before acting: no Bearer key (401), an operation
/// the spec does not have (404), a request the spec does not allow (422). Each is a violation.
fn refuse(
    sim: &Inner,
    operation: &str,
    auth: &str,
    spec_op: Option<&(&super::spec::Operation, Vec<(String, String)>)>,
    query: &Query,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<Reply> {
    let key = auth.strip_prefix("Bearer ").map(str::trim).unwrap_or_default();
    if key.is_empty() {
        sim.log.violation(ViolationKind::Request, operation, "no `Authorization: Bearer <key>` header");
        return Some(Reply::error(401, &reply::AUTH_FAILED));
    }
    let spec = sim.spec?;
    let Some((op, path_params)) = spec_op else {
        sim.log.violation(ViolationKind::Request, operation, "no such operation in the Telnyx spec");
        return Some(Reply::error(404, &reply::NOT_FOUND));
    };
    let problems = spec.check_request(op, path_params, &query.0, content_type, body);
    if problems.is_empty() {
        return None;
    }
    for p in &problems {
        sim.log.violation(ViolationKind::Request, operation, p);
    }
    Some(Reply::error_detail(422, &reply::BAD_REQUEST, &problems.join("; ")))
}

/// Runs a simulated operation on the account state, as of `arrived` (requests are handled one at
/// a time on the simulator's one thread, so arrivals reach the state in order).
fn run(sim: &Inner, m: &routes::Matched, query: &Query, body: &Value, arrived: std::time::Instant) -> Reply {
    if m.operation == "GET /webhook_deliveries" {
        return super::webhook_deliveries::list(&sim.log.deliveries(), query);
    }
    let mut world = sim.world();
    let now = arrived + world.config.clock_offset;
    routes::handle(&mut world, m, query, body, now)
}
