-- The start link in a group's greeting carries a random code, not the group's row id, so
-- nobody outside the group can guess other groups' links.
ALTER TABLE groups ADD COLUMN join_code TEXT NULL;
CREATE UNIQUE INDEX groups_by_join_code ON groups (join_code);
