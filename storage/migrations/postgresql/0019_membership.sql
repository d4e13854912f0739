-- Membership that Telegram confirms (issue 18): when Telegram last said the person is in
-- the group's chat (they joined, wrote or reacted there, or getChatMember said so). A
-- check before something group-specific goes to a participant asks Telegram again only
-- about those confirmed longer ago than the freshness window (KANNUSTIN_MEMBERSHIP_FRESH).
-- NULL: never confirmed (a row from before this migration), so asked at the first check.
ALTER TABLE group_participants ADD COLUMN confirmed_at TEXT NULL;
