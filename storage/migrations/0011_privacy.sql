-- Privacy rights and accountability.
-- Each organisation keeps personal data for retention_months after a group's last meeting;
-- a person's erasure either unlinks their events from them or deletes them (erase_events).
ALTER TABLE organisations ADD COLUMN retention_months INTEGER NOT NULL DEFAULT 24
    CHECK (retention_months BETWEEN 1 AND 120);
ALTER TABLE organisations ADD COLUMN erase_events TEXT NOT NULL DEFAULT 'unlink'
    CHECK (erase_events IN ('unlink', 'delete'));

-- a group whose retention period has run out: its people are gone, its figures anonymous
ALTER TABLE groups ADD COLUMN anonymised_at TEXT NULL;

-- Privileged actions, for admins (kannustin audit). The actor is a Telegram id (staff or
-- admin); what the action touched is named without personal data.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id BIGINT NULL,
    action TEXT NOT NULL,
    target TEXT NULL,
    details TEXT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
