-- pdpo 0003: the key store of pdpo-crypto (SqlKeyStore): wrapped data keys with their nonce
-- counters, tombstones of destroyed keys, and blind-index rows. '' stands for "no tenant".
CREATE TABLE IF NOT EXISTS pdpo_data_keys (
    key_id      BYTEA       PRIMARY KEY,
    tenant      TEXT        NOT NULL,
    owner_kind  TEXT        NOT NULL,
    subject     TEXT        NOT NULL,
    generation  BIGINT      NOT NULL,
    kek_version BIGINT      NOT NULL,
    wrapped     BYTEA       NOT NULL,
    nonce_next  BIGINT      NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant, owner_kind, subject, generation)
);
CREATE INDEX IF NOT EXISTS pdpo_data_keys_kek ON pdpo_data_keys (kek_version, key_id);
CREATE TABLE IF NOT EXISTS pdpo_destroyed_keys (
    key_id       BYTEA       PRIMARY KEY,
    destroyed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS pdpo_blind_index (
    tenant  TEXT  NOT NULL,
    entity  TEXT  NOT NULL,
    record  TEXT  NOT NULL,
    field   TEXT  NOT NULL,
    kind    TEXT  NOT NULL,
    digest  BYTEA NOT NULL,
    subject TEXT  NOT NULL,
    PRIMARY KEY (tenant, entity, record, field)
);
CREATE INDEX IF NOT EXISTS pdpo_blind_index_digest ON pdpo_blind_index (tenant, kind, digest);
CREATE INDEX IF NOT EXISTS pdpo_blind_index_subject ON pdpo_blind_index (tenant, subject);
