"""Export any list as CSV: a dialog asks for the file (problems shown under
the field, what was typed kept), then the rows are written off the UI thread."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label

from services.core import export as export_svc
from services.core.errors import AtendeError, ValidationError
from services.core.i18n import N_, _

from .base import AtendeModal, AtendeScreen
from .forms import Field, show_errors


class ExportDialog(AtendeModal[Path | None]):
    """Ask where to write a CSV file; dismisses with the checked path or None."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        border: thick $primary; background: $panel;
    }
    ExportDialog #export-title { text-style: bold; margin-bottom: 1; }
    ExportDialog Horizontal { height: auto; align-horizontal: right; }
    ExportDialog Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel")),
        Binding("ctrl+s", "save", N_("Export"), id="export-save"),
    ]

    def __init__(self, title: str, default_name: str = "export.csv") -> None:
        super().__init__()
        self.title_text = title
        self.default_name = default_name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="export-title", markup=False)
            yield Field(_("File (CSV)"), Input(str(Path.home() / self.default_name), id="export-path"),
                        name="path")
            yield Checkbox(_("Replace it if it exists"), id="export-overwrite")
            with Horizontal():
                yield Button(_("Cancel"), id="export-cancel")
                yield Button(_("Export"), id="export-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-ok":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        text = self.query_one("#export-path", Input).value
        overwrite = self.query_one("#export-overwrite", Checkbox).value
        try:
            path = export_svc.check_path(text, overwrite=overwrite)
        except ValidationError as exc:
            show_errors(self, exc.errors)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


def export_csv(screen: AtendeScreen, columns: Sequence[str] = (), rows: Sequence[Sequence] | None = None, *,
               writer: Callable[[object], int] | None = None, default_name: str = "export.csv",
               title: str | None = None) -> None:
    """Ask for a file, then write `columns` + `rows` (the list as shown) or
    let `writer(stream)` write it (e.g. a service's export of every row)."""
    app = screen.app

    def chosen(path: Path | None) -> None:
        if path is None:
            return

        def write() -> int:
            try:
                if writer is not None:
                    return export_svc.write_with(path, writer)
                return export_svc.write_csv(path, columns, rows or [])
            except OSError as exc:  # one line for the person, as an AtendeError
                why = exc.strerror or exc
                raise AtendeError(_("Could not write {path}: {why}").format(path=path, why=why)) from exc

        # each export asked for is written, none waits for or cancels another
        screen.call_service("export-csv", write, write=True, each=True, on_answer=lambda n: app.notify(
            _("{n} rows written to {path}").format(n=n, path=path), markup=False))

    app.push_screen(ExportDialog(title or _("Export as CSV"), default_name), chosen)
