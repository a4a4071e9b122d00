//! wiremock tests of the Telnyx client: what goes on the wire, and how failures are retried.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics::{Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata};
use metrics::{Recorder, SharedString, Unit};
use secrecy::SecretString;
use url::Url;
use wiremock::MockServer;

use super::{TelnyxClient, TelnyxClientConfig};

mod metrics_recorded;
mod profiles;
mod requests;
mod retries;

pub(super) const API_KEY: &str = "KEYtest_0123456789_super_secret";

/// A client for `server` with base URL `<server>/v2` (to prove the path prefix is kept), tiny
/// backoffs so retries do not slow the tests, and 3 retries.
pub(super) fn config(server: &MockServer) -> TelnyxClientConfig {
    TelnyxClientConfig {
        base_url: Url::parse(&format!("{}/v2", server.uri())).expect("mock server url"),
        api_key: SecretString::from(API_KEY),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
    }
}

pub(super) fn client(server: &MockServer) -> TelnyxClient {
    TelnyxClient::new(config(server)).expect("client")
}

pub(super) fn e164(s: &str) -> crate::domain::PhoneNumber {
    crate::domain::PhoneNumber::parse(s).expect("e164")
}

/// Records each counter increment / histogram observation as `name{k=v,...}`, in order.
#[derive(Default, Clone)]
pub(super) struct TestRecorder {
    log: Arc<Mutex<Vec<String>>>,
}

struct Handle {
    key: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl TestRecorder {
    pub(super) fn events(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    fn handle(&self, key: &Key) -> Arc<Handle> {
        let labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
        Arc::new(Handle { key: format!("{}{{{}}}", key.name(), labels.join(",")), log: self.log.clone() })
    }
}

impl CounterFn for Handle {
    fn increment(&self, value: u64) {
        self.log.lock().expect("log").push(format!("{} +{value}", self.key));
    }
    fn absolute(&self, _: u64) {}
}

impl HistogramFn for Handle {
    fn record(&self, _: f64) {
        self.log.lock().expect("log").push(format!("{} observed", self.key));
    }
}

impl GaugeFn for Handle {
    fn increment(&self, _: f64) {}
    fn decrement(&self, _: f64) {}
    fn set(&self, _: f64) {}
}

impl Recorder for TestRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.handle(key))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.handle(key))
    }
}
