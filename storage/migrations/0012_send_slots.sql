-- Telegram's limits are per bot, not per process. With several instances (PostgreSQL),
-- each send books its slot here, so that together they keep the limits: a slot's time
-- (seconds since 1970), its chat and how many messages it carries (an album has several).
-- Rows older than two minutes are deleted as new ones are booked. One instance alone
-- (SQLite) keeps its slots in memory and leaves these tables empty.
CREATE TABLE send_slots (
    id INTEGER PRIMARY KEY,
    chat TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    messages INTEGER NOT NULL
);
CREATE INDEX send_slots_by_chat ON send_slots (chat, at);
CREATE INDEX send_slots_by_time ON send_slots (at);

-- After a 429 every instance waits until this time (seconds since 1970).
CREATE TABLE send_pause (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    until DOUBLE PRECISION NOT NULL
);

-- Several instances: which instance claimed a row it is sending (its presence lock's key),
-- so that a new leader sends again only what a dead instance had in flight. NULL on SQLite.
ALTER TABLE outbox ADD COLUMN claimed_by BIGINT NULL;
