//! Runs the case tables of tests/hostile/webhooks/*.json against one app (see tests/hostile/README.md).
//!
//! Every case is sent as raw bytes over its own TCP connection, so a case controls exactly what
//! goes on the wire (header lines included). After each case: the status, the counters of every
//! seeded number, the dead-letter count, and /healthz are checked.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use switchboard::domain::{CompanyId, NumberStatus, PhoneNumber};
use switchboard::store::{NewNumber, NumberFilter, NumberPatch, Usage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{port, within};
use crate::helpers::{Db, TestApp};
use crate::telnyx_events::*;
use crate::webhooks::{app_changed, app_with_key, ACME_SALES, ACME_SUPPORT, CUSTOMER, OTHER_MAIN};

/// An Acme number whose status is `suspended`: usage still happens on it, so it still counts.
pub const ACME_SUSPENDED: &str = "+14155550006";
const TOLERANCE_SECS: i64 = 300;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[allow(dead_code)]
    about: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    why: String,
    body: Body,
    #[serde(default)]
    signature: Sig,
    /// Extra header lines, written verbatim (no validation: injection attempts go on the wire).
    #[serde(default)]
    raw_headers: Vec<String>,
    /// Appended to /webhooks/telnyx verbatim, e.g. "?company=...".
    #[serde(default)]
    query: String,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Body {
    /// A Telnyx-shaped event built by tests/api/telnyx_events.rs.
    Event(Event),
    /// Any JSON value, serialized compactly.
    Json(serde_json::Value),
    /// The UTF-8 bytes of the string (JSON escapes such as \u0000 give NUL bytes).
    Text(String),
    /// One byte per character, each at most U+00FF: "\u00ff" is the byte 0xFF (invalid UTF-8).
    Latin1(String),
    Generate(Generate),
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Event {
    MessageReceived {
        id: String,
        from: String,
        to: Vec<String>,
        #[serde(default)]
        cc: Vec<String>,
    },
    MessageSent {
        id: String,
        from: String,
        to: String,
    },
    CallInitiated {
        id: String,
        from: String,
        to: String,
        direction: String,
    },
    Call {
        id: String,
        event_type: String,
        from: String,
        to: String,
    },
    Other {
        id: String,
        event_type: String,
    },
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Generate {
    /// message.received to `to`, its text padded so the whole body is exactly `bytes` long.
    PaddedMessage { id: String, to: String, bytes: usize },
    /// An envelope whose `data.payload` (or an unused top-level key) is `depth` nested arrays.
    DeepNesting { id: String, event_type: String, depth: usize, place: String },
    /// The whole body is `depth` nested arrays.
    DeepArrays { depth: usize },
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Sig {
    /// Signed now with the configured key.
    #[default]
    Valid,
    /// Signed, then one byte appended to the body.
    Tampered,
    /// No signature header (timestamp present).
    Missing,
    /// No timestamp header (signature present).
    MissingTimestamp,
    /// Neither header.
    None,
    /// Signed with another key.
    WrongKey,
    /// Signed correctly, timestamp one second beyond the tolerance in the past.
    Stale,
    /// Signed correctly, timestamp one second beyond the tolerance in the future.
    Future,
    /// A capture of a genuine delivery replayed an hour later.
    Replayed,
    /// Signed correctly over a millisecond timestamp.
    MsTimestamp,
    /// Signed correctly with the timestamp this many seconds from now (inside or outside tolerance).
    OffsetSecs(i64),
    /// Signed correctly over this literal timestamp text (non-digits, signs, spaces...).
    TimestampText(String),
    /// This literal signature header value, a valid timestamp.
    SignatureText(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    status: u16,
    /// Counter increments this case causes: "ACME_SALES.incoming_calls" -> 1. Absent: nothing.
    #[serde(default)]
    counts: BTreeMap<String, i64>,
    /// New dead-letter rows this case causes.
    #[serde(default)]
    dead_letters: usize,
}

/// The numbers whose counters every case checks, by the names case files use.
const TRACKED: [(&str, &str); 4] = [
    ("ACME_SALES", ACME_SALES),
    ("ACME_SUPPORT", ACME_SUPPORT),
    ("ACME_SUSPENDED", ACME_SUSPENDED),
    ("OTHER_MAIN", OTHER_MAIN),
];
const COUNTERS: [&str; 4] = ["incoming_calls", "outgoing_calls", "sms_sent", "sms_received"];

pub fn case_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/webhooks")
}

pub async fn run(db: Db) {
    let app = app_with_key(db).await;
    let (acme, other) = crate::webhooks::seed(&app).await;
    add_suspended_number(&app, acme).await;
    let owners = [(ACME_SALES, acme), (ACME_SUPPORT, acme), (ACME_SUSPENDED, acme), (OTHER_MAIN, other)];

    let cases = load_cases(acme, other);
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut dead_letters = 0usize;
    let (mut acknowledged, mut counted) = (0usize, 0i64);
    let mut failures = Vec::new();
    for (file, case) in &cases {
        let what = format!("{db:?} {file}: {}", case.name);
        let (body, head) = render(case);
        let (status, answer) = within(&what, send(port(&app), &head, &body)).await;
        assert_eq!(app.get("/healthz").await.status(), 200, "{what}: /healthz after the case");
        if status != case.expect.status {
            // Report every mismatch at the end; resynchronise the expectations and go on.
            failures.push(format!("{what}: status {status}, expected {}: {answer}", case.expect.status));
            expected = actual_counts(&app, &owners).await;
            dead_letters = app.store.dead_letters(100_000).await.unwrap().len();
            continue;
        }
        acknowledged += usize::from((200..300).contains(&status));
        for (key, delta) in &case.expect.counts {
            let (number, counter) = key.split_once('.').unwrap_or_else(|| panic!("{what}: bad counts key {key}"));
            assert!(TRACKED.iter().any(|(n, _)| *n == number) && COUNTERS.contains(&counter), "{what}: {key}");
            *expected.entry(key.clone()).or_default() += delta;
            counted += delta;
        }
        assert_eq!(actual_counts(&app, &owners).await, full(&expected), "{what}: counters");
        dead_letters += case.expect.dead_letters;
        assert_eq!(app.store.dead_letters(100_000).await.unwrap().len(), dead_letters, "{what}: dead letters");
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // Nothing acknowledged was lost: the database holds exactly the expected totals.
    let totals = actual_counts(&app, &owners).await;
    assert_eq!(totals, full(&expected));
    assert_eq!(totals.values().sum::<i64>(), counted);
    println!(
        "hostile corpus: {} cases tried on {db:?} ({acknowledged} acknowledged, {counted} counts, {dead_letters} dead letters)",
        cases.len()
    );
}

async fn add_suspended_number(app: &TestApp, acme: CompanyId) {
    let number = PhoneNumber::parse(ACME_SUSPENDED).unwrap();
    let record = app.store.insert_number(&NewNumber::new(acme, number)).await.unwrap();
    let patch = NumberPatch { status: Some(NumberStatus::Suspended), ..Default::default() };
    app.store.update_number(acme, record.id, &patch).await.unwrap();
    app_changed(app, acme).await;
}

fn load_cases(acme: CompanyId, other: CompanyId) -> Vec<(String, Case)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(case_dir())
        .expect("tests/hostile/webhooks")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut text = std::fs::read_to_string(&path).unwrap();
        for (placeholder, value) in [
            ("{{ACME_SALES}}", ACME_SALES.to_string()),
            ("{{ACME_SUPPORT}}", ACME_SUPPORT.to_string()),
            ("{{ACME_SUSPENDED}}", ACME_SUSPENDED.to_string()),
            ("{{OTHER_MAIN}}", OTHER_MAIN.to_string()),
            ("{{CUSTOMER}}", CUSTOMER.to_string()),
            ("{{ACME_ID}}", acme.to_string()),
            ("{{OTHER_ID}}", other.to_string()),
            ("{{BIG}}", "a".repeat(64 * 1024)),
            ("{{BIG_TYPE}}", "x.".repeat(5000)),
        ] {
            text = text.replace(placeholder, &value);
        }
        let file: CaseFile = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        cases.extend(file.cases.into_iter().map(|c| (name.clone(), c)));
    }
    let mut names = std::collections::HashSet::new();
    for (_, c) in &cases {
        assert!(names.insert(c.name.clone()), "duplicate case name {}", c.name);
    }
    cases
}

/// The body bytes and the header lines of a case (signature headers included).
fn render(case: &Case) -> (Vec<u8>, Vec<String>) {
    let mut body = body_bytes(&case.body);
    let now = now();
    let key = signing_key();
    let signed = |ts: &str, body: &[u8], key: &ed25519_dalek::SigningKey| {
        use base64::Engine;
        use ed25519_dalek::Signer;
        let mut msg = format!("{ts}|").into_bytes();
        msg.extend_from_slice(body);
        base64::engine::general_purpose::STANDARD.encode(key.sign(&msg).to_bytes())
    };
    let (sig, ts): (Option<String>, Option<String>) = match &case.signature {
        Sig::Valid => (Some(sign_with(&key, now, &body)), Some(now.to_string())),
        Sig::Tampered => {
            let sig = sign_with(&key, now, &body);
            body.push(b' ');
            (Some(sig), Some(now.to_string()))
        }
        Sig::Missing => (None, Some(now.to_string())),
        Sig::MissingTimestamp => (Some(sign_with(&key, now, &body)), None),
        Sig::None => (None, None),
        Sig::WrongKey => {
            (Some(sign_with(&ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]), now, &body)), Some(now.to_string()))
        }
        Sig::Stale => offset(&key, now - TOLERANCE_SECS - 1, &body),
        Sig::Future => offset(&key, now + TOLERANCE_SECS + 1, &body),
        Sig::Replayed => offset(&key, now - 3600, &body),
        Sig::MsTimestamp => {
            let ms = (now * 1000).to_string();
            (Some(signed(&ms, &body, &key)), Some(ms))
        }
        Sig::OffsetSecs(s) => offset(&key, now + s, &body),
        Sig::TimestampText(t) => (Some(signed(t, &body, &key)), Some(t.clone())),
        Sig::SignatureText(s) => (Some(s.clone()), Some(now.to_string())),
    };
    let mut head = vec![
        format!("POST /webhooks/telnyx{} HTTP/1.1", case.query),
        "Host: switchboard.test".into(),
        "Content-Type: application/json".into(),
        format!("Content-Length: {}", body.len()),
        "Connection: close".into(),
    ];
    head.extend(sig.map(|s| format!("telnyx-signature-ed25519: {s}")));
    head.extend(ts.map(|t| format!("telnyx-timestamp: {t}")));
    head.extend(case.raw_headers.iter().cloned());
    (body, head)
}

fn offset(key: &ed25519_dalek::SigningKey, ts: i64, body: &[u8]) -> (Option<String>, Option<String>) {
    (Some(sign_with(key, ts, body)), Some(ts.to_string()))
}

fn body_bytes(body: &Body) -> Vec<u8> {
    match body {
        Body::Event(e) => match e {
            Event::MessageReceived { id, from, to, cc } => message_received(
                id,
                from,
                &to.iter().map(String::as_str).collect::<Vec<_>>(),
                &cc.iter().map(String::as_str).collect::<Vec<_>>(),
                "hostile",
            ),
            Event::MessageSent { id, from, to } => message_sent(id, from, to),
            Event::CallInitiated { id, from, to, direction } => call_initiated(id, from, to, direction),
            Event::Call { id, event_type, from, to } => call_event(id, event_type, from, to, "incoming"),
            Event::Other { id, event_type } => event_of_type(id, event_type),
        },
        Body::Json(v) => serde_json::to_vec(v).unwrap(),
        Body::Text(t) => t.as_bytes().to_vec(),
        Body::Latin1(t) => {
            t.chars().map(|c| u8::try_from(u32::from(c)).expect("latin1 body: chars <= U+00FF")).collect()
        }
        Body::Generate(g) => generate(g),
    }
}

fn generate(g: &Generate) -> Vec<u8> {
    match g {
        Generate::PaddedMessage { id, to, bytes } => {
            let base = message_received(id, CUSTOMER, &[to], &[], "").len();
            let pad = bytes.checked_sub(base).expect("padded_message: bytes smaller than the event");
            let body = message_received(id, CUSTOMER, &[to], &[], &"x".repeat(pad));
            assert_eq!(body.len(), *bytes);
            body
        }
        Generate::DeepNesting { id, event_type, depth, place } => {
            let deep = format!("{}{}", "[".repeat(*depth), "]".repeat(*depth));
            match place.as_str() {
                "payload" => format!(r#"{{"data":{{"id":"{id}","event_type":"{event_type}","payload":{deep}}}}}"#),
                "unused" => {
                    format!(r#"{{"junk":{deep},"data":{{"id":"{id}","event_type":"{event_type}","payload":{{}}}}}}"#)
                }
                other => panic!("deep_nesting place {other:?}: payload or unused"),
            }
            .into_bytes()
        }
        Generate::DeepArrays { depth } => format!("{}{}", "[".repeat(*depth), "]".repeat(*depth)).into_bytes(),
    }
}

/// Sends one request on a fresh connection and returns the status code and the start of the answer. The body is
/// written concurrently with reading, so an early answer (413) is seen even if the upload stops.
async fn send(port: u16, head: &[String], body: &[u8]) -> (u16, String) {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let mut request = head.join("\r\n").into_bytes();
    request.extend_from_slice(b"\r\n\r\n");
    request.extend_from_slice(body);
    let writer = tokio::spawn(async move {
        // The server may answer and close before reading everything (413): ignore write errors.
        let _ = wr.write_all(&request).await;
        let _ = wr.flush().await;
        wr
    });
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match rd.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) if response.is_empty() => panic!("no response: {e}"),
            Err(_) => break,
        }
        if response.len() > 600 {
            break;
        }
    }
    writer.abort();
    let text = String::from_utf8_lossy(&response);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let answer = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).chars().take(300).collect();
    (status, answer)
}

async fn actual_counts(app: &TestApp, owners: &[(&str, CompanyId)]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for (name, number) in TRACKED {
        let company = owners.iter().find(|(n, _)| *n == number).unwrap().1;
        let usage: Usage = app
            .store
            .list_numbers(company, NumberFilter::default())
            .await
            .unwrap()
            .into_iter()
            .find(|n| n.phone_number.as_str() == number)
            .unwrap()
            .usage;
        for (counter, value) in COUNTERS.iter().zip([
            usage.incoming_calls_count,
            usage.outgoing_calls_count,
            usage.sms_sent_count,
            usage.sms_received_count,
        ]) {
            out.insert(format!("{name}.{counter}"), value);
        }
    }
    out
}

/// Every tracked counter, zero where the map has no entry.
fn full(expected: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    TRACKED
        .iter()
        .flat_map(|(n, _)| COUNTERS.iter().map(move |c| format!("{n}.{c}")))
        .map(|k| {
            let v = expected.get(&k).copied().unwrap_or(0);
            (k, v)
        })
        .collect()
}
