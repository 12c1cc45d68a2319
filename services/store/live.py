"""Noticing other sessions' commits, cheaply.

`ChangeWatcher.poll()` runs one `PRAGMA data_version` on a read connection of
its own, kept open: SQLite changes that number when another connection
commits. Only then does it read the `live_change` counters (one tiny table,
bumped by `models.write_tx`) to say which topics moved: "data" (any real
work) or "presence" (someone opened or left a screen). Nothing else is read;
the screens decide what to reload.

On PostgreSQL (`ServerChangeWatcher`) every write transaction also sends a
NOTIFY with its topic, delivered at commit; the watcher LISTENs on a
connection of its own and poll() only reads what already arrived on its
socket (no round trip: an idle session costs nothing). After a lost
connection it reconnects and compares the counters, so nothing is missed.
`watcher()` gives the one for the open store.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from models.db import LIVE_CHANNEL, LIVE_TABLE, db, is_postgresql, sqlite_path

ALL_TOPICS = frozenset({"data", "presence"})


class _Watcher:
    """What both watchers share: a connection of their own, closed here."""

    _conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


class ChangeWatcher(_Watcher):
    """Tells, on each poll, which topics changed since the previous poll.

    Use it from one thread (the live loop's); it opens its own connection.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        path = path or sqlite_path()
        self.path = Path(path) if path else None
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        self._counters: dict[str, int] = {}
        self.polls = 0

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is None and self.path is not None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=1.0,
                                   check_same_thread=False, isolation_level=None)
            self._conn = conn
            self._version = self._data_version()
            self._counters = self._read_counters()
        return self._conn

    def _data_version(self) -> int:
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def _read_counters(self) -> dict[str, int]:
        try:
            return dict(self._conn.execute(f"SELECT topic, n FROM {LIVE_TABLE}").fetchall())
        except sqlite3.Error:  # an old database without the table: any change is data
            return {}

    def poll(self) -> frozenset[str]:
        """The topics changed since the last poll (empty: nothing changed)."""
        try:
            if self._connect() is None:
                return frozenset()
            self.polls += 1
            version = self._data_version()
            if version == self._version:
                return frozenset()
            self._version = version
            counters = self._read_counters()
        except sqlite3.Error:
            self.close()  # try again with a new connection next time
            return frozenset()
        changed = frozenset(t for t, n in counters.items() if self._counters.get(t) != n)
        self._counters = counters
        if not changed:
            # A commit that bypassed write_tx moves data_version but no counter.
            return frozenset({"data"})
        return changed - {"beat"}  # heartbeats alone change nothing anyone shows


class ServerChangeWatcher(_Watcher):
    """ChangeWatcher's twin for a PostgreSQL store: LISTEN/NOTIFY on a
    connection of its own (not the pool's), read without waiting."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or (db.obj.database if is_postgresql() else None)
        self._conn = None
        self._counters: dict[str, int] = {}
        self.polls = 0

    def _read_counters(self) -> dict[str, int]:
        return dict(self._conn.execute(f"SELECT topic, n FROM {LIVE_TABLE}").fetchall())

    def _connect(self) -> frozenset[str]:
        """Connect and listen; the topics whose counters moved while no connection listened."""
        import psycopg

        self._conn = psycopg.connect(self.url, autocommit=True, application_name="atende live")
        self._conn.execute(f"LISTEN {LIVE_CHANNEL}")
        before, self._counters = self._counters, self._read_counters()
        if not before:
            return frozenset()
        return frozenset(t for t, n in self._counters.items() if before.get(t) != n)

    def poll(self) -> frozenset[str]:
        """The topics changed since the last poll (empty: nothing changed)."""
        import psycopg

        if self.url is None:
            return frozenset()
        try:
            if self._conn is None or self._conn.closed:
                changed = self._connect()
            else:
                changed = frozenset()
            self.polls += 1
            topics = {n.payload for n in self._conn.notifies(timeout=0, stop_after=10_000)}
        except psycopg.Error:
            self.close()  # the server went away: reconnect (and compare counters) next time
            return frozenset()
        return (changed | frozenset(topics)) - {"beat"}


def watcher() -> ChangeWatcher | ServerChangeWatcher:
    """The change watcher for the open store."""
    return ServerChangeWatcher() if is_postgresql() else ChangeWatcher()
