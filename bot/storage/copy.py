"""``cbec-bot db migrate-to postgresql://…``: copy a SQLite installation into PostgreSQL.

The target gets the schema from the same migrations, then every row of every table the two
share, table by table in the order the migrations created them (parents before the rows that
point at them), in batches, one transaction per table. Identity counters are moved past the
copied ids, so new tickets and audit rows continue the numbering. Afterwards each table's
rows are counted on both sides; any difference is reported and the command fails. The target's
tables must be empty: the copy never merges two installations.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.storage import pg_sql
from bot.storage.postgres import PostgresDatabase

BATCH = 2000


class CopyRefused(Exception):
    """The copy cannot start; the message says why."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


def _source_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_migrations' "
        "ORDER BY rowid"
    ).fetchall()
    return [row[0] for row in rows]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def copy_sqlite_to_postgres(source: Path, url: str, progress: Callable[[str, int], None] = lambda t, n: None) -> list[TableCount]:
    if not source.exists():
        raise CopyRefused(f"no SQLite database at {source}")
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True, check_same_thread=False)  # read on the writer thread
    target = PostgresDatabase(url)  # creates the schema (the same migrations)
    try:
        shared = _shared_tables(reader, target)
        busy = [table for table in shared if target.query(f'SELECT 1 FROM "{table}" LIMIT 1')]
        if busy:
            raise CopyRefused(f"the target already has rows in {', '.join(busy)}; copy into an empty database")
        for table in shared:
            progress(table, _copy_table(reader, target, table))
        return [TableCount(table, reader.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0],
                           target.query(f'SELECT count(*) AS n FROM "{table}"')[0]["n"]) for table in shared]  # fmt: skip
    finally:
        reader.close()
        target.close()


def _shared_tables(reader: sqlite3.Connection, target: PostgresDatabase) -> list[str]:
    there = set(target.read(lambda handle: handle.table_names()))
    missing = [table for table in _source_tables(reader) if table not in there]
    if missing:
        raise CopyRefused(f"the target has no table {', '.join(missing)}: is this SQLite file from a newer cbec-bot?")
    return _source_tables(reader)


def _copy_table(reader: sqlite3.Connection, target: PostgresDatabase, table: str) -> int:
    columns = _columns(reader, table)
    names = ", ".join(f'"{column}"' for column in columns)
    insert = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("%s" for _ in columns)})'
    order = "rowid" if "id" not in columns else '"id"'

    def write(handle) -> int:
        copied = 0
        rows = reader.execute(f'SELECT {names} FROM "{table}" ORDER BY {order}')
        with handle.raw.cursor() as cursor:
            while batch := rows.fetchmany(BATCH):
                cursor.executemany(insert, [[pg_sql.param(value) for value in row] for row in batch])
                copied += len(batch)
        sequence = handle.raw.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"']).fetchone()[0] \
            if "id" in columns else None  # fmt: skip
        if sequence:  # an identity column: the next new row continues after the copied ids
            handle.raw.execute(f'SELECT setval(%s, coalesce(max(id), 0) + 1, false) FROM "{table}"', [sequence])
        return copied

    return target.execute_write_fn(write).result(3600)
