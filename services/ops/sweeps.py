"""Periodic sweeps the worker runs every minute.

A feature registers a function that finds due work and queues it (reminders,
certificates, events to close), e.g. in its own services module::

    from services.ops.sweeps import register_sweep

    def reminders_sweep(now):  # -> how many things it did (or None)
        ...

    register_sweep("events.reminders", reminders_sweep)

Each sweep runs in the worker process with the database open, inside its own
`try`, so one failing sweep never stops the others or the mail. A sweep must
be idempotent: it may run twice for the same minute (two workers, a restart),
so it queues mail with idempotency keys (`services.events.reminders.reminder_key`).
Modules that register sweeps are listed in `SWEEP_MODULES` so the worker
imports them at start-up.
"""
from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass

SweepFn = Callable[[dt.datetime], "int | None"]

_SWEEPS: dict[str, SweepFn] = {}

SWEEP_MODULES: list[str] = ["services.events.mail"]
"""Modules imported by the worker before the first sweep (they call register_sweep).
The events feature adds e.g. "services.events.mail" here."""


@dataclass(frozen=True)
class SweepResult:
    name: str
    done: int
    error: str = ""


def register_sweep(name: str, fn: SweepFn) -> SweepFn:
    """Register (or replace) the sweep `name`; returns `fn` so it works as a decorator helper."""
    _SWEEPS[name] = fn
    return fn


def unregister_sweep(name: str) -> None:
    _SWEEPS.pop(name, None)


def registered() -> list[str]:
    return sorted(_SWEEPS)


def load_modules() -> list[str]:
    """Import SWEEP_MODULES (those that are installed); return the ones that failed."""
    failed = []
    for module in SWEEP_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            failed.append(module)
    return failed


def run_sweeps(now: dt.datetime) -> list[SweepResult]:
    """Run every registered sweep once, in name order; errors are logged and reported."""
    results = []
    for name in sorted(_SWEEPS):
        try:
            done = _SWEEPS[name](now)
            results.append(SweepResult(name, int(done or 0)))
        except Exception as exc:
            from services.core.logs import internal_error

            results.append(SweepResult(name, 0, internal_error(exc, f"sweep {name}")))
    return results
