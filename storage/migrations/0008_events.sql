-- The engagement log: append-only metadata about taking part, never message text.
-- A person appears only as a pseudonym (an HMAC of the Telegram id with the deployment's
-- key); attributes are a few small values as JSON (a message's type, a confidence...).
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    group_id INTEGER NULL REFERENCES groups (id),
    pseudonym TEXT NULL,
    kind TEXT NOT NULL,
    attributes TEXT NULL
);
CREATE INDEX events_by_group ON events (group_id, at);
CREATE INDEX events_by_kind ON events (kind, at);
