"""Base classes shared by every screen."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Generic, Iterable, NamedTuple, TypeVar

from textual import events
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from services.i18n import _


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


def focus_now(widget) -> None:
    """Focus `widget` at once. Textual's `focus()` waits behind the keys
    already read, which then go to the widget left: after a key that moves
    on (the wizard's Ctrl+N), what the person typed straight away would be
    lost. A widget not focusable yet gets the focus as soon as it is."""
    screen = widget.screen
    screen.set_focus(widget)
    if screen.focused is not widget:
        widget.focus()


def answer_if_newest(app, callback: Callable, *args) -> None:
    """From an exclusive thread worker: run `callback(*args)` on the UI thread,
    unless a newer worker of the same group started meanwhile. Textual only
    marks the older worker cancelled; its thread runs on, and its answer (a
    live refresh read before a change) could arrive after the newer one's."""
    from textual.worker import get_current_worker

    worker = get_current_worker()
    app.call_from_thread(lambda: None if worker.is_cancelled else callback(*args))


def hand_key_on(event: events.Key, widget) -> events.Key:
    """Give `widget` a key that reached another one (see tui.keys); returns the key given."""
    again = events.Key(event.key, event.character)
    again._set_forwarded()  # the application read it already: to the widget, then up as usual
    again.read_for = widget
    widget.post_message(again)
    return again


class PaletteCommand(NamedTuple):
    title: str
    help: str
    callback: Callable[[], object]


class TypeAhead:
    """Keys typed right after the key that opened a screen are kept for it.

    The screen is on top at once, but none of its fields has the focus until
    it has been built, and Textual hands the keys read meanwhile to the
    screen itself, where they are lost (F2 and the file's path typed at once,
    keys arriving together over SSH). The application keeps such keys here
    (`keep_early_key`), and the first widget to get the focus receives them,
    in order, before any key read after. Keys the screen has a binding for
    are left alone, and once a widget has had the focus nothing is kept."""

    AUTO_FOCUS = ""  # Textual's auto-focus would take the focus before the screen's own choice
    _early_keys: list[events.Key] | None = None
    _had_focus = False

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_first)

    def on_screen_resume(self) -> None:
        if self._had_focus and self.focused is None:
            self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        """What Textual's auto-focus does, once the screen's own `focus()` calls had their turn."""
        if self.focused is None:
            for widget in self.query("*"):
                if widget.focusable:
                    self.set_focus(widget, scroll_visible=False)
                    break

    def keep_early_key(self, event: events.Key) -> bool:
        if self._had_focus or self.focused is not None or event.key in self.active_bindings:
            return False
        if self._early_keys is None:
            self._early_keys = []
        if len(self._early_keys) < 1000:
            self._early_keys.append(event)
        return True

    def set_focus(self, widget, scroll_visible: bool = True, from_app_focus: bool = False) -> None:
        super().set_focus(widget, scroll_visible=scroll_visible, from_app_focus=from_app_focus)
        if self.focused is None:
            return
        self._had_focus = True
        keys, self._early_keys = self._early_keys, None
        for event in keys or ():
            hand_key_on(event, self.focused)


class AtendeScreen(TypeAhead, Screen):
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


class AtendeModal(TypeAhead, ModalScreen[ResultType], Generic[ResultType]):
    """A modal dialog with translated bindings."""

    HELP: str = ""
    CSS_PATH = AREAS_CSS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    def palette_commands(self) -> Iterable[PaletteCommand]:
        return ()
