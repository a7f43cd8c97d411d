-- pdpo 0001: blob-deletion outbox and the event table used when no EventSink is configured.
CREATE TABLE IF NOT EXISTS _pdpo_blob_outbox (
    blob_id   TEXT PRIMARY KEY,
    queued_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS _pdpo_events (
    id    UUID PRIMARY KEY,
    at    TIMESTAMPTZ NOT NULL,
    event JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS _pdpo_events_at ON _pdpo_events (at);
