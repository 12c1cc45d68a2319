"""The service desk: open a new ticket, resume a draft, see recent tickets."""
from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from services.core import permissions
from services.core.errors import AtendeError
from services.core.i18n import N_, _
from services.mail import outbox
from services.tickets import protocol, records, wizard
from tui.base import AtendeModal, AtendeScreen, PaletteCommand
from tui.live import LiveScreen, keep_cursor
from tui.table import Table


class ResumeDialog(AtendeModal[wizard.Draft | None]):
    """Offer the person's unfinished drafts; dismisses with the one chosen, or None (later)."""

    DEFAULT_CSS = """
    ResumeDialog { align: center middle; }
    ResumeDialog > Vertical { width: 74; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $panel; padding: 0 1; }
    ResumeDialog #resume-title { text-style: bold; padding: 1 0; }
    ResumeDialog OptionList { height: auto; max-height: 12; }
    ResumeDialog .muted { padding: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "later", N_("Later"))]

    def __init__(self, drafts: list[wizard.Draft]) -> None:
        super().__init__()
        self.drafts = drafts

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("You have tickets you did not finish. Resume one?"), id="resume-title")
            options = []
            for d in self.drafts:
                who = d.customer_name or d.access_point_name or _("(nobody chosen yet)")
                prompt = Text()
                prompt.append(d.protocol, style="bold")
                prompt.append(f"  {who}  ")
                prompt.append(_(wizard.STEP_LABELS.get(d.step, d.step)), style="dim")
                options.append(Option(prompt, id=d.protocol))
            yield OptionList(*options, id="drafts")
            yield Static(_("Enter resumes the ticket with the same protocol; Esc leaves them for later."),
                         classes="muted", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(next((d for d in self.drafts if d.protocol == event.option.id), None))

    def action_later(self) -> None:
        self.dismiss(None)


class TicketViewScreen(AtendeScreen):
    """A ticket, read-only, with everything attached to it."""

    FAILURE_STATUS = {"ticket-view": "#ticket-body"}

    HELP = N_("A ticket as it was recorded. M queues its e-mails again (Resend e-mail). Esc goes back.")
    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back")),
                Binding("m", "resend_mail", N_("Resend e-mail"), id="ticket-resend-mail")]

    def __init__(self, protocol_number: str) -> None:
        super().__init__()
        self.protocol_number = protocol_number
        self.view: records.TicketView | None = None

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "resend_mail":
            return permissions.can(self.app.actor, "mail.send")
        return True

    def action_resend_mail(self) -> None:
        if self.view is None:
            return
        self.resend(self.view.id)

    @work(thread=True, exclusive=True, group="ticket-resend", exit_on_error=False)
    def resend(self, ticket_id: int) -> None:
        try:
            ids = outbox.resend(self.app.actor, "ticket", ticket_id)
        except AtendeError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error", markup=False)
            return
        if ids:
            message = _("{n} e-mail(s) queued again.").format(n=len(ids))
        else:
            message = _("This ticket has no e-mail in the outbox to resend.")
        self.app.call_from_thread(self.notify, message, markup=False)
        self.load()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="ticket-view"):
            yield Static(_("Loading..."), id="ticket-body", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Ticket {protocol}").format(protocol=self.protocol_number)
        self.query_one("#ticket-view").focus()
        self.load()

    @work(thread=True, exclusive=True, group="ticket-view", exit_on_error=False)
    def load(self) -> None:
        try:
            view = records.show(self.app.actor, self.protocol_number)
        except AtendeError as exc:
            self.app.call_from_thread(self.query_one("#ticket-body", Static).update, exc.message)
            return
        self.app.call_from_thread(self._show, view)

    def _show(self, view: records.TicketView) -> None:
        self.view = view
        self.query_one("#ticket-body", Static).update(render_ticket(view))


def render_ticket(v: records.TicketView) -> Text:
    t = Text()
    t.append(f"{v.protocol}  ", style="bold reverse")
    t.append(_(protocol.STATUSES.get(v.status, v.status)) + "\n\n", style="bold")

    def row(label: str, value: str) -> None:
        if value:
            t.append(f"{label}: ", style="dim")
            t.append(f"{value}\n")

    row(_("Customer"), v.customer)
    row(_("Access point"), v.access_point)
    row(_("Contact"), v.contact)
    row(_("Plan"), f"{v.plan} ({v.login})" if v.plan else "")
    row(_("Destination"), v.queue)
    row(_("Ticket type"), v.type)
    row(_("Responsible"), v.responsible)
    row(_("Parent ticket"), v.parent)
    row(_("Linked tickets"), ", ".join(v.children))
    row(_("Opened by"), f"{v.created_by} · {v.created_at}")
    row(_("Last change"), f"{v.updated_by} · {v.updated_at}")
    for label, body in ((_("Problem"), v.problem), (_("Checks performed"), v.checks), (_("Solution"), v.solution),
                        (_("Script report"), v.script_report)):
        if body:
            t.append(f"\n{label}\n", style="bold")
            t.append(body + "\n")
    if v.service_orders:
        t.append("\n" + _("Service orders") + "\n", style="bold")
        for o in v.service_orders:
            t.append(f"  {o.date} {o.start} +{o.duration_minutes} min · {o.technician} · {o.os_type} · "
                     f"{o.status} · {o.description}\n")
    if v.tasks:
        t.append("\n" + _("Tasks") + "\n", style="bold")
        for k in v.tasks:
            t.append("  ✓ " if k.done else "  ☐ ", style="green" if k.done else "")
            t.append(f"{k.assignee} · {k.due or '-'} · {k.description}\n", style="dim" if k.done else "")
    if v.attachments:
        t.append("\n" + _("Attachments") + "\n", style="bold")
        for a in v.attachments:
            t.append(f"  {a.name} ({a.size:,} B) {a.notes}\n")
    if v.emails:
        t.append("\n" + _("E-mails") + "\n", style="bold")
        for e in v.emails:
            state = _(outbox.STATE_LABELS.get(e.status, e.status))
            t.append(f"  {', '.join(e.recipients)} · {e.subject} · {state}\n")
    return t


class DeskScreen(LiveScreen, AtendeScreen):
    """The service desk's entry."""

    PRESENCE_NAME = N_("Service desk")
    HELP = N_("Ctrl+N opens a new ticket and reserves its protocol at once. Unfinished tickets are offered "
              "back (R). Q opens the queues. Enter opens a ticket read-only.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("ctrl+n", "new_ticket", N_("New ticket"), id="desk-new"),
        Binding("r", "resume", N_("Resume draft"), id="desk-resume"),
        Binding("f5", "refresh", N_("Refresh"), id="desk-refresh"),
        Binding("s", "scripts", N_("Scripts"), id="desk-scripts"),
        Binding("q", "queues", N_("Queues"), id="desk-queues"),
    ]

    _starting = False  # a protocol is being reserved for a new ticket

    def __init__(self, resume: wizard.Draft | None = None, offer_drafts: bool = True) -> None:
        super().__init__()
        self.rows: list[records.TicketRow] = []
        self.resume = resume
        self.offer_drafts = offer_drafts and resume is None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(_("Recent tickets"), classes="box-title")
        table = Table(cursor_type="row", zebra_stripes=True, id="recent")
        table.add_columns(_("Protocol"), _("Status"), _("Customer"), _("Type"), _("Opened"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Service desk")
        self.load()
        if self.resume is not None:
            self.open_wizard(self.resume)
        elif self.offer_drafts:
            self.check_drafts(offer=True)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "scripts":
            return permissions.can(self.app.actor, "scripts.edit")
        return True

    @work(thread=True, exclusive=True, group="desk-load", exit_on_error=False)
    def load(self) -> None:
        try:
            rows = records.list_tickets(self.app.actor, limit=200)
        except AtendeError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error", markup=False)
            return
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[records.TicketRow]) -> None:
        first = not hasattr(self, "_shown_once")
        self._shown_once = True
        self.rows = rows
        table = self.query_one("#recent", DataTable)

        def fill(table: DataTable) -> None:
            for r in rows:
                table.add_row(Text(r.protocol), Text(_(protocol.STATUSES.get(r.status, r.status))), Text(r.customer),
                              Text(r.type), Text(r.created_at[:16]), key=r.protocol)

        keep_cursor(table, fill)
        if first:
            table.focus()

    def live_reload(self, topics: frozenset[str]) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @on(DataTable.RowSelected, "#recent")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(TicketViewScreen(event.row_key.value))

    def action_new_ticket(self) -> None:
        if self._starting:
            return  # a protocol is being reserved: a second Ctrl+N (meant for the wizard) opens no second ticket
        self._starting = True
        self.start_ticket()

    @work(thread=True, exclusive=True, group="desk-new", exit_on_error=False)
    def start_ticket(self) -> None:
        try:
            draft = wizard.start(self.app.actor, self.app.config.protocol_format)
        except AtendeError as exc:
            self.app.call_from_thread(self._start_failed, exc.message)
            return
        except Exception as exc:  # a fault of ours: one line, the details in the log; Ctrl+N works again
            from services.core.logs import internal_error

            self.app.call_from_thread(self._start_failed, internal_error(exc, "desk"))
            return
        self.app.call_from_thread(self.open_wizard, draft)

    def _start_failed(self, message: str) -> None:
        self._starting = False
        self.notify(message, severity="error", markup=False)

    def open_wizard(self, draft: wizard.Draft) -> None:
        from screens.desk.wizard import WizardScreen, finished_message

        self._starting = False

        def closed(done: wizard.Finished | None) -> None:
            self.load()
            if done is not None:
                self.notify(finished_message(done), title=_("Ticket opened"), timeout=15, markup=False)

        self.app.push_screen(WizardScreen(draft), closed)

    def action_resume(self) -> None:
        self.check_drafts(offer=True, say_none=True)

    @work(thread=True, exclusive=True, group="desk-drafts", exit_on_error=False)
    def check_drafts(self, offer: bool = True, say_none: bool = False) -> None:
        try:
            drafts = wizard.pending_drafts(self.app.actor)
        except AtendeError:
            return
        if drafts and offer:
            self.app.call_from_thread(self._offer, drafts)
        elif say_none:
            self.app.call_from_thread(self.notify, _("No unfinished tickets."), markup=False)

    def _offer(self, drafts: list[wizard.Draft]) -> None:
        def chosen(d: wizard.Draft | None) -> None:
            if d is not None:
                self.open_wizard(d)

        self.app.push_screen(ResumeDialog(drafts), chosen)

    def action_queues(self) -> None:
        from screens.desk.queues import QueuesScreen

        self.app.push_screen(QueuesScreen())

    def action_scripts(self) -> None:
        from screens.desk.scripts import ScriptListScreen

        self.app.push_screen(ScriptListScreen())

    def palette_commands(self):
        yield PaletteCommand(_("New ticket"), _("Reserve a protocol and open the wizard"), self.action_new_ticket)
        yield PaletteCommand(_("Resume a draft"), _("Tickets you did not finish"), self.action_resume)
        if permissions.can(self.app.actor, "scripts.edit"):
            yield PaletteCommand(_("Scripts"), _("Edit the guided scripts"), self.action_scripts)
