//! The real daemon binary on an embedded SQLite file, with the Telnyx simulator as its Telnyx,
//! and the world the console cases look at, made through the admin API as an operator would.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use switchboard::store::DynStore;

use crate::telnyx_sim::TelnyxSim;

pub const OPERATOR: &str = "console-operator-token-0123456789";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0").local_addr().expect("local addr").port()
}

/// `switchboard serve` as a child process; killed when dropped.
pub struct Daemon {
    child: Child,
    pub base: String,
    pub db_url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    pub async fn start(sim: &TelnyxSim) -> Daemon {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = format!("sqlite://{}", dir.path().join("switchboard.db").display());
        let log = dir.path().join("daemon.log");
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let out = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("serve")
            .env("SWITCHBOARD__DATABASE__URL", &db_url)
            .env("SWITCHBOARD__HTTP__BIND", format!("127.0.0.1:{port}"))
            .env("SWITCHBOARD__HTTP__WORKERS", "2")
            .env("SWITCHBOARD__ADMIN__OPERATOR_TOKEN", OPERATOR)
            .env("SWITCHBOARD__PUBLIC_BASE_URL", &base)
            .env("SWITCHBOARD__TELNYX__API_KEY", "KEYsim_console")
            .env("SWITCHBOARD__TELNYX__BASE_URL", sim.base_url().as_str())
            .env("SWITCHBOARD__TELNYX__PUBLIC_KEY", sim.public_key_base64())
            .env("SWITCHBOARD__FORWARDS__INSECURE_HOSTS", "127.0.0.1,localhost")
            .env("SWITCHBOARD__FORWARDS__ALLOWED_CIDRS", "127.0.0.0/8")
            .env("SWITCHBOARD__LOG__LEVEL", "warn")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .expect("start switchboard");
        let mut daemon = Daemon { child, base, db_url, log, _dir: dir, http: reqwest::Client::new() };
        daemon.wait_ready().await;
        daemon
    }

    async fn wait_ready(&mut self) {
        for _ in 0..1200 {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("the daemon exited ({status}) before it was ready: {}", self.log_tail());
            }
            if let Ok(r) = self.http.get(format!("{}/readyz", self.base)).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the daemon was not ready within 60 s: {}", self.log_tail());
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The daemon's own database, opened beside it (SQLite in WAL mode allows it).
    pub async fn store(&self) -> DynStore {
        let settings = switchboard::config::Settings::load_with_env(
            None,
            [("SWITCHBOARD__DATABASE__URL".to_owned(), self.db_url.clone())],
        )
        .expect("settings");
        switchboard::store::connect(&settings.database).await.expect("store")
    }

    /// An admin API call with `token`; the status and the JSON answer.
    pub async fn api(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("api request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn ok(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let (status, v) = self.api(method.clone(), path, OPERATOR, Some(body)).await;
        assert!((200..300).contains(&status), "{method} {path}: {status} {v}");
        v
    }
}

/// Two companies and what the cases need: Acme with numbers, a Support department open on
/// weekdays with an after-hours destination, tokens (admin and read-only); Other with a number.
pub struct World {
    pub acme: String,
    pub other: String,
    pub acme_number: String,
    pub other_number: String,
    pub admin_token: String,
    pub read_token: String,
}

pub const SUPPORT_DAY: &str = "+14155550111";
pub const SUPPORT_NIGHT: &str = "+14155550199";

impl World {
    pub async fn make(d: &Daemon) -> World {
        use reqwest::Method;
        let acme =
            d.ok(Method::POST, "/v1/companies", json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let other =
            d.ok(Method::POST, "/v1/companies", json!({"name": "Other"})).await["id"].as_str().unwrap().to_owned();
        let (acme_number, other_number) = ("+18314280176".to_owned(), "+13125550142".to_owned());
        d.ok(
            Method::POST,
            &format!("/v1/companies/{acme}/numbers"),
            json!({"phone_number": acme_number, "department": "Support"}),
        )
        .await;
        d.ok(Method::POST, &format!("/v1/companies/{acme}/numbers"), json!({"phone_number": "+18314280177"})).await;
        d.ok(Method::POST, &format!("/v1/companies/{other}/numbers"), json!({"phone_number": other_number})).await;
        d.ok(
            Method::PUT,
            &format!("/v1/companies/{acme}/departments/Support"),
            json!({
                "destinations": {"call": SUPPORT_DAY},
                "hours": {
                    "time_zone": "America/New_York",
                    "open": [{"day": "monday", "start": "09:00", "end": "17:00"}],
                    "after_hours": {"call": SUPPORT_NIGHT}
                }
            }),
        )
        .await;
        let token = |scopes: Value| {
            let path = format!("/v1/companies/{acme}/tokens");
            async move {
                d.ok(Method::POST, &path, json!({"name": "console", "scopes": scopes})).await["token"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let admin_token = token(json!(["read", "send", "admin", "tokens"])).await;
        let read_token = token(json!(["read"])).await;
        World { acme, other, acme_number, other_number, admin_token, read_token }
    }
}
