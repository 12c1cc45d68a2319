"""Reusable modal dialogs, and the saving of a form off the UI thread
(ThreadedSave) that the dialog of fields (FormDialog) and form screens share."""
from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from services.core.errors import AtendeError, NeedsConfirmation, ValidationError
from services.core.i18n import N_, _
from tui.base import AtendeModal, ResultType
from tui.forms import Field, clear_errors, show_errors


class ConfirmDialog(AtendeModal[bool]):
    """Ask a yes/no question; dismisses with True or False."""

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: 60; max-width: 100%; height: auto; padding: 1 2;
        border: thick $primary; background: $panel;
    }
    ConfirmDialog #question { margin-bottom: 1; }
    ConfirmDialog Horizontal { height: auto; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("escape", "answer(False)", N_("Cancel")),
        Binding("y", "answer(True)", N_("Yes"), show=False),
        Binding("n", "answer(False)", N_("No"), show=False),
    ]

    def __init__(self, question: str, yes: str | None = None, no: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.yes = yes or _("Yes")
        self.no = no or _("No")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question", markup=False)
            with Horizontal():
                yield Button(self.no, id="no")
                yield Button(self.yes, id="yes", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class MessageDialog(AtendeModal[None]):
    """Show a message (such as a protocol number) until the person acknowledges it."""

    DEFAULT_CSS = """
    MessageDialog { align: center middle; }
    MessageDialog > Vertical {
        width: 64; max-width: 100%; height: auto; padding: 1 2;
        border: thick $primary; background: $panel;
    }
    MessageDialog #title { text-style: bold; margin-bottom: 1; }
    MessageDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "close", N_("Close"))]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="title", markup=False)
            yield Static(self.body, markup=False)
            with Horizontal():
                yield Button(_("OK"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ChoiceDialog(AtendeModal[str | None]):
    """Ask a question with several answers (buttons); dismisses with the chosen key, or None on Esc."""

    DEFAULT_CSS = """
    ChoiceDialog { align: center middle; }
    ChoiceDialog > Vertical {
        width: 70; max-width: 100%; height: auto; padding: 1 2;
        border: thick $primary; background: $panel;
    }
    ChoiceDialog #question { margin-bottom: 1; }
    ChoiceDialog Horizontal { height: auto; align-horizontal: right; }
    ChoiceDialog Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, question: str, choices: list[tuple[str, str]], default: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.choices = choices
        self.default = default or (choices[-1][0] if choices else None)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question", markup=False)
            with Horizontal():
                for key, label in self.choices:
                    yield Button(label, id=f"choice-{key}",
                                 variant="primary" if key == self.default else "default")

    def on_mount(self) -> None:
        if self.default:
            self.query_one(f"#choice-{self.default}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id.removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickDialog(AtendeModal[str | None]):
    """Pick one of a list (names come from people, so never markup); dismisses
    with the chosen key, or None on Esc."""

    DEFAULT_CSS = """
    PickDialog { align: center middle; }
    PickDialog > Vertical { width: 60; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    PickDialog OptionList { height: auto; max-height: 12; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            yield OptionList(*(Option(Text(label), id=key) for key, label in self.choices))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class WriteDialog(AtendeModal[str | None]):
    """Write a message (a reply, a note, a contact's message): Ctrl+S keeps it,
    Esc cancels. Opened again with the text and the errors of a refused save,
    so nothing typed is lost. `warning` draws it in the warning colour."""

    DEFAULT_CSS = """
    WriteDialog { align: center middle; }
    WriteDialog > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    WriteDialog.-warning > Vertical { border: thick $warning; }
    WriteDialog TextArea { height: 10; }
    WriteDialog .dialog-title { text-style: bold; padding: 1 0 0 0; }
    """
    BINDINGS = [Binding("ctrl+s", "save", N_("Save")), Binding("escape", "cancel", N_("Cancel"))]
    HINT = N_("Ctrl+S saves; Esc cancels.")

    def __init__(self, title: str, text: str = "", errors: dict[str, str] | None = None, *,
                 warning: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.errors = errors or {}
        self.set_class(warning, "-warning")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Field(_("Message"), TextArea(id="write-body"), name="body")
            yield Static(_(self.HINT), markup=False)

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        if self.text:
            area.load_text(self.text)
        area.focus()
        if self.errors:
            self.call_after_refresh(show_errors, self, self.errors)

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ThreadedSave:
    """Saving a form off the UI thread, for a dialog or a screen.

    `submit()` reads the fields (on the UI thread) and returns the call that
    saves them; `action_save` runs that call in a thread (call_service, a
    write), so a store busy with another writer never freezes the screen. A
    ValidationError comes back under its fields (what was typed stays), any
    other error as one line; the result dismisses the screen. A second save
    while one runs is ignored: nothing is saved twice."""

    INVALID_NOTICE: str | None = None  # also said in one line when fields are marked (a long form)
    confirmed = False
    """Set once the person said yes to a NeedsConfirmation: `submit()` passes it on."""

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
        """An error of the save: under its fields when they are on the form, else
        one line; a question (NeedsConfirmation) is asked, and a yes saves again."""
        if isinstance(exc, NeedsConfirmation):
            def answered(yes: bool | None) -> None:
                if yes:
                    self.confirmed = True
                    self.action_save()

            self.app.push_screen(ConfirmDialog(exc.message), answered)
            return
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
