"""A TextArea that refuses a paste too large for its field instead of freezing."""
from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from services.core.i18n import _


class GuardedTextArea(TextArea):
    """`max_length` characters at most; a larger paste is refused whole (what
    was typed stays) and a `Refused` message carries the reason for the field."""

    @dataclass
    class Refused(Message):
        area: GuardedTextArea
        reason: str

    def __init__(self, text: str = "", *, max_length: int = 20_000, **kwargs) -> None:
        kwargs.setdefault("soft_wrap", True)
        kwargs.setdefault("tab_behavior", "focus")
        super().__init__(text, **kwargs)
        self.max_length = max_length

    async def _on_paste(self, event: events.Paste) -> None:
        room = self.max_length - len(self.text) + len(self.selected_text)
        if len(event.text) > room:
            event.prevent_default()
            event.stop()
            self.post_message(self.Refused(self, _(
                "Not pasted: {size:,} characters, but this field takes at most {limit:,}. "
                "What you had typed is kept.").format(size=len(event.text), limit=self.max_length)))
            return
        await super()._on_paste(event)
