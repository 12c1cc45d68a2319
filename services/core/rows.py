"""Rows that cannot be trusted: a value of the wrong type (an invalid date
written by another program, text in a number column) must not break a whole
list. Lists coerce each suspect value, show the row, and mark it damaged."""
from __future__ import annotations

import datetime as dt
from typing import Any

BAD_DATETIME = dt.datetime(1900, 1, 1)
"""Stands in for a date that cannot be read (sorts first, formats like any date)."""


class Damage:
    """Collects the fields of one row that had to be replaced."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def datetime(self, value: Any, field: str, *, optional: bool = False) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            return value
        if value is None and optional:
            return None
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())
        try:
            return dt.datetime.fromisoformat(str(value))
        except (TypeError, ValueError):
            self.fields.append(field)
            return None if optional else BAD_DATETIME

    def integer(self, value: Any, field: str, *, optional: bool = False, default: int = 0) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if value is None and optional:
            return None
        try:
            return int(str(value))
        except (TypeError, ValueError):
            self.fields.append(field)
            return None if optional else default

    def number(self, value: Any, field: str) -> float | None:
        if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        try:
            return float(str(value))
        except (TypeError, ValueError):
            self.fields.append(field)
            return None

    def text(self, value: Any, field: str) -> str:
        if isinstance(value, str):
            return value
        if value is None:
            self.fields.append(field)
            return ""
        return str(value)

    def choice(self, value: Any, field: str, allowed, default: str) -> str:
        if value in allowed:
            return value
        self.fields.append(field)
        return default

    def __bool__(self) -> bool:
        return bool(self.fields)

    def result(self) -> tuple[str, ...]:
        return tuple(self.fields)
