"""What the ``dashboard`` commands share: the errors that set the exit status, the options of
every command that opens the database, and opening it.

The exit statuses (README.md, "Exit codes"): 0 done; 1 bad input (a file, an account, a room);
2 bad usage; 3 the override log does not verify; 4 the server could not start; 130 stopped by
Ctrl+C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .settings import DEFAULT_CONFIG_DIR, Settings

if TYPE_CHECKING:
    from .store import Store

T = TypeVar("T")

# Where each default comes from: Settings.load (settings.toml's data_dir) and
# dashboard/resources.py (default_data_dir).
DATA_HELP = (
    "data folder, where the database and audit.key are (default: data_dir in the config"
    " folder's settings.toml, else $DASHBOARD_DATA_DIR, else data/ in a checkout, or ./data in"
    " the working directory when installed from a wheel)"
)
DATABASE_HELP = (
    "a postgresql://USER@HOST:PORT/NAME URL: the store is there, shared by several processes or"
    " machines (default: $DASHBOARD_DATABASE_URL, else the SQLite file in the data folder)"
)
CONFIG_HELP = (
    "config folder with rooms.toml, settings.toml and the programmes (default: the shipped"
    f" one, {DEFAULT_CONFIG_DIR})"
)


class UsageError(Exception):
    """Bad arguments: exit status 2."""


class BadInput(Exception):
    """An account the store refuses (its name, password, rooms, or one that exists), or one
    that is not there: exit 1."""


class AuditFailed(Exception):
    """The override log does not verify: exit status 3."""


class StartFailed(Exception):
    """The server could not start (its address in use, start-up failed): exit status 4."""


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def add_config_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--config", default=str(DEFAULT_CONFIG_DIR), metavar="DIR", help=CONFIG_HELP)


def add_database_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--database", metavar="URL", help=DATABASE_HELP)


def add_store_options(sub: argparse.ArgumentParser) -> None:
    """--config (it may name the data folder, and holds rooms.toml), --data and --database."""
    add_config_option(sub)
    sub.add_argument("--data", metavar="DIR", help=DATA_HELP)
    add_database_option(sub)


def settings_of(args: argparse.Namespace) -> Settings:
    try:
        return Settings.load(
            Path(args.config),
            data_dir=Path(args.data) if args.data else None,
            database_url=getattr(args, "database", None),
        )
    except ValueError as exc:
        raise UsageError(f"--database: {exc}") from None


class Opened:
    """A command's store, and ``run``, which runs one of its calls to the end: a command is
    synchronous (it prompts, it prints), and the store is bound to the one event loop its
    calls run on."""

    def __init__(self, store: Store, runner: asyncio.Runner) -> None:
        self.store = store
        self._runner = runner

    def run(self, call: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(call)


@contextlib.contextmanager
def open_store(args: argparse.Namespace) -> Iterator[Opened]:
    """The database of ``--config``/``--data``, closed whatever the command raises."""
    # Here: reading programmes needs no database.
    from .store import StorageError, Store
    from .store.pg import SchemaError

    settings = settings_of(args)
    try:
        store = Store(settings.store_database, key_path=settings.audit_key)
    except SchemaError as exc:
        raise BadInput(str(exc)) from None
    except StorageError as exc:
        raise BadInput(f"the database cannot be reached: {exc}") from None
    with asyncio.Runner() as runner:
        runner.run(store.open())
        try:
            yield Opened(store, runner)
        finally:
            runner.run(store.close())


def say(text: str) -> None:
    """What a command reports besides its output: to stderr, so stdout stays the output."""
    print(text, file=sys.stderr)
