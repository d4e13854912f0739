-- What the weekly figures (/stats, its chart, /checkins, the export, the Mini App's
-- dashboard) and the survey outcome summary are worked out from changes: three numbers
-- that grow with every write to those tables, however it comes (the bot, the kannustin
-- command line, another instance): ``activity`` with the weekly roll-up of the engagement
-- log, ``answers`` with the survey answers, ``other`` with the groups, their staff and
-- members, seasons, meetings and check-ins. The bot keeps the figures it worked out, and
-- their disclosure pattern, while the numbers they depend on (and the day) stay the same:
-- every reader is answered from the same figures, and nobody waits for all of them to be
-- added up again while nothing changed (issue 21).
CREATE TABLE figure_inputs (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    activity BIGINT NOT NULL,
    answers BIGINT NOT NULL,
    other BIGINT NOT NULL
);
INSERT INTO figure_inputs (id, activity, answers, other) VALUES (1, 0, 0, 0);
CREATE FUNCTION figure_inputs_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE figure_inputs SET activity = activity + 1;
    RETURN NULL;
END
$$;
CREATE FUNCTION figure_inputs_answers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE figure_inputs SET answers = answers + 1;
    RETURN NULL;
END
$$;
CREATE FUNCTION figure_inputs_other() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE figure_inputs SET other = other + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER figure_inputs_groups AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON groups
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_staff AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON staff
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_group_instructors AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON group_instructors
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_group_participants AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON group_participants
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_erased_memberships AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON erased_memberships
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_seasons AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON seasons
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_meetings AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON meetings
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_checkins AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON checkins
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_other();
CREATE TRIGGER figure_inputs_weekly_activity AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON weekly_activity
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_activity();
CREATE TRIGGER figure_inputs_survey_rounds AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON survey_rounds
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_answers();
CREATE TRIGGER figure_inputs_survey_responses AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON survey_responses
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_answers();
CREATE TRIGGER figure_inputs_survey_answers AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON survey_answers
FOR EACH STATEMENT EXECUTE FUNCTION figure_inputs_answers();
