"""``dashboard user …`` and ``dashboard token …``: staff accounts and bearer tokens.

Everything an account is refused for is checked before a password is asked for and before the
database is touched, so a refused command changes nothing.  Rooms are checked against the
config folder's rooms.toml: a chair given a room the server does not drive could act on nothing
(and would act on a room of that name added later, unasked).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .cli_common import BadInput, UsageError, add_store_options, open_store, say
from .domain.programme import ProgrammeError
from .domain.rooms import parse_rooms

ROLES = ["chair", "secretariat"]


def _rooms_arg(text: str | None) -> tuple[str, ...]:
    """``cr4,cr1`` as given, without blanks or repeats."""
    rooms = (r.strip() for r in (text or "").split(","))
    return tuple(dict.fromkeys(r for r in rooms if r))


def _room_ids(config: str) -> tuple[Path, tuple[str, ...]]:
    """rooms.toml's path and the ids it lists (its programmes are not read: not needed)."""
    path = Path(config) / "rooms.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgrammeError(str(path), None, f"cannot read the file: {exc}") from None
    return path, tuple(room.id for room in parse_rooms(text, str(path)))


def check_rooms(args: argparse.Namespace, *, account: bool) -> tuple[str, ...]:
    """The rooms of ``--rooms``, if they suit ``--role``: a chair needs rooms, all of them in
    rooms.toml; a secretariat account acts on every room, so ``--rooms`` is an error there.  A
    secretariat token may be bound to rooms (it then acts on those only)."""
    rooms = _rooms_arg(args.rooms)
    if args.role == "secretariat" and rooms and account:
        raise BadInput(
            f"{args.name}: --rooms is for chairs; a secretariat account acts on every room"
            " (leave --rooms out, or use --role chair)"
        )
    if args.role == "secretariat" and not rooms:
        return rooms
    path, known = _room_ids(args.config)
    if not rooms:
        raise BadInput(
            f"{args.name}: a chair needs --rooms, the rooms it acts on ({path} has:"
            f" {', '.join(known)})"
        )
    unknown = [room for room in rooms if room not in known]
    if unknown:
        what = "room" if len(unknown) == 1 else "rooms"
        raise BadInput(
            f"{args.name}: unknown {what} {', '.join(map(repr, unknown))} ({path} has:"
            f" {', '.join(known)})"
        )
    return rooms


def _check_name(name: str, what: str) -> None:
    """Before a password is asked for: a name the store would refuse is refused first."""
    from .store.records import check_name

    try:
        check_name(name, what)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _read_password(name: str) -> str:
    """Prompted twice at a terminal; otherwise the first line of stdin (scripts, tests)."""
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {name}: ")
        if getpass.getpass("Again: ") != password:
            raise UsageError("the passwords differ")
        return password
    return sys.stdin.readline().rstrip("\n")


def _rooms_column(role: str, rooms: tuple[str, ...]) -> str:
    if rooms:
        return ",".join(rooms)
    # As the server reads them (web/auth.py, Actor.allowed_rooms).
    return "every room" if role == "secretariat" else "no room"


def _print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """Aligned columns, the header first; names and room ids never hold spaces or tabs."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def _sessions(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'} ended"


def cmd_user_add(args: argparse.Namespace) -> None:
    _check_name(args.name, "user")
    rooms = check_rooms(args, account=True)
    with open_store(args) as db:
        if db.run(db.store.user(args.name)) is not None:  # before the prompt, not after it
            raise BadInput(f"user {args.name!r} already exists")
        password = _read_password(args.name)
        try:
            user = db.run(db.store.add_user(args.name, args.role, password, rooms))
        except ValueError as exc:
            raise BadInput(str(exc)) from None
    say(f"added {user.name} ({user.role}, {_rooms_column(user.role, user.rooms)})")


def cmd_user_list(args: argparse.Namespace) -> None:
    with open_store(args) as db:
        users = db.run(db.store.users())
    if not users:
        say("no users")
        return
    rows = [(u.name, u.role, _rooms_column(u.role, u.rooms)) for u in users]
    _print_table(("NAME", "ROLE", "ROOMS"), rows)


def cmd_user_remove(args: argparse.Namespace) -> None:
    with open_store(args) as db:
        try:
            ended = db.run(db.store.remove_user(args.name))
        except ValueError as exc:
            raise BadInput(str(exc)) from None
    say(f"removed {args.name}; {_sessions(ended)}")


def cmd_user_passwd(args: argparse.Namespace) -> None:
    with open_store(args) as db:
        if db.run(db.store.user(args.name)) is None:
            raise BadInput(f"no user {args.name!r}")
        password = _read_password(args.name)
        try:
            ended = db.run(db.store.set_password(args.name, password))
        except ValueError as exc:
            raise BadInput(str(exc)) from None
    say(f"password of {args.name} changed; {_sessions(ended)}")


def cmd_token_create(args: argparse.Namespace) -> None:
    _check_name(args.name, "token")
    rooms = check_rooms(args, account=False)
    with open_store(args) as db:
        try:
            secret = db.run(db.store.create_token(args.name, args.role, rooms))
        except ValueError as exc:
            raise BadInput(str(exc)) from None
    print(secret)
    say("Shown once: store it now. Send it as 'Authorization: Bearer <token>'.")


def cmd_token_list(args: argparse.Namespace) -> None:
    with open_store(args) as db:
        tokens = db.run(db.store.tokens())
    if not tokens:
        say("no tokens")
        return
    rows = [
        (t.name, t.role, _rooms_column(t.role, t.rooms), "revoked" if t.revoked else "active")
        for t in tokens
    ]
    _print_table(("NAME", "ROLE", "ROOMS", "STATE"), rows)


def cmd_token_revoke(args: argparse.Namespace) -> None:
    with open_store(args) as db:
        if not db.run(db.store.revoke_token(args.name)):
            raise BadInput(f"no active token named {args.name!r}")
    say(f"revoked {args.name}")


def register(commands: Any) -> None:
    """The ``user`` and ``token`` commands, on the top-level subparsers ``commands``."""

    def action(parent: Any, name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name, help=help_text, description=help_text
        )
        add_store_options(sub)
        sub.set_defaults(func=func)
        return sub

    def named(sub: argparse.ArgumentParser, what: str) -> None:
        sub.add_argument("name", metavar="NAME", help=what)

    def role_and_rooms(sub: argparse.ArgumentParser, who: str) -> None:
        sub.add_argument("--role", required=True, choices=ROLES, help=f"what {who} may do")
        sub.add_argument(
            "--rooms",
            metavar="IDS",
            help=f"comma-separated room ids from rooms.toml that {who} acts on (required for a"
            " chair)",
        )

    user = commands.add_parser(
        "user", help="Staff accounts for the console.", description="Staff accounts."
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    add = action(
        user, "add", "Add a staff account (password prompted, or one line on stdin).", cmd_user_add
    )
    named(add, "the account's name: lower-case letters, digits and . _ - @")
    role_and_rooms(add, "the account")
    action(user, "list", "List the accounts: name, role, rooms.", cmd_user_list)
    named(
        action(user, "remove", "Remove an account and end its sessions.", cmd_user_remove),
        "the account to remove",
    )
    named(
        action(
            user,
            "passwd",
            "Set a new password (prompted, or one line on stdin); ends the account's sessions.",
            cmd_user_passwd,
        ),
        "the account whose password to set",
    )
    token = commands.add_parser(
        "token", help="Bearer tokens for other systems.", description="Bearer tokens."
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    create = action(token, "create", "Create a token; it is printed once.", cmd_token_create)
    named(create, "the token's name: lower-case letters, digits and . _ - @")
    role_and_rooms(create, "the token")
    action(token, "list", "List the tokens: name, role, rooms, active or revoked.", cmd_token_list)
    named(action(token, "revoke", "Revoke a token.", cmd_token_revoke), "the token to revoke")
