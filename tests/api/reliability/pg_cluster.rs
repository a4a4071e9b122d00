//! A throwaway PostgreSQL cluster (initdb + pg_ctl on a free port, in a temporary directory) that
//! a test may stop and start at will; never the machine's shared server. As root the server runs
//! as the `postgres` user (runuser), since PostgreSQL refuses to run as root.
use std::path::PathBuf;
use std::process::{Command, Output};

use super::daemon::free_port;

pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// How the server stops: `Fast` disconnects clients and shuts down cleanly, `Immediate` is a crash
/// (recovery from the WAL on the next start).
#[derive(Debug, Clone, Copy)]
pub enum StopMode {
    Fast,
    Immediate,
}

impl StopMode {
    fn as_str(self) -> &'static str {
        match self {
            StopMode::Fast => "fast",
            StopMode::Immediate => "immediate",
        }
    }
}

/// The newest installed server binaries (initdb and pg_ctl side by side).
fn server_binaries() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

impl PgCluster {
    /// Creates and starts the cluster; `Err` says why it cannot (the caller skips).
    pub fn start() -> Result<PgCluster, String> {
        let bin = server_binaries()
            .ok_or("no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin")?;
        let as_postgres = is_root();
        if as_postgres && Command::new("id").arg("postgres").output().map_or(true, |o| !o.status.success()) {
            return Err("running as root and there is no `postgres` user to run the server as".into());
        }
        let dir = tempfile::Builder::new().prefix("sb-pg-").tempdir().map_err(|e| e.to_string())?;
        let cluster = PgCluster { dir, bin, port: free_port(), as_postgres };
        if as_postgres {
            let chown = Command::new("chown").arg("-R").arg("postgres").arg(cluster.dir.path()).output();
            check("chown", chown)?;
        }
        let data = cluster.data();
        let initdb = cluster.command("initdb").arg("-D").arg(&data).args(["-U", "postgres", "-A", "trust"]).output();
        check("initdb", initdb)?;
        cluster.start_server()?;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (waits until it is down).
    pub fn stop(&self, mode: StopMode) {
        let out = self.command("pg_ctl").arg("-D").arg(self.data()).args(["-w", "-m", mode.as_str(), "stop"]).output();
        check("pg_ctl stop", out).expect("stop the throwaway PostgreSQL");
    }

    /// Starts the server again on the same port (waits until it accepts connections).
    pub fn restart(&self) {
        self.start_server().expect("start the throwaway PostgreSQL again");
    }

    fn start_server(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-t", "60", "-o", &options, "-l"])
            .arg(self.dir.path().join("server.log"))
            .arg("start")
            .output();
        check("pg_ctl start", out)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }
}

fn check(what: &str, out: std::io::Result<Output>) -> Result<(), String> {
    let out = out.map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "immediate", "stop"]).output();
    }
}
