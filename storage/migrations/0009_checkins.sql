-- Peer support: the weekly action-plan check-ins, progress, shared celebrations and buddies.
-- Plans are written only in the participant's private chat with the bot and never stored:
-- a check-in keeps the confidence rating and progress answers, under the pseudonym.

-- Participants' first names, for their buddy's message and a celebration they chose to share.
ALTER TABLE group_participants ADD COLUMN name TEXT NULL;

-- Check-ins can be turned off per group (/rhythm checkins off).
ALTER TABLE calendars ADD COLUMN checkins INTEGER NOT NULL DEFAULT 1;

-- schedule_items gains the check-in kinds. A CHECK constraint cannot be altered in SQLite,
-- so the table is rebuilt with the same columns and its rows.
CREATE TABLE schedule_items_new (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    -- evening, before (reminders), at-home (a cancelled meeting's time), midweek, and the
    -- check-ins: plan (invitation to the week's plan), progress-mid, progress-end
    kind TEXT NOT NULL CHECK (
        kind IN ('evening', 'before', 'at-home', 'midweek', 'plan', 'progress-mid', 'progress-end')
    ),
    due_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'skipped', 'dropped')),
    reason TEXT NULL,
    finished_at TEXT NULL,
    UNIQUE (meeting_id, kind)
);
INSERT INTO schedule_items_new (id, group_id, meeting_id, kind, due_at, status, reason, finished_at)
SELECT id, group_id, meeting_id, kind, due_at, status, reason, finished_at FROM schedule_items;
DROP TABLE schedule_items;
ALTER TABLE schedule_items_new RENAME TO schedule_items;
CREATE INDEX schedule_items_due ON schedule_items (status, due_at);

-- One row per consenting participant invited to a week's plan (the week of a meeting).
CREATE TABLE checkins (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    pseudonym TEXT NOT NULL,
    invited_at TEXT NOT NULL,
    -- the latest confidence rating (0-10) and how many times they rated
    confidence INTEGER NULL CHECK (confidence BETWEEN 0 AND 10),
    ratings INTEGER NOT NULL DEFAULT 0,
    rated_at TEXT NULL,
    progress_mid TEXT NULL CHECK (progress_mid IN ('done', 'partly', 'not-yet')),
    progress_end TEXT NULL CHECK (progress_end IN ('done', 'partly', 'not-yet')),
    shared_at TEXT NULL,
    UNIQUE (meeting_id, pseudonym)
);
CREATE INDEX checkins_by_pseudonym ON checkins (pseudonym, invited_at);

-- Buddy pairs of a programme week (a trio when the count is odd), by pseudonym, so that
-- later weeks can avoid repeating a pair.
CREATE TABLE buddy_pairs (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    week INTEGER NOT NULL,
    first TEXT NOT NULL,
    second TEXT NOT NULL,
    made_by BIGINT NOT NULL,
    made_at TEXT NOT NULL,
    UNIQUE (group_id, week, first, second)
);
