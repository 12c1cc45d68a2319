"""One ticket to work on: a header line, its record, the thread (public replies
and internal notes set apart), its history; keys to reply, note, change status,
reassign, resend its e-mails, and to add attachments, service orders, tasks and
a parent link after the wizard finished the ticket."""
from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.desk.levels import level_cell, render_deadlines
from screens.desk.reply import Reply, ReplyDialog
from screens.desk.wizard.actions import AttachmentForm, ServiceOrderForm, TaskForm
from services.core import clock, permissions
from services.core.errors import AtendeError, Conflict, ValidationError
from services.core.i18n import N_, _
from services.mail import outbox
from services.store.database import StoreUnavailable
from services.tickets import items as ticket_items
from services.tickets import queues, records
from services.tickets import thread as ticket_thread
from services.tickets.protocol import STATUSES
from services.tickets.wizard import actions as wizard_actions
from services.tickets.wizard import draft as wizard_draft
from services.tickets.wizard import orders as wizard_orders
from tui.base import AtendeModal, AtendeScreen
from tui.dialogs import PickDialog, ThreadedSave
from tui.forms import Field, clear_errors, show_errors
from tui.live import LiveScreen, PeersBar


class StatusDialog(ThreadedSave, AtendeModal[object]):
    """Pick the next status and save it here: reopening without a reason keeps
    the dialog open with the message under the reason; closing a ticket whose
    service orders are still scheduled asks first. Dismisses with the new
    state, None (cancelled) or a Conflict for the screen to reload."""

    DEFAULT_CSS = """
    StatusDialog { align: center middle; }
    StatusDialog > Vertical { width: 60; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1; }
    StatusDialog OptionList { height: auto; max-height: 8; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, state: ticket_thread.TicketState) -> None:
        super().__init__()
        self.state = state
        self.choice: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Change status from {status} to:").format(status=_(STATUSES[self.state.status])),
                        markup=False)
            yield OptionList(*(Option(_(STATUSES[s]), id=s) for s in ticket_thread.allowed_statuses(
                self.state.status)), id="status-options")
            yield Field(_("Reason (needed to reopen)"), Input(id="status-reason"), name="reason")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.choice = event.option.id
        self.confirmed = False
        self.action_save()

    @on(Input.Submitted, "#status-reason")
    def _reason_entered(self) -> None:
        options = self.query_one(OptionList)
        if self.choice is None and options.highlighted is not None:
            self.choice = options.get_option_at_index(options.highlighted).id
        self.action_save()

    def submit(self):
        if self.choice is None:
            return None
        actor, state, choice, confirmed = self.app.actor, self.state, self.choice, self.confirmed
        reason = self.query_one("#status-reason", Input).value
        return lambda: ticket_thread.change_status(actor, state.id, choice, expected_version=state.version,
                                                   reason=reason, confirmed=confirmed)

    def report(self, exc: AtendeError) -> None:
        if isinstance(exc, Conflict):
            self.dismiss(exc)
            return
        super().report(exc)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReassignDialog(AtendeModal[str | None]):
    DEFAULT_CSS = """
    ReassignDialog { align: center middle; }
    ReassignDialog > Vertical { width: 50; max-width: 100%; height: auto; border: thick $primary;
        background: $panel; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Field(_("Login of the new responsible"), Input(id="reassign-login"), name="responsible")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def render_ticket(v: records.TicketView) -> Text:
    """The ticket's record: who, where, what, and everything attached to it."""
    t = Text()
    t.append(f"{v.protocol}  ", style="bold reverse")
    t.append(_(STATUSES.get(v.status, v.status)) + "\n\n", style="bold")

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
    for label, value in v.contact_us:
        row(label, value)
    row(_("Responsible"), v.responsible)
    row(_("Parent ticket"), v.parent)
    row(_("Linked tickets"), ", ".join(v.children))
    row(_("Opened by"), f"{v.created_by} · {v.created_at}")
    row(_("Last change"), f"{v.updated_by} · {v.updated_at}")
    t.append_text(render_deadlines(v.deadlines))
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


def render_header(v: records.TicketView, now: dt.datetime) -> Text:
    """One line that stays on screen: protocol, status, type, responsible, queue, age, time left."""
    t = Text(no_wrap=False, overflow="ellipsis")
    t.append(f" {v.protocol} ", style="bold reverse")
    t.append(" " + _(STATUSES.get(v.status, v.status)), style="bold")
    try:
        age = queues.age_text(dt.datetime.fromisoformat(v.created_at), now)
    except ValueError:
        age = ""
    for label, value in ((_("Type"), v.type), (_("Responsible"), v.responsible), (_("Queue"), v.queue),
                         (_("Age"), age)):
        if value:
            t.append(" · ", style="dim")
            t.append(f"{label}: ", style="dim")
            t.append(value)
    if v.deadlines is not None and v.deadlines.level.text:
        t.append(" · ", style="dim")
        t.append(_("Time left") + ": ", style="dim")
        t.append_text(level_cell(v.deadlines.level))
    return t


class _AfterCreation:
    """Mixin for the wizard's forms used on a finished ticket: Ctrl+S saves
    straight into the ticket (checked against the version read), off the UI
    thread (a file is copied), and the form dismisses with the ticket's new
    state. A stale version closes the form with the message naming who saved
    first; the screen reloads. `save_call()` reads the fields and returns the
    call that saves them."""

    def submit(self):
        save = self.save_call()

        def save_or_conflict():
            try:
                return save()
            except Conflict as exc:
                return exc
        return save_or_conflict


def _draft_for(state: ticket_thread.TicketState, owner: str) -> wizard_draft.Draft:
    return wizard_draft.Draft(protocol=state.protocol, ticket_id=state.id, owner=owner, created_at="")


class TicketAttachmentForm(_AfterCreation, AttachmentForm):
    """Attach a file to a finished ticket: the file is copied at once."""

    def __init__(self, state: ticket_thread.TicketState, owner: str) -> None:
        super().__init__(_draft_for(state, owner))
        self.state = state

    def fields(self) -> ComposeResult:
        yield Field(_("File (path on the server, e.g. ~/fotos/roteador.jpg)"), Input(id="path"), name="path")
        yield Field(_("Notes"), Input(id="notes", max_length=2000), name="notes")
        yield Label(_("At most {size} MB; the file is copied into Atende now.").format(
            size=wizard_actions.MAX_ATTACHMENT // (1024 * 1024)), classes="muted", markup=False)

    def save_call(self):
        actor, state, path, notes = self.app.actor, self.state, self.value("#path"), self.value("#notes")
        return lambda: ticket_items.add_attachment(actor, state.id, path, notes, expected_version=state.version)


class TicketServiceOrderForm(_AfterCreation, ServiceOrderForm):
    """Schedule a service order for a finished ticket (the technician's agenda is shown)."""

    def __init__(self, state: ticket_thread.TicketState, owner: str) -> None:
        super().__init__(_draft_for(state, owner))
        self.state = state

    def save_call(self):
        actor, state, values, confirmed = self.app.actor, self.state, self.order_values(), self.confirmed
        return lambda: ticket_items.add_service_order(
            actor, state.id, wizard_orders.make_service_order(*values, confirmed=confirmed),
            expected_version=state.version)


class TicketTaskForm(_AfterCreation, TaskForm):
    """Add a task to a finished ticket."""

    def __init__(self, state: ticket_thread.TicketState, owner: str) -> None:
        super().__init__(_draft_for(state, owner))
        self.state = state

    def save_call(self):
        actor, state = self.app.actor, self.state
        values = (self.value("#assignee"), self.value("#description"), self.value("#due"))
        return lambda: ticket_items.add_task(actor, state.id, wizard_actions.make_task(*values),
                                             expected_version=state.version)


class LinkDialog(AtendeModal["ticket_thread.TicketState | Conflict | None"]):
    """Type the protocol of the parent ticket; the reason of a refusal shows under the field."""

    DEFAULT_CSS = """
    LinkDialog { align: center middle; }
    LinkDialog > Vertical { width: 60; max-width: 100%; height: auto; border: thick $primary;
        background: $panel; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, state: ticket_thread.TicketState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Link ticket {protocol} to a parent ticket").format(protocol=self.state.protocol),
                        markup=False)
            yield Field(_("Protocol of the parent ticket"), Input(id="link-parent"), name="parent")
            yield Static(_("Enter links; Esc cancels."), classes="muted", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if self.service_running("ticket-link"):
            return
        clear_errors(self)
        actor, state, parent = self.app.actor, self.state, event.value

        def link():
            try:
                return ticket_items.link_parent(actor, state.id, parent, expected_version=state.version)
            except Conflict as exc:
                return exc

        self.call_service("ticket-link", link, on_answer=self.dismiss, quiet=True, write=True,
                          on_error=lambda exc: show_errors(self, {"parent": exc.message}))

    def action_cancel(self) -> None:
        self.dismiss(None)


def render_thread(messages: list[ticket_thread.MessageView]) -> Text:
    t = Text()
    if not messages:
        t.append(_("No messages yet.") + "\n", style="dim")
    for m in messages:
        if m.internal:
            t.append(" " + _("INTERNAL NOTE · staff only") + " ", style="bold black on yellow")
            style, bar = "yellow", "┃ "
        else:
            t.append(" " + _("PUBLIC REPLY · the customer sees it") + " ", style="bold white on blue")
            style, bar = "", "│ "
        t.append(f"  {m.author} · {m.created_at:%d/%m/%Y %H:%M}\n", style="dim")
        for line in m.body.split("\n"):
            t.append(bar, style="yellow" if m.internal else "blue")
            t.append(line + "\n", style=style)
        t.append("\n")
    return t


def render_history(entries: list[ticket_thread.HistoryEntry]) -> Text:
    t = Text()
    for e in entries:
        t.append(f"{e.at:%d/%m/%Y %H:%M} {e.login} {e.action}", style="dim")
        if e.changes:
            t.append("  " + ", ".join(f"{k}: {v}" for k, v in e.changes.items()))
        t.append("\n")
    return t


def read_ticket(actor, protocol_number: str) -> tuple:
    """The ticket's view, its state (version), its thread and its history."""
    view = records.show(actor, protocol_number)
    return (view, ticket_thread.state(actor, view.id), ticket_thread.messages(actor, view.id),
            ticket_thread.history(actor, view.id))


class TicketDetailScreen(LiveScreen, AtendeScreen):
    """A ticket being worked on."""

    HELP = N_("The top line stays: protocol, status, type, responsible, queue, age and the time left to "
              "the nearest service-level deadline (as the queue's column: yellow when close, red once past "
              "it). The record's Service level lists the first response and resolution deadlines, what was "
              "missed, and the clock paused while waiting on the customer. Arrows and PgUp/PgDn "
              "scroll; 1 jumps to the record, 2 to the thread, 3 to the history. R adds a public reply (the "
              "customer sees it), I an internal note (staff only). S changes the status, A reassigns the "
              "ticket. F attaches a file, O adds a service order, T a task, D marks a task done, L links a "
              "parent ticket, G opens the parent or a child. M queues the ticket's e-mails again (Resend "
              "e-mail). F5 reloads. Esc goes back.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("r", "reply", N_("Reply"), id="ticket-reply"),
        Binding("i", "note", N_("Internal note"), id="ticket-note"),
        Binding("s", "status", N_("Status"), id="ticket-status"),
        Binding("a", "reassign", N_("Reassign"), id="ticket-reassign"),
        Binding("f", "attach", N_("Attach file"), id="ticket-attach"),
        Binding("o", "service_order", N_("Service order"), id="ticket-service-order"),
        Binding("t", "task", N_("Task"), id="ticket-task"),
        Binding("d", "task_done", N_("Task done"), id="ticket-task-done"),
        Binding("l", "link", N_("Link parent"), id="ticket-link"),
        Binding("g", "go_linked", N_("Go to linked"), id="ticket-go-linked"),
        Binding("m", "resend_mail", N_("Resend e-mail"), id="ticket-resend-mail"),
        Binding("1", "jump('ticket-record')", N_("Record"), show=False, id="ticket-jump-record"),
        Binding("2", "jump('ticket-thread-title')", N_("Thread"), show=False, id="ticket-jump-thread"),
        Binding("3", "jump('ticket-history-title')", N_("History"), show=False, id="ticket-jump-history"),
        Binding("f5", "reload", N_("Refresh"), id="ticket-refresh"),
    ]
    LIVE_TOPICS = frozenset({"data", "presence"})
    PRESENCE_NAME = N_("Ticket")
    FAILURE_STATUS = {"ticket-detail": "#ticket-record"}

    def __init__(self, protocol_number: str) -> None:
        super().__init__()
        self.protocol_number = protocol_number
        self.ticket_id: int | None = None
        self.state: ticket_thread.TicketState | None = None
        self.view_data: records.TicketView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="ticket-header", markup=False)
        yield PeersBar(id="ticket-peers")
        with VerticalScroll(id="ticket-detail"):
            yield Static(_("Loading..."), id="ticket-record", markup=False)
            yield Label(_("Thread"), classes="box-title", id="ticket-thread-title")
            yield Static("", id="ticket-thread", markup=False)
            yield Label(_("History"), classes="box-title", id="ticket-history-title")
            yield Static("", id="ticket-history", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Ticket {protocol}").format(protocol=self.protocol_number)
        self.query_one("#ticket-detail").focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def presence_place(self):
        return ("ticket", self.ticket_id, self.protocol_number) if self.ticket_id is not None else None

    def live_reload(self, topics: frozenset[str]) -> None:
        if "data" in topics:
            self.load()  # a dialog open over this screen defers it (tui.live): its version stays
        if "presence" in topics:
            for bar in self.query(PeersBar):
                bar.look("ticket", self.ticket_id)

    def load(self) -> None:
        self.call_service("ticket-detail", read_ticket, self.app.actor, self.protocol_number,
                          on_answer=lambda answer: self._show(*answer), quiet=True,
                          on_error=lambda exc: self.query_one("#ticket-record", Static).update(exc.message))

    def _show(self, view, state, thread, hist) -> None:
        if self.ticket_id is None:
            for bar in self.query(PeersBar):
                bar.look("ticket", view.id)
        self.ticket_id = view.id
        self.state = state
        self.view_data = view
        self.query_one("#ticket-header", Static).update(render_header(view, clock.now()))
        self.refresh_bindings()  # the keys that need a loaded ticket appear in the footer
        self.query_one("#ticket-record", Static).update(render_ticket(view))
        self.query_one("#ticket-thread", Static).update(render_thread(thread))
        self.query_one("#ticket-history", Static).update(render_history(hist))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("reply", "note", "status", "reassign", "attach", "service_order", "task", "task_done",
                      "link", "go_linked"):
            return self.state is not None
        if action == "resend_mail":
            return permissions.can(self.app.actor, "mail.send") and self.state is not None
        return True

    def _failed(self, exc: AtendeError) -> None:
        self.notify(exc.message, severity="error", markup=False, timeout=8)
        if isinstance(exc, Conflict):
            self.load()

    def action_reply(self) -> None:
        self._write(internal=False)

    def action_note(self) -> None:
        self._write(internal=True)

    def _write(self, internal: bool) -> None:
        email_to = getattr(getattr(self, "view_data", None), "contact_email", "")

        def dialog(text: str = "", errors: dict[str, str] | None = None, email: bool = True) -> ReplyDialog:
            return ReplyDialog(internal, text, errors, ticket_id=self.ticket_id, email_to=email_to, email=email)

        def done(reply: Reply | None) -> None:
            if reply is None:
                return
            actor, ticket_id = self.app.actor, self.ticket_id

            def refused(exc: AtendeError) -> None:
                if isinstance(exc, ValidationError):
                    # Keep what was typed: open the dialog again with the text and the message.
                    self.app.push_screen(dialog(reply.body, exc.errors, reply.email), done)
                elif isinstance(exc, StoreUnavailable):
                    # The store cannot take it (read-only, disk full): say so and keep the text.
                    self.app.push_screen(dialog(reply.body, {"body": exc.message}, reply.email), done)
                else:
                    self._failed(exc)

            self.call_service("ticket-message", lambda: ticket_thread.add_message(
                actor, ticket_id, reply.body, internal=internal, email=reply.email),
                on_answer=lambda _message: self._saved(_("Saved.")), quiet=True, on_error=refused, write=True)

        self.app.push_screen(dialog(), done)

    def _saved(self, message: str) -> None:
        self.notify(message, markup=False)
        self.load()

    def action_resend_mail(self) -> None:
        self.call_service("ticket-resend", outbox.resend, self.app.actor, "ticket", self.state.id,
                          on_answer=self._resent, write=True)

    def _resent(self, ids: list[int]) -> None:
        if ids:
            self._saved(_("{n} e-mail(s) queued again.").format(n=len(ids)))
        else:
            self._saved(_("This ticket has no e-mail in the outbox to resend."))

    def action_status(self) -> None:
        state = self.state

        def done(result) -> None:
            if isinstance(result, AtendeError):
                self._failed(result)
            elif result is not None:
                self._saved(_("Status: {status}").format(status=_(STATUSES[result.status])))

        if not ticket_thread.allowed_statuses(state.status):
            self.notify(_("This ticket's status cannot change."), markup=False)
            return
        self.app.push_screen(StatusDialog(state), done)

    def action_reassign(self) -> None:
        state = self.state

        def done(login: str | None) -> None:
            if not login:
                return
            actor = self.app.actor
            self.call_service("ticket-reassign", lambda: ticket_thread.reassign(
                actor, state.id, login, expected_version=state.version),
                on_answer=lambda _state: self._saved(_("Reassigned.")), quiet=True, on_error=self._failed, write=True)

        self.app.push_screen(ReassignDialog(), done)

    # -- after creation: attachments, service orders, tasks, links -------------

    def action_jump(self, widget_id: str) -> None:
        scroll = self.query_one("#ticket-detail", VerticalScroll)
        scroll.scroll_to_widget(self.query_one(f"#{widget_id}"), top=True, animate=False)
        scroll.focus()

    def _item_saved(self, result, message: str) -> None:
        if result is None:
            return
        if isinstance(result, Conflict):
            self._failed(result)
            return
        self.notify(message, markup=False)
        self.load()

    def action_attach(self) -> None:
        self.app.push_screen(TicketAttachmentForm(self.state, self.app.actor.login),
                             lambda r: self._item_saved(r, _("File attached.")))

    def action_service_order(self) -> None:
        self.app.push_screen(TicketServiceOrderForm(self.state, self.app.actor.login),
                             lambda r: self._item_saved(r, _("Service order added.")))

    def action_task(self) -> None:
        self.app.push_screen(TicketTaskForm(self.state, self.app.actor.login),
                             lambda r: self._item_saved(r, _("Task added.")))

    def action_task_done(self) -> None:
        state = self.state
        items = [k for k in (self.view_data.tasks if self.view_data else []) if k.id]
        if not items:
            self.notify(_("This ticket has no tasks: T adds one."), markup=False)
            return
        choices = [(str(k.id), ("✓ " if k.done else "☐ ") + f"{k.description[:50]} · {k.assignee}"
                    + (f" · {k.due}" if k.due else "")) for k in items]
        done_by_id = {k.id: k.done for k in items}

        def chosen(key: str | None) -> None:
            if key is None:
                return
            task_id, actor = int(key), self.app.actor
            self.call_service("ticket-task-done", lambda: ticket_items.set_task_done(
                actor, state.id, task_id, not done_by_id[task_id], expected_version=state.version),
                on_answer=lambda _state: self._saved(
                    _("Task marked not done.") if done_by_id[task_id] else _("Task done.")),
                quiet=True, on_error=self._failed, write=True)

        self.app.push_screen(PickDialog(_("Enter marks the task done (or not done again):"), choices), chosen)

    def action_link(self) -> None:
        self.app.push_screen(LinkDialog(self.state), lambda r: self._item_saved(r, _("Linked.")))

    def action_go_linked(self) -> None:
        v = self.view_data
        choices = []
        if v and v.parent:
            choices.append((v.parent, _("Parent: {protocol}").format(protocol=v.parent)))
        for child in (v.children if v else []):
            choices.append((child, _("Child: {protocol}").format(protocol=child)))
        if not choices:
            self.notify(_("No linked tickets: L links this one to a parent."), markup=False)
            return

        def chosen(protocol: str | None) -> None:
            if protocol:
                self.app.push_screen(TicketDetailScreen(protocol))

        self.app.push_screen(PickDialog(_("Open a linked ticket:"), choices), chosen)
