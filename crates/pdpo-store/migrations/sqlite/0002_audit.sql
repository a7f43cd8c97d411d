-- pdpo 0002: the SQL audit log (SqlAuditStore). One head row, the seals, and one table per
-- Hong Kong month of entries (`_pdpo_audit_YYYY_MM`, created on demand by the first append of
-- the month, in the appending transaction).
CREATE TABLE IF NOT EXISTS _pdpo_audit_head (
    id     INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    origin TEXT    NOT NULL,
    size   INTEGER NOT NULL,
    month  TEXT,
    count  INTEGER NOT NULL,
    last   BLOB    NOT NULL,
    seals  INTEGER NOT NULL,
    sealed TEXT,
    seal   BLOB    NOT NULL,
    at     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS _pdpo_audit_seals (
    seq       INTEGER PRIMARY KEY NOT NULL,
    month     TEXT    NOT NULL UNIQUE,
    count     INTEGER NOT NULL,
    last      BLOB    NOT NULL,
    prev      BLOB    NOT NULL,
    sealed_at INTEGER NOT NULL,
    hash      BLOB    NOT NULL
);
CREATE TRIGGER IF NOT EXISTS _pdpo_audit_seals_no_update BEFORE UPDATE ON _pdpo_audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit seals are append-only');
END;
CREATE TRIGGER IF NOT EXISTS _pdpo_audit_seals_no_delete BEFORE DELETE ON _pdpo_audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit seals are append-only');
END;
