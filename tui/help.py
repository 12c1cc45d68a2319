"""The help screen (`?` / F1): what the current screen is for and its keys."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from services.core.i18n import N_, _

from .base import AtendeModal

TEXTUAL_KEYS = (
    N_("Focus Next"), N_("Focus Previous"), N_("Copy selected text"), N_("Up"), N_("Down"),
    N_("Scroll Up"), N_("Scroll Down"), N_("Scroll Left"), N_("Scroll Right"), N_("Scroll Home"),
    N_("Scroll End"), N_("Page Up"), N_("Page Down"), N_("Page Left"), N_("Page Right"), N_("First"),
    N_("Last"), N_("Select"), N_("Cursor up"), N_("Cursor down"), N_("Cursor left"), N_("Cursor right"),
    N_("Top"), N_("Bottom"), N_("Home"), N_("End"), N_("Page up"), N_("Page down"), N_("Next tab"),
    N_("Previous tab"), N_("Toggle"), N_("Press button"), N_("Submit"), N_("Show menu"), N_("Select all"),
    N_("Cut selected text"), N_("Paste text from the clipboard"), N_("Delete character left"),
    N_("Delete character right"), N_("Move cursor left"), N_("Move cursor left a word"), N_("Go to start"),
    N_("Go to end"), N_("Delete all to the right"), N_("Select line start"), N_("Select line end"),
    N_("select word"),
)
"""The descriptions of Textual's own keys (widgets' arrows, paging, focus),
listed here so the help shows them in the person's language."""


def binding_rows(screen: Screen) -> list[tuple[str, str]]:
    """(key, description) of every binding active on `screen`, screen first."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    app = screen.app

    def rank(item) -> int:
        # This screen's keys first, then the application's, then the focused
        # widget's generic ones (arrows, paging).
        node = item[1].node
        return 0 if node is screen else 1 if node is app else 2

    for _key, active in sorted(screen.active_bindings.items(), key=rank):
        binding = active.binding
        if not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        rows.append((app.get_key_display(binding), _(binding.description)))
    return rows


class HelpScreen(AtendeModal[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; padding: 1 0 0 0; }
    HelpScreen #help-about { color: $text-muted; padding-bottom: 1; }
    HelpScreen VerticalScroll { height: auto; max-height: 18; }
    HelpScreen #help-close { color: $text-muted; padding: 1 0 0 0; }
    """
    BINDINGS = [
        Binding("escape,f1,question_mark,q", "close", N_("Close"), show=False),
    ]

    def __init__(self, target: Screen) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        about = getattr(self.target, "HELP", "")
        with Vertical():
            yield Label(_("Keys on this screen"), id="help-title")
            if about:
                yield Static(_(about), id="help-about", markup=False)
            table = Text()
            for key, desc in binding_rows(self.target):
                table.append(f"{key:>14}  ", style="bold")
                table.append(f"{desc}\n")
            with VerticalScroll():
                yield Static(table)
            yield Static(_("Ctrl+P opens the command palette. Esc closes this help."), id="help-close")

    def action_close(self) -> None:
        self.dismiss(None)
