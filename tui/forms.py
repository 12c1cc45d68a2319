"""Form helpers: a labelled field with its error shown right under it."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Static


class Field(Vertical):
    """A label, an input widget and the place for that field's error message."""

    DEFAULT_CSS = """
    Field { height: auto; margin-bottom: 1; }
    Field > .field-label { color: $text-muted; }
    Field > .field-error { color: $error; height: auto; display: none; }
    Field.-invalid > .field-error { display: block; }
    """

    def __init__(self, label: str, widget: Widget, *, name: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.field_name = name
        self.label = label
        self.widget = widget

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
            field.widget.focus()
        matched = matched or bool(message)
    return matched


def clear_errors(container: Widget) -> None:
    for field in container.query(Field):
        field.set_error(None)
