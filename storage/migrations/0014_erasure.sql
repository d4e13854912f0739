-- Complete erasure: what a person's erasure must find, and what it leaves behind.

-- Who an outbox row names (a buddy's message names the buddy, a celebration the person who
-- shared), with the name as it was written, so that their erasure finds the row and takes
-- the name out wherever the row stands. Deleted with the erasure, or with the row.
CREATE TABLE outbox_mentions (
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    person_id BIGINT NOT NULL,
    name TEXT NULL,
    PRIMARY KEY (outbox_id, person_id)
);
CREATE INDEX outbox_mentions_by_person ON outbox_mentions (person_id);

-- An erased participant's time in a group, without the person: the days (UTC) they joined
-- and left, so that the group's past member counts stay as they were.
CREATE TABLE erased_memberships (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES groups (id),
    joined_on TEXT NOT NULL,
    left_on TEXT NOT NULL
);
CREATE INDEX erased_memberships_by_group ON erased_memberships (group_id);
