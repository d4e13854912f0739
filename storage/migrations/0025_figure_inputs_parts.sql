-- The figures' change numbers (0023) without a row every writer waits for: on
-- PostgreSQL each database session moves a row of its own (keyed by its backend's
-- process id), row by row, so writers of different instances never queue behind one row
-- or deadlock on it, and a statement that changes nothing moves nothing; the numbers are
-- figure_inputs' plus the sum of these rows. On SQLite (one writer at a time) the
-- triggers stay on figure_inputs. On both, a participant's row moves the numbers only
-- when what the figures read of it changes (not the minute-by-minute confirmed_at).
CREATE TABLE figure_inputs_parts (
    session INTEGER PRIMARY KEY,
    activity INTEGER NOT NULL,
    answers INTEGER NOT NULL,
    other INTEGER NOT NULL
);
DROP TRIGGER figure_inputs_group_participants_update;
CREATE TRIGGER figure_inputs_group_participants_update
AFTER UPDATE OF group_id, person_id, joined_at, left_at ON group_participants
WHEN OLD.group_id <> NEW.group_id OR OLD.person_id <> NEW.person_id
  OR OLD.joined_at IS NOT NEW.joined_at OR OLD.left_at IS NOT NEW.left_at
BEGIN UPDATE figure_inputs SET other = other + 1; END;
