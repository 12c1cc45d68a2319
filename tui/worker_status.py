"""A one-line warning shown while the background worker is not running."""
from __future__ import annotations

from textual.widgets import Static

from services.core.i18n import _

from .base import WorkerErrors, startup_quiet, wait_for_store


class WorkerStatus(WorkerErrors, Static):
    """Reads the worker's heartbeat every few seconds (off the UI thread); hidden while it beats."""

    DEFAULT_CSS = """
    WorkerStatus {
        height: auto;
        padding: 0 1;
        background: $warning;
        color: $text;
        display: none;
    }
    WorkerStatus.-down { display: block; }
    """
    CHECK_SECONDS = 10

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.running: bool | None = None

    def on_mount(self) -> None:
        self.check(first=True)
        self.set_interval(self.CHECK_SECONDS, self.check)

    def check(self, first: bool = False) -> None:
        self.call_service("worker-status", self._read, first, on_answer=self._show)

    def _read(self, first: bool):
        """(Off the UI thread.) The worker's state, or None while the store
        is not there, busy or gone: say nothing rather than crash."""
        if first:  # the mail machinery's import waits until the home screen is painted
            import time

            time.sleep(startup_quiet())
        if not wait_for_store(self.app):
            return None
        try:
            # Imported here, on the worker thread: the mail machinery is not
            # needed for the first paint of the home screen.
            from services.ops import worker as worker_svc

            return worker_svc.status()
        except Exception:  # the database is busy or gone: say nothing rather than crash
            return None

    def _show(self, state) -> None:
        if state is None:
            return
        self.running = state.running
        self.set_class(not state.running, "-down")
        if state.running:
            self.update("")
        elif state.last_seen is None:
            self.update(_("⚠ The mail worker is not running: e-mail waits. Start 'atende worker'."))
        else:
            self.update(_("⚠ Mail worker stopped since {when}: e-mail waits. Start 'atende worker'.").format(
                when=state.last_seen.strftime("%d/%m %H:%M")))
