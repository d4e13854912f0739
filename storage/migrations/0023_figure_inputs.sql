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
    id INTEGER PRIMARY KEY CHECK (id = 1),
    activity INTEGER NOT NULL,
    answers INTEGER NOT NULL,
    other INTEGER NOT NULL
);
INSERT INTO figure_inputs (id, activity, answers, other) VALUES (1, 0, 0, 0);
CREATE TRIGGER figure_inputs_groups_insert AFTER INSERT ON groups
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_groups_update AFTER UPDATE ON groups
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_groups_delete AFTER DELETE ON groups
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_staff_insert AFTER INSERT ON staff
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_staff_update AFTER UPDATE ON staff
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_staff_delete AFTER DELETE ON staff
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_group_instructors_insert AFTER INSERT ON group_instructors
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_group_instructors_update AFTER UPDATE ON group_instructors
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_group_instructors_delete AFTER DELETE ON group_instructors
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_group_participants_insert AFTER INSERT ON group_participants
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_group_participants_update AFTER UPDATE ON group_participants
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_group_participants_delete AFTER DELETE ON group_participants
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_erased_memberships_insert AFTER INSERT ON erased_memberships
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_erased_memberships_update AFTER UPDATE ON erased_memberships
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_erased_memberships_delete AFTER DELETE ON erased_memberships
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_seasons_insert AFTER INSERT ON seasons
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_seasons_update AFTER UPDATE ON seasons
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_seasons_delete AFTER DELETE ON seasons
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_meetings_insert AFTER INSERT ON meetings
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_meetings_update AFTER UPDATE ON meetings
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_meetings_delete AFTER DELETE ON meetings
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_checkins_insert AFTER INSERT ON checkins
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_checkins_update AFTER UPDATE ON checkins
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_checkins_delete AFTER DELETE ON checkins
BEGIN UPDATE figure_inputs SET other = other + 1; END;
CREATE TRIGGER figure_inputs_weekly_activity_insert AFTER INSERT ON weekly_activity
BEGIN UPDATE figure_inputs SET activity = activity + 1; END;
CREATE TRIGGER figure_inputs_weekly_activity_update AFTER UPDATE ON weekly_activity
BEGIN UPDATE figure_inputs SET activity = activity + 1; END;
CREATE TRIGGER figure_inputs_weekly_activity_delete AFTER DELETE ON weekly_activity
BEGIN UPDATE figure_inputs SET activity = activity + 1; END;
CREATE TRIGGER figure_inputs_survey_rounds_insert AFTER INSERT ON survey_rounds
BEGIN UPDATE figure_inputs SET answers = answers + 1; END;
CREATE TRIGGER figure_inputs_survey_rounds_update AFTER UPDATE ON survey_rounds
BEGIN UPDATE figure_inputs SET answers = answers + 1; END;
CREATE TRIGGER figure_inputs_survey_rounds_delete AFTER DELETE ON survey_rounds
BEGIN UPDATE figure_inputs SET answers = answers + 1; END;
CREATE TRIGGER figure_inputs_survey_responses_insert AFTER INSERT ON survey_responses
BEGIN UPDATE figure_inputs SET answers = answers + 1; END;
CREATE TRIGGER figure_inputs_survey_responses_update AFTER UPDATE ON survey_responses
BEGIN UPDATE figure_inputs SET answers = answers + 1; END;
CREATE TRIGGER figure_inputs_survey_responses_delete AFTER DELETE ON survey_responses
BEGIN UPDATE figure_inputs SET answers = answers + 1; END;
CREATE TRIGGER figure_inputs_survey_answers_insert AFTER INSERT ON survey_answers
BEGIN UPDATE figure_inputs SET answers = answers + 1; END;
CREATE TRIGGER figure_inputs_survey_answers_update AFTER UPDATE ON survey_answers
BEGIN UPDATE figure_inputs SET answers = answers + 1; END;
CREATE TRIGGER figure_inputs_survey_answers_delete AFTER DELETE ON survey_answers
BEGIN UPDATE figure_inputs SET answers = answers + 1; END;
