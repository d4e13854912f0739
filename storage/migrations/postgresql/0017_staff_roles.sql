-- Staff roles that end (issue 18).

-- A removal asked for and waiting for its confirming press (/staff, /leave): the SHA-256
-- of the random token in the question's buttons (never the token itself), who asked, whose
-- role or group it removes (the role it had when asked: coordinator or instructor; or the
-- group, to take them off only that group), when it was asked and until when it holds.
-- A row exists only while the question is open: confirming or declining it deletes it,
-- asking again replaces the asker's older one, expired rows go when anyone asks, and an
-- erasure deletes every row that names the person.
CREATE TABLE staff_requests (
    token_hash TEXT PRIMARY KEY,
    asked_by BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    role TEXT NULL CHECK (role IN ('coordinator', 'instructor')),
    group_id BIGINT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    CHECK ((role IS NULL) <> (group_id IS NULL))
);
CREATE INDEX staff_requests_by_asker ON staff_requests (asked_by);
CREATE INDEX staff_requests_by_person ON staff_requests (person_id);

-- Whom a privileged action was about (a role that ended: the person who held it), so that
-- their erasure replaces the id with a stand-in here too, as it does for the actor.
ALTER TABLE audit_log ADD COLUMN subject_id BIGINT NULL;
