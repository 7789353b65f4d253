"""Published programmes, on PostgreSQL: each revision of rooms.toml and the programme files it
names, as their text, numbered; publishing one NOTIFYs every process, which loads it
(live/reload.py).  So publishing on one machine publishes everywhere, and a process that starts
later starts from what was last published.  (SQLite: one process, whose config/ is the source;
these are not used there.)"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from .base import Database
from .records import canonical_json, instant_text, parse_data
from .result import Connection


class Published(NamedTuple):
    version: int
    files: dict[str, str]  # name in the config folder -> its text


class Programmes(Database):
    async def publish_programmes(self, files: dict[str, str], at: datetime) -> int:
        """Store a revision (every file's text) and tell every process; its version."""
        if self.url is None:
            raise ValueError("programmes are published through the database only on PostgreSQL")

        async def publish(conn: Connection) -> int:
            row = await conn.one("SELECT coalesce(max(version), 0) FROM programme_revisions")
            version = int(row[0]) + 1
            await conn.execute(
                "INSERT INTO programme_revisions (version, published, files) VALUES (?, ?, ?)",
                (version, instant_text(at), canonical_json(files)),
            )
            await self._notify(conn, "programme", version)
            return version

        return await self._write(publish)

    async def published_or_first(
        self, files: dict[str, str], at: datetime
    ) -> tuple[Published, bool]:
        """The revision last published; or, if none was, ``files`` published as the first
        one (and True).  One write transaction under the store's lock: the workers of
        ``serve --workers`` start together, and each asking "none yet?" then publishing made
        as many first revisions as workers."""
        if self.url is None:
            raise ValueError("programmes are published through the database only on PostgreSQL")

        async def last_or_first(conn: Connection) -> tuple[Published, bool]:
            row = await conn.one(
                "SELECT version, files FROM programme_revisions ORDER BY version DESC LIMIT 1"
            )
            if row is not None:
                files_then = {str(k): str(v) for k, v in parse_data(row[1]).items()}
                return Published(int(row[0]), files_then), False
            await conn.execute(
                "INSERT INTO programme_revisions (version, published, files) VALUES (?, ?, ?)",
                (1, instant_text(at), canonical_json(files)),
            )
            await self._notify(conn, "programme", 1)
            return Published(1, files), True

        return await self._write(last_or_first)

    async def published_programmes(self) -> Published | None:
        """The revision last published, if any."""
        if self.url is None:
            return None
        row = await self._one(
            "SELECT version, files FROM programme_revisions ORDER BY version DESC LIMIT 1"
        )
        if row is None:
            return None
        return Published(int(row[0]), {str(k): str(v) for k, v in parse_data(row[1]).items()})
