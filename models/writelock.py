"""Writers take turns through a lock file, so busy agents never poll.

SQLite lets one writer in at a time; others wait in its busy handler, which
sleeps 1, 2, 5, 10... ms between tries: with eight agents finishing tickets
at once, most of the time goes to sleeping. A `flock` on a file beside the
database queues the writers in the kernel instead, which wakes the next one
the moment the lock is released (and frees it if a process dies). The
transaction itself is still `BEGIN IMMEDIATE` with the busy timeout, so
writers that do not use this lock stay correct.
"""
from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager

from .db import db, is_sqlite, sqlite_path, write_tx

_fds: dict[str, int | None] = {}
_thread_lock = threading.RLock()  # flock excludes processes; threads of one process queue here


def _lock_fd() -> int | None:
    path = sqlite_path()
    if path is None:
        return None
    key = str(path)
    if key not in _fds:
        try:
            _fds[key] = os.open(f"{key}.writelock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
        except OSError:
            _fds[key] = None  # a read-only folder: the busy timeout alone still keeps it correct
    return _fds[key]


@contextmanager
def queued_write_tx():
    """`write_tx()` entered in turn with the other writers of this database."""
    if not is_sqlite() or db.in_transaction():
        with write_tx():
            yield
        return
    fd = _lock_fd()
    if fd is None:
        with write_tx():
            yield
        return
    with _thread_lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            with write_tx():
                yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
