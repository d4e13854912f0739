-- Setting a group's meeting calendar is asked first (issue 20).

-- /meetings DAY TIME FROM [xCOUNT] [PLACE] shows the meetings it would set, warns of the
-- public holidays among them and waits for a press: set as typed, set without the holidays
-- (the series runs on a week for each one left out) or keep the calendar as it is. Only the
-- confirming press stores the calendar and announces it to the group. A row holds the
-- SHA-256 of the random token in the question's buttons (never the token itself), who asked
-- and in which chat, the group, the weekly slot, the meetings' days as typed and without
-- the holidays (ISO dates, comma-separated; equal when none is a holiday), the place or
-- link, a hash of the group's calendar as it was when asked (a press after it changed does
-- nothing), when it was asked and until when it holds. A row exists only while the question
-- is open, like meeting_changes': answering deletes it, asking again replaces the asker's
-- older one, expired rows go when anyone asks, an erasure deletes the rows the person asked.
CREATE TABLE calendar_questions (
    token_hash TEXT PRIMARY KEY,
    asked_by BIGINT NOT NULL,
    chat_id BIGINT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES groups (id),
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    meeting_time TEXT NOT NULL,
    days TEXT NOT NULL,
    workdays TEXT NOT NULL,
    place TEXT NULL,
    link TEXT NULL,
    calendar_was TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX calendar_questions_by_asker ON calendar_questions (asked_by);
