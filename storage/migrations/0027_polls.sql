-- Polls for co-design (issue 22): a staff member composes a question with 2-10 options in
-- private (/poll), chooses groups and an end time; each group gets a native anonymous
-- Telegram poll through the outbox; at the end time the bot closes it (stopPoll) and its
-- composer gets the results per group and together, through the disclosure rule.
--
-- A poll's answers are counted by Telegram and read only as counts when it closes: who
-- voted for what is never known to the bot (an anonymous poll) nor stored. ``polls.targets``
-- holds the groups ticked while the poll is a draft; ``poll_groups`` a row per group it
-- went to: the outbox row, the message once delivered, and the counts once closed (JSON,
-- one per option, in the options' order; NULL where Telegram gave none). Closing claims a
-- group's row first (``claimed_at``): one instance stops it, and a claim a crash left is
-- taken over once it is ``CLAIM_LEASE`` old.
CREATE TABLE polls (
    id INTEGER PRIMARY KEY,
    created_by BIGINT NULL,
    question TEXT NOT NULL,
    options TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed', 'cancelled')),
    targets TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT NULL,
    closed_at TEXT NULL
);
CREATE INDEX polls_by_status ON polls (status, closes_at);
CREATE INDEX polls_by_creator ON polls (created_by, status);

CREATE TABLE poll_groups (
    poll_id INTEGER NOT NULL REFERENCES polls (id),
    group_id INTEGER NOT NULL REFERENCES groups (id),
    outbox_id INTEGER NULL REFERENCES outbox (id),
    chat_id BIGINT NULL,
    message_id BIGINT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'open', 'closing', 'closed', 'failed')),
    -- when an instance claimed it for closing (another may take it over after a while)
    claimed_at TEXT NULL,
    voters INTEGER NULL,
    counts TEXT NULL,
    PRIMARY KEY (poll_id, group_id)
);
CREATE INDEX poll_groups_by_outbox ON poll_groups (outbox_id);
