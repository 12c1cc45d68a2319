"""Form helpers: a labelled field with its error shown right under it, and
the dialog of fields with Cancel and Save that saves off the UI thread."""
from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Label, Select, Static

from services.core.errors import AtendeError, ValidationError
from services.core.i18n import N_, _
from tui.base import AtendeModal, ResultType
from tui.keys import EnterInput, focus_now


class Field(Vertical):
    """A label, an input widget and the place for that field's error message."""

    DEFAULT_CSS = """
    Field { height: auto; margin-bottom: 1; }
    Field > .field-label { color: $text-muted; }
    Field > .field-error { color: $error; height: auto; display: none; }
    Field.-invalid > .field-error { display: block; }
    Field.-unlabelled { margin-bottom: 0; }
    Field.-unlabelled > .field-label { display: none; }
    """

    def __init__(self, label: str, widget: Widget, *, name: str, focus: str | None = None, **kwargs) -> None:
        """`label` "" shows no label line; `focus` is a selector inside
        `widget` to focus on an error (for a row of several widgets)."""
        super().__init__(**kwargs)
        self.field_name = name
        self.label = label
        self.widget = widget
        self.focus_selector = focus
        if not label:
            self.add_class("-unlabelled")

    def focus_target(self) -> Widget:
        if self.focus_selector:
            return self.widget.query_one(self.focus_selector)
        return self.widget

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label", markup=False)
        yield self.widget
        yield Static("", classes="field-error", markup=False)

    def set_error(self, message: str | None) -> None:
        self.query_one(".field-error", Static).update(message or "")
        self.set_class(bool(message), "-invalid")


def show_errors(container: Widget, errors: dict[str, str]) -> bool:
    """Show each error under its field; return True if any field matched.

    Errors for fields not on the form are left for the caller to notify.
    """
    matched = False
    for field in container.query(Field):
        message = errors.get(field.field_name)
        field.set_error(message)
        if message and not matched:
            field.focus_target().focus()
        matched = matched or bool(message)
    return matched


def clear_errors(container: Widget) -> None:
    for field in container.query(Field):
        field.set_error(None)


def _plain(options) -> list:
    return [(Text(label) if isinstance(label, str) else label, value) for label, value in options]


class PlainSelect(Select):
    """A Select whose option labels show exactly as written, never read as
    markup: they are data (queue, type, technician, classification names),
    and a "[/" in one must not break the screen. Use it for every Select."""

    def __init__(self, options=(), **kwargs) -> None:
        super().__init__(_plain(options), **kwargs)

    def set_options(self, options) -> None:
        super().set_options(_plain(options))

    def _watch_expanded(self, expanded: bool) -> None:
        # Textual hands the list the focus only after the keys already read,
        # which then went to the closed field: Enter, Down and Enter typed at
        # once opened the list and chose nothing. The list takes them now.
        super()._watch_expanded(expanded)
        if expanded:
            focus_now(self.query_one("SelectOverlay"))


class FilterInput(EnterInput):
    """A filter: Enter applies it (Submitted, as any Input) and moves the
    focus to `then` at once."""

    def __init__(self, *args, then: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.then = then

    async def action_submit(self) -> None:
        await super().action_submit()
        focus_now(self.screen.query_one(self.then))


class ThreadedSave:
    """Saving a form off the UI thread, for a dialog or a screen.

    `submit()` reads the fields (on the UI thread) and returns the call that
    saves them; `action_save` runs that call in a thread (call_service, a
    write), so a store busy with another writer never freezes the screen. A
    ValidationError comes back under its fields (what was typed stays), any
    other error as one line; the result dismisses the screen. A second save
    while one runs is ignored: nothing is saved twice."""

    INVALID_NOTICE: str | None = None  # also said in one line when fields are marked (a long form)

    def submit(self) -> Callable[[], object] | None:
        raise NotImplementedError

    def action_save(self) -> None:
        if self.service_running("form-save"):
            return
        clear_errors(self)
        try:
            save = self.submit()
        except AtendeError as exc:
            self.report(exc)
            return
        if save is None:  # nothing to save yet (the form is still loading)
            return
        self.call_service("form-save", save, on_answer=self.saved, fields=self, quiet=True, on_error=self.report,
                          write=True)

    def saved(self, result) -> None:
        """After a save: close with the result."""
        self.dismiss(result)

    def report(self, exc: AtendeError) -> None:
        """An error of the save: under its fields when they are on the form, else one line."""
        if isinstance(exc, ValidationError) and show_errors(self, exc.errors):
            if self.INVALID_NOTICE:
                self.notify(_(self.INVALID_NOTICE), severity="warning", markup=False)
            return
        self.notify(exc.message, severity="error", timeout=8, markup=False)


class FormDialog(ThreadedSave, AtendeModal[ResultType]):
    """A dialog of Fields with Cancel and Save (ThreadedSave): subclasses
    compose their fields, `yield self.buttons()`, and implement `submit()`."""

    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog > Vertical { width: 64; max-width: 100%; height: auto; max-height: 100%; overflow-y: auto;
        border: thick $primary; background: $panel; padding: 0 1; }
    FormDialog .dialog-title { text-style: bold; padding: 1 0; }
    FormDialog .form-buttons { height: auto; align-horizontal: right; }
    FormDialog .form-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("ctrl+s", "save", N_("Save"), priority=True)]
    SAVE_LABEL = N_("Save")

    def buttons(self) -> Horizontal:
        return Horizontal(Button(_("Cancel"), id="cancel"),
                          Button(_(self.SAVE_LABEL), id="save", variant="primary"), classes="form-buttons")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            event.stop()
            self.action_save()
        elif event.button.id == "cancel":
            event.stop()
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)
