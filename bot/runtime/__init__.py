"""The running bot: the application factory and its wiring, the outbox sender and its pacer,
the scheduler, leadership between instances, the engagement-log writer, flood control,
logging and what the bot tells Telegram about itself at start-up."""
