-- Group kinds (issue 22): a peer-support group (as before) or a co-development group,
-- which has workshops instead of meetings, no weekly action plan unless it is turned on,
-- and after its last workshop a "what happened with your ideas" rhythm.
-- ``weekly_plans``: 1 on, 0 off, NULL the kind's default (a peer group's on, a
-- co-development group's off).
ALTER TABLE groups ADD COLUMN kind TEXT NOT NULL DEFAULT 'peer'
    CHECK (kind IN ('peer', 'codev'));
ALTER TABLE groups ADD COLUMN weekly_plans BIGINT NULL;
