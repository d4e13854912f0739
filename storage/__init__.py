"""Storage: the only place that speaks SQL. One repository per thing stored, handed out by
a transaction (``database``); ``sql`` is the one seam over SQLite and PostgreSQL,
``states`` the stored words as enums, ``rows`` turns rows into dataclasses,
``migrations/`` (and ``migrations/postgresql/``) the schema, ``backup`` and ``copy`` whole
databases, ``files`` the modes of the files that hold data (600, folders 700)."""

from storage.database import Database, Transaction
from storage.migrations import MigrationError, apply_migrations, migration_status

__all__ = ["Database", "MigrationError", "Transaction", "apply_migrations", "migration_status"]
