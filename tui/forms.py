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
