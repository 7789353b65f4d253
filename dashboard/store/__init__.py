"""Persistence, awaited: the append-only, hash-chained override log and the access-control
records (users, tokens, sessions, audit trail, login throttling), in one SQLite file or a
PostgreSQL database."""

from __future__ import annotations

from .records import (
    AuditError,
    KeyReused,
    Session,
    StorageError,
    StoredOverride,
    Token,
    User,
    VerifyResult,
)
from .store import Store

__all__ = [
    "AuditError",
    "KeyReused",
    "Session",
    "StorageError",
    "Store",
    "StoredOverride",
    "Token",
    "User",
    "VerifyResult",
]
