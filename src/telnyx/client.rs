//! The Telnyx REST API v2 client: configuration, the retrying request loop, metrics.
//!
//! Operations live in one file per area (`messaging`, `calls`, `applications`, `voice_profiles`,
//! `numbers`, `webhook_deliveries`);
//! each states its [`Retry`] policy. Requests must be valid for the Telnyx OpenAPI spec
//! (../shared/telnyx/openapi-spec3.yml); `tests/telnyx_contract.rs` checks them against Prism.
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

mod applications;
mod calls;
mod error;
mod lookup;
mod media;
mod messaging;
mod metrics;
mod numbers;
mod retry;
mod voice_profiles;
mod webhook_deliveries;

#[cfg(test)]
mod tests;

pub use self::applications::{CallControlApplication, NewCallControlApplication};
pub use self::calls::{
    AnswerRequest, Call, CommandId, DialRequest, EmptyCommandId, HangupRequest, MachineDetection, RingGroupDial,
    RingTimeout, RingTimeoutError, TransferRequest,
};
pub use self::error::{ApiErrorDetail, TelnyxError};
pub use self::media::{RecordStartRequest, SpeakRequest};
pub use self::messaging::{MessagingProfile, NewMessagingProfile, SendMessageRequest, SentMessage};
pub use self::metrics::{
    Endpoint, MetricKind, MetricSpec, METRICS, REQUESTS_TOTAL, REQUEST_DURATION_SECONDS, STATUS_ERROR, STATUS_TIMEOUT,
};
pub use self::numbers::{
    AvailableNumber, AvailableNumberSearch, NumberOrder, NumberOrderRequest, OrderStatus, OrderedNumber, OwnedNumber,
    PhoneNumberFilter,
};
pub use self::retry::{Retry, COMMAND_ID_WINDOW};
pub use self::voice_profiles::{NewOutboundVoiceProfile, OutboundVoiceProfile};
pub use self::webhook_deliveries::{
    DeliveryRecord, PageMeta, WebhookDelivery, WebhookDeliveryFilter, WebhookDeliveryPage, WebhookDeliveryStatus,
};

pub use crate::domain::{CountryCode, CountryCodeError};
pub use crate::telnyx::client_state::{ClientState, LegState};

use self::retry::{Attempts, Backoff, Decision, Outcome};

/// How long an idle connection to Telnyx is kept for reuse (below the common 60 s of the load
/// balancers in front of APIs; reqwest's default is 90 s).
const POOL_IDLE: Duration = Duration::from_secs(50);

/// Settings for [`TelnyxClient::new`]. `Debug` never shows the key.
#[derive(Debug, Clone)]
pub struct TelnyxClientConfig {
    /// `https://api.telnyx.com/v2` in production, `http://127.0.0.1:4010` for Prism. Operation
    /// paths are appended to it, keeping its path prefix.
    pub base_url: Url,
    pub api_key: SecretString,
    pub connect_timeout: Duration,
    /// Limit for one attempt, from sending to the end of the response body.
    pub request_timeout: Duration,
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    pub initial_backoff: Duration,
    /// Upper bound for any wait between attempts, including a server's `Retry-After`.
    pub max_backoff: Duration,
}

/// A Telnyx API v2 client. Cheap to clone (one shared connection pool).
#[derive(Clone)]
pub struct TelnyxClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    /// `Bearer <key>`, marked sensitive so reqwest/http never print it.
    authorization: HeaderValue,
    max_retries: u32,
    backoff: Backoff,
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl fmt::Debug for TelnyxClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("TelnyxClient")
            .field("base_url", &i.base_url.as_str())
            .field("api_key", &"[REDACTED]")
            .field("connect_timeout", &i.connect_timeout)
            .field("request_timeout", &i.request_timeout)
            .field("max_retries", &i.max_retries)
            .field("initial_backoff", &i.backoff.initial)
            .field("max_backoff", &i.backoff.max)
            .finish()
    }
}

/// Every Telnyx success body is `{"data": ...}`.
#[derive(Deserialize)]
struct DataEnvelope<T> {
    data: T,
}

impl TelnyxClient {
    pub fn new(cfg: TelnyxClientConfig) -> Result<Self, TelnyxError> {
        if cfg.base_url.cannot_be_a_base() {
            return Err(TelnyxError::Config(format!("base_url {} cannot be a base", cfg.base_url)));
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", cfg.api_key.expose_secret()))
            .map_err(|_| TelnyxError::Config("api_key contains invalid characters".into()))?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            // Idle connections are dropped before the servers in front of Telnyx drop them (load
            // balancers commonly at 60 s): a request sent on a connection the server is closing
            // fails after it may have been read, so a message send ends `unknown`.
            .pool_idle_timeout(POOL_IDLE)
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TelnyxError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url: cfg.base_url,
                authorization,
                max_retries: cfg.max_retries,
                backoff: Backoff { initial: cfg.initial_backoff, max: cfg.max_backoff },
                connect_timeout: cfg.connect_timeout,
                request_timeout: cfg.request_timeout,
            }),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The base URL with `segments` appended, each percent-encoded as one path segment.
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url, TelnyxError> {
        let mut url = self.inner.base_url.clone();
        url.set_query(None);
        url.path_segments_mut()
            .map_err(|()| TelnyxError::Config("base_url cannot be a base".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// Sends a request (with `body` as JSON when given), retrying under `policy`, and decodes
    /// the `data` member of the success body.
    pub(crate) async fn request<B, T>(
        &self,
        endpoint: Endpoint,
        method: Method,
        url: Url,
        body: Option<&B>,
        policy: Retry,
    ) -> Result<T, TelnyxError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let body = match body {
            Some(b) => Some(bytes::Bytes::from(
                serde_json::to_vec(b)
                    .map_err(|e| TelnyxError::Config(format!("cannot encode the {endpoint} request: {e}")))?,
            )),
            None => None,
        };
        let (status, bytes) = self.execute(endpoint, method, url, body, policy).await?;
        serde_json::from_slice::<DataEnvelope<T>>(&bytes).map(|e| e.data).map_err(|e| TelnyxError::Decode {
            endpoint,
            status: status.as_u16(),
            message: e.to_string(),
        })
    }

    /// The attempt loop: returns the status and body of the first success.
    async fn execute(
        &self,
        endpoint: Endpoint,
        method: Method,
        url: Url,
        body: Option<bytes::Bytes>,
        policy: Retry,
    ) -> Result<(StatusCode, bytes::Bytes), TelnyxError> {
        let mut retry = 0u32;
        let mut attempts = Attempts::start(policy);
        loop {
            let failure = match self.attempt(endpoint, &method, &url, body.clone()).await {
                Ok(success) => return Ok(success),
                Err(failure) => failure,
            };
            let delay = self.inner.backoff.delay(retry, failure.retry_after());
            let decision = attempts.after_failure(failure.outcome, delay);
            if decision == Decision::Retry && retry < self.inner.max_retries {
                tracing::debug!(
                    endpoint = endpoint.as_str(),
                    retry = retry + 1,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    outcome = ?failure.outcome,
                    "retrying Telnyx request"
                );
                tokio::time::sleep(delay).await;
                retry += 1;
                continue;
            }
            let decision = if decision == Decision::Retry { attempts.exhausted(decision) } else { decision };
            return Err(failure.into_error(endpoint, decision));
        }
    }

    /// One HTTP attempt, recorded in the metrics.
    async fn attempt(
        &self,
        endpoint: Endpoint,
        method: &Method,
        url: &Url,
        body: Option<bytes::Bytes>,
    ) -> Result<(StatusCode, bytes::Bytes), Failure> {
        let mut req = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, self.inner.authorization.clone())
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(body);
        }
        let started = Instant::now();
        let result = match req.send().await {
            Ok(resp) if resp.status().is_success() => {
                let status = resp.status();
                resp.bytes().await.map(|bytes| (status, bytes)).map_err(Failure::from_transport)
            }
            Ok(resp) => {
                // Only a failure reads its headers (Retry-After, sl-violations), kept past the body.
                let status = resp.status();
                let headers = resp.headers().clone();
                let body = resp.bytes().await.unwrap_or_default();
                Err(Failure::from_status(status, &headers, &body))
            }
            Err(e) => Err(Failure::from_transport(e)),
        };
        let label = match &result {
            Ok((status, _)) => status.as_u16().to_string(),
            Err(f) => f.status_label(),
        };
        metrics::record_attempt(endpoint, &label, started.elapsed());
        result
    }
}

/// Appends `pairs` to `url`'s query, form-encoded (`[` and `]` become `%5B` / `%5D`).
pub(crate) fn with_query(mut url: Url, pairs: &[(&str, String)]) -> Url {
    if !pairs.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    url
}

/// An attempt that did not succeed, with what is needed to decide and to report.
struct Failure {
    outcome: Outcome,
    errors: Vec<ApiErrorDetail>,
    transport: Option<reqwest::Error>,
}

impl Failure {
    fn from_status(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let mut errors = error::parse_error_body(body);
        if let Some(v) = headers.get("sl-violations").and_then(|v| v.to_str().ok()) {
            let mut violations = error::parse_violations(v);
            violations.append(&mut errors);
            errors = violations;
        }
        let retry_after = retry::retry_after(headers, chrono::Utc::now());
        Failure { outcome: Outcome::Status { status, retry_after }, errors, transport: None }
    }

    fn from_transport(e: reqwest::Error) -> Self {
        let outcome = if e.is_connect() {
            Outcome::ConnectFailed
        } else if e.is_timeout() {
            Outcome::TimedOut
        } else {
            Outcome::Broken
        };
        Failure { outcome, errors: Vec::new(), transport: Some(e) }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self.outcome {
            Outcome::Status { retry_after, .. } => retry_after,
            _ => None,
        }
    }

    fn status_label(&self) -> String {
        match self.outcome {
            Outcome::Status { status, .. } => status.as_u16().to_string(),
            Outcome::TimedOut => STATUS_TIMEOUT.to_owned(),
            Outcome::ConnectFailed | Outcome::Broken => STATUS_ERROR.to_owned(),
        }
    }

    fn into_error(self, endpoint: Endpoint, decision: Decision) -> TelnyxError {
        match (decision, self.outcome, self.transport) {
            (Decision::Ambiguous, Outcome::Status { status, .. }, _) => TelnyxError::Ambiguous {
                endpoint,
                reason: match self.errors.first() {
                    Some(e) => format!("HTTP {status}: {e}"),
                    None => format!("HTTP {status}"),
                },
            },
            (Decision::Ambiguous, Outcome::TimedOut, _) => {
                TelnyxError::Ambiguous { endpoint, reason: "timed out after the request was sent".into() }
            }
            (Decision::Ambiguous, _, transport) => TelnyxError::Ambiguous {
                endpoint,
                reason: match transport {
                    Some(e) => format!("connection failed after the request was sent: {e}"),
                    None => "connection failed after the request was sent".into(),
                },
            },
            (_, Outcome::Status { status, retry_after }, _) if status == StatusCode::TOO_MANY_REQUESTS => {
                TelnyxError::RateLimited { endpoint, retry_after }
            }
            (_, Outcome::Status { status, .. }, _) => {
                TelnyxError::Api { endpoint, status: status.as_u16(), errors: self.errors }
            }
            (_, Outcome::TimedOut, _) => TelnyxError::Timeout { endpoint },
            (_, _, Some(source)) => TelnyxError::Transport { endpoint, source },
            (_, _, None) => TelnyxError::Ambiguous { endpoint, reason: "unknown failure".into() },
        }
    }
}
