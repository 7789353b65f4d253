"""``dashboard db …``: the PostgreSQL store's schema, and moving an installation to it."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from .cli_common import (
    AuditFailed,
    BadInput,
    UsageError,
    add_config_option,
    add_database_option,
    say,
    settings_of,
)
from .resources import DATA_DIR_VARIABLE

SQLITE_PREFIX = "sqlite:"


def cmd_db_migrate(args: argparse.Namespace) -> None:
    """Create or upgrade the schema: PostgreSQL's with its versioned migrations, or the SQLite
    file's (which the server also does itself when it opens it)."""
    import psycopg

    from .store.db import open_db
    from .store.pg import SchemaError, migrate, redacted

    settings = settings_of(args)
    if not settings.database_url:
        open_db(settings.database).close()
        print(f"{settings.database}: schema up to date")
        return
    try:
        before, after = migrate(settings.database_url)
    except SchemaError as exc:
        raise BadInput(str(exc)) from None
    except psycopg.OperationalError as exc:
        raise BadInput(f"the database cannot be reached: {exc}") from None
    where = redacted(settings.database_url)
    if before == after:
        print(f"{where}: schema version {after}, up to date")
    else:
        print(f"{where}: schema version {before} -> {after}")


def cmd_db_copy(args: argparse.Namespace) -> None:
    import psycopg

    from .store.copy import CopyError, copy_sqlite_to_postgresql
    from .store.pg import SchemaError, is_url, redacted

    if not args.source.startswith(SQLITE_PREFIX):
        raise UsageError(f"--from: expected {SQLITE_PREFIX}PATH, got {args.source!r}")
    if not is_url(args.target):
        raise UsageError("--to: expected a postgresql://USER@HOST:PORT/NAME URL")
    source = Path(args.source.removeprefix(SQLITE_PREFIX))
    # The key that made the log: beside the file; the target installation's data folder (where
    # the servers on PostgreSQL look for it) must hold the same one.
    key_path = Path(args.key) if args.key else source.parent / "audit.key"
    try:
        result, rows = asyncio.run(copy_sqlite_to_postgresql(source, args.target, key_path))
    except (CopyError, SchemaError) as exc:
        raise BadInput(str(exc)) from None
    except psycopg.OperationalError as exc:
        raise BadInput(f"the database cannot be reached: {exc}") from None
    if not result.ok:
        raise AuditFailed(
            f"refused: the copy's log does not verify at entry {result.first_bad_seq}:"
            f" {result.message}; nothing was copied"
        )
    print(f"copied {rows} rows to {redacted(args.target)}; {result.checked} overrides verified")
    say(
        f"The servers on PostgreSQL need this installation's audit key ({key_path}) in their"
        f" data folder (--data or ${DATA_DIR_VARIABLE})."
    )


def register(commands: Any) -> None:
    db_help = "The database: its schema, and moving an installation to PostgreSQL."
    db = commands.add_parser("db", help=db_help, description=db_help)
    actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    migrate_help = "Create or upgrade the database's schema (run once per release)."
    migrate = actions.add_parser("migrate", help=migrate_help, description=migrate_help)
    add_config_option(migrate)
    migrate.add_argument("--data", metavar="DIR", help="data folder (SQLite only)")
    add_database_option(migrate)
    migrate.set_defaults(func=cmd_db_migrate)
    copy_help = (
        "Copy an installation's SQLite database into a new, migrated PostgreSQL database, and"
        " verify its override log there (nothing is kept unless it verifies)."
    )
    copy = actions.add_parser("copy", help=copy_help, description=copy_help)
    copy.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="sqlite:PATH",
        help="the installation's SQLite file (its audit.key beside it)",
    )
    copy.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="postgresql://…",
        help="a new database, migrated (`dashboard db migrate`) and empty",
    )
    copy.add_argument("--key", metavar="FILE", help="the audit key (default: beside PATH)")
    copy.set_defaults(func=cmd_db_copy)
