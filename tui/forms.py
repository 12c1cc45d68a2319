"""Form helpers: a labelled field with its error shown right under it, the
choice list and the filter field (the dialog of fields that saves off the UI
thread, FormDialog, is in tui.dialogs)."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, RadioSet, Select, SelectionList, Static, TextArea

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
        self._shown_for = self._values() if message else None

    def _values(self) -> tuple:
        """What the field's controls hold now."""
        out = []
        for w in self.query("Input, TextArea, Select, Checkbox, RadioSet, SelectionList"):
            if isinstance(w, TextArea):
                out.append(w.text)
            elif isinstance(w, RadioSet):
                out.append(w.pressed_index)
            elif isinstance(w, SelectionList):
                out.append(tuple(w.selected))
            else:
                out.append(w.value)
        return tuple(out)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    @on(SelectionList.SelectedChanged)
    def _edited(self) -> None:
        """The person changed what the message was about: it no longer
        describes the field, so it goes (the next save checks again). A change
        already made when the message came (a key typed just before Ctrl+S,
        its event read late) keeps it."""
        if self.has_class("-invalid") and self._values() != getattr(self, "_shown_for", None):
            self.set_error(None)


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
