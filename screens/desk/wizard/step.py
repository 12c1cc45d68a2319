"""What every step panel of the wizard is: it loads its part of the draft,
collects it back, and asks the screen (`WizardHost`) to move on, save or act."""
from __future__ import annotations

from typing import Protocol

from rich.text import Text
from textual.containers import VerticalScroll

from services.customers import contacts as contacts_svc
from services.tickets.wizard import draft as wizard_draft
from tui.base import WorkerErrors, translate_bindings


class WizardHost(Protocol):
    """What a step may use of the wizard screen (screens.desk.wizard.screen.WizardScreen)."""

    draft: wizard_draft.Draft
    customer_details: contacts_svc.CustomerDetails | None

    def update_promo(self) -> None: ...

    def schedule_save(self) -> None: ...

    def action_next(self) -> None: ...

    def action_attachment(self) -> None: ...

    def action_service_order(self) -> None: ...

    def action_task(self) -> None: ...

    def action_email(self) -> None: ...

    def action_finish(self) -> None: ...


def text_cell(value: object) -> Text:
    return Text(str(value or ""))


class Step(WorkerErrors, VerticalScroll):
    """One step of the wizard: loads its part of the draft and collects it back."""

    step_id = ""

    def __init__(self, **kwargs) -> None:
        super().__init__(id=f"step-{self.step_id}", classes="wizard-step", **kwargs)
        translate_bindings(self)

    @property
    def wiz(self) -> WizardHost:
        return self.screen  # type: ignore[return-value]

    def load(self, d: wizard_draft.Draft) -> None:
        """Show what the draft holds."""

    def collect(self, d: wizard_draft.Draft) -> wizard_draft.Draft:
        """The draft with what is typed on this step (no validation)."""
        return d

    def entered(self) -> None:
        """The step became visible: focus its first field, fetch what it needs."""

