-- pdpo 0001: blob-deletion outbox and the event table used when no EventSink is configured.
CREATE TABLE IF NOT EXISTS _pdpo_blob_outbox (
    blob_id   TEXT PRIMARY KEY NOT NULL,
    queued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS _pdpo_events (
    id    TEXT PRIMARY KEY NOT NULL,
    at    TEXT NOT NULL,
    event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS _pdpo_events_at ON _pdpo_events (at);
