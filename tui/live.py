"""Live screens: refresh by themselves when another session commits, and
tell the others where this session is (presence).

One `LiveSession` per App runs a daemon thread that, every `interval`
seconds, polls `services.store.live.ChangeWatcher` (a single `PRAGMA
data_version`), hands the changed topics to the UI thread, and sends the
presence heartbeat with the place of the screen on top.

A screen opts in by mixing in `LiveScreen` (before AtendeScreen) and
implementing `live_reload(topics)`: reload in an exclusive thread worker and
put the rows back keeping the cursor on the same key and any selection.
Screens under another one are only marked and reload when they are shown
again, so a dialog being typed in is never disturbed. A screen naming its
record in `presence_place()` is shown to others as being on it, and editing
it while a dialog is open over it (or when PRESENCE_EDITING is set).

    class DashboardScreen(LiveScreen, AtendeScreen):
        LIVE_TOPICS = frozenset({"data"})
        PRESENCE_NAME = N_("Dashboard")
        def live_reload(self, topics): self.load()
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from textual import on
from textual.events import ScreenResume
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from services.store import presence
from services.store.live import ChangeWatcher, ServerChangeWatcher, watcher
from tui.base import WorkerErrors

log = logging.getLogger("atende.live")

POLL_SECONDS = 0.5
PRESENCE_REFRESH_SECONDS = 10  # stale sessions drop off lists at least this often


class LiveScreen:
    """Mixin for screens that refresh by themselves (see the module doc)."""

    LIVE_TOPICS: frozenset[str] = frozenset({"data"})
    PRESENCE_NAME: str = ""
    """N_() label shown to others for this screen (default: the class name)."""
    PRESENCE_EDITING: bool = False

    _live_pending: frozenset[str] = frozenset()

    def live_reload(self, topics: frozenset[str]) -> None:
        """Reload what changed, keeping the cursor and selections (override)."""

    def presence_place(self) -> tuple[str, int, str] | None:
        """(kind, id, label) of the record this screen shows, if any."""
        return None

    def live_changed(self, topics: Iterable[str]) -> None:
        wanted = frozenset(topics) & self.LIVE_TOPICS
        if not wanted:
            return
        if self.is_current:
            self.live_reload(wanted)
        else:
            self._live_pending = self._live_pending | wanted

    @on(ScreenResume)
    def _live_resumed(self, event: ScreenResume) -> None:
        pending, self._live_pending = self._live_pending, frozenset()
        if pending:
            self.live_reload(pending)


def place_of(stack: list) -> presence.Place:
    """Where a session is, from its screen stack (read from the live thread)."""
    if not stack:
        return presence.Place()
    base = next((s for s in reversed(stack) if not isinstance(s, ModalScreen)), stack[-1])
    dialog_open = isinstance(stack[-1], ModalScreen) and stack[-1] is not base
    name = getattr(base, "PRESENCE_NAME", "") or type(base).__name__.removesuffix("Screen")
    entity = None
    getter = getattr(base, "presence_place", None)
    if getter is not None:
        try:
            entity = getter()
        except Exception:  # noqa: BLE001 - presence never breaks a screen
            entity = None
    if not entity:
        return presence.Place(screen=name, editing=bool(getattr(base, "PRESENCE_EDITING", False)))
    kind, entity_id, label = entity
    editing = dialog_open or bool(getattr(base, "PRESENCE_EDITING", False))
    return presence.Place(name, kind, entity_id, label or "", editing)


@dataclass(frozen=True)
class Reader:
    """What the live thread reads when `topic` moves (and once when it
    starts), off the UI thread; `deliver` gets the result on the UI thread."""

    topic: str
    read: Callable[[], object]
    deliver: Callable[[object], None]


class LiveSession:
    """The App's change watcher and presence heartbeat (one thread)."""

    def __init__(self, app, *, interval: float = POLL_SECONDS,
                 heartbeat: float = presence.HEARTBEAT_SECONDS, readers: Iterable[Reader] = ()) -> None:
        self.app = app
        self.readers = tuple(readers)
        self.interval = interval
        self.heartbeat = heartbeat
        self.session = presence.new_session_id()
        self.watcher: ChangeWatcher | ServerChangeWatcher | None = None
        self._stop = threading.Event()
        self.worker = None
        self._leave_failed = False

    def start(self) -> None:
        from services.core.logs import logger

        logger()  # this loop's warnings go to the log file, never onto the screen (stderr)
        # A plain daemon thread rather than a Textual worker: it runs for the
        # whole session, and `workers.wait_for_complete()` must not wait on it.
        self.worker = threading.Thread(target=self._loop, name="atende-live", daemon=True)
        self.worker.start()

    def stop(self, wait: bool = False) -> None:
        """End the loop and remove this session's presence row. `wait` joins
        the thread (only once the UI has stopped: it may be waiting on it)."""
        self._stop.set()
        if wait and self.worker is not None and self.worker is not threading.current_thread():
            self.worker.join(timeout=3)
        self._leave()

    def _leave(self) -> None:
        try:
            presence.leave(self.session)
        except Exception as exc:  # noqa: BLE001 - leaving is best effort; stale rows expire
            if not self._leave_failed:  # said once (stop and the loop both leave), in the log file, never on the screen
                self._leave_failed = True
                log.warning("presence leave failed: %s", exc)

    def dispatch(self, topics: frozenset[str]) -> None:
        """On the UI thread: tell every live screen of the stack."""
        for screen in list(self.app.screen_stack):
            if isinstance(screen, LiveScreen) and screen.is_attached:
                try:
                    screen.live_changed(topics)
                except Exception:  # noqa: BLE001 - one screen's trouble never stops the others' refresh
                    log.exception("live reload of %s failed", type(screen).__name__)

    def _read(self, reader: Reader) -> None:
        try:
            got = reader.read()
        except Exception as exc:  # noqa: BLE001 - a busy or gone store: the next change reads again
            log.warning("live read of %s failed: %s", reader.topic, exc)
            return
        try:
            self.app.call_from_thread(reader.deliver, got)
        except RuntimeError:  # the app is closing
            pass
        except Exception:  # noqa: BLE001 - keep watching
            log.exception("live delivery of %s failed", reader.topic)

    def _loop(self) -> None:
        from models import db

        self.watcher = watcher()
        try:  # keep this thread's connection for its life: heartbeats do not reconnect
            db.connect(reuse_if_open=True)
        except Exception as exc:  # noqa: BLE001 - heartbeats will try (and log) again
            log.warning("live connection failed: %s", exc)
        last_place: presence.Place | None = None
        last_beat = last_tick = time.monotonic()
        retry_at = 0.0
        first = True
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                topics = set(self.watcher.poll())
                if now - last_tick >= PRESENCE_REFRESH_SECONDS:
                    topics.add("presence")
                    last_tick = now
                for reader in self.readers:
                    if first or reader.topic in topics:
                        self._read(reader)
                first = False
                topics &= {"data", "presence", "ring"}
                if topics:
                    try:
                        self.app.call_from_thread(self.dispatch, frozenset(topics))
                    except RuntimeError:  # the app is closing
                        break
                    except Exception:  # noqa: BLE001 - keep watching
                        log.exception("live dispatch failed")
                if self._stop.is_set():
                    break
                if now >= retry_at:
                    try:
                        place = place_of(list(self.app.screen_stack))
                        if place != last_place:
                            presence.beat(self.app.actor, self.session, place)
                            last_place, last_beat = place, now
                        elif now - last_beat >= self.heartbeat:
                            presence.beat(self.app.actor, self.session)
                            last_beat = now
                    except Exception as exc:  # noqa: BLE001 - a read-only or busy database: try later
                        log.warning("presence heartbeat failed: %s", exc)
                        retry_at = now + self.heartbeat  # not at every tick
                self._stop.wait(self.interval)
        finally:
            self.watcher.close()
            if self._stop.is_set():
                self._leave()  # a heartbeat may have raced with stop()
            try:
                db.close()
            except Exception:  # noqa: BLE001
                pass


def keep_cursor(table: DataTable, fill, *, key: str | None = None) -> None:
    """Refill `table` with `fill(table)` keeping the cursor on the same row key
    (else the same index) and the scroll position: one repaint, no flicker."""
    old_key = key
    if old_key is None and table.row_count:
        try:
            old_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no cursor row
            old_key = None
    old_row, scroll_y = table.cursor_row, table.scroll_y
    with table.app.batch_update():
        table.clear()
        fill(table)
        row = old_row
        if old_key is not None:
            try:
                row = table.get_row_index(old_key)
            except Exception:  # noqa: BLE001 - the row is gone: stay at the same place
                row = old_row
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1), animate=False, scroll=False)

            def restore() -> None:
                table.scroll_to(y=scroll_y, animate=False)
                table.move_cursor(row=table.cursor_row, animate=False, scroll=True)

            table.call_after_refresh(restore)


class PeersBar(WorkerErrors, Static):
    """One line naming who else is on this record ("ana is editing"); hidden
    when nobody is. The screen calls `look(kind, id)` when its record is
    loaded and on each "presence" change."""

    DEFAULT_CSS = """
    PeersBar { display: none; height: auto; padding: 0 1; background: $warning 25%; color: $text;
        text-style: bold; }
    PeersBar.-shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.text = ""

    def look(self, kind: str, entity_id: int | None) -> None:
        if entity_id is None:
            return
        live = getattr(self.app, "live", None)
        actor, session = self.app.actor, live.session if live else ""
        self.call_service("peers", lambda: presence.peers_text(presence.others_on(actor, kind, entity_id,
                                                                                  session=session)),
                          on_answer=self._show, quiet=True)

    def _show(self, text: str) -> None:
        self.text = text
        self.update(text)
        self.set_class(bool(text), "-shown")
