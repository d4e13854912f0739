-- The tip an outbox row carries ('lib:<tip id>' or 'own:<contribution id>'), so that a
-- tip counts as used in a group when, and only when, its row is delivered there: a
-- broadcast of a tip and a "meeting at home" message alike (bot/services/tips.py).
ALTER TABLE outbox ADD COLUMN tip TEXT NULL;

-- Rows of tip broadcasts written before this column carry their broadcast's tip. (A
-- "meeting at home" row written before it was counted when it was written, so it stays
-- without: it is not counted twice.)
UPDATE outbox SET tip = (SELECT b.tip FROM broadcasts b WHERE b.id = outbox.broadcast_id)
WHERE purpose = 'broadcast' AND broadcast_id IS NOT NULL;
