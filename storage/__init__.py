"""Storage: the only place that speaks SQL. One repository per thing stored."""

from storage.database import Database, Transaction
from storage.migrations import MigrationError, apply_migrations, migration_status

__all__ = ["Database", "MigrationError", "Transaction", "apply_migrations", "migration_status"]
