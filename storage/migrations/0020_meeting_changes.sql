-- Changes to several meetings wait for a confirming press (issue 20).

-- A /cancel, /remote or /uncancel that would change more than one meeting is asked first:
-- the SHA-256 of the random token in the question's buttons (never the token itself), who
-- asked and in which chat, the group, the status the meetings get, and the meetings as
-- they were when asked (``id:status:starts_at:link`` of each, so a press after any of them
-- changed does nothing), the reason or link typed, when it was asked and until when it
-- holds. A row exists only while the question is open: confirming or keeping it deletes it,
-- asking again replaces the asker's older one, expired rows go when anyone asks, and an
-- erasure deletes every row the person asked.
CREATE TABLE meeting_changes (
    token_hash TEXT PRIMARY KEY,
    asked_by BIGINT NOT NULL,
    chat_id BIGINT NOT NULL,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    status TEXT NOT NULL CHECK (status IN ('planned', 'cancelled', 'remote')),
    meetings TEXT NOT NULL,
    reason TEXT NULL,
    link TEXT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX meeting_changes_by_asker ON meeting_changes (asked_by);
