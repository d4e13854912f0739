-- Analytics: a daily roll-up of the engagement log, and the before-and-after surveys.

-- One row per group, programme week and person ('' for what is no one's: deliveries to
-- the group), kept by the event writer in the same transaction as the events it sums, so
-- statistics never scan the log. Week 1 starts on the group's first meeting day (before
-- the calendar is set: its registration day); earlier events count in week 1. When a
-- group's start day changes, its rows are summed again from its events.
CREATE TABLE weekly_activity (
    group_id INTEGER NOT NULL REFERENCES groups (id),
    week INTEGER NOT NULL,
    pseudonym TEXT NOT NULL,
    messages INTEGER NOT NULL DEFAULT 0,
    replies INTEGER NOT NULL DEFAULT 0,
    reactions INTEGER NOT NULL DEFAULT 0,
    taps INTEGER NOT NULL DEFAULT 0,
    checkins INTEGER NOT NULL DEFAULT 0,
    progress INTEGER NOT NULL DEFAULT 0,
    broadcasts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, week, pseudonym)
) WITHOUT ROWID;  -- stored in key order: a group's weeks are read in one sweep

-- the events logged before this migration, summed the same way (days in UTC)
INSERT INTO weekly_activity (group_id, week, pseudonym, messages, replies, reactions, taps,
                             checkins, progress, broadcasts)
SELECT e.group_id,
       MAX(CAST((julianday(substr(e.at, 1, 10))
                 - julianday(COALESCE(g.starts_on, substr(g.created_at, 1, 10)))) AS INTEGER)
           / 7 + 1, 1) AS week,
       COALESCE(e.pseudonym, ''),
       SUM(e.kind = 'message'),
       SUM(e.kind = 'reply'),
       SUM(CASE WHEN e.kind = 'reaction' AND e.pseudonym IS NOT NULL
                THEN MAX(COALESCE(json_extract(e.attributes, '$.change'), 0), 0) ELSE 0 END),
       SUM(e.kind = 'button'),
       SUM(e.kind = 'check-in'),
       SUM(e.kind = 'progress'),
       SUM(e.kind = 'broadcast-delivered')
FROM events e JOIN groups g ON g.id = e.group_id
GROUP BY e.group_id, week, COALESCE(e.pseudonym, '');

-- A survey round sent to a group: which survey (a data file's id) and which round
-- (before, after, 3 or 6 months), when it went out.
CREATE TABLE survey_rounds (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    survey TEXT NOT NULL,
    round TEXT NOT NULL CHECK (round IN ('before', 'after', 'month-3', 'month-6')),
    sent_at TEXT NOT NULL,
    UNIQUE (group_id, round)
);

-- One participant's answers to a round, by pseudonym: where they are, whether finished,
-- and the one reminder.
CREATE TABLE survey_responses (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES survey_rounds (id),
    pseudonym TEXT NOT NULL,
    invited_at TEXT NOT NULL,
    finished_at TEXT NULL,
    reminded_at TEXT NULL,
    UNIQUE (round_id, pseudonym)
);

-- One answer per item; a skipped item is stored with no value, so it is not asked again.
CREATE TABLE survey_answers (
    response_id INTEGER NOT NULL REFERENCES survey_responses (id),
    item TEXT NOT NULL,
    value INTEGER NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (response_id, item)
);

-- Survey rounds are planned messages like the reminders.
CREATE TABLE schedule_items_new (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    kind TEXT NOT NULL CHECK (
        kind IN ('evening', 'before', 'at-home', 'midweek', 'plan', 'progress-mid',
                 'progress-end', 'survey-before', 'survey-after', 'survey-month-3',
                 'survey-month-6')
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

-- Follow-up surveys 3 and 6 months after the last meeting are the group's choice.
ALTER TABLE calendars ADD COLUMN follow_ups INTEGER NOT NULL DEFAULT 0;
