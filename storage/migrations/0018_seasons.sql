-- Seasons (issue 18): a group's programme runs in seasons. A season ends after its last
-- meeting (the bot says goodbye, the after-survey goes as planned, and the group keeps an
-- "after the programme" rhythm its instructors choose); an instructor may start a new one
-- in the same chat (/season new). Groups with no activity for long are archived.

-- One row per season of a group; the group's current season is its highest number.
-- Meetings are numbered on across seasons (the new season's first meeting is the number
-- after the last one), so a meeting's number in its season is number - first_meeting + 1;
-- the weekly roll-up's weeks run on in the same way (week - first_week + 1).
CREATE TABLE seasons (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    number INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'ended')),
    first_meeting INTEGER NOT NULL DEFAULT 1,
    first_week INTEGER NOT NULL DEFAULT 1,
    started_at TEXT NOT NULL,
    ended_at TEXT NULL,
    -- after the programme: a weekly check-in with a tip (as during it), a monthly
    -- check-in, or nothing
    after_rhythm TEXT NOT NULL DEFAULT 'weekly'
        CHECK (after_rhythm IN ('weekly', 'monthly', 'off')),
    -- the due time of the latest after-programme message sent or skipped: each once
    after_last_at TEXT NULL,
    UNIQUE (group_id, number)
);

-- every group has had one season so far
INSERT INTO seasons (group_id, number, status, started_at)
SELECT id, 1, 'running', created_at FROM groups;

-- the season a meeting belongs to
ALTER TABLE meetings ADD COLUMN season INTEGER NOT NULL DEFAULT 1;

-- the season a participant joined (through the group's link) for: a new season asks
-- them again, and only those who joined it get its check-ins, buddies and surveys
ALTER TABLE group_participants ADD COLUMN season INTEGER NOT NULL DEFAULT 1;

-- when the group was archived for lack of activity (NULL: it is not); an archived group
-- gets nothing sent until an instructor starts a new season
ALTER TABLE groups ADD COLUMN archived_at TEXT NULL;

-- a season's survey rounds: the after-survey of season 2 is not season 1's
-- (a UNIQUE constraint cannot be altered in SQLite: the three survey tables are rebuilt,
-- children with their parents, with the same columns and rows; nothing else refers to them)
CREATE TABLE survey_rounds_new (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    survey TEXT NOT NULL,
    round TEXT NOT NULL CHECK (round IN ('before', 'after', 'month-3', 'month-6')),
    sent_at TEXT NOT NULL,
    season INTEGER NOT NULL DEFAULT 1,
    UNIQUE (group_id, season, round)
);
INSERT INTO survey_rounds_new (id, group_id, survey, round, sent_at)
SELECT id, group_id, survey, round, sent_at FROM survey_rounds;
CREATE TABLE survey_responses_new (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES survey_rounds_new (id),
    pseudonym TEXT NOT NULL,
    invited_at TEXT NOT NULL,
    finished_at TEXT NULL,
    reminded_at TEXT NULL,
    UNIQUE (round_id, pseudonym)
);
INSERT INTO survey_responses_new SELECT id, round_id, pseudonym, invited_at, finished_at,
                                        reminded_at FROM survey_responses;
CREATE TABLE survey_answers_new (
    response_id INTEGER NOT NULL REFERENCES survey_responses_new (id),
    item TEXT NOT NULL,
    value INTEGER NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (response_id, item)
);
INSERT INTO survey_answers_new SELECT response_id, item, value, answered_at FROM survey_answers;
DROP TABLE survey_answers;
DROP TABLE survey_responses;
DROP TABLE survey_rounds;
ALTER TABLE survey_rounds_new RENAME TO survey_rounds;
ALTER TABLE survey_responses_new RENAME TO survey_responses;
ALTER TABLE survey_answers_new RENAME TO survey_answers;
