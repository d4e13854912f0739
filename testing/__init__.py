"""Test support that both the tests and the benchmarks use: the bot run against the Bot API
emulator (``testing/harness.py``: its settings, ``RunningBot`` started the way
``run_polling`` starts it) and where a run keeps its data (``testing/databases.py``: SQLite
files, or fresh PostgreSQL databases when ``KANNUSTIN_TEST_POSTGRES`` is set) and reading
a built schema back (``testing/schema.py``: tables, columns, keys, CHECKs, indexes, for
the schema tests).

It is not part of the installed package (``pyproject.toml`` lists only the bot's own
packages); ``python -m pytest`` and ``python -m benchmarks.x`` import it from the
repository's root. Nothing here is a test, and nothing here imports from ``tests/``.
"""
