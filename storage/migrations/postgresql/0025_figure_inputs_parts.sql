-- The figures' change numbers (0023) without a row every writer waits for: on
-- PostgreSQL each database session moves a row of its own (keyed by its backend's
-- process id), row by row, so writers of different instances never queue behind one row
-- or deadlock on it, and a statement that changes nothing moves nothing; the numbers are
-- figure_inputs' plus the sum of these rows. On SQLite (one writer at a time) the
-- triggers stay on figure_inputs. On both, a participant's row moves the numbers only
-- when what the figures read of it changes (not the minute-by-minute confirmed_at).
CREATE TABLE figure_inputs_parts (
    session BIGINT PRIMARY KEY,
    activity BIGINT NOT NULL,
    answers BIGINT NOT NULL,
    other BIGINT NOT NULL
);
DROP TRIGGER figure_inputs_groups ON groups;
DROP TRIGGER figure_inputs_staff ON staff;
DROP TRIGGER figure_inputs_group_instructors ON group_instructors;
DROP TRIGGER figure_inputs_group_participants ON group_participants;
DROP TRIGGER figure_inputs_erased_memberships ON erased_memberships;
DROP TRIGGER figure_inputs_seasons ON seasons;
DROP TRIGGER figure_inputs_meetings ON meetings;
DROP TRIGGER figure_inputs_checkins ON checkins;
DROP TRIGGER figure_inputs_weekly_activity ON weekly_activity;
DROP TRIGGER figure_inputs_survey_rounds ON survey_rounds;
DROP TRIGGER figure_inputs_survey_responses ON survey_responses;
DROP TRIGGER figure_inputs_survey_answers ON survey_answers;
DROP FUNCTION figure_inputs_activity();
DROP FUNCTION figure_inputs_answers();
DROP FUNCTION figure_inputs_other();
CREATE FUNCTION figure_inputs_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO figure_inputs_parts (session, activity, answers, other)
    VALUES (pg_backend_pid(), 0, 0, 0) ON CONFLICT (session) DO NOTHING;
    UPDATE figure_inputs_parts SET activity = activity + 1 WHERE session = pg_backend_pid();
    RETURN NULL;
END
$$;
CREATE FUNCTION figure_inputs_answers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO figure_inputs_parts (session, activity, answers, other)
    VALUES (pg_backend_pid(), 0, 0, 0) ON CONFLICT (session) DO NOTHING;
    UPDATE figure_inputs_parts SET answers = answers + 1 WHERE session = pg_backend_pid();
    RETURN NULL;
END
$$;
CREATE FUNCTION figure_inputs_other() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO figure_inputs_parts (session, activity, answers, other)
    VALUES (pg_backend_pid(), 0, 0, 0) ON CONFLICT (session) DO NOTHING;
    UPDATE figure_inputs_parts SET other = other + 1 WHERE session = pg_backend_pid();
    RETURN NULL;
END
$$;
CREATE TRIGGER figure_inputs_groups AFTER INSERT OR UPDATE OR DELETE ON groups
FOR EACH ROW EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_groups_truncate AFTER TRUNCATE ON groups
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_staff AFTER INSERT OR UPDATE OR DELETE ON staff
FOR EACH ROW EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_staff_truncate AFTER TRUNCATE ON staff
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_group_instructors AFTER INSERT OR UPDATE OR DELETE ON group_instructors
FOR EACH ROW EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_group_instructors_truncate AFTER TRUNCATE ON group_instructors
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_group_participants AFTER INSERT OR DELETE ON group_participants
FOR EACH ROW EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_group_participants_update AFTER UPDATE ON group_participants
FOR EACH ROW WHEN (OLD.group_id <> NEW.group_id OR OLD.person_id <> NEW.person_id
                   OR OLD.joined_at IS DISTINCT FROM NEW.joined_at
                   OR OLD.left_at IS DISTINCT FROM NEW.left_at)
EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_group_participants_truncate AFTER TRUNCATE ON group_participants
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_erased_memberships AFTER INSERT OR UPDATE OR DELETE ON erased_memberships
FOR EACH ROW EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_erased_memberships_truncate AFTER TRUNCATE ON erased_memberships
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_seasons AFTER INSERT OR UPDATE OR DELETE ON seasons
FOR EACH ROW EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_seasons_truncate AFTER TRUNCATE ON seasons
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_meetings AFTER INSERT OR UPDATE OR DELETE ON meetings
FOR EACH ROW EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_meetings_truncate AFTER TRUNCATE ON meetings
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_checkins AFTER INSERT OR UPDATE OR DELETE ON checkins
FOR EACH ROW EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_checkins_truncate AFTER TRUNCATE ON checkins
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_weekly_activity AFTER INSERT OR UPDATE OR DELETE ON weekly_activity
FOR EACH ROW EXECUTE FUNCTION figure_inputs_activity();
CREATE TRIGGER figure_inputs_weekly_activity_truncate AFTER TRUNCATE ON weekly_activity
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_activity();
CREATE TRIGGER figure_inputs_survey_rounds AFTER INSERT OR UPDATE OR DELETE ON survey_rounds
FOR EACH ROW EXECUTE FUNCTION figure_inputs_answers();
CREATE TRIGGER figure_inputs_survey_rounds_truncate AFTER TRUNCATE ON survey_rounds
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_answers();
CREATE TRIGGER figure_inputs_survey_responses AFTER INSERT OR UPDATE OR DELETE ON survey_responses
FOR EACH ROW EXECUTE FUNCTION figure_inputs_answers();
CREATE TRIGGER figure_inputs_survey_responses_truncate AFTER TRUNCATE ON survey_responses
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_answers();
CREATE TRIGGER figure_inputs_survey_answers AFTER INSERT OR UPDATE OR DELETE ON survey_answers
FOR EACH ROW EXECUTE FUNCTION figure_inputs_answers();
CREATE TRIGGER figure_inputs_survey_answers_truncate AFTER TRUNCATE ON survey_answers
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_answers();
