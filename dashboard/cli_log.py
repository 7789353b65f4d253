"""``dashboard audit …``, ``backup`` and ``restore``: the override log and its copies."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .cli_common import AuditFailed, UsageError, add_store_options, open_store, say, settings_of


def cmd_audit_verify(args: argparse.Namespace) -> None:
    with open_store(args) as db:
        try:
            result = db.run(db.store.verify(head=args.head))
        except ValueError as exc:
            raise UsageError(f"--head: {exc}") from None
    if not result.ok:
        raise AuditFailed(f"audit chain broken at entry {result.first_bad_seq}: {result.message}")
    held = f"; it holds the recorded head {args.head}" if args.head else ""
    print(f"audit chain ok: {result.checked} overrides verified{held}")


def cmd_audit_head(args: argparse.Namespace) -> None:
    with open_store(args) as db:
        digest = db.run(db.store.head_digest())
    if digest is None:
        say("the override log is empty")
        return
    print(digest)
    say(
        "Record this elsewhere (with the date); `dashboard audit verify --head DIGEST` checks"
        " the log still holds it."
    )


def refuse_postgresql(url: str, command: str) -> None:
    if url:
        raise UsageError(
            f"{command} copies the SQLite file; a PostgreSQL database is backed up with"
            " PostgreSQL's own tools (pg_dump, base backups): see docs/deploy.md"
        )


def cmd_backup(args: argparse.Namespace) -> None:
    from .store.backup import BackupError, backup

    settings = settings_of(args)
    refuse_postgresql(settings.database_url, "backup")
    try:
        digest, count = backup(settings.database, Path(args.dest))
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    print(f"backed up {count} overrides to {args.dest}; head {digest or '(empty log)'}")
    say(
        f"Keep the audit key ({settings.database.parent / 'audit.key'}) safe apart from the"
        " backups: restoring needs it. Record the head to check the backup later."
    )


def cmd_restore(args: argparse.Namespace) -> None:
    from .store.backup import BackupError, restore

    settings = settings_of(args)
    refuse_postgresql(settings.database_url, "restore")
    try:
        result = restore(
            Path(args.src),
            settings.database,
            key=Path(args.key) if args.key else None,
            head=args.head,
        )
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    if not result.ok:
        raise AuditFailed(
            f"refused: the backup's log does not verify at entry {result.first_bad_seq}:"
            f" {result.message}"
        )
    print(f"restored {result.checked} overrides into {settings.database}")


def register(commands: Any) -> None:
    """The ``audit``, ``backup`` and ``restore`` commands, on the top-level ``commands``."""

    def command(parent: Any, name: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name, help=help_text, description=help_text
        )
        add_store_options(sub)
        return sub

    audit = commands.add_parser(
        "audit", help="The override log.", description="The override log."
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = command(
        audit, "verify", "Check the hash chain; name the first bad entry (exit 3 if broken)."
    )
    verify.add_argument(
        "--head", metavar="DIGEST", help="a digest `audit head` printed: the log must hold it"
    )
    verify.set_defaults(func=cmd_audit_verify)
    command(
        audit, "head", "Print a short digest of the log's newest entry, to record elsewhere."
    ).set_defaults(func=cmd_audit_head)
    backup = command(
        commands,
        "backup",
        "Copy the database to DEST (consistent while the server runs); prints the head.",
    )
    backup.add_argument("dest", metavar="DEST", help="the file to write (it must not exist)")
    backup.set_defaults(func=cmd_backup)
    restore = command(
        commands,
        "restore",
        "Install a backup into the data folder, if its log verifies (the data folder must have"
        " no database).",
    )
    restore.add_argument("src", metavar="SRC", help="the backup file")
    restore.add_argument(
        "--key", metavar="FILE", help="the audit key (default: the data folder's audit.key)"
    )
    restore.add_argument("--head", metavar="DIGEST", help="a head the backup must hold")
    restore.set_defaults(func=cmd_restore)
