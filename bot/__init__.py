"""Kannustin: services, settings, i18n, the application factory and the CLI."""

import os

# PTB 22 gives durations (RetryAfter.retry_after and friends) as timedelta when asked to,
# and warns otherwise; v23 makes it the only behaviour. Opt in for the whole process before
# any PTB object exists. This is the one thing done at import time, and it only sets a flag.
os.environ.setdefault("PTB_TIMEDELTA", "1")
