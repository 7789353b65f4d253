"""The ``dashboard`` command line.

Every command exits 0 on success; on bad input it prints one line to stderr (file, line,
problem; or the account's name and what is wrong with it) and exits 1; on bad usage, 2.  Never a
traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import math
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Store

from .domain.json_format import now_json, programme_json
from .domain.programme import Programme, ProgrammeError, local_instant
from .domain.toml_format import to_toml
from .settings import DEFAULT_CONFIG_DIR, Settings
from .site import read_programme_file

# Where the default comes from: dashboard/resources.py (default_data_dir).
DATA_HELP = (
    "data folder (default: $DASHBOARD_DATA_DIR, else the checkout's data/, or ./data when"
    " installed from a wheel)"
)


class UsageError(Exception):
    """Bad arguments: exit status 2."""


class BadInput(Exception):
    """An account the store refuses (its name, password, rooms, or one that exists): exit 1."""


class AuditFailed(Exception):
    """The override log does not verify: exit status 3."""


def read_programme(path: str, timezone: str | None = None) -> Programme:
    return read_programme_file(Path(path), timezone)


def parse_instant(text: str, programme: Programme) -> datetime:
    """ISO 8601; without an offset, a wall-clock time in the programme's zone."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at: {text!r} is not an ISO 8601 time (2023-12-13T14:59:30)") from None
    if parsed.tzinfo is not None:
        return parsed
    try:
        return local_instant(parsed.date(), parsed.time(), programme.tz)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def cmd_export(args: argparse.Namespace) -> None:
    _print_json(programme_json(read_programme(args.file, args.timezone)))


def cmd_import(args: argparse.Namespace) -> None:
    sys.stdout.write(to_toml(read_programme(args.file, args.timezone)))


def cmd_now(args: argparse.Namespace) -> None:
    programme = read_programme(args.file, args.timezone)
    instant = parse_instant(args.at, programme) if args.at else datetime.now(programme.tz)
    _print_json(now_json(programme, instant))


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn  # imported here: the other commands need no server

    from .server import tune_gc, uvicorn_config
    from .store import AuditError
    from .web.app import create_app

    if args.speed is not None and not 0 < args.speed < math.inf:  # nan and inf too
        raise UsageError("--speed must be a positive number")
    start_at = None
    if args.at:
        try:
            start_at = datetime.fromisoformat(args.at)
        except ValueError:
            raise UsageError(f"--at: {args.at!r} is not an ISO 8601 time") from None
    settings = Settings.load(
        Path(args.config),
        host=args.host,
        port=args.port,
        start_at=start_at,
        speed=args.speed,
        data_dir=Path(args.data) if args.data else None,
    )
    try:
        app = create_app(settings)
    except AuditError as exc:
        raise AuditFailed(
            f"{exc}; the server refuses to start. See `dashboard audit verify` and"
            " docs/security.md (restore a backup that verifies)."
        ) from None
    except ValueError as exc:
        # A --at without offset is read in the venue's zone, known once the rooms are loaded;
        # it may name a time that zone skips (a daylight-saving change).
        if start_at is None or start_at.tzinfo is not None:
            raise
        raise UsageError(f"--at: {exc}") from None
    print(f"Serving on http://{settings.host}:{settings.port}/", file=sys.stderr)
    if not settings.public_url:
        print(
            "Warning: public_url is not set in settings.toml: the displays' QR codes and phone"
            " links are built from each request's Host header, and any Host is accepted. Set"
            " public_url (and allowed_hosts) for a real installation.",
            file=sys.stderr,
        )
    for room in app.state.live.site.rooms:
        print(
            f"  {room.name}: display http://{settings.host}:{settings.port}/display/{room.id}",
            file=sys.stderr,
        )
    tune_gc()
    uvicorn.Server(uvicorn_config(app, settings.host, settings.port, args.log_level)).run()


def _store(args: argparse.Namespace) -> Store:
    from .store import Store  # here: reading programmes needs no database

    settings = Settings.load(Path(args.config), data_dir=Path(args.data) if args.data else None)
    return Store(settings.database)


def _rooms_arg(text: str | None) -> tuple[str, ...]:
    return tuple(r.strip() for r in (text or "").split(",") if r.strip())


def _check_name(name: str, what: str) -> None:
    """Before a password is asked for: a name the store would refuse is refused first."""
    from .store.records import check_name

    try:
        check_name(name, what)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def cmd_user_add(args: argparse.Namespace) -> None:
    _check_name(args.name, "user")
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            raise UsageError("the passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    store = _store(args)
    try:
        user = store.add_user(args.name, args.role, password, _rooms_arg(args.rooms))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    finally:
        store.close()
    print(f"added {user.name} ({user.role})", file=sys.stderr)


def cmd_token_create(args: argparse.Namespace) -> None:
    _check_name(args.name, "token")
    store = _store(args)
    try:
        secret = store.create_token(args.name, args.role, _rooms_arg(args.rooms))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    finally:
        store.close()
    print(secret)
    print("Shown once: store it now. Send it as 'Authorization: Bearer <token>'.", file=sys.stderr)


def cmd_token_revoke(args: argparse.Namespace) -> None:
    store = _store(args)
    try:
        if not store.revoke_token(args.name):
            raise UsageError(f"no active token named {args.name!r}")
    finally:
        store.close()
    print(f"revoked {args.name}", file=sys.stderr)


def cmd_audit_verify(args: argparse.Namespace) -> None:
    store = _store(args)
    try:
        try:
            result = store.verify(head=args.head)
        except ValueError as exc:
            raise UsageError(f"--head: {exc}") from None
    finally:
        store.close()
    if not result.ok:
        raise AuditFailed(f"audit chain broken at entry {result.first_bad_seq}: {result.message}")
    held = f"; it holds the recorded head {args.head}" if args.head else ""
    print(f"audit chain ok: {result.checked} overrides verified{held}")


def cmd_audit_head(args: argparse.Namespace) -> None:
    store = _store(args)
    try:
        digest = store.head_digest()
    finally:
        store.close()
    if digest is None:
        print("the override log is empty", file=sys.stderr)
        return
    print(digest)
    print(
        "Record this elsewhere (with the date); `dashboard audit verify --head DIGEST` checks"
        " the log still holds it.",
        file=sys.stderr,
    )


def cmd_backup(args: argparse.Namespace) -> None:
    from .store.backup import BackupError, backup

    settings = Settings.load(Path(args.config), data_dir=Path(args.data) if args.data else None)
    try:
        digest, count = backup(settings.database, Path(args.dest))
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    print(f"backed up {count} overrides to {args.dest}; head {digest or '(empty log)'}")
    print(
        f"Keep the audit key ({settings.database.parent / 'audit.key'}) safe apart from the"
        " backups: restoring needs it. Record the head to check the backup later.",
        file=sys.stderr,
    )


def cmd_restore(args: argparse.Namespace) -> None:
    from .store.backup import BackupError, restore

    settings = Settings.load(Path(args.config), data_dir=Path(args.data) if args.data else None)
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


def cmd_reload(args: argparse.Namespace) -> None:
    import urllib.error
    import urllib.request

    token = args.token or os.environ.get("DASHBOARD_TOKEN", "")
    if not token:
        raise UsageError("give a secretariat token: --token, or DASHBOARD_TOKEN")
    url = args.url.rstrip("/") + "/api/programme/reload" + ("?dry_run=1" if args.dry_run else "")
    request = urllib.request.Request(  # noqa: S310 - the operator's own server
        url, method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            _print_json(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
        raise ProgrammeError(url, None, f"refused: {detail}") from None
    except urllib.error.URLError as exc:
        raise UsageError(f"cannot reach {args.url}: {exc.reason}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dashboard", description="Live dashboard for the rooms of a UN-style meeting."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def programme_command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("file", metavar="FILE", help="a programme note (.txt) or its TOML")
        sub.add_argument(
            "--timezone", help="IANA time zone, when the note's venue does not imply one"
        )
        return sub

    programme_command("export", "Print the programme as JSON.").set_defaults(func=cmd_export)
    programme_command("import", "Print a note as the hand-correctable TOML format.").set_defaults(
        func=cmd_import
    )
    now = programme_command("now", "Print the current and the next slot as JSON.")
    now.add_argument("--at", metavar="TIME", help="ISO 8601 instant (default: now)")
    now.set_defaults(func=cmd_now)
    serve = commands.add_parser("serve", help="Run the live server.", description="Run the server.")
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.add_argument(
        "--config",
        default=str(DEFAULT_CONFIG_DIR),
        metavar="DIR",
        help="folder with rooms.toml, settings.toml and the programmes",
    )
    serve.add_argument(
        "--at",
        metavar="TIME",
        help="start the clock at this ISO 8601 instant (no offset: the venue's zone)",
    )
    serve.add_argument(
        "--speed",
        type=float,
        default=None,
        metavar="N",
        help="run the clock N times faster than real time",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.add_argument("--data", metavar="DIR", help=DATA_HELP)
    serve.set_defaults(func=cmd_serve)

    def store_command(parent: Any, name: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name, help=help_text, description=help_text
        )
        sub.add_argument("--config", default=str(DEFAULT_CONFIG_DIR), metavar="DIR")
        sub.add_argument("--data", metavar="DIR", help=DATA_HELP)
        return sub

    user = commands.add_parser("user", help="Staff accounts.").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = store_command(
        user, "add", "Add a staff account (password prompted, or one line on stdin)."
    )
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["chair", "secretariat"])
    add.add_argument("--rooms", help="comma-separated room ids a chair acts on")
    add.set_defaults(func=cmd_user_add)
    token = commands.add_parser("token", help="Bearer tokens for other systems.").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create = store_command(token, "create", "Create a token; it is printed once.")
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=["chair", "secretariat"])
    create.add_argument("--rooms", help="comma-separated room ids the token acts on")
    create.set_defaults(func=cmd_token_create)
    revoke = store_command(token, "revoke", "Revoke a token.")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_token_revoke)
    audit = commands.add_parser("audit", help="The override log.").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    verify = store_command(audit, "verify", "Check the hash chain; name the first bad entry.")
    verify.add_argument(
        "--head", metavar="DIGEST", help="a digest `audit head` printed: the log must hold it"
    )
    verify.set_defaults(func=cmd_audit_verify)
    store_command(
        audit, "head", "Print a short digest of the log's newest entry, to record elsewhere."
    ).set_defaults(func=cmd_audit_head)
    backup = store_command(
        commands,
        "backup",
        "Copy the database to DEST (consistent while the server runs); prints the head.",
    )
    backup.add_argument("dest", metavar="DEST")
    backup.set_defaults(func=cmd_backup)
    restore = store_command(
        commands,
        "restore",
        "Install a backup into the data folder, if its log verifies (the data folder must have"
        " no database).",
    )
    restore.add_argument("src", metavar="SRC")
    restore.add_argument(
        "--key", metavar="FILE", help="the audit key (default: the data folder's audit.key)"
    )
    restore.add_argument("--head", metavar="DIGEST", help="a head the backup must hold")
    restore.set_defaults(func=cmd_restore)
    reload = commands.add_parser(
        "reload", help="Re-read the config folder on a running server (revised programmes)."
    )
    reload.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")
    reload.add_argument("--token", help="a secretariat token (default: $DASHBOARD_TOKEN)")
    reload.add_argument("--dry-run", action="store_true", help="only show what would change")
    reload.set_defaults(func=cmd_reload)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ProgrammeError, BadInput) as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        return 2
    except AuditFailed as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
