-- pdpo-testkit sample Hong Kong CRM: the secondary indexes of postgres-tables.sql, kept apart so a bulk
-- load into empty tables can build them once at the end (see pdpo_testkit::POSTGRES_INDEXES).

CREATE INDEX contacts_company_id ON contacts (company_id);
CREATE INDEX contacts_owner_staff_id ON contacts (owner_staff_id);
CREATE INDEX contacts_email ON contacts (email);
CREATE INDEX contacts_lower_email ON contacts (lower(email));
CREATE INDEX contacts_phone ON contacts (phone);
CREATE INDEX contacts_last_activity_at ON contacts (last_activity_at);
CREATE INDEX deals_company_id ON deals (company_id);
CREATE INDEX deals_owner_staff_id ON deals (owner_staff_id);
CREATE INDEX deals_contact_ids ON deals USING GIN (contact_ids jsonb_path_ops);
CREATE INDEX deals_closed_at ON deals (closed_at);
CREATE INDEX conversation_participants_contact_id ON conversation_participants (contact_id);
CREATE INDEX messages_conversation_id_sent_at ON messages (conversation_id, sent_at);
CREATE INDEX messages_sender_id ON messages (sender_id);
CREATE INDEX messages_recipient_id ON messages (recipient_id);
CREATE INDEX messages_staff_user_id ON messages (staff_user_id);
CREATE INDEX attachments_contact_id ON attachments (contact_id);
CREATE INDEX invoices_contact_id ON invoices (contact_id);
CREATE INDEX invoices_issued_at ON invoices (issued_at);
CREATE INDEX activities_contact_id ON activities (contact_id);
CREATE INDEX activities_staff_user_id ON activities (staff_user_id);
