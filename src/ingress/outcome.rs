//! How a webhook is answered, as types: what happened to an accepted event, why one was refused,
//! why one cannot be taken now. Each carries the label it is counted under in
//! `switchboard_webhooks_received_total{outcome}`.

/// What happened to an event answered 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Its counts (and routing, side effects, opt-out changes) were committed now.
    Counted,
    /// Every count key was committed before: a redelivery or a replay; nothing changed.
    Duplicate,
    /// Nothing to count or route (call.hangup, message.finalized, unknown types, switchboard's own
    /// transfer legs...).
    Acknowledged,
    /// No company owns its numbers: kept as a dead letter for an operator.
    DeadLetter,
    /// `webhooks.ingest_mode = stateless` (a benchmark mode): verified and parsed only.
    Stateless,
}

impl Accepted {
    pub fn label(self) -> &'static str {
        match self {
            Accepted::Counted => "counted",
            Accepted::Duplicate => "duplicate",
            Accepted::Acknowledged => "acknowledged",
            Accepted::DeadLetter => "dead_letter",
            Accepted::Stateless => "stateless",
        }
    }

    /// Whether the answer came after a successful commit (the outage tracker's "healthy").
    pub fn committed(self) -> bool {
        matches!(self, Accepted::Counted | Accepted::Duplicate | Accepted::DeadLetter)
    }
}

/// Why an event was refused with a 4xx (nothing stored; Telnyx's retries will not help).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 401: the signature or its timestamp did not verify.
    BadSignature,
    /// 400: the body is not a Telnyx v2 webhook.
    BadRequest,
}

impl Rejection {
    pub fn label(self) -> &'static str {
        match self {
            Rejection::BadSignature => "bad_signature",
            Rejection::BadRequest => "bad_request",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Rejection::BadSignature => 401,
            Rejection::BadRequest => 400,
        }
    }
}

/// Why an event could not be taken now (503: nothing acknowledged, Telnyx retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailability {
    /// `telnyx.public_key` is not configured.
    NoKey,
    /// The signature verifier or the company's actor has more work than it can queue.
    Overloaded,
    /// The database failed, or the company's numbers are being refreshed.
    Unavailable,
    /// The commit missed `ledger.commit_deadline_ms`.
    Timeout,
}

impl Unavailability {
    pub fn label(self) -> &'static str {
        match self {
            Unavailability::NoKey => "no_key",
            Unavailability::Overloaded => "overloaded",
            Unavailability::Unavailable => "unavailable",
            Unavailability::Timeout => "timeout",
        }
    }

    /// Whether it says the ledger could not commit (the outage tracker's "failing").
    pub fn commit_failed(self) -> bool {
        matches!(self, Unavailability::Unavailable | Unavailability::Timeout)
    }
}

/// How a webhook is answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 200.
    Accepted { event_type: &'static str, how: Accepted },
    /// 4xx with a reason; nothing stored.
    Rejected { reason: String, why: Rejection },
    /// 503 with a reason; nothing acknowledged, Telnyx retries. `event_type` is the parsed
    /// event's type, or "unknown" when the refusal came before the body was parsed.
    Unavailable { reason: String, why: Unavailability, event_type: &'static str },
}

impl Outcome {
    /// A 503 for an event whose type is not known (yet): see [`Outcome::of_type`].
    pub fn unavailable(reason: impl Into<String>, why: Unavailability) -> Self {
        Outcome::Unavailable { reason: reason.into(), why, event_type: "unknown" }
    }

    /// Labels a 503 with the event's type, so refusals can be told apart by type in /metrics.
    pub fn of_type(self, event_type: &'static str) -> Self {
        match self {
            Outcome::Unavailable { reason, why, .. } => Outcome::Unavailable { reason, why, event_type },
            other => other,
        }
    }

    /// The `outcome` label in /metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Accepted { how, .. } => how.label(),
            Outcome::Rejected { why, .. } => why.label(),
            Outcome::Unavailable { why, .. } => why.label(),
        }
    }
}
