-- pdpo-testkit sample Hong Kong CRM: PostgreSQL DDL.
--
-- Types: keys BIGINT; instants TIMESTAMPTZ; money NUMERIC(14, 2); JSON JSONB (deals.contact_ids is a
-- JSONB array of contact keys, indexed with GIN for the `array` link's containment lookups).
-- hkid and date_of_birth are marked `encrypt = true` in pdpo.toml: they hold plaintext as generated
-- (an HKID, a YYYY-MM-DD date), or a text ciphertext envelope once pdpo-crypto encrypts them, so
-- they are TEXT.
-- Foreign keys never cascade: erasure changes rows in place and a store refuses cascades.

CREATE TABLE staff_users (
    id          BIGINT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE companies (
    id          BIGINT PRIMARY KEY,
    name_en     TEXT NOT NULL,
    name_zh     TEXT,
    brn         TEXT,
    phone       TEXT,
    address     TEXT,
    industry    TEXT,
    notes       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE contacts (
    id                BIGINT PRIMARY KEY,
    company_id        BIGINT REFERENCES companies (id),
    name_en           VARCHAR(200) NOT NULL,
    name_zh           VARCHAR(50),
    hkid              TEXT,
    phone             VARCHAR(40),
    email             VARCHAR(254),
    extra_emails      JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(extra_emails) = 'array'),
    address           VARCHAR(400),
    date_of_birth     TEXT,
    notes             TEXT,
    status            TEXT NOT NULL CHECK (status IN ('lead', 'customer')),
    custom_fields     JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object'),
    owner_staff_id    BIGINT REFERENCES staff_users (id),
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    last_activity_at  TIMESTAMPTZ
);

CREATE TABLE deals (
    id              BIGINT PRIMARY KEY,
    company_id      BIGINT REFERENCES companies (id),
    contact_ids     JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(contact_ids) = 'array'),
    title           TEXT NOT NULL,
    stage           TEXT NOT NULL,
    amount          NUMERIC(14, 2) NOT NULL,
    currency        CHAR(3) NOT NULL DEFAULT 'HKD',
    owner_staff_id  BIGINT REFERENCES staff_users (id),
    notes           TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    closed_at       TIMESTAMPTZ
);

CREATE TABLE conversations (
    id               BIGINT PRIMARY KEY,
    channel          TEXT NOT NULL,
    topic            VARCHAR(200),
    started_at       TIMESTAMPTZ NOT NULL,
    last_message_at  TIMESTAMPTZ
);

CREATE TABLE conversation_participants (
    conversation_id  BIGINT NOT NULL REFERENCES conversations (id),
    contact_id       BIGINT NOT NULL REFERENCES contacts (id),
    role             TEXT NOT NULL,
    joined_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (conversation_id, contact_id)
);

CREATE TABLE messages (
    id                 BIGINT PRIMARY KEY,
    conversation_id    BIGINT NOT NULL REFERENCES conversations (id),
    sender_id          BIGINT REFERENCES contacts (id),
    recipient_id       BIGINT REFERENCES contacts (id),
    staff_user_id      BIGINT REFERENCES staff_users (id),
    direction          TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'between_contacts')),
    sender_name        VARCHAR(200),
    recipient_address  VARCHAR(254),
    body               TEXT NOT NULL,
    sent_at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE attachments (
    id            BIGINT PRIMARY KEY,
    contact_id    BIGINT NOT NULL REFERENCES contacts (id),
    kind          TEXT NOT NULL,
    blob_id       TEXT NOT NULL UNIQUE,
    file_name     VARCHAR(255),
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    uploaded_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE invoices (
    id               BIGINT PRIMARY KEY,
    contact_id       BIGINT NOT NULL REFERENCES contacts (id),
    number           TEXT NOT NULL UNIQUE,
    bill_to_name     VARCHAR(200),
    bill_to_address  VARCHAR(400),
    currency         CHAR(3) NOT NULL DEFAULT 'HKD',
    total            NUMERIC(14, 2) NOT NULL,
    issued_at        TIMESTAMPTZ NOT NULL,
    due_at           TIMESTAMPTZ,
    paid_at          TIMESTAMPTZ
);

CREATE TABLE invoice_lines (
    invoice_id   BIGINT NOT NULL REFERENCES invoices (id),
    line_no      INTEGER NOT NULL,
    description  TEXT NOT NULL,
    quantity     INTEGER NOT NULL,
    unit_price   NUMERIC(14, 2) NOT NULL,
    amount       NUMERIC(14, 2) NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
);

CREATE TABLE marketing_consents (
    id            BIGINT PRIMARY KEY,
    contact_id    BIGINT NOT NULL REFERENCES contacts (id),
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'phone', 'post')),
    purpose       TEXT NOT NULL,
    source        TEXT NOT NULL,
    ip_address    VARCHAR(45),
    given_at      TIMESTAMPTZ NOT NULL,
    withdrawn_at  TIMESTAMPTZ,
    UNIQUE (contact_id, channel, purpose)
);

CREATE TABLE activities (
    id             BIGINT PRIMARY KEY,
    contact_id     BIGINT NOT NULL REFERENCES contacts (id),
    staff_user_id  BIGINT REFERENCES staff_users (id),
    kind           TEXT NOT NULL,
    body           TEXT,
    occurred_at    TIMESTAMPTZ NOT NULL
);
