-- Staff notices (issue 18): what staff are told, each once.

-- The day (the deployment's local date, YYYY-MM-DD) a coordinator was last reminded that
-- contributions wait for review: at most one reminder a day, however many instances run
-- and however often they restart (the day is claimed in the transaction that writes it).
ALTER TABLE staff ADD COLUMN review_reminded_on TEXT NULL;

-- A reviewer who pressed Reject and is asked for the reason: which contribution, and when.
-- The reason itself is never stored here: it goes straight into the author's notice. One
-- row per reviewer (rejecting another contribution replaces it); deleted when the reason
-- or "no reason" comes, when the reviewer goes back or does something else, and when it
-- is old (the daily reminder's sweep).
CREATE TABLE reasons_awaited (
    reviewer_id BIGINT PRIMARY KEY,
    contribution_id BIGINT NOT NULL REFERENCES contributions (id),
    asked_at TEXT NOT NULL
);
CREATE INDEX reasons_awaited_by_contribution ON reasons_awaited (contribution_id);
