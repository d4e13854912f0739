-- The meeting calendar of a group, its meetings, and the messages planned around them.
-- The database is the source of truth: the scheduler's jobs are derived from
-- schedule_items and rebuilt at every start.

-- How a group meets, and its rhythm settings. Times are local wall-clock times
-- ('HH:MM') in the group's time zone, so they hold across daylight saving changes.
CREATE TABLE calendars (
    group_id INTEGER PRIMARY KEY REFERENCES groups (id),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    meeting_time TEXT NOT NULL,
    first_date TEXT NOT NULL,
    meetings INTEGER NOT NULL CHECK (meetings BETWEEN 1 AND 52),
    place TEXT NULL,
    link TEXT NULL,
    -- reminders: the evening before at this time (NULL: none), and this many minutes
    -- before the meeting (NULL: none)
    remind_evening_at TEXT NULL DEFAULT '18:00',
    remind_minutes_before INTEGER NULL DEFAULT 60,
    -- while meetings are cancelled: a mid-week encouragement this many days after the
    -- usual meeting day, at this time (NULL: none)
    midweek_days_after INTEGER NULL DEFAULT 3,
    midweek_at TEXT NULL DEFAULT '12:00',
    -- nothing is sent between these local times; what falls due is sent at their end
    quiet_from TEXT NOT NULL DEFAULT '21:00',
    quiet_until TEXT NOT NULL DEFAULT '08:00',
    set_by BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    number INTEGER NOT NULL,
    -- local date and time in the group's zone; starts_at is the same moment in UTC
    local_date TEXT NOT NULL,
    local_time TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'cancelled', 'remote')),
    link TEXT NULL,
    reason TEXT NULL,
    UNIQUE (group_id, number)
);
CREATE INDEX meetings_by_group ON meetings (group_id, starts_at);

-- One row per message planned around a meeting: a firing is keyed by the row (the
-- meeting and the kind), so one due time never produces two messages.
CREATE TABLE schedule_items (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    -- evening, before (reminders), at-home (a cancelled meeting's time), midweek
    kind TEXT NOT NULL CHECK (kind IN ('evening', 'before', 'at-home', 'midweek')),
    due_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'skipped', 'dropped')),
    -- why it was skipped or dropped (a message key)
    reason TEXT NULL,
    finished_at TEXT NULL,
    UNIQUE (meeting_id, kind)
);
CREATE INDEX schedule_items_due ON schedule_items (status, due_at);
