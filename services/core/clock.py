"""The one source of "now", so tests and the demo can freeze time."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

_now: Callable[[], dt.datetime] = dt.datetime.now


def now() -> dt.datetime:
    """Local wall-clock time, to the second."""
    return _now().replace(microsecond=0)


def today() -> dt.date:
    return now().date()


def set_clock(fn: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock (None restores the real one)."""
    global _now
    _now = fn or dt.datetime.now
