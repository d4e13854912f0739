"""Kannustin, the bot. Its rooms: ``services/`` (the rules, one module per journey),
``runtime/`` (the running bot: factory, wiring, outbox sender, pacer, scheduler, leadership,
event writer), ``formats/`` (charts and tables), ``cli/`` (the ``kannustin`` command); and
at this level the vocabulary every room shares (settings, clock, errors, i18n, replies,
payload, when, pseudonyms, roles, commands, deep links)."""

import os

# PTB 22 gives durations (RetryAfter.retry_after and friends) as timedelta when asked to,
# and warns otherwise; v23 makes it the only behaviour. Opt in for the whole process before
# any PTB object exists. This is the one thing done at import time, and it only sets a flag.
os.environ.setdefault("PTB_TIMEDELTA", "1")
