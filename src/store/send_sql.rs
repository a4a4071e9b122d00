//! The send queue's SQL that differs between the backends (the status changes' SQL, shared with
//! the ledger, is in `status_sql.rs`).

/// The SQL that differs between the backends.
pub(crate) struct Dialect {
    /// Opens a claim's transaction (SQLite: take the write lock at once).
    pub begin: &'static str,
    /// Locks the fair clock's limiter row (key `$1`) to the commit: claims of every node one at a
    /// time (PostgreSQL; SQLite's `begin` already holds the one write lock).
    pub claim_gate: Option<&'static str>,
    /// Whether a claim reads its candidates' keys first and then their rows by primary key
    /// (PostgreSQL: a plan that does not depend on the table's statistics), or the rows at once.
    pub candidates_by_key: bool,
    /// Whether a claim marks its messages `sending` in one statement (PostgreSQL), or one by one.
    pub mark_in_one_statement: bool,
    /// The `WITH` clause [`Dialect::sender_heads`] reads (or nothing).
    pub sender_heads_with: &'static str,
    /// The first due queued messages of each sender in fair-tag order, with their rank in their
    /// sender's queue: columns `company_id`, `id`, `sender_type`, `rank`. `$1` is now (ms); each
    /// sender needs at most `GREATEST($3, $4, $5)` of them. Also `fair_tag`.
    pub sender_heads: &'static str,
    /// `GREATEST` / `MAX` of two values.
    pub greatest: &'static str,
    /// The text values of the JSON array bound as `$1`, as a subquery body with one column, `key`.
    pub json_keys: &'static str,
    /// Writes each limiter in the JSON array of objects bound as `$1` (`key`, `tat_us`, `day`,
    /// `used`), inserting the new ones; keeps the later `tat_us` of the row's and the claim's (a
    /// 429's pause may have pushed it since the claim read it).
    pub write_limiters: &'static str,
}

/// Every sender with queued messages, one index descent each (a loose index scan over
/// `outbound_messages_queued_by_sender`), as `senders(f)`; the same text on both backends.
const SENDERS: &str = "WITH RECURSIVE senders(f) AS ( \
           SELECT min(from_number) FROM outbound_messages WHERE status = 'queued' \
           UNION ALL \
           SELECT (SELECT min(o.from_number) FROM outbound_messages o \
                   WHERE o.status = 'queued' AND o.from_number > s.f) \
           FROM senders s WHERE s.f IS NOT NULL)";

pub(crate) const POSTGRES: Dialect = Dialect {
    begin: "BEGIN",
    claim_gate: Some("SELECT 1 FROM send_limiters WHERE key = $1 FOR UPDATE"),
    candidates_by_key: true,
    mark_in_one_statement: true,
    // A loose index scan over `outbound_messages_queued_by_sender`: one descent per sender with
    // queued messages, then its first few in fair order. A claim's cost follows the number of
    // senders, not the depth of their queues (a bulk send of 50,000 messages, or a slow long code
    // with a long backlog, costs one descent).
    sender_heads_with: SENDERS,
    sender_heads: "SELECT h.company_id, h.id, h.sender_type, h.fair_tag, \
           ROW_NUMBER() OVER (PARTITION BY s.f ORDER BY h.fair_tag, h.id) AS rank \
         FROM senders s CROSS JOIN LATERAL ( \
           SELECT o.company_id, o.id, o.sender_type, o.fair_tag FROM outbound_messages o \
           WHERE o.status = 'queued' AND o.from_number = s.f AND o.send_at_ms <= $1 AND o.expires_at_ms > $1 \
           ORDER BY o.fair_tag, o.id LIMIT GREATEST($3, $4, $5)) h \
         WHERE s.f IS NOT NULL",
    greatest: "GREATEST",
    json_keys: "SELECT jsonb_array_elements_text($1::jsonb) AS key",
    write_limiters: "INSERT INTO send_limiters AS l (key, tat_us, day, used) \
         SELECT e->>'key', (e->>'tat_us')::bigint, e->>'day', (e->>'used')::bigint \
         FROM jsonb_array_elements($1::jsonb) AS e ORDER BY e->>'key' \
         ON CONFLICT (key) DO UPDATE SET tat_us = GREATEST(l.tat_us, excluded.tat_us), day = excluded.day, \
         used = excluded.used",
};

pub(crate) const SQLITE: Dialect = Dialect {
    begin: "BEGIN IMMEDIATE",
    claim_gate: None,
    candidates_by_key: false,
    mark_in_one_statement: false,
    // The same loose index scan; SQLite has no LATERAL: each sender's head is the rows whose rowid
    // a correlated subquery (its first few in fair order) names.
    sender_heads_with: SENDERS,
    sender_heads: "SELECT o.company_id, o.id, o.sender_type, o.fair_tag, \
           ROW_NUMBER() OVER (PARTITION BY o.from_number ORDER BY o.fair_tag, o.id) AS rank \
         FROM senders s JOIN outbound_messages o ON o.rowid IN ( \
           SELECT x.rowid FROM outbound_messages x \
           WHERE x.status = 'queued' AND x.from_number = s.f AND x.send_at_ms <= $1 AND x.expires_at_ms > $1 \
           ORDER BY x.fair_tag, x.id LIMIT max($3, $4, $5)) \
         WHERE s.f IS NOT NULL",
    greatest: "MAX",
    json_keys: "SELECT value AS key FROM json_each($1)",
    write_limiters: "INSERT INTO send_limiters AS l (key, tat_us, day, used) \
         SELECT json_extract(e.value, '$.key'), json_extract(e.value, '$.tat_us'), json_extract(e.value, '$.day'), \
         json_extract(e.value, '$.used') FROM json_each($1) AS e WHERE true \
         ON CONFLICT (key) DO UPDATE SET tat_us = MAX(l.tat_us, excluded.tat_us), day = excluded.day, \
         used = excluded.used",
};

/// The virtual clock of the fair queue: the highest start tag claimed so far.
pub(crate) const FAIR_CLOCK: &str = "fair:clock";
