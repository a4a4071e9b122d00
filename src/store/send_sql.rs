//! The send queue's SQL that differs between the backends (the status changes' SQL, shared with
//! the ledger, is in `status_sql.rs`).

/// The SQL that differs between the backends.
pub(crate) struct Dialect {
    /// Opens a claim's transaction (SQLite: take the write lock at once).
    pub begin: &'static str,
    /// Row locks of the claim's candidates (PostgreSQL: other nodes skip them).
    pub lock_candidates: &'static str,
    /// Row locks of the limiters (PostgreSQL: held to the claim's commit, in key order).
    pub lock_limiters: &'static str,
    /// `GREATEST` / `MAX` of two values.
    pub greatest: &'static str,
    /// The text values of the JSON array bound as `$1`, as a subquery body with one column, `key`.
    pub json_keys: &'static str,
    /// Sets `tat_us`, `day` and `used` of each limiter in the JSON array of objects bound as `$1`.
    pub write_limiters: &'static str,
}

pub(crate) const POSTGRES: Dialect = Dialect {
    begin: "BEGIN",
    lock_candidates: "FOR UPDATE OF m SKIP LOCKED",
    lock_limiters: "FOR UPDATE",
    greatest: "GREATEST",
    json_keys: "SELECT jsonb_array_elements_text($1::jsonb) AS key",
    write_limiters: "UPDATE send_limiters AS l SET tat_us = (e->>'tat_us')::bigint, day = e->>'day', \
         used = (e->>'used')::bigint FROM jsonb_array_elements($1::jsonb) AS e WHERE l.key = e->>'key'",
};

pub(crate) const SQLITE: Dialect = Dialect {
    begin: "BEGIN IMMEDIATE",
    lock_candidates: "",
    lock_limiters: "",
    greatest: "MAX",
    json_keys: "SELECT value AS key FROM json_each($1)",
    write_limiters: "UPDATE send_limiters SET tat_us = json_extract(e.value, '$.tat_us'), \
         day = json_extract(e.value, '$.day'), used = json_extract(e.value, '$.used') \
         FROM json_each($1) AS e WHERE send_limiters.key = json_extract(e.value, '$.key')",
};

/// The virtual clock of the fair queue: the highest start tag claimed so far.
pub(crate) const FAIR_CLOCK: &str = "fair:clock";
