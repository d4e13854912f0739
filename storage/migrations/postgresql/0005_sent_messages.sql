-- What each delivered outbox row became in Telegram, so reactions and replies to a
-- broadcast can be counted for it.
CREATE TABLE sent_messages (
    chat_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    broadcast_id BIGINT NULL REFERENCES broadcasts (id),
    sent_at TEXT NOT NULL,
    reactions BIGINT NOT NULL DEFAULT 0,
    replies BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX sent_messages_by_broadcast ON sent_messages (broadcast_id);
