-- The command menu last set for a staff member's private chat (issue 20): setMyCommands
-- with BotCommandScopeChat, in their language. Kept so an unchanged menu is not sent
-- again, and so a menu whose role ended (by the kannustin command line, or while the bot
-- was down) is found and taken back. ``menu``: the language and the command names.
CREATE TABLE command_menus (
    telegram_id BIGINT PRIMARY KEY REFERENCES people (telegram_id),
    menu TEXT NOT NULL,
    set_at TEXT NOT NULL
);
