-- pdpo 0003: the key store of pdpo-crypto (SqlKeyStore): wrapped data keys with their nonce
-- counters, tombstones of destroyed keys, and blind-index rows. '' stands for "no tenant".
CREATE TABLE IF NOT EXISTS pdpo_data_keys (
    key_id      BLOB    PRIMARY KEY NOT NULL,
    tenant      TEXT    NOT NULL,
    owner_kind  TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    generation  INTEGER NOT NULL,
    kek_version INTEGER NOT NULL,
    wrapped     BLOB    NOT NULL,
    nonce_next  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    UNIQUE (tenant, owner_kind, subject, generation)
);
CREATE INDEX IF NOT EXISTS pdpo_data_keys_kek ON pdpo_data_keys (kek_version, key_id);
CREATE TABLE IF NOT EXISTS pdpo_destroyed_keys (
    key_id       BLOB PRIMARY KEY NOT NULL,
    destroyed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS pdpo_blind_index (
    tenant  TEXT NOT NULL,
    entity  TEXT NOT NULL,
    record  TEXT NOT NULL,
    field   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    digest  BLOB NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (tenant, entity, record, field)
);
CREATE INDEX IF NOT EXISTS pdpo_blind_index_digest ON pdpo_blind_index (tenant, kind, digest);
CREATE INDEX IF NOT EXISTS pdpo_blind_index_subject ON pdpo_blind_index (tenant, subject);
