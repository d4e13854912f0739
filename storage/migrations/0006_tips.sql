-- Tips: instructors' own contributions and their review, which tip a draft or broadcast
-- carries, every use of a tip, and the date a group's six-week programme starts.

ALTER TABLE organisations ADD COLUMN review_contributions INTEGER NOT NULL DEFAULT 1;

-- the first meeting (a local date, YYYY-MM-DD); programme weeks count from it, and from
-- the group's registration until it is set
ALTER TABLE groups ADD COLUMN starts_on TEXT NULL;

-- 'lib:<tip id>' for a curated tip, 'own:<contribution id>' for an organisation's own
ALTER TABLE drafts ADD COLUMN tip TEXT NULL;
ALTER TABLE broadcasts ADD COLUMN tip TEXT NULL;
CREATE INDEX broadcasts_by_tip ON broadcasts (tip) WHERE tip IS NOT NULL;

CREATE TABLE contributions (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    author_id BIGINT NOT NULL REFERENCES people (telegram_id),
    -- the broadcast it was saved from: each is saved once
    broadcast_id INTEGER NULL UNIQUE REFERENCES broadcasts (id),
    theme TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('fi', 'sv', 'en')),
    -- what is sent, as a broadcast holds it (Telegram file ids, text, entities; JSON)
    content TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at TEXT NOT NULL,
    reviewed_by BIGINT NULL,
    reviewed_at TEXT NULL
);
CREATE INDEX contributions_by_organisation ON contributions (organisation_id, status, theme);

-- Every use of a tip: sent to a group (by a broadcast) or asked for by a participant.
-- A participant is recorded only by pseudonym, never by Telegram id.
CREATE TABLE tip_uses (
    id INTEGER PRIMARY KEY,
    tip TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sent', 'requested')),
    group_id INTEGER NULL REFERENCES groups (id),
    broadcast_id INTEGER NULL REFERENCES broadcasts (id),
    pseudonym TEXT NULL,
    at TEXT NOT NULL
);
CREATE INDEX tip_uses_by_tip ON tip_uses (tip, kind);
CREATE INDEX tip_uses_by_pseudonym ON tip_uses (pseudonym, id) WHERE pseudonym IS NOT NULL;
CREATE INDEX tip_uses_by_group ON tip_uses (group_id, id) WHERE group_id IS NOT NULL;
