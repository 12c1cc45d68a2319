"""Helpers shared by the Pilot tests."""
from __future__ import annotations

import threading

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


class Held:
    """A service function replaced by one that counts its calls and, when
    `hold(*args)` says so, waits until `release()` (at most 5 s) before doing
    the real work: the screen's thread is still in it while the test acts."""

    def __init__(self, real, hold) -> None:
        self.real, self.hold = real, hold
        self.calls: list[tuple] = []
        self._released = threading.Event()
        self.returned = threading.Event()  # a call has done its real work
        self.threads: list = []  # the thread of each call

    def __call__(self, *args, **kwargs):
        self.calls.append(args)
        self.threads.append(threading.current_thread())
        if self.hold(*args):
            self._released.wait(5)
        try:
            return self.real(*args, **kwargs)
        finally:
            self.returned.set()

    def release(self) -> None:
        self._released.set()


def hold(monkeypatch, owner, name: str, when=lambda *args: True) -> Held:
    """Replace `owner.name` with a Held version of it for the test."""
    held = Held(getattr(owner, name), when)
    monkeypatch.setattr(owner, name, held)
    return held


async def until(pilot, condition, tries: int = 200) -> None:
    """Pause in short steps until `condition()` holds (or the tries run out)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.01)


async def press_again_while_held(pilot, key: str, held: Held) -> None:
    """Press `key`, and press it again while the service call it started is
    still held; then let that call go on."""
    await pilot.press(key)
    await until(pilot, lambda: held.calls)
    await pilot.press(key)
    await pilot.pause()
    held.release()
