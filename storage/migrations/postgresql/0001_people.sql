-- Everyone who has talked to the bot. No names and no message text are stored here.
CREATE TABLE people (
    telegram_id BIGINT PRIMARY KEY,
    -- the language the person chose with /language; NULL until they choose
    language TEXT NULL CHECK (language IN ('fi', 'sv', 'en')),
    -- Telegram's language_code for the person's app, as last seen
    telegram_language TEXT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
