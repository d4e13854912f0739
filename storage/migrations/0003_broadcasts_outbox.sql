-- Broadcasts and the outbox every bot-initiated message goes through.

-- A private chat that blocked the bot (or a deleted account) is skipped until the person
-- writes to the bot again.
ALTER TABLE people ADD COLUMN stopped_at TEXT NULL;

CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    -- who sent it (NULL: the command line)
    created_by BIGINT NULL,
    -- what is sent: kind, text or file ids, entities, captions (JSON)
    content TEXT NOT NULL,
    send_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'sending', 'done', 'cancelled')),
    created_at TEXT NOT NULL,
    finished_at TEXT NULL
);
CREATE INDEX broadcasts_by_creator ON broadcasts (created_by, status);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    chat_id BIGINT NOT NULL,
    -- the group or person it goes to, so their state (inactive, stopped) can be followed
    group_id INTEGER NULL REFERENCES groups (id),
    person_id BIGINT NULL,
    broadcast_id INTEGER NULL REFERENCES broadcasts (id),
    -- broadcast, report, notice
    purpose TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL,
    -- why it failed or was cancelled, in words for the delivery report and the log
    reason TEXT NULL,
    -- Telegram's ids of what was sent (JSON list), to link reactions and replies
    message_ids TEXT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT NULL
);
CREATE INDEX outbox_due ON outbox (status, due_at);
CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, status);
CREATE INDEX outbox_by_message ON outbox (chat_id, status);

-- What a broadcast composer has in hand: the content, the chosen groups, the step.
CREATE TABLE drafts (
    person_id BIGINT PRIMARY KEY REFERENCES people (telegram_id),
    content TEXT NOT NULL,
    -- JSON list of group ids
    targets TEXT NOT NULL,
    step TEXT NOT NULL CHECK (step IN ('content', 'targets', 'time')),
    media_group_id TEXT NULL,
    updated_at TEXT NOT NULL
);
