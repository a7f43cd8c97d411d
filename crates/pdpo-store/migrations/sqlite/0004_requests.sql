-- pdpo 0004: the request ledger of pdpo-requests (SqlRequestStore): data access, correction,
-- erasure and opt-out requests, and the s.27 log book of refusals.
CREATE TABLE IF NOT EXISTS pdpo_requests (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    received_on TEXT NOT NULL,
    request     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pdpo_requests_state ON pdpo_requests (state, received_on);
CREATE TABLE IF NOT EXISTS pdpo_log_book (
    id            TEXT PRIMARY KEY NOT NULL,
    request       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    entered_at    TEXT NOT NULL,
    entered_on    TEXT NOT NULL,
    erasable_from TEXT NOT NULL,
    entry         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pdpo_log_book_entered ON pdpo_log_book (entered_at, id);
CREATE INDEX IF NOT EXISTS pdpo_log_book_request ON pdpo_log_book (request);
