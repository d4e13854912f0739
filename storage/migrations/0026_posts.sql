-- Participants' own posts (issue 22, "community reporter"). A participant sends a photo,
-- video, voice message or text to the bot in private and chooses to share it with one of
-- their groups, named or anonymously; the group's instructors (failing those, its
-- organisation's coordinators, failing those the admins) approve or reject it; an approved
-- post goes to the group through the outbox. The author may withdraw it (/myposts).
--
-- What the participant shared on purpose (``content``: Telegram's file id and caption, or
-- the text) and the name they chose to show (``author_name``) are kept only while the post
-- exists: a rejection, a withdrawal, an erasure, the group's retention or a post nobody
-- decided on within two weeks (expired) empties both, and the outbox rows that
-- carried it (``outbox.post_id``: the group's copy and the reviewers') are emptied with
-- them. What stays is the fact: which group, which kind, when shared, decided, withdrawn,
-- for the statistics. ``author_id`` lets the author list and withdraw their posts; an
-- erasure clears it. ``source_message_id``: the author's message it was made from, so one
-- message is shared once.
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    author_id BIGINT NULL,
    source_message_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'video', 'voice', 'text')),
    content TEXT NULL,
    named INTEGER NOT NULL,
    author_name TEXT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn', 'expired')),
    created_at TEXT NOT NULL,
    decided_by BIGINT NULL,
    decided_at TEXT NULL,
    withdrawn_at TEXT NULL,
    -- a reviewer asked its author whether it may be saved to the library under this theme
    library_theme TEXT NULL,
    -- the library tip it was saved as, with its author's yes (contributions); removed with
    -- a withdrawal
    contribution_id INTEGER NULL REFERENCES contributions (id),
    UNIQUE (author_id, source_message_id)
);
CREATE INDEX posts_by_author ON posts (author_id, status);
CREATE INDEX posts_by_group ON posts (group_id, created_at);

-- the post an outbox row carries (the group's copy, a reviewer's copy and card)
ALTER TABLE outbox ADD COLUMN post_id INTEGER NULL REFERENCES posts (id);
CREATE INDEX outbox_by_post ON outbox (post_id) WHERE post_id IS NOT NULL;
