"""The one source of "now", so tests and the demo can freeze time."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_now: Callable[[], dt.datetime] = dt.datetime.now


def now() -> dt.datetime:
    """Local wall-clock time, to the second."""
    return _now().replace(microsecond=0)


def today() -> dt.date:
    return now().date()


def now_in(zone: dt.tzinfo) -> dt.datetime:
    """The wall-clock time in `zone` now (naive, to the second), wherever this machine is."""
    return now().astimezone(zone).replace(tzinfo=None)


def local_of(wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """This machine's wall-clock time at the instant the one in `zone` reads `wall` (now_in's inverse)."""
    return wall.replace(tzinfo=zone).astimezone().replace(tzinfo=None)


def set_clock(fn: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock (None restores the real one)."""
    global _now
    _now = fn or dt.datetime.now


@contextmanager
def kept() -> Iterator[None]:
    """Whatever the block does to the clock (set_clock), it is put back after it."""
    previous = _now
    try:
        yield
    finally:
        set_clock(previous)


@contextmanager
def moved_to(when: dt.datetime) -> Iterator[None]:
    """Let things happen at `when` for the block (e.g. the demo's check-ins at a past event's door)."""
    with kept():
        set_clock(lambda: when)
        yield
