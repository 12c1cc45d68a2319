"""Service levels on the desk's screens (services.tickets.sla): the time left
as the queue's column and the ticket's top line show it, and the Service
level section of a ticket's record."""
from __future__ import annotations

from rich.text import Text

from services.core.i18n import _
from services.tickets import sla

LEVEL_STYLES = {"breached": "bold red", "warning": "yellow", "paused": "dim"}
"""Time left (services.tickets.sla.Level): red past a deadline, yellow close to it, dim while paused."""


def level_cell(level: sla.Level) -> Text:
    """The time left as the queue's column shows it (the ticket's top line too)."""
    return Text(level.text, style=LEVEL_STYLES.get(level.state, ""))


def render_deadlines(d: sla.Deadlines | None) -> Text:
    """The service level of a ticket's record (`sla.describe`), coloured as the
    queue's Time left; nothing for a ticket without targets."""
    t = Text()
    if d is None:
        return t
    t.append("\n" + _("Service level") + "\n", style="bold")
    for label, parts in sla.describe(d):
        t.append(f"{label}: ", style="dim")
        for text, state in parts:
            t.append(text, style=LEVEL_STYLES.get(state, ""))
        t.append("\n")
    return t
