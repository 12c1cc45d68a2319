"""The dialog of a public reply or an internal note on a ticket."""
from __future__ import annotations

from typing import NamedTuple

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Label, Static, TextArea

from screens.desk.canned import CANNED_BINDING, insert_canned
from services.core.i18n import N_, _
from tui.dialogs import WriteDialog
from tui.forms import Field


class Reply(NamedTuple):
    body: str
    email: bool
    """E-mail it to the ticket's contact (a public reply)."""


class ReplyDialog(WriteDialog):
    """Write a public reply or an internal note (drawn in the warning colour);
    F7 inserts a canned reply filled in for the ticket. A public reply to a
    contact with an e-mail address offers to e-mail it (ticked). Dismisses
    with a Reply, or None."""

    BINDINGS = [CANNED_BINDING]
    HINT = N_("F7 inserts a canned reply; Ctrl+S saves; Esc cancels.")

    def __init__(self, internal: bool, text: str = "", errors: dict[str, str] | None = None, *,
                 ticket_id: int | None = None, email_to: str = "", email: bool = True) -> None:
        title = (_("Internal note (staff only, the customer never sees it)") if internal
                 else _("Public reply (the customer sees it)"))
        super().__init__(title, text, errors, warning=internal)
        self.internal = internal
        self.ticket_id = ticket_id
        self.email_to = "" if internal else email_to
        self.email = email

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Field(_("Message"), TextArea(id="write-body"), name="body")
            if self.email_to:
                yield Checkbox(_("E-mail it to {address}").format(address=self.email_to), value=self.email,
                               id="reply-email")
            yield Static(_(self.HINT), markup=False)

    def action_save(self) -> None:
        boxes = self.query("#reply-email")
        self.dismiss(Reply(self.query_one(TextArea).text, bool(boxes) and boxes.first(Checkbox).value))

    def action_canned(self) -> None:
        insert_canned(self, self.query_one("#write-body", TextArea), ticket_id=self.ticket_id)
