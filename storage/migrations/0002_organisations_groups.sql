-- Organisations, their staff, invitations, groups, participants and consent.
-- Ids are INTEGER PRIMARY KEY (SQLite rowids); the PostgreSQL backend maps them to identity columns.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- who is responsible for the data and how to reach them, shown in the privacy notice
    privacy_contact TEXT NULL,
    created_at TEXT NOT NULL
);

-- A person's staff role: one organisation, coordinator or instructor.
CREATE TABLE staff (
    person_id BIGINT PRIMARY KEY REFERENCES people (telegram_id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL CHECK (role IN ('coordinator', 'instructor')),
    -- the name staff are shown by to colleagues (from Telegram, when they joined)
    display_name TEXT NOT NULL,
    since TEXT NOT NULL
);
CREATE INDEX staff_by_organisation ON staff (organisation_id);

CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    chat_id BIGINT NOT NULL UNIQUE,
    -- NULL only while an admin without an organisation picks one
    organisation_id INTEGER NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    display_name TEXT NULL,
    language TEXT NOT NULL CHECK (language IN ('fi', 'sv', 'en')),
    timezone TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'inactive')),
    bot_is_admin INTEGER NOT NULL DEFAULT 0,
    registered_by BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (status = 'pending' OR organisation_id IS NOT NULL)
);
CREATE INDEX groups_by_organisation ON groups (organisation_id);

CREATE TABLE group_instructors (
    group_id INTEGER NOT NULL REFERENCES groups (id),
    person_id BIGINT NOT NULL REFERENCES people (telegram_id),
    since TEXT NOT NULL,
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX group_instructors_by_person ON group_instructors (person_id);

CREATE TABLE group_participants (
    group_id INTEGER NOT NULL REFERENCES groups (id),
    person_id BIGINT NOT NULL REFERENCES people (telegram_id),
    status TEXT NOT NULL CHECK (status IN ('member', 'left')),
    joined_at TEXT NOT NULL,
    left_at TEXT NULL,
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX group_participants_by_person ON group_participants (person_id);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    -- SHA-256 of the token; the token itself is only in the link
    token_hash TEXT NOT NULL UNIQUE,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL CHECK (role IN ('coordinator', 'instructor')),
    group_id INTEGER NULL REFERENCES groups (id),
    created_by BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    max_uses INTEGER NOT NULL CHECK (max_uses >= 1),
    uses INTEGER NOT NULL DEFAULT 0,
    revoked_at TEXT NULL
);
CREATE INDEX invitations_by_organisation ON invitations (organisation_id);

CREATE TABLE invitation_uses (
    invitation_id INTEGER NOT NULL REFERENCES invitations (id),
    person_id BIGINT NOT NULL REFERENCES people (telegram_id),
    used_at TEXT NOT NULL,
    PRIMARY KEY (invitation_id, person_id)
);

-- Consent to an organisation's privacy notice, by version; withdrawal keeps the row.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people (telegram_id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    version TEXT NOT NULL,
    given_at TEXT NOT NULL,
    withdrawn_at TEXT NULL
);
CREATE INDEX consents_by_person ON consents (person_id, organisation_id);
