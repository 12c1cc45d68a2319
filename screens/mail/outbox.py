"""The outbox: e-mail queued, sent and failed (with the reason); retry and resend."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Label, ProgressBar, Static

from services.core import permissions
from services.core.i18n import N_, _
from services.events import mail as event_mail
from services.mail import outbox as outbox_svc
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import ConfirmDialog
from tui.live import LiveScreen
from tui.table import Table
from tui.worker_status import WorkerStatus

FILTERS = (None, "queued", "sending", "sent", "failed")
STATE_STYLE = {"queued": "yellow", "sending": "cyan", "sent": "green", "failed": "bold red"}


def read_outbox(actor, state: str | None) -> tuple[list[outbox_svc.OutboxItem], dict[str, int]]:
    """The newest 500 e-mails (of `state`, or all), and how many there are of each state."""
    return outbox_svc.list_mail(actor, state=state, limit=500), outbox_svc.counts()


class OutboxScreen(LiveScreen, AtendeScreen):
    PRESENCE_NAME = N_("Outbox")
    FAILURE_STATUS = {"outbox": "#outbox-counts"}

    HELP = N_("Every e-mail Atende sends waits here until the worker sends it. Failed ones show "
              "the server's answer; retry them once the cause is fixed. I lists the e-mail taken in and what "
              "became of each (ignored ones with the reason).")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("f", "cycle_filter", N_("Filter"), id="outbox-filter"),
        Binding("r", "retry", N_("Retry"), id="outbox-retry"),
        Binding("e", "resend", N_("Resend"), id="outbox-resend"),
        Binding("t", "templates", N_("Templates"), id="outbox-templates"),
        Binding("ctrl+r", "reload", N_("Refresh"), id="outbox-refresh"),
        Binding("x", "export", N_("Export CSV"), id="outbox-export"),
        Binding("i", "taken_in", N_("Mail in"), id="outbox-taken-in"),
    ]
    REFRESH_SECONDS = 2.0

    def __init__(self, state: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state_filter: str | None = state
        self.items: list[outbox_svc.OutboxItem] = []
        self.batch_total = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="outbox-bar"):
            yield Label("", id="outbox-counts", markup=False)
            yield ProgressBar(total=1, show_eta=False, id="outbox-progress")
        table = Table(cursor_type="row", zebra_stripes=True, id="outbox-table")
        table.add_columns("#", _("State"), _("When"), _("To"), _("Subject"), _("Tries"))
        yield table
        yield Static("", id="outbox-detail", markup=False)
        yield WorkerStatus()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Outbox")
        self.query_one("#outbox-progress", ProgressBar).display = False
        self.load()
        # the worker's sends and others' retries refresh it (tui.live); a slow
        # look now and then keeps ages and the progress bar honest
        self.set_interval(30.0, self.load)
        self.query_one(DataTable).focus()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("retry", "resend"):
            return permissions.can(self.app.actor, "mail.send")
        return True

    def action_taken_in(self) -> None:
        from screens.mail.inbox import MailInScreen

        self.app.push_screen(MailInScreen())

    # ---------------------------------------------------------------- loading

    def live_reload(self, topics: frozenset[str]) -> None:
        self.load()

    def load(self) -> None:
        self.call_service("outbox", read_outbox, self.app.actor, self.state_filter,
                          on_answer=lambda answer: self._show(*answer))

    def _show(self, items: list[outbox_svc.OutboxItem], counts: dict[str, int]) -> None:
        table = self.query_one(DataTable)
        selected = self._selected()
        changed = [(m.id, m.state, m.attempts) for m in items] != [(m.id, m.state, m.attempts) for m in self.items]
        self.items = items
        if changed:
            table.clear()
            for m in items:
                when = m.sent_at or m.created_at
                to = ", ".join(m.recipients)
                table.add_row(
                    Text(str(m.id)), Text(m.state_label, style=STATE_STYLE.get(m.state, "")),
                    Text(f"{when:%d/%m %H:%M}"), Text(to if len(to) <= 30 else to[:29] + "…"),
                    Text(m.subject), Text(str(m.attempts)), key=str(m.id))
            if selected is not None:
                for row, m in enumerate(items):
                    if m.id == selected.id:
                        table.move_cursor(row=row)
                        break
        self._show_counts(counts)
        self._show_detail()

    def _show_counts(self, counts: dict[str, int]) -> None:
        label = _(outbox_svc.STATE_LABELS[self.state_filter]) if self.state_filter else _("all")
        parts = [f"{_(outbox_svc.STATE_LABELS[s])} {counts.get(s, 0)}" for s in outbox_svc.STATE_LABELS]
        self.query_one("#outbox-counts", Label).update(f"[{label}]  " + " · ".join(parts))
        pending = counts.get("queued", 0) + counts.get("sending", 0)
        bar = self.query_one("#outbox-progress", ProgressBar)
        if pending:
            # A batch is going out: progress against the most that was pending at once.
            self.batch_total = max(self.batch_total, pending)
            bar.display = True
            bar.update(total=self.batch_total, progress=self.batch_total - pending)
        else:
            self.batch_total = 0
            bar.display = False

    def _selected(self) -> outbox_svc.OutboxItem | None:
        table = self.query_one(DataTable)
        if not table.row_count or not self.items:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None
        return next((m for m in self.items if str(m.id) == key), None)

    def _show_detail(self) -> None:
        m = self._selected()
        detail = self.query_one("#outbox-detail", Static)
        if m is None:
            detail.update(_("No e-mail here yet.") if not self.items else "")
            return
        lines = [f"#{m.id} · {m.kind} · {m.state_label}"]
        if m.about_entity:
            lines[0] += f" · {m.about_entity} {m.about_id}"
        if m.state == "queued" and m.attempts:
            lines.append(_("Next try at {when}").format(when=f"{m.next_attempt_at:%d/%m %H:%M:%S}"))
        if m.last_error:
            lines.append(_("Reason: {reason}").format(reason=m.last_error))
        detail.update("\n".join(lines))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    # ---------------------------------------------------------------- actions

    def action_templates(self) -> None:
        from screens.mail.templates import TemplatesScreen

        self.app.push_screen(TemplatesScreen())

    def action_reload(self) -> None:
        self.load()

    def action_cycle_filter(self) -> None:
        index = FILTERS.index(self.state_filter)
        self.state_filter = FILTERS[(index + 1) % len(FILTERS)]
        self.items = []
        self.load()

    def action_retry(self) -> None:
        m = self._selected()
        if m is None:
            return
        if m.state != "failed":
            self.notify(_("Only a failed e-mail can be retried."), severity="warning", markup=False)
            return
        self.call_service("outbox-retry", outbox_svc.retry, self.app.actor, m.id, write=True,
                          on_answer=lambda _none: self._done(_("E-mail {id} is queued again.").format(id=m.id)))

    def _done(self, message: str) -> None:
        self.notify(message, markup=False)
        self.load()

    def action_resend(self) -> None:
        m = self._selected()
        if m is None:
            return
        if not m.about_entity:
            self.notify(_("This e-mail is not about an event or a ticket; retry it instead."),
                        severity="warning", markup=False)
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            if m.about_entity == "event":  # an event's e-mails follow the event's own rule
                resend = (event_mail.resend, self.app.actor, m.about_id)
            else:
                resend = (outbox_svc.resend, self.app.actor, m.about_entity, m.about_id)
            self.call_service("outbox-resend", *resend,
                              on_answer=lambda ids: self._done(_("{n} e-mails queued again.").format(n=len(ids))),
                              write=True)

        self.app.push_screen(ConfirmDialog(
            _("Send again the last e-mail each person got about {what} {id}?").format(
                what=m.about_entity, id=m.about_id)), confirmed)

    def palette_commands(self):
        yield PaletteCommand(_("E-mail templates"), _("See and edit the text of each kind of e-mail"),
                             self.action_templates)
        yield PaletteCommand(_("Filter the outbox"), _("All, queued, sending, sent or failed"),
                             self.action_cycle_filter)
        yield PaletteCommand(_("E-mail taken in"), _("What became of each e-mail received; why one was ignored"),
                             self.action_taken_in)
        if permissions.can(self.app.actor, "mail.send"):
            yield PaletteCommand(_("Retry the e-mail"), _("Queue the selected failed e-mail again"),
                                 self.action_retry)
            yield PaletteCommand(_("Resend e-mail"), _("Send again the last e-mails about the same event or ticket"),
                                 self.action_resend)

    def action_export(self) -> None:
        from tui.export import export_csv

        rows = [[m.id, m.state, m.kind, m.created_at.isoformat(sep=" "), ", ".join(m.recipients), m.subject,
                 m.attempts, m.last_error] for m in self.items]
        export_csv(self, ["id", "state", "kind", "created_at", "to", "subject", "attempts", "last_error"], rows,
                   default_name="outbox.csv")
