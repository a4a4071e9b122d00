//! The Telnyx simulator itself (tests/common/telnyx_sim), driven through switchboard's own Telnyx
//! client and plain reqwest, with webhooks delivered to a small local receiver. Each test drops
//! its simulator at the end, which fails the test on any spec violation not taken on purpose.
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use switchboard::telnyx::client::{TelnyxClient, TelnyxClientConfig, TelnyxError};

use crate::telnyx_sim::TelnyxSim;

mod calls;
mod client;
mod daemon;
mod faults;
mod messages;
mod numbers;
mod profiles;
mod receiver;
mod spec;

/// switchboard's client pointed at the simulator: short backoffs, two retries.
pub(crate) fn client(sim: &TelnyxSim) -> TelnyxClient {
    client_with(sim, Duration::from_secs(10), 2)
}

fn client_with(sim: &TelnyxSim, request_timeout: Duration, max_retries: u32) -> TelnyxClient {
    TelnyxClient::new(TelnyxClientConfig {
        base_url: sim.base_url(),
        api_key: SecretString::from("KEYsimulator_test"),
        connect_timeout: Duration::from_secs(5),
        request_timeout,
        max_retries,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    })
    .expect("client")
}

/// A raw request to the simulator (for bodies the client cannot send).
async fn raw(sim: &TelnyxSim, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = sim.base_url().join(path.trim_start_matches('/')).expect("url");
    let mut req = reqwest::Client::new().request(method, url).bearer_auth("KEYsimulator_test");
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("the simulator answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The first Telnyx error code of an API error.
fn error_code(e: &TelnyxError) -> Option<(u16, String)> {
    match e {
        TelnyxError::Api { status, errors, .. } => Some((*status, errors.first()?.code.clone())),
        _ => None,
    }
}
