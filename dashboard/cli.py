"""The ``dashboard`` command line: the programme commands, ``serve`` and ``reload`` here;
``check`` in cli_check.py, accounts in cli_accounts.py, the override log in cli_log.py.

Every command exits 0 on success; on bad input it prints one line to stderr (file, line,
problem; or the account's name and what is wrong with it) and exits 1; on bad usage, 2; the
statuses all listed in cli_common.py and README.md.  Never a traceback, Ctrl+C included.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from . import cli_accounts, cli_check, cli_db, cli_log
from .cli_common import (
    DATA_HELP,
    AuditFailed,
    BadInput,
    StartFailed,
    UsageError,
    add_config_option,
    add_database_option,
    print_json,
)
from .domain.json_format import now_json, programme_json
from .domain.programme import Programme, ProgrammeError, local_instant
from .domain.toml_format import to_toml
from .settings import Settings, check_database_url
from .site import read_programme_file

DEFAULT_URL = "http://127.0.0.1:8000"
INTERRUPTED = 130  # the shell's status for a command stopped by Ctrl+C (128 + SIGINT)


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


def cmd_export(args: argparse.Namespace) -> None:
    print_json(programme_json(read_programme(args.file, args.timezone)))


def cmd_import(args: argparse.Namespace) -> None:
    sys.stdout.write(to_toml(read_programme(args.file, args.timezone)))


def cmd_now(args: argparse.Namespace) -> None:
    programme = read_programme(args.file, args.timezone)
    instant = parse_instant(args.at, programme) if args.at else datetime.now(programme.tz)
    print_json(now_json(programme, instant))


def cmd_serve(args: argparse.Namespace) -> None:
    # Imported here: the other commands need no server.
    from .logs import use_json_lines
    from .server import ReportingServer, tune_gc, uvicorn_config
    from .store import AuditError, StorageError
    from .store.pg import SchemaError
    from .web.app import create_app
    from .workers import reuse_port_socket

    if args.speed is not None and not 0 < args.speed < math.inf:  # nan and inf too
        raise UsageError("--speed must be a positive number")
    start_at = None
    if args.at:
        try:
            start_at = datetime.fromisoformat(args.at)
        except ValueError:
            raise UsageError(f"--at: {args.at!r} is not an ISO 8601 time") from None
    try:
        check_database_url(args.database or "")
    except ValueError as exc:
        raise UsageError(f"--database: {exc}") from None
    if args.workers < 1:
        raise UsageError("--workers must be 1 or more")
    if args.log_format == "json":
        # From the first line on: what start-up logs is JSON too, and so is what is said here.
        use_json_lines(args.log_level)

    def say(line: str) -> None:
        if args.log_format == "json":
            logging.getLogger("dashboard").info(line.strip())
        else:
            print(line, file=sys.stderr)

    settings = Settings.load(
        Path(args.config),
        host=args.host,
        port=args.port,
        start_at=start_at,
        speed=args.speed,
        data_dir=Path(args.data) if args.data else None,
        database_url=args.database,
        clock_origin=args.clock_origin,
    )
    if args.workers > 1:
        serve_workers(args, settings)
        return
    try:
        app = create_app(settings)
    except (SchemaError, StorageError) as exc:
        raise StartFailed(f"{exc}; the server refuses to start") from None
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
    say(f"Serving on http://{settings.host}:{settings.port}/")
    if not settings.public_url:
        say(
            "Warning: public_url is not set in settings.toml: the displays' QR codes and phone"
            " links are built from each request's Host header, and any Host is accepted. Set"
            " public_url (and allowed_hosts) for a real installation."
        )
    for room in app.state.live.site.rooms:
        say(f"  {room.name}: display http://{settings.host}:{settings.port}/display/{room.id}")
    tune_gc()
    # A worker of `serve --workers N`: the port is shared with the other workers.
    sockets = [reuse_port_socket(settings.host, settings.port)] if args.reuse_port else None
    try:
        config = uvicorn_config(
            app, settings.host, settings.port, args.log_level, log_format=args.log_format
        )
        ReportingServer(config, args.ready_fd).run(sockets=sockets)
    except SystemExit as exc:
        # uvicorn exits 3 when it cannot listen or the app's start-up fails, having logged
        # why; 3 is this command's "the log does not verify", so it is said apart.
        if exc.code in (None, 0):
            raise
        raise StartFailed(
            f"the server did not start on {settings.host}:{settings.port} (the reason is"
            " logged above)"
        ) from None


def serve_workers(args: argparse.Namespace, settings: Settings) -> None:
    """``serve --workers N``: N processes of ``serve`` on one port (dashboard/workers.py)."""
    from .workers import StartError, run_workers

    if not settings.database_url:
        raise UsageError(
            f"--workers {args.workers}: several processes need a shared database: give"
            " --database postgresql://… (or $DASHBOARD_DATABASE_URL); the SQLite store and its"
            " in-process hub serve one process only"
        )
    child = ["--host", settings.host, "--port", str(settings.port), "--config", args.config]
    child += ["--log-level", args.log_level, "--log-format", args.log_format]
    child += ["--database", settings.database_url]
    child += ["--data", str(settings.data_dir)]
    child += ["--at", args.at] if args.at else []
    child += ["--speed", str(args.speed)] if args.speed is not None else []
    if args.at or args.speed is not None:  # one demo clock for every worker
        child += ["--clock-origin", repr(time.monotonic())]
    print(
        f"Serving on http://{settings.host}:{settings.port}/ with {args.workers} workers",
        file=sys.stderr,
    )
    try:
        run_workers(child, args.workers)
    except StartError as exc:
        raise StartFailed(f"{exc} (the reason is logged above)") from None


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
            print_json(json.loads(response.read()))
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

    cli_check.register(commands)
    programme_command("export", "Print the programme as JSON.").set_defaults(func=cmd_export)
    programme_command("import", "Print a note as the hand-correctable TOML format.").set_defaults(
        func=cmd_import
    )
    now = programme_command("now", "Print the current and the next slot as JSON.")
    now.add_argument("--at", metavar="TIME", help="ISO 8601 instant (default: now)")
    now.set_defaults(func=cmd_now)
    serve_help = "Run the live server (Ctrl+C stops it)."
    serve = commands.add_parser("serve", help=serve_help, description=serve_help)
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    add_config_option(serve)
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
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="how much the server logs (default: info)",
    )
    serve.add_argument(
        "--log-format",
        default="text",
        choices=["text", "json"],
        help="text (default), or one JSON object a line with the request id and the room",
    )
    serve.add_argument("--data", metavar="DIR", help=DATA_HELP)
    add_database_option(serve)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N server processes on the port (default 1); above 1 needs --database",
    )
    # Internal: how `--workers` starts each worker (the port shared, SO_REUSEPORT).
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    # Internal: the pipe on which a worker tells the parent it serves.
    serve.add_argument("--ready-fd", type=int, default=None, help=argparse.SUPPRESS)
    serve.add_argument("--clock-origin", type=float, default=None, help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    cli_accounts.register(commands)
    cli_log.register(commands)
    cli_db.register(commands)
    reload_help = "Re-read the config folder on a running server (revised programmes)."
    reload = commands.add_parser("reload", help=reload_help, description=reload_help)
    reload.add_argument(
        "--url", default=DEFAULT_URL, help=f"the running server (default: {DEFAULT_URL})"
    )
    reload.add_argument("--token", help="a secretariat token (default: $DASHBOARD_TOKEN)")
    reload.add_argument("--dry-run", action="store_true", help="only show what would change")
    reload.set_defaults(func=cmd_reload)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except KeyboardInterrupt:
        # Ctrl+C: how `serve` is stopped (uvicorn shuts down gracefully, then raises the signal
        # again), or any command given up on.  Not an error worth a traceback.
        print("dashboard: stopped (Ctrl+C)", file=sys.stderr)
        return INTERRUPTED
    except (ProgrammeError, BadInput) as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        return 2
    except AuditFailed as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        return 3
    except StartFailed as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
