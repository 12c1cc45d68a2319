"""Base classes shared by every screen."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Generic, Iterable, NamedTuple, TypeVar

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


class PaletteCommand(NamedTuple):
    title: str
    help: str
    callback: Callable[[], object]


class AtendeScreen(Screen):
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


class AtendeModal(ModalScreen[ResultType], Generic[ResultType]):
    """A modal dialog with translated bindings."""

    HELP: str = ""
    CSS_PATH = AREAS_CSS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    def palette_commands(self) -> Iterable[PaletteCommand]:
        return ()
