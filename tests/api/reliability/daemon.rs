//! The real binary as a child process: started on a database and a port, awaited ready, stopped
//! with SIGTERM or killed with SIGKILL. Its log goes to a file; a failing test prints the end of it.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::telnyx_events::public_key_b64;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0").local_addr().expect("local addr").port()
}

pub struct Daemon {
    child: Child,
    pub base: String,
    log: PathBuf,
}

impl Daemon {
    /// Starts `switchboard serve` on `url`, listening on `port`, its log appended to `log`.
    pub fn start(url: &str, port: u16, log: PathBuf) -> Daemon {
        Daemon::start_with(url, port, log, &[])
    }

    /// [`Daemon::start`] with more settings (`SWITCHBOARD__...` variables, which win).
    pub fn start_with(url: &str, port: u16, log: PathBuf, env: &[(&str, String)]) -> Daemon {
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("daemon log file");
        let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("serve")
            .env("SWITCHBOARD__DATABASE__URL", url)
            .env("SWITCHBOARD__HTTP__BIND", format!("127.0.0.1:{port}"))
            .env("SWITCHBOARD__TELNYX__PUBLIC_KEY", public_key_b64())
            .env("SWITCHBOARD__LOG__LEVEL", "warn")
            .env_remove("RUST_LOG")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .spawn()
            .expect("start switchboard");
        Daemon { child, base: format!("http://127.0.0.1:{port}"), log }
    }

    /// Awaits `/readyz` answering 200 (bounded: a daemon that never gets ready fails the test).
    pub async fn wait_ready(&mut self, client: &reqwest::Client) {
        for _ in 0..1200 {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("the daemon exited ({status}) before it was ready; log: {}", self.log_tail());
            }
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the daemon at {} was not ready within 60 s; log: {}", self.base, self.log_tail());
    }

    /// `true` while the process runs.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// SIGTERM, then awaits the exit (bounded: a daemon that does not stop fails the test).
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        assert!(sent.success(), "kill -TERM {pid} failed");
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the daemon did not exit within 30 s of SIGTERM; log: {}", self.log_tail());
    }

    /// SIGKILL, and reap it.
    pub fn kill_9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("wait");
    }

    /// The last lines of the daemon's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
