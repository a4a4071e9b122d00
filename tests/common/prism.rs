//! Prism (@stoplight/prism-cli) serving the Telnyx OpenAPI spec at `$TELNYX_OPENAPI_SPEC` with
//! request validation on, for the contract suite (tests/telnyx_contract.rs) and the acceptance
//! flow (tests/api/prism_flow.rs). Prism comes from ./node_modules (installed by
//! scripts/install-prism.sh if missing). Its log tells, for every request, whether it passed
//! validation: [`Prism::exchanges_since`] reads it back.
use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use url::Url;

const PRISM_START_LIMIT: Duration = Duration::from_secs(120);
/// How long Prism may take to write a request it answered into its log.
const LOG_LIMIT: Duration = Duration::from_secs(10);

/// The spec named by `TELNYX_OPENAPI_SPEC`, or `None` (after saying why `suite` is skipped).
pub fn spec_from_env(suite: &str) -> Option<PathBuf> {
    let Some(spec) = std::env::var_os("TELNYX_OPENAPI_SPEC").filter(|s| !s.is_empty()) else {
        println!(
            "{suite} skipped: TELNYX_OPENAPI_SPEC not set (point it at the Telnyx openapi-spec3.yml; .ci/run does)"
        );
        return None;
    };
    let spec =
        std::fs::canonicalize(&spec).unwrap_or_else(|e| panic!("TELNYX_OPENAPI_SPEC={spec:?} is not readable: {e}"));
    Some(spec)
}

/// A running Prism; dropping it stops the whole process group (npx and its node child).
pub struct Prism {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// One request as Prism's log tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// `POST /number_orders` (method upper-case, path without the query).
    pub request: String,
    /// The status Prism answered (0: it refused the request before validating it, e.g. no such
    /// path); `None` while its answer is not logged yet.
    pub status: Option<u16>,
    /// Prism's validation errors (empty for a valid request).
    pub violations: Vec<String>,
}

impl Prism {
    /// Starts Prism on a free port (see [`Prism::wait_ready`]).
    pub fn start(spec: &Path) -> Prism {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        ensure_installed(&root);
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("prism.log");
        let out = File::create(&log).expect("prism log");
        let err = out.try_clone().expect("prism log");
        let port = free_port();
        let child = Command::new("npx")
            .args(["--no-install", "prism", "mock", "-h", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .arg(spec)
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .expect("spawn npx prism (is Node.js installed?)");
        Prism { child, port, log, _dir: dir }
    }

    pub fn base_url(&self) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}", self.port)).expect("prism url")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Where the log ends now: [`Prism::exchanges_since`] reads what comes after.
    pub fn log_len(&self) -> usize {
        self.log_text().len()
    }

    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits until Prism answers HTTP (any status), failing early if it exits.
    pub async fn wait_ready(&mut self) {
        self.wait_listening().await;
        self.assert_validates().await;
    }

    async fn wait_listening(&mut self) {
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("prism exited with {status} before listening:\n{}", self.log_tail());
            }
            if http.get(self.base_url()).send().await.is_ok() {
                eprintln!("prism ready on port {} after {:?}", self.port, started.elapsed());
                return;
            }
            assert!(
                started.elapsed() < PRISM_START_LIMIT,
                "prism did not answer within {PRISM_START_LIMIT:?}:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Guards against a suite that passes because nothing is validated: Prism must refuse `to` as
    /// an array (the trap the client avoids), and its log must say so.
    async fn assert_validates(&self) {
        let offset = self.log_len();
        let resp = reqwest::Client::new()
            .post(self.base_url().join("messages").expect("url"))
            .bearer_auth("KEYcontract_test")
            .json(&serde_json::json!({"from": "+14155550100", "to": ["+12125550199"], "text": "x"}))
            .send()
            .await
            .expect("prism answers");
        assert_eq!(resp.status().as_u16(), 422, "prism is not validating requests");
        let violations = resp.headers().get("sl-violations").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(violations.contains("must be string"), "sl-violations: {violations}");
        let logged = self.exchanges_since(offset, 1).await;
        assert!(
            logged.iter().any(|e| e.status == Some(422) && !e.violations.is_empty()),
            "the prism log does not show the refused request: {logged:#?}\n{}",
            self.log_tail()
        );
    }

    /// The requests Prism logged after `offset` (from [`Prism::log_len`]), once `count` of them
    /// are complete: Prism writes its log asynchronously, after it answered.
    pub async fn exchanges_since(&self, offset: usize, count: usize) -> Vec<Exchange> {
        let started = Instant::now();
        loop {
            let text = self.log_text();
            let exchanges = parse_log(text.get(offset..).unwrap_or_default());
            let complete = exchanges.iter().filter(|e| e.status.is_some()).count();
            if (complete >= count && exchanges.len() == complete) || started.elapsed() > LOG_LIMIT {
                return exchanges;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Reads Prism's log lines, e.g.
/// `[HTTP SERVER] post /messages ℹ  info      Request received`, then
/// `[VALIDATOR] ✖  error     Request body property to must be string`, then
/// `[NEGOTIATOR] ℹ  info      > Responding with "422"`.
fn parse_log(text: &str) -> Vec<Exchange> {
    let mut out: Vec<Exchange> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.split_once("[HTTP SERVER] ").map(|(_, r)| r) {
            if rest.ends_with("Request received") {
                let mut words = rest.split_whitespace();
                let method = words.next().unwrap_or_default().to_uppercase();
                let path = words.next().unwrap_or_default();
                out.push(Exchange { request: format!("{method} {path}"), status: None, violations: Vec::new() });
            } else if let (Some(last), Some((_, why))) =
                (out.last_mut(), rest.split_once("Request terminated with error: "))
            {
                last.violations.push(why.to_owned());
                last.status = Some(0);
            }
        } else if let Some(last) = out.last_mut() {
            if let Some((_, status)) = line.split_once("> Responding with \"") {
                last.status = status.trim_end_matches('"').parse().ok();
            } else if let Some((_, why)) = line.split_once("[VALIDATOR] ✖") {
                let why = why.trim_start().trim_start_matches("error").trim();
                // `Violation: ...` repeats an earlier line, after the answer (maybe after the next
                // request's first line): skipped.
                if !why.starts_with("Violation:") {
                    last.violations.push(why.to_owned());
                }
            }
        }
    }
    out
}

impl Drop for Prism {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let signal = |sig: &str| {
            let _ = Command::new("kill").args([sig, "--", group.as_str()]).status();
        };
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                // The leader is gone; make sure no child of npx survives it.
                signal("-KILL");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal("-KILL");
        let _ = self.child.wait();
    }
}

fn ensure_installed(root: &Path) {
    if root.join("node_modules/.bin/prism").exists() {
        return;
    }
    let status = Command::new("bash")
        .arg(root.join("scripts/install-prism.sh"))
        .current_dir(root)
        .status()
        .expect("run scripts/install-prism.sh");
    assert!(status.success(), "scripts/install-prism.sh failed: {status}");
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

#[test]
fn prism_log_is_read_back_per_request() {
    let log = "\
[6:52:25 AM] › [HTTP SERVER] get / ℹ  info      Request received
[6:52:25 AM] › [HTTP SERVER] get / ✖  error     Request terminated with error: https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR: Route not resolved, no path matched
[6:52:25 AM] › [HTTP SERVER] post /messages ℹ  info      Request received
[6:52:25 AM] ›     [VALIDATOR] ⚠  warning   Request did not pass the validation rules
[6:52:25 AM] ›     [VALIDATOR] ✖  error     Request body property to must be string
[6:52:25 AM] ›     [NEGOTIATOR] ℹ  info      > Responding with \"422\"
[6:52:25 AM] › [HTTP SERVER] get /number_orders/abc ℹ  info      Request received
[6:52:25 AM] ›     [VALIDATOR] ✖  error     Violation: request.body.to Request body property to must be string
[6:52:25 AM] ›     [VALIDATOR] ✔  success   The request passed the validation rules. Looking for the best response
[6:52:25 AM] ›     [NEGOTIATOR] ℹ  info      > Responding with \"200\"
[6:52:25 AM] › [HTTP SERVER] patch /phone_numbers/1 ℹ  info      Request received
";
    let e = parse_log(log);
    assert_eq!(e.len(), 4);
    assert_eq!((e[0].request.as_str(), e[0].status), ("GET /", Some(0)));
    assert!(e[0].violations[0].contains("NO_PATH_MATCHED"));
    assert_eq!((e[1].request.as_str(), e[1].status), ("POST /messages", Some(422)));
    assert_eq!(e[1].violations, ["Request body property to must be string"]);
    assert_eq!((e[2].request.as_str(), e[2].status, e[2].violations.len()), ("GET /number_orders/abc", Some(200), 0));
    assert_eq!(e[3].status, None, "not answered yet");
}
