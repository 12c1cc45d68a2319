"""Periodic sweeps the worker runs every minute.

A sweep is a function that finds due work and does or queues it (reminders,
certificates, events to close): `sweep(now) -> how many things it did (or
None)`. The sweeps are those of `SWEEPS` below, imported plainly from each
feature (the events feature lists its own in `services.events.sweeps.SWEEPS`);
`register_sweep` adds or replaces one while the process runs (tests do).

Each sweep runs in the worker process with the database open, inside its own
`try`, so one failing sweep never stops the others or the mail. A sweep must
be idempotent: it may run twice for the same minute (two workers, a restart),
so it queues mail with idempotency keys (`services.events.reminders.reminder_key`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from services.events.sweeps import SWEEPS as EVENTS_SWEEPS
from services.supervisor import service_levels

SweepFn = Callable[[dt.datetime], "int | None"]

SWEEPS: dict[str, SweepFn] = {**EVENTS_SWEEPS, "tickets.sla_breaches": service_levels.sweep}
"""Every sweep the worker runs, by name (run in name order)."""


@dataclass(frozen=True)
class SweepResult:
    name: str
    done: int
    error: str = ""


def register_sweep(name: str, fn: SweepFn) -> SweepFn:
    """Register (or replace) the sweep `name`; returns `fn` so it works as a decorator helper."""
    SWEEPS[name] = fn
    return fn


def unregister_sweep(name: str) -> None:
    SWEEPS.pop(name, None)


def registered() -> list[str]:
    return sorted(SWEEPS)


def run_sweeps(now: dt.datetime) -> list[SweepResult]:
    """Run every registered sweep once, in name order; errors are logged and reported."""
    results = []
    for name in sorted(SWEEPS):
        try:
            done = SWEEPS[name](now)
            results.append(SweepResult(name, int(done or 0)))
        except Exception as exc:
            from services.core.logs import internal_error

            results.append(SweepResult(name, 0, internal_error(exc, f"sweep {name}")))
    return results


SWEEPS_CLAIM = "worker.sweeps_minute"
"""Setting holding the last minute whose sweeps a worker claimed."""


def claim_minute(now: dt.datetime) -> bool:
    """Whether this worker runs the sweeps of `now`'s minute: the first of
    several workers (on any host) to ask for a minute gets it, in one write
    (the writers take turns on either store), the others skip it."""
    from models import Setting, write_tx

    minute = now.strftime("%Y-%m-%dT%H:%M")
    with write_tx(live=None):
        if Setting.get_or_none(Setting.key == SWEEPS_CLAIM) is None:
            Setting.insert(key=SWEEPS_CLAIM, value="").on_conflict_ignore().execute()
        return bool(Setting.update(value=minute)
                    .where((Setting.key == SWEEPS_CLAIM) & (Setting.value < minute)).execute())
