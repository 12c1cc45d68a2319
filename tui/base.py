"""Base classes shared by every screen."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from services.core.i18n import _
from tui.keys import TypeAhead


def show_controls_as_signs() -> None:
    """Make what the screen shows of data safe for the terminal, at the one
    place every text goes through: Rich's Text and Textual's Content drop
    only BEL, BS, VT, FF and CR from the strings they are given, so ESC (a
    customer name that retitles or clears the terminal), the other C0 and
    the C1 controls, DEL and the bidi overrides reached the terminal from
    any table, label, list, field or notification. Their tables of what to
    drop are extended with services.core.text.DISPLAY_TABLE: each such character
    becomes one visible sign. Idempotent; what they drop already stays dropped."""
    import rich.control
    import textual.content

    from services.core.text import DISPLAY_TABLE

    for table in (rich.control._CONTROL_STRIP_TRANSLATE, textual.content._CONTROL_STRIP_TRANSLATE):
        for code, sign in DISPLAY_TABLE.items():
            table.setdefault(code, sign)


show_controls_as_signs()


def translate_bindings(node: DOMNode) -> None:
    """Translate the descriptions and tooltips of `node`'s bindings.

    BINDINGS are class attributes, built before the language is known; they
    are written with `N_()` and translated here, per instance.
    """
    bindings = node._bindings.key_to_bindings
    for key, items in list(bindings.items()):
        bindings[key] = [
            replace(b, description=_(b.description) if b.description else "",
                    tooltip=_(b.tooltip) if b.tooltip else "")
            for b in items
        ]


def startup_quiet() -> float:
    """Seconds start-up checks wait so the first paint has the interpreter to
    itself ($ATENDE_STARTUP_QUIET; the tests set 0)."""
    import os

    try:
        return max(0.0, float(os.environ.get("ATENDE_STARTUP_QUIET", "0.3")))
    except ValueError:
        return 0.3


def wait_for_store(app, timeout: float = 30.0) -> bool:
    """On a worker thread: wait until the app has opened its store (it may
    paint the home screen first, see AtendeApp.ensure_store). False if it
    never did (the app is leaving)."""
    ready = getattr(app, "store_ready", None)
    if ready is None:
        return True
    return ready.wait(timeout) and not getattr(app, "store_failed", False)


AREAS_CSS = str(Path(__file__).with_name("areas.tcss"))
"""The work areas' styles. Textual reads a screen's CSS_PATH when the screen is
first pushed, so the home screen paints without parsing them."""


def answer_if_newest(app, callback: Callable, *args) -> None:
    """From an exclusive thread worker: run `callback(*args)` on the UI thread,
    unless a newer worker of the same group started meanwhile. Textual only
    marks the older worker cancelled; its thread runs on, and its answer (a
    live refresh read before a change) could arrive after the newer one's."""
    from textual.worker import get_current_worker

    worker = get_current_worker()
    app.call_from_thread(lambda: None if worker.is_cancelled else callback(*args))


def failure_message(error: BaseException, where: str) -> str:
    """One line for a person about `error`, met by `where`. An AtendeError
    says its own message; anything else is logged with its traceback, and
    the line is the store's own message for a database failure (locked,
    disk full) or "internal error (...); details in <log>"."""
    from services.core.errors import AtendeError
    from services.core.logs import internal_error, logger
    from services.store.database import explain

    if isinstance(error, AtendeError):
        message = error.message
    else:
        message = explain(error)
        if message is None:
            message = internal_error(error, where)
        else:
            logger().error("%s: %s", where, message, exc_info=(type(error), error, error.__traceback__))
    return " ".join(str(message).split())


class WorkerErrors:
    """Mixin for a screen or widget that runs workers: a worker that fails
    with an exception it did not handle is never silent. Its error is logged
    (unless it is an AtendeError, meant for the person) and shown as one line
    in a notification, and `worker_failed` puts that line where the screen
    was waiting for the worker's answer (FAILURE_STATUS: the worker's group
    -> the selector of a Static or Label), so no panel stays empty or says
    "Loading..." forever. Textual only marks such a worker as failed (the
    workers are started with exit_on_error=False, so that one fault does not
    close the application)."""

    FAILURE_STATUS: dict[str, str] = {}

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        worker = event.worker
        said = self.app.__dict__.setdefault("_worker_failures_said", {})
        key = (id(self), worker.group)
        if event.state == WorkerState.SUCCESS:
            said.pop(key, None)  # it works again: a new failure is news
            return
        if event.state != WorkerState.ERROR or worker.error is None:
            return
        message = failure_message(worker.error, f"{type(self).__name__} worker {worker.group}")
        # a refresh failing over and over (or two panels failing alike) is said once, until it works
        # again; a write (call_service) is asked for by the person each time, and answered each time
        if message not in said.values() or worker.group in self.__dict__.get("_service_writes", ()):
            self.app.notify(message, severity="error", markup=False, timeout=10)
        said[key] = message
        if self.is_attached:
            self.worker_failed(worker.group, message)

    def worker_failed(self, group: str, message: str) -> None:
        """Show `message` where the answer of the failed `group` worker was awaited."""
        from rich.text import Text

        selector = self.FAILURE_STATUS.get(group)
        if selector:
            for widget in self.query(selector):
                widget.update(Text("⚠ " + message))

    def call_service(self, group: str, fn: Callable, *args, on_answer: Callable | None = None,
                     fields: DOMNode | None = None, on_error: Callable | None = None, quiet: bool = False,
                     write: bool = False, each: bool = False, executor=None):
        """Call `fn(*args)` (a service) off the UI thread, in a worker of `group`,
        and give its answer to `on_answer(result)` on the UI thread. The one
        way a screen calls a service:

        - A read (the default) is exclusive: a newer call of the same group
          cancels the older one, whose answer is dropped even if its thread
          (which runs on) answers last (answer_if_newest).
        - A write (`write=True`: it takes the write lock or copies files) is
          never cancelled by another call: while one of its group runs, a new
          call is ignored (returns None), so a key pressed twice writes once.
          With `each=True` every call of the group runs and is answered, none
          cancelled or ignored (a check-in desk's scans: each a different
          badge, each written).
        - An AtendeError is the person's answer: a ValidationError whose fields
          are in `fields` shows under them (their old errors are cleared by
          any answer), anything else as one notice; `quiet` shows nothing.
          Then `on_error(exc)` runs, for the screen's own clean-up.
        - Any other error reaches WorkerErrors (logged, one line, the
          FAILURE_STATUS of `group`, the screen's `worker_failed`).

        `executor` runs `fn` on that executor's thread instead of the worker's
        own (one kept connection for a search typed key by key). Returns the
        worker, or None when a write of `group` was already running."""
        from services.core.errors import AtendeError

        if write:
            if self.service_running(group) and not each:
                return None
            self.__dict__.setdefault("_service_writes", set()).add(group)

        def answered(result) -> None:
            if not self.is_attached:  # its screen has gone meanwhile
                return
            if write and self._answer_later(lambda: answered(result)):
                return
            if fields is not None:
                from tui.forms import clear_errors

                clear_errors(fields)
            if on_answer is not None:
                on_answer(result)

        def refused(exc: AtendeError) -> None:
            if not self.is_attached:
                return
            if write and self._answer_later(lambda: refused(exc)):
                return
            if not quiet:
                self.show_refusal(exc, fields)
            if on_error is not None:
                on_error(exc)

        if executor is None:
            def work() -> None:
                try:
                    result = fn(*args)
                except AtendeError as exc:
                    answer_if_newest(self.app, refused, exc)
                    return
                answer_if_newest(self.app, answered, result)

            worker = self.run_worker(work, name=getattr(fn, "__name__", group), group=group, exclusive=not write,
                                     thread=True, exit_on_error=False)
        else:
            async def work() -> None:
                import asyncio
                import functools

                try:  # a newer call cancels this one at the await: its answer never comes
                    result = await asyncio.get_running_loop().run_in_executor(executor, functools.partial(fn, *args))
                except AtendeError as exc:
                    refused(exc)
                    return
                answered(result)

            worker = self.run_worker(work, name=getattr(fn, "__name__", group), group=group, exclusive=not write,
                                     exit_on_error=False)
        self.__dict__.setdefault("_service_calls", {})[group] = worker
        return worker

    def _answer_later(self, answer: Callable[[], None]) -> bool:
        """A write's answer (it may close its screen: `dismiss` closes the
        screen on top) waits while another screen is open over its own (the
        help, the command palette); True if it has to wait."""
        screen = self.screen
        if screen is self.app.screen:
            return False
        screen.__dict__.setdefault("_answers_waiting", []).append(answer)
        return True

    def on_screen_resume(self) -> None:
        """Its screen is on top again: the writes' answers kept meanwhile."""
        waiting = self.__dict__.pop("_answers_waiting", ())
        for answer in waiting:
            answer()

    def service_running(self, group: str) -> bool:
        """Whether the last call_service of `group` has not finished yet
        (its answer is being given counts as not finished)."""
        worker = self.__dict__.get("_service_calls", {}).get(group)
        return worker is not None and not worker.is_finished

    def show_refusal(self, exc, fields: DOMNode | None = None) -> None:
        """An AtendeError for the person: a ValidationError under its fields
        in `fields` (when one of them is there), else one notice."""
        from services.core.errors import ValidationError

        if fields is not None and isinstance(exc, ValidationError):
            from tui.forms import show_errors

            if show_errors(fields, exc.errors):
                return
        self.app.notify(exc.message, severity="error", timeout=8, markup=False)


class PaletteCommand(NamedTuple):
    title: str
    help: str
    callback: Callable[[], object]


class AtendeScreen(WorkerErrors, TypeAhead, Screen):
    """A full screen of Atende: translated bindings, help text and palette commands."""

    HELP: str = ""
    """What this screen is for (N_ marked); shown at the top of the help screen."""
    CSS_PATH = AREAS_CSS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """Commands the command palette offers while this screen is active."""
        return ()


ResultType = TypeVar("ResultType")


class AtendeModal(WorkerErrors, TypeAhead, ModalScreen[ResultType], Generic[ResultType]):
    """A modal dialog with translated bindings."""

    HELP: str = ""
    CSS_PATH = AREAS_CSS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    def palette_commands(self) -> Iterable[PaletteCommand]:
        return ()
