"""The hash chain over the override log: how an entry's hash is made, and how a whole log is
checked.  Pure functions, so the rule is in one place and testable without a database.

Each entry's hash covers its own fields and the previous entry's hash, so changing, removing or
reordering any entry breaks every link after it; the chain head (last seq and hash, kept in its
own table) catches removal of the newest entries, which no later link would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from .records import VerifyResult, canonical_json

GENESIS = "0" * 64  # prev_hash of the first entry

# (seq, id, created, actor, data as stored, prev_hash, hash), as the overrides table holds them.
Row = tuple[int, str, str, str, str, str, str]


def entry_hash(prev_hash: str, seq: int, id: str, created: str, actor: str, data: Any) -> str:
    body = canonical_json({"seq": seq, "id": id, "created": created, "actor": actor, "data": data})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _bad(checked: int, seq: int, message: str) -> VerifyResult:
    return VerifyResult(ok=False, checked=checked, first_bad_seq=seq, message=message)


def verify_chain(rows: Iterable[Row], head: tuple[int, str] | None) -> VerifyResult:
    """Check ``rows`` (in seq order) link up from GENESIS and end at ``head``.  Stops at the
    first bad entry: after one, every later link is suspect anyway."""
    expected, prev, checked = 1, GENESIS, 0
    for seq, id, created, actor, data_text, prev_hash, stored_hash in rows:
        if seq != expected:
            return _bad(checked, expected, f"missing seq {expected} (the next entry is {seq})")
        if prev_hash != prev:
            return _bad(
                checked, seq, f"broken link: prev_hash of {seq} is not the hash of {seq - 1}"
            )
        try:
            data = json.loads(data_text)
        except ValueError:
            return _bad(checked, seq, f"data of {seq} is not JSON")
        try:
            recomputed = entry_hash(prev_hash, seq, id, created, actor, data)
        except ValueError as exc:
            return _bad(checked, seq, f"data of {seq} cannot be hashed: {exc}")
        if recomputed != stored_hash:
            return _bad(checked, seq, f"hash mismatch: entry {seq} was altered")
        prev, expected, checked = stored_hash, expected + 1, checked + 1
    last = expected - 1
    if head is None:
        if last == 0:
            return VerifyResult(ok=True, checked=0, first_bad_seq=None, message="empty log")
        return _bad(checked, last, "the chain head record is missing")
    head_seq, head_hash = head
    if head_seq > last:
        return _bad(checked, last + 1, f"missing seq {last + 1}: the log ends before {head_seq}")
    if head_seq < last:
        return _bad(checked, head_seq + 1, f"seq {head_seq + 1} was added outside the store")
    if head_hash != prev:
        return _bad(checked, last, f"hash mismatch: entry {last} differs from the chain head")
    return VerifyResult(ok=True, checked=checked, first_bad_seq=None, message="ok")
