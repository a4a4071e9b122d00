//! What Telnyx's answer to one send means for the message: sent, failed for good (with Telnyx's
//! code and detail), unknown (it may have gone out), or not sent and queued again, with how long
//! its sender must pause.
use std::time::Duration;

use crate::store::send_queue::{AttemptEnd, SendStatus};
use crate::telnyx::client::{SentMessage, TelnyxError};

/// Telnyx's "upstream rate limit exceeded" error code.
pub const RATE_LIMIT_CODE: &str = "40011";
/// How long a sender pauses after a 429 without Retry-After.
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(1);
/// When the request never reached Telnyx: tried again after this.
pub const RETRY_AFTER_TRANSPORT: Duration = Duration::from_secs(2);

/// One send's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub end: AttemptEnd,
    /// Telnyx asked this sender to slow down for this long.
    pub pause_sender: Option<Duration>,
    /// The `outcome` label of the sends metric.
    pub label: &'static str,
}

/// The outcome of `result` for a send made at `now_ms`.
pub fn classify(result: Result<SentMessage, TelnyxError>, now_ms: i64) -> Outcome {
    let later = |d: Duration| now_ms + i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2);
    let err = match result {
        Ok(sent) => {
            return Outcome { end: AttemptEnd::Sent { telnyx_message_id: sent.id }, pause_sender: None, label: "sent" }
        }
        Err(e) => e,
    };
    let rate_limited = match &err {
        TelnyxError::RateLimited { retry_after, .. } => Some(retry_after.unwrap_or(DEFAULT_PAUSE)),
        TelnyxError::Api { errors, .. } if errors.iter().any(|e| e.code == RATE_LIMIT_CODE) => Some(DEFAULT_PAUSE),
        _ => None,
    };
    if let Some(pause) = rate_limited {
        return Outcome {
            end: AttemptEnd::Requeued { send_at_ms: later(pause), detail: err.to_string() },
            pause_sender: Some(pause),
            label: "throttled",
        };
    }
    match err {
        TelnyxError::Api { status, ref errors, .. } => Outcome {
            end: AttemptEnd::Failed {
                status: SendStatus::SendingFailed,
                code: errors.first().map(|e| e.code.clone()).or_else(|| Some(format!("http_{status}"))),
                detail: err.to_string(),
            },
            pause_sender: None,
            label: "failed",
        },
        TelnyxError::Ambiguous { .. } | TelnyxError::Decode { .. } => Outcome {
            end: AttemptEnd::Failed { status: SendStatus::Unknown, code: None, detail: err.to_string() },
            pause_sender: None,
            label: "unknown",
        },
        // Never reached Telnyx (connect failed, client misconfigured): not sent, try again.
        TelnyxError::Transport { .. }
        | TelnyxError::Timeout { .. }
        | TelnyxError::Config(_)
        | TelnyxError::RateLimited { .. } => Outcome {
            end: AttemptEnd::Requeued { send_at_ms: later(RETRY_AFTER_TRANSPORT), detail: err.to_string() },
            pause_sender: None,
            label: "retry",
        },
    }
}
