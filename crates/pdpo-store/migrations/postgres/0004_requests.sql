-- pdpo 0004: the request ledger of pdpo-requests (SqlRequestStore): data access, correction,
-- erasure and opt-out requests, and the s.27 log book of refusals.
CREATE TABLE IF NOT EXISTS pdpo_requests (
    id          UUID  PRIMARY KEY,
    kind        TEXT  NOT NULL,
    state       TEXT  NOT NULL,
    received_on DATE  NOT NULL,
    request     JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS pdpo_requests_state ON pdpo_requests (state, received_on);
CREATE TABLE IF NOT EXISTS pdpo_log_book (
    id            UUID        PRIMARY KEY,
    request       UUID        NOT NULL,
    kind          TEXT        NOT NULL,
    entered_at    TIMESTAMPTZ NOT NULL,
    entered_on    DATE        NOT NULL,
    erasable_from DATE        NOT NULL,
    entry         JSONB       NOT NULL
);
CREATE INDEX IF NOT EXISTS pdpo_log_book_entered ON pdpo_log_book (entered_at, id);
CREATE INDEX IF NOT EXISTS pdpo_log_book_request ON pdpo_log_book (request);
