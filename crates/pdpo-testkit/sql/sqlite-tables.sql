-- pdpo-testkit sample Hong Kong CRM: SQLite DDL (run with PRAGMA foreign_keys = ON).
--
-- Types: keys INTEGER; instants TEXT in RFC 3339 UTC; money TEXT holding an exact decimal (SQLite's
-- NUMERIC affinity would turn 880.50 into a float); JSON TEXT checked with json_valid.
-- hkid and date_of_birth are marked `encrypt = true` in pdpo.toml: they hold plaintext as generated,
-- or a ciphertext envelope once pdpo-crypto encrypts them, so they are declared BLOB (no conversion).
-- Foreign keys never cascade: erasure changes rows in place and a store refuses cascades.

CREATE TABLE staff_users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE companies (
    id          INTEGER PRIMARY KEY,
    name_en     TEXT NOT NULL,
    name_zh     TEXT,
    brn         TEXT,
    phone       TEXT,
    address     TEXT,
    industry    TEXT,
    notes       TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE contacts (
    id                INTEGER PRIMARY KEY,
    company_id        INTEGER REFERENCES companies (id),
    name_en           TEXT NOT NULL CHECK (length(name_en) <= 200),
    name_zh           TEXT CHECK (length(name_zh) <= 50),
    hkid              BLOB,  -- BLOB affinity: text or bytes stored as given
    phone             TEXT CHECK (length(phone) <= 40),
    email             TEXT CHECK (length(email) <= 254),
    extra_emails      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(extra_emails)),
    address           TEXT CHECK (length(address) <= 400),
    date_of_birth     BLOB,  -- likewise (YYYY-MM-DD as generated)
    notes             TEXT,
    status            TEXT NOT NULL CHECK (status IN ('lead', 'customer')),
    custom_fields     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(custom_fields)),
    owner_staff_id    INTEGER REFERENCES staff_users (id),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    last_activity_at  TEXT
);

CREATE TABLE deals (
    id              INTEGER PRIMARY KEY,
    company_id      INTEGER REFERENCES companies (id),
    contact_ids     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(contact_ids) AND json_type(contact_ids) = 'array'),
    title           TEXT NOT NULL,
    stage           TEXT NOT NULL,
    amount          TEXT NOT NULL,
    currency        TEXT NOT NULL DEFAULT 'HKD',
    owner_staff_id  INTEGER REFERENCES staff_users (id),
    notes           TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    closed_at       TEXT
);

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    channel          TEXT NOT NULL,
    topic            TEXT CHECK (length(topic) <= 200),
    started_at       TEXT NOT NULL,
    last_message_at  TEXT
);

CREATE TABLE conversation_participants (
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id),
    contact_id       INTEGER NOT NULL REFERENCES contacts (id),
    role             TEXT NOT NULL,
    joined_at        TEXT NOT NULL,
    PRIMARY KEY (conversation_id, contact_id)
) WITHOUT ROWID;

CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    conversation_id    INTEGER NOT NULL REFERENCES conversations (id),
    sender_id          INTEGER REFERENCES contacts (id),
    recipient_id       INTEGER REFERENCES contacts (id),
    staff_user_id      INTEGER REFERENCES staff_users (id),
    direction          TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'between_contacts')),
    sender_name        TEXT CHECK (length(sender_name) <= 200),
    recipient_address  TEXT CHECK (length(recipient_address) <= 254),
    body               TEXT NOT NULL,
    sent_at            TEXT NOT NULL
);

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    contact_id    INTEGER NOT NULL REFERENCES contacts (id),
    kind          TEXT NOT NULL,
    blob_id       TEXT NOT NULL UNIQUE,
    file_name     TEXT CHECK (length(file_name) <= 255),
    content_type  TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    uploaded_at   TEXT NOT NULL
);

CREATE TABLE invoices (
    id               INTEGER PRIMARY KEY,
    contact_id       INTEGER NOT NULL REFERENCES contacts (id),
    number           TEXT NOT NULL UNIQUE,
    bill_to_name     TEXT CHECK (length(bill_to_name) <= 200),
    bill_to_address  TEXT CHECK (length(bill_to_address) <= 400),
    currency         TEXT NOT NULL DEFAULT 'HKD',
    total            TEXT NOT NULL,
    issued_at        TEXT NOT NULL,
    due_at           TEXT,
    paid_at          TEXT
);

CREATE TABLE invoice_lines (
    invoice_id   INTEGER NOT NULL REFERENCES invoices (id),
    line_no      INTEGER NOT NULL,
    description  TEXT NOT NULL,
    quantity     INTEGER NOT NULL,
    unit_price   TEXT NOT NULL,
    amount       TEXT NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
) WITHOUT ROWID;

CREATE TABLE marketing_consents (
    id            INTEGER PRIMARY KEY,
    contact_id    INTEGER NOT NULL REFERENCES contacts (id),
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'phone', 'post')),
    purpose       TEXT NOT NULL,
    source        TEXT NOT NULL,
    ip_address    TEXT CHECK (length(ip_address) <= 45),
    given_at      TEXT NOT NULL,
    withdrawn_at  TEXT,
    UNIQUE (contact_id, channel, purpose)
);

CREATE TABLE activities (
    id             INTEGER PRIMARY KEY,
    contact_id     INTEGER NOT NULL REFERENCES contacts (id),
    staff_user_id  INTEGER REFERENCES staff_users (id),
    kind           TEXT NOT NULL,
    body           TEXT,
    occurred_at    TEXT NOT NULL
);
