-- pdpo 0002: the SQL audit log (SqlAuditStore). One head row, the seals, and the entries,
-- partitioned by LIST on the Hong Kong month (YYYYMM); a month's partition
-- (`_pdpo_audit_YYYY_MM`) is created on demand by the first append of the month, in the
-- appending transaction.
CREATE TABLE IF NOT EXISTS _pdpo_audit_head (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    origin TEXT    NOT NULL,
    size   BIGINT  NOT NULL,
    month  TEXT,
    count  BIGINT  NOT NULL,
    last   BYTEA   NOT NULL,
    seals  BIGINT  NOT NULL,
    sealed TEXT,
    seal   BYTEA   NOT NULL,
    at     BIGINT  NOT NULL
);
CREATE TABLE IF NOT EXISTS _pdpo_audit_seals (
    seq       BIGINT  PRIMARY KEY,
    month     TEXT    NOT NULL UNIQUE,
    count     BIGINT  NOT NULL,
    last      BYTEA   NOT NULL,
    prev      BYTEA   NOT NULL,
    sealed_at BIGINT  NOT NULL,
    hash      BYTEA   NOT NULL
);
CREATE OR REPLACE FUNCTION _pdpo_audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit seals are append-only';
END;
$$;
DROP TRIGGER IF EXISTS _pdpo_audit_seals_append_only ON _pdpo_audit_seals;
CREATE TRIGGER _pdpo_audit_seals_append_only BEFORE UPDATE OR DELETE ON _pdpo_audit_seals
    FOR EACH ROW EXECUTE FUNCTION _pdpo_audit_seals_append_only();
CREATE TABLE IF NOT EXISTS _pdpo_audit_entries (
    month       INTEGER NOT NULL,
    idx         BIGINT  NOT NULL,
    recorded_at BIGINT  NOT NULL,
    prev        BYTEA   NOT NULL,
    hash        BYTEA   NOT NULL,
    body        BYTEA   NOT NULL,
    PRIMARY KEY (month, idx)
) PARTITION BY LIST (month);
