"""A PostgreSQL connection URL as a setting: validated once, shown without its password."""

from __future__ import annotations

import re

SCHEMES = ("postgresql://", "postgres://")


class PostgresUrl(str):
    """``postgresql://user:password@host:port/dbname?…``; ``str()`` is the URL itself (for the
    driver), ``redacted`` hides the password (for logs and messages)."""

    @property
    def redacted(self) -> str:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(self))


def parse_postgres_url(value: str) -> PostgresUrl:
    """Raise ValueError (naming what is wrong, never the password) unless ``value`` is a usable URL."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(value)
    except Exception:  # noqa: BLE001 - psycopg raises ProgrammingError; the message may echo the URL
        raise ValueError("is not a valid postgresql:// URL") from None
    if not parts.get("dbname"):
        raise ValueError("needs a database name: postgresql://user:password@host:5432/DBNAME")
    return PostgresUrl(value)
