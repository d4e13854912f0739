"""The advisory-lock key (first half) under which each instance says it is alive: while its
dedicated session lives, it holds ``pg_advisory_lock(PRESENCE, instance)``."""

PRESENCE = 0x6B707265  # "kpre"; the second half is the instance's own random key
