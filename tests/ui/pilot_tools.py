"""Helpers shared by the Pilot tests."""
from __future__ import annotations

from textual.worker import WorkerCancelled


async def settle(pilot, rounds: int = 1) -> None:
    """Let pending messages and every worker finish, `rounds` times.

    A worker cancelled while we wait is not a failure: an exclusive worker
    (the peers bar's look-up, a list's reload) is cancelled when a newer one
    of its group starts, e.g. on a live tick; wait again for the newer one.
    A worker that failed still fails the test."""
    for _ in range(rounds):
        await pilot.pause()
        for _attempt in range(5):
            try:
                await pilot.app.workers.wait_for_complete()
                break
            except WorkerCancelled:
                await pilot.pause()
    await pilot.pause()
