"""The running bot: the application factory and its wiring, the outbox sender and its pacer,
what the sender reports and the hooks the services react through (``outcomes``), the
scheduler, leadership between instances, the engagement-log writer, flood control, the
update processor (different chats side by side, one chat in order),
logging and what the bot tells Telegram about itself at start-up. How things run lives
here; what they mean lives in ``bot/services/``."""
