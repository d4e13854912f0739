-- The /forgetme question as a stored request, so that only the person who asked, and only
-- within its quarter hour, can confirm it: the SHA-256 of the random token in the
-- question's buttons (never the token itself), whose request it is, when it was asked and
-- until when it holds. A row exists only while the request is open: confirming it (the
-- erasure), declining it or asking again deletes it, the erasure deletes every row of the
-- person, and the daily sweep deletes expired rows.
CREATE TABLE erasure_requests (
    token_hash TEXT PRIMARY KEY,
    person_id BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX erasure_requests_by_person ON erasure_requests (person_id);

-- Where a privileged action was asked for: in a chat with the bot, or on the command line
-- (kannustin). Erasures record it; NULL where an entry does not.
ALTER TABLE audit_log ADD COLUMN channel TEXT NULL
    CHECK (channel IN ('chat', 'command-line'));
