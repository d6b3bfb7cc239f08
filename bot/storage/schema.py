"""The enquiry log's tables, column by column: the one list both the migration that creates them
(``log-0001-tables`` in migrations.py) and the log's writer (bot/records/enquiry_log.py, which
inserts only the columns a table has) read.

These tables have not changed since that migration shipped. A column added later is a new
migration (``ALTER TABLE … ADD COLUMN``) and a line in ``ADDED`` below, never a change to
``LOG_TABLES``, whose DDL the first migration runs as it always did."""

from __future__ import annotations

# table -> (column, SQL type and constraints), in the order of the CREATE TABLE
LOG_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "enquiries": (
        ("id", "TEXT PRIMARY KEY"), ("time", "TEXT NOT NULL"), ("channel", "TEXT NOT NULL"),
        ("user_key", "TEXT NOT NULL"), ("region", "TEXT"), ("text", "TEXT"), ("kind", "TEXT"), ("intent", "TEXT"),
        ("confidence", "REAL"), ("top3", "TEXT"), ("sources", "TEXT"), ("latency_ms", "REAL"), ("faq_version", "TEXT"),
    ),
    "feedback": (
        ("id", "TEXT PRIMARY KEY"), ("time", "TEXT NOT NULL"), ("channel", "TEXT NOT NULL"),
        ("user_key", "TEXT NOT NULL"), ("enquiry_id", "TEXT"), ("value", "INTEGER NOT NULL CHECK (value IN (-1, 1))"),
    ),
    "calculations": (
        ("id", "TEXT PRIMARY KEY"), ("time", "TEXT NOT NULL"), ("channel", "TEXT NOT NULL"),
        ("user_key", "TEXT NOT NULL"), ("region", "TEXT"), ("kind", "TEXT NOT NULL"), ("inputs", "TEXT"),
        ("result", "TEXT"), ("total", "REAL"),
    ),
    "calculation_items": (
        ("calculation_id", "TEXT NOT NULL"), ("item", "TEXT NOT NULL"), ("claimed", "REAL"), ("estimate", "REAL"),
    ),
    "handoffs": (
        ("id", "TEXT PRIMARY KEY"), ("opened_at", "TEXT"), ("channel", "TEXT"), ("user_key", "TEXT"),
        ("region", "TEXT"), ("summary", "TEXT"), ("answered_at", "TEXT"), ("answered_by", "TEXT"),
    ),
}  # fmt: skip
TABLE_CONSTRAINTS = {"calculation_items": "PRIMARY KEY (calculation_id, item)"}
ADDED: dict[str, tuple[str, ...]] = {}  # table -> columns later migrations added


def create_table(table: str) -> str:
    """The CREATE TABLE statement of one log table, as log-0001-tables runs it."""
    lines = [f"{column} {definition}" for column, definition in LOG_TABLES[table]]
    if table in TABLE_CONSTRAINTS:
        lines.append(TABLE_CONSTRAINTS[table])
    return f"CREATE TABLE {table} (\n    " + ",\n    ".join(lines) + "\n)"


def columns(table: str) -> frozenset[str]:
    """Every column ``table`` has now."""
    return frozenset(column for column, _ in LOG_TABLES[table]) | frozenset(ADDED.get(table, ()))
