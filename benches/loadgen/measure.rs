//! What a run costs and leaves behind: CPU time of the daemon, PostgreSQL and the machine, the
//! daemon's metrics, background work, and the database counters.
use sqlx::Connection;

/// The daemon's own account of the webhooks it did not acknowledge (`outcome` label of
/// switchboard_webhooks_received_total other than counted, acknowledged, dead_letter, stateless).
pub async fn refusals(port: u16) -> Vec<String> {
    let body = metrics_text(port).await;
    let accepted = ["\"counted\"", "\"acknowledged\"", "\"dead_letter\"", "\"stateless\""];
    body.lines()
        .filter(|l| l.starts_with("switchboard_webhooks_received_total{"))
        .filter(|l| !accepted.iter().any(|a| l.contains(&format!("outcome={a}"))))
        .map(str::to_owned)
        .collect()
}

pub async fn metrics_text(port: u16) -> String {
    reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap()
}

pub async fn scrape(port: u16, name: &str) -> f64 {
    let body = metrics_text(port).await;
    body.lines().filter(|l| l.starts_with(name)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

/// CPU time (user + system) a process has used, in seconds (Linux /proc; 0 elsewhere).
pub fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// CPU seconds the whole machine has been busy so far (every core; /proc/stat's first line: all
/// but idle and iowait, in clock ticks), and the number of cores: with the daemon, PostgreSQL and
/// this generator on the same cores, a mode's ceiling is what one event costs all of them together.
pub fn machine_cpu_secs() -> (f64, usize) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cores = stat.lines().filter(|l| l.starts_with("cpu") && !l.starts_with("cpu ")).count().max(1);
    let total = stat.lines().next().unwrap_or_default();
    let busy: f64 = total
        .split_whitespace()
        .skip(1)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4) // idle, iowait
        .take(6) // user nice system (idle iowait) irq softirq steal; guest is inside user
        .filter_map(|(_, v)| v.parse::<f64>().ok())
        .sum();
    (busy / 100.0, cores)
}

/// CPU seconds used so far by the PostgreSQL backends serving `url`'s database (the daemon's
/// connections) plus the server's background processes (WAL writer, checkpointer, ...).
pub async fn postgres_cpu_secs(url: &str) -> f64 {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let pids: Vec<i32> = sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() AND pid <> pg_backend_pid()) \
         OR backend_type NOT IN ('client backend')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    pids.iter().map(|p| cpu_secs(*p as u32)).sum()
}

/// Checkpoints the server has started, and autovacuum/autoanalyze runs on this database's tables
/// (background work that competes with commits for the same two cores).
pub async fn background_work(url: &str) -> (i64, i64) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let checkpoints = sqlx::query_scalar("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
        .fetch_one(&mut conn)
        .await
        .unwrap_or(0);
    let vacuums = sqlx::query_scalar(
        "SELECT COALESCE(sum(autovacuum_count + autoanalyze_count), 0)::bigint FROM pg_stat_user_tables",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap_or(0);
    (checkpoints, vacuums)
}

/// Blocks of the dedupe keys' indexes (every partition's) read so far: (from the OS, from shared
/// buffers). A backend reports its counts within a second or so of its transactions.
pub async fn dedupe_index_blocks(url: &str) -> (i64, i64) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_as(
        "SELECT COALESCE(sum(idx_blks_read), 0)::bigint, COALESCE(sum(idx_blks_hit), 0)::bigint \
         FROM pg_statio_user_indexes WHERE relname LIKE 'webhook\\_events%'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap_or((0, 0))
}

/// Every number's four lifetime counters, summed: the folded part and the rollup rows after it
/// (migration 0029), or the counter columns of a build from before it (to compare builds).
pub async fn counted(url: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let sql = if has_column(&mut conn, "phone_numbers", "folded_through").await {
        "SELECT (SELECT COALESCE(sum(folded_incoming_calls + folded_outgoing_calls + folded_sms_sent \
         + folded_sms_received), 0) FROM phone_numbers)::bigint \
         + (SELECT COALESCE(sum(u.incoming_calls + u.outgoing_calls + u.sms_sent + u.sms_received), 0) \
         FROM usage_daily u JOIN phone_numbers p ON p.company_id = u.company_id AND p.id = u.phone_number_id \
         AND u.day > p.folded_through)::bigint"
    } else {
        "SELECT COALESCE(sum(incoming_calls_count + outgoing_calls_count + sms_sent_count + sms_received_count), 0)::bigint \
         FROM phone_numbers"
    };
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

/// Whether the database's `table` has `column` (the schema of the build under test).
pub async fn has_column(conn: &mut sqlx::PgConnection, table: &str, column: &str) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2)",
    )
    .bind(table)
    .bind(column)
    .fetch_one(conn)
    .await
    .unwrap()
}
