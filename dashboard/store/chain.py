"""The hash chain over the override log: how an entry's hash is made, and how a whole log is
checked.  Pure functions, so the rule is in one place and testable without a database.

Each entry's hash covers its own fields and the previous entry's hash, so changing, removing or
reordering any entry breaks every link after it; the chain head (last seq and hash, kept in its
own table) catches removal of the newest entries, which no later link would.

Since schema 3 the chain is keyed: each hash is an HMAC-SHA256 under the audit key, a file kept
beside the database (``audit.key``), never in it.  Someone who can write the database but not
read the key cannot recompute the hashes after an edit, nor the head's MAC after a truncation.
Entries written before the key existed (schema 1 and 2) keep their plain SHA-256 hashes; the
migration *anchored* them: it stored the last of them with a MAC under the key, so they cannot be
rewritten since, but what they said before the migration is only as trustworthy as the database
was then.  The stored JSON of every entry must be exactly its canonical form (a whitespace-only
edit is caught).  ``head_digest`` is a short digest of the head to record outside the machine;
``verify --head`` checks the log still holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .records import VerifyResult, canonical_json

GENESIS = "0" * 64  # prev_hash of the first entry
DIGEST_HEX = 20  # hex digits of the entry hash in a head digest (80 bits)

# (seq, id, created, actor, data as stored, prev_hash, hash), as the overrides table holds them.
Row = tuple[int, str, str, str, str, str, str]


@dataclass(frozen=True)
class Anchor:
    """The last entry of the pre-key chain, sealed with a MAC by the migration to schema 3."""

    seq: int
    hash: str
    mac: str


def entry_hash(
    prev_hash: str, seq: int, id: str, created: str, actor: str, data: Any, key: bytes | None
) -> str:
    """HMAC-SHA256 under ``key`` of the previous hash and the entry's canonical JSON; plain
    SHA-256 when ``key`` is None (the entries from before the key)."""
    body = canonical_json({"seq": seq, "id": id, "created": created, "actor": actor, "data": data})
    message = (prev_hash + body).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal(key: bytes, what: str, seq: int, hash: str) -> str:
    """A MAC binding (seq, hash) for ``what`` ("head", "anchor", "checked")."""
    return hmac.new(key, f"{what}:{seq}:{hash}".encode(), hashlib.sha256).hexdigest()


def head_digest(seq: int, hash: str) -> str:
    """What ``dashboard audit head`` prints: the head's seq and the start of its hash."""
    return f"{seq}-{hash[:DIGEST_HEX]}"


def parse_digest(text: str) -> tuple[int, str]:
    seq, sep, prefix = text.strip().partition("-")
    if not sep or not seq.isdigit() or len(prefix) < 16 or not _is_hex(prefix):
        raise ValueError(f"{text!r} is not a head digest (SEQ-HEX, as `audit head` prints)")
    return int(seq), prefix.lower()


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _bad(checked: int, seq: int, message: str) -> VerifyResult:
    return VerifyResult(ok=False, checked=checked, first_bad_seq=seq, message=message)


def verify_chain(
    rows: Iterable[Row],
    head: tuple[int, str, str] | None,
    key: bytes | None,
    anchor: Anchor | None = None,
    start: tuple[int, str] = (0, GENESIS),
) -> VerifyResult:
    """Check ``rows`` (in seq order, from ``start``'s seq + 1) link up from ``start`` (seq and
    hash of an entry already verified; GENESIS for the whole log) and end at ``head`` (seq,
    hash, MAC).  Entries up to ``anchor`` are the pre-key chain.  Stops at the first bad
    entry: after one, every later link is suspect anyway."""
    if key is None:
        return _bad(0, start[0] + 1, "the audit key is missing: the log cannot be verified")
    if anchor is not None and not hmac.compare_digest(
        anchor.mac, seal(key, "anchor", anchor.seq, anchor.hash)
    ):
        return _bad(0, anchor.seq, "the anchor of the entries from before the key was altered")
    legacy_until = anchor.seq if anchor is not None else 0
    expected, prev, checked = start[0] + 1, start[1], 0
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
            canonical = canonical_json(data)
            recomputed = entry_hash(
                prev_hash, seq, id, created, actor, data, None if seq <= legacy_until else key
            )
        except ValueError as exc:
            return _bad(checked, seq, f"data of {seq} cannot be hashed: {exc}")
        if canonical != data_text:
            return _bad(checked, seq, f"hash mismatch: the stored JSON of {seq} was re-spelt")
        if not hmac.compare_digest(recomputed, stored_hash):
            return _bad(checked, seq, f"hash mismatch: entry {seq} was altered")
        if seq == legacy_until and anchor is not None and stored_hash != anchor.hash:
            return _bad(checked, seq, f"hash mismatch: entry {seq} differs from its anchor")
        prev, expected, checked = stored_hash, expected + 1, checked + 1
    last = expected - 1
    if last < legacy_until:
        return _bad(checked, last + 1, f"missing seq {last + 1}: the log ends before its anchor")
    if head is None:
        if last == 0:
            return VerifyResult(ok=True, checked=0, first_bad_seq=None, message="empty log")
        return _bad(checked, last, "the chain head record is missing")
    head_seq, head_hash, head_mac = head
    if head_seq > last:
        return _bad(checked, last + 1, f"missing seq {last + 1}: the log ends before {head_seq}")
    if head_seq < last:
        return _bad(checked, head_seq + 1, f"seq {head_seq + 1} was added outside the store")
    if head_hash != prev:
        return _bad(checked, last, f"hash mismatch: entry {last} differs from the chain head")
    if not hmac.compare_digest(head_mac, seal(key, "head", head_seq, head_hash)):
        return _bad(checked, last, f"the chain head at {last} was rewritten (its MAC is wrong)")
    return VerifyResult(ok=True, checked=checked, first_bad_seq=None, message="ok")
