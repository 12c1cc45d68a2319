"""One event: its registrations, its preparation checklist and its materials."""
from __future__ import annotations

import json
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from screens.events.checkin import CheckinScreen
from screens.events.dialogs import PathDialog, RegistrationForm, StageDialog
from screens.events.form import EventFormScreen
from screens.events.moves import MovesEvents, change_refusal
from services.core import files as intake
from services.core import permissions, validation
from services.core.i18n import N_, _
from services.events import fields, issuing, materials, pipeline, preparation, privacy, queries, stages
from services.events import imports as imp
from services.events import registrations as er
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import ConfirmDialog, MessageDialog
from tui.live import LiveScreen, PeersBar, keep_cursor
from tui.table import Table


def summary(e: queries.EventInfo) -> Text:
    text = Text()
    text.append(f"#{e.id} ", style="dim")
    text.append(e.description, style="bold")
    text.append(f"  {stages.stage_label(e.stage)} · {stages.status_label(e.status)}\n", style="bold")
    when = f"{fields.format_datetime(e.starts_at)} – {fields.format_datetime(e.ends_at)}"
    text.append(f"{when} · {e.type_name} ({stages.format_label(e.format)}) · {e.responsible_name}\n")
    text.append(_("Seats: {seats}").format(seats=e.seats_text()))
    if e.client:
        text.append(" · " + e.client)
    if e.address:
        text.append(" · " + e.address)
    if e.access_link:
        text.append(" · " + e.access_link)
    if e.main_id:
        text.append("\n" + _("Secondary of #{id} {event}").format(id=e.main_id, event=e.main_description), style="dim")
    elif e.secondary_ids:
        text.append("\n" + _("Registrations are replicated to: {ids}").format(
            ids=", ".join(f"#{i}" for i in e.secondary_ids)), style="dim")
    return text


def read_event(actor, event_id: int) -> tuple:
    """Everything the event's screen shows, read in one go (off the UI thread)."""
    return (queries.get_event(actor, event_id), er.list_registrations(actor, event_id),
            preparation.get_task(actor, event_id), materials.list_materials(actor, event_id),
            issuing.without_cpf(actor, event_id))


class EventDetailScreen(MovesEvents, LiveScreen, AtendeScreen):
    HELP = N_("An event's registrations, preparation checklist, materials and certificates (keys 1 to 4 "
              "switch between them). A registers a participant, I imports a CSV, C opens check-in, ] and [ move "
              "the event through the pipeline, P corrects the selected participant's CPF.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("a", "add", N_("Register"), id="event-register"),
        Binding("c", "checkin", N_("Check-in"), id="event-checkin"),
        Binding("e", "edit", N_("Edit"), id="event-edit"),
        Binding("right_square_bracket", "move(1)", N_("Next stage"), id="event-forward"),
        Binding("o", "status", N_("Status"), id="event-status"),
        Binding("left_square_bracket", "move(-1)", N_("Back a stage"), show=False, id="event-back"),
        Binding("i", "import_csv", N_("Import"), id="event-import", show=False),
        Binding("1", "tab('tab-registrations')", N_("Registrations"), show=False),
        Binding("2", "tab('tab-checklist')", N_("Checklist"), show=False),
        Binding("3", "tab('tab-materials')", N_("Materials"), show=False),
        Binding("4", "tab('tab-certificates')", N_("Certificates"), show=False),
        Binding("p", "fix_cpf", N_("Correct CPF"), id="event-fix-cpf", show=False),
        Binding("x", "cancel_registration", N_("Cancel registration"), id="event-unregister", show=False),
        Binding("s", "stage", N_("Registration stage"), id="event-reg-stage", show=False),
        Binding("space", "toggle_item", N_("Tick item"), id="event-tick", show=False),
        Binding("f", "attach", N_("Attach file"), id="event-attach", show=False),
        Binding("m", "send_materials", N_("Send materials"), id="event-materials", show=False),
        Binding("r", "resend", N_("Resend e-mail"), id="event-resend", show=False),
        Binding("ctrl+e", "export_data", N_("Export participant data"), id="event-export", show=False),
        Binding("ctrl+d", "erase_data", N_("Erase participant data"), id="event-erase", show=False),
        Binding("ctrl+r", "reload", N_("Refresh"), show=False),
    ]
    LIVE_TOPICS = frozenset({"data", "presence"})
    PRESENCE_NAME = N_("Event")
    FAILURE_STATUS = {"event-detail": "#event-summary"}

    def __init__(self, event_id: int) -> None:
        super().__init__()
        self.event_id = event_id
        self.event: queries.EventInfo | None = None
        self.registrations: list[er.RegistrationInfo] = []
        self.prep_task: preparation.TaskInfo | None = None
        self.pending: list = []
        """Actions asked for before the event was loaded (or while a move ran); run once it is."""
        self._moving = self._move_reloading = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield PeersBar(id="event-peers")
        yield Static("", id="event-summary")
        with TabbedContent(id="event-tabs"):
            with TabPane(_("Registrations"), id="tab-registrations"):
                yield Table(cursor_type="row", zebra_stripes=True, id="registrations")
            with TabPane(_("Checklist"), id="tab-checklist"):
                yield Static("", id="preparation", classes="muted", markup=False)
                yield OptionList(id="checklist")
            with TabPane(_("Materials"), id="tab-materials"):
                yield Static(_("F attaches a file; M sends the materials to everyone waiting for them (after the "
                               "event is held)."), classes="muted", markup=False)
                materials = Table(cursor_type="row", id="materials")
                materials.add_columns(_("File"), _("Size"), _("Added"))
                yield materials
            with TabPane(_("Certificates"), id="tab-certificates"):
                yield Static("", id="no-cpf", markup=False)
                missing = Table(cursor_type="row", id="missing-cpf")
                missing.add_columns(_("Name"), _("E-mail"), _("CPF"))
                yield missing
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("Event")
        self.query_one("#registrations", DataTable).focus()
        self.load()
        for bar in self.query(PeersBar):
            bar.look("event", self.event_id)

    def on_screen_resume(self) -> None:
        self.load()

    def presence_place(self):
        return ("event", self.event_id, self.event.description if self.event else "")

    def live_reload(self, topics: frozenset[str]) -> None:
        if "data" in topics:
            self.load()
        if "presence" in topics:
            for bar in self.query(PeersBar):
                bar.look("event", self.event_id)

    # ----------------------------------------------------------------- data

    def load(self) -> None:
        # Only the newest load answers (a live refresh read before a move must not:
        # the keys waiting for the move would act on the event as it was).
        self.call_service("event-detail", read_event, self.app.actor, self.event_id,
                          on_answer=lambda answer: self._show(*answer))

    def _show(self, event, regs, task, materials, no_cpf=()) -> None:
        self.event, self.registrations, self.prep_task = event, regs, task
        if self._move_reloading:
            self._moving = self._move_reloading = False
        self.refresh_bindings()
        self.sub_title = event.description
        self.query_one("#event-summary", Static).update(summary(event))
        self._show_registrations()
        pending, self.pending = self.pending, []
        for action in pending:
            action()
        checklist = self.query_one("#checklist", OptionList)
        highlighted = checklist.highlighted
        prep = self.query_one("#preparation", Static)
        if task is None:
            prep.update(_("The preparation task is created when the event enters Preparation."))
            checklist.set_options([])
        else:
            prep.update(f"{task.title} · {task.assignee_name} · {task.done}/{len(task.items)}\n{task.preparation}")
            checklist.set_options([Option(Text(("☑ " if i.done else "☐ ") + i.text
                                                 + (f"  ({i.done_by})" if i.done else "")), id=str(i.id))
                                   for i in task.items])
            if task.items:
                checklist.highlighted = min(highlighted or 0, len(task.items) - 1)
        if no_cpf:
            lines = [_("No certificate for these participants: no valid CPF. P corrects the CPF of the one "
                       "selected, and the next round of the worker issues the certificate.")]
        else:
            lines = [_("Everyone who came has a valid CPF for the certificate.")]
        self.query_one("#no-cpf", Static).update("\n".join(lines))
        missing = self.query_one("#missing-cpf", DataTable)

        def fill(table: DataTable) -> None:
            for m in no_cpf:
                table.add_row(Text(m.name), Text(m.email), Text(m.cpf or "-"), key=str(m.registration_id))

        keep_cursor(missing, fill)
        missing.display = bool(no_cpf)
        mtable = self.query_one("#materials", DataTable)
        mtable.clear()
        for m in materials:
            mtable.add_row(Text(m.filename), Text(f"{m.size / 1024:.1f} KB"), Text(f"{m.added_at:%d/%m %H:%M}"),
                           key=str(m.id))

    def _show_registrations(self) -> None:
        regs = self.registrations
        table = self.query_one("#registrations", DataTable)
        row = table.cursor_row
        key = None
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self._columns(table, regs)
        for r in regs:
            came = f"{r.came_at:%d/%m %H:%M}" if r.came_at else ""
            table.add_row(Text(r.code), Text(r.name), Text(r.email), Text(r.stage_label), Text(came), key=str(r.id))
        if regs:
            # the same participant stays under the cursor when others register or cancel
            ids = [str(r.id) for r in regs]
            table.move_cursor(row=ids.index(key) if key in ids else min(row, len(regs) - 1))

    def _columns(self, table: DataTable, regs: list[er.RegistrationInfo]) -> None:
        """Clear the table and size its columns to the screen: code, stage and
        time keep their width, name and e-mail share what is left."""
        stage = max([len(_("Stage"))] + [len(r.stage_label) for r in regs])
        fixed = er.CODE_LENGTH + stage + 11
        room = max(20, self.size.width - fixed - 2 * 5 - 2)
        name = max([len(_("Name"))] + [len(r.name) for r in regs])
        email = max([len(_("E-mail"))] + [len(r.email) for r in regs])
        if name + email > room:
            name = min(name, max(room // 2, room - email))
            email = room - name
        table.clear(columns=True)
        for label, width in ((_("Code"), er.CODE_LENGTH), (_("Name"), name), (_("E-mail"), email),
                             (_("Stage"), stage), (_("Came"), 11)):
            table.add_column(label, width=width)

    def on_resize(self) -> None:
        if self.event is not None:
            self._show_registrations()

    def selected(self) -> er.RegistrationInfo | None:
        table = self.query_one("#registrations", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.registrations if str(r.id) == key), None)

    def _write(self, group: str, fn, *args, then=None) -> None:
        """Write through `fn(*args)` off the UI thread (call_service), then
        `then(result)` and read the event again."""
        def answered(result) -> None:
            if then is not None:
                then(result)
            self.load()

        self.call_service(group, fn, *args, on_answer=answered, write=True)

    # ----------------------------------------------------------------- actions

    def action_reload(self) -> None:
        self.load()

    def action_tab(self, pane: str) -> None:
        self.query_one(TabbedContent).active = pane
        target = {"tab-registrations": "#registrations", "tab-checklist": "#checklist",
                  "tab-materials": "#materials", "tab-certificates": "#missing-cpf"}[pane]
        self.query_one(target).focus()

    def _later(self, action) -> bool:
        """Keep `action` for when the event is loaded; True if it had to wait."""
        if self.event is None:
            self.pending.append(action)
            return True
        return False

    def action_add(self) -> None:
        if self._later(self.action_add):
            return

        def done(result: er.RegisterResult | None) -> None:
            if result is None:
                return
            r = result.registration
            if result.waitlisted:
                self.notify(_("The event is full: {name} is #{n} on the waiting list").format(
                    name=r.name, n=r.waitlist_position), severity="warning", markup=False)
            else:
                self.notify(_("{name} registered, code {code}").format(name=r.name, code=r.code), markup=False)
            self.load()

        self.app.push_screen(RegistrationForm(self.event), done)

    def action_checkin(self) -> None:
        self.app.push_screen(CheckinScreen(self.event_id))

    def action_edit(self, errors: dict[str, str] | None = None) -> None:
        if self._later(lambda: self.action_edit(errors)):
            return
        refusal = change_refusal(self.app.actor, self.event)
        if refusal:  # before the form opens
            self.notify(refusal, severity="warning", markup=False)
            return
        self.app.push_screen(EventFormScreen(self.event_id, errors=errors), lambda _saved: self.load())

    def action_move(self, step: int) -> None:
        if self._moving:  # ] again while a move runs: from the stage that move reaches
            self.pending.append(lambda: self.action_move(step))
            return
        if self._later(lambda: self.action_move(step)):
            return
        e = self.event
        if e.is_final:
            return
        to = stages.next_stage(e.stage) if step > 0 else stages.previous_stage(e.stage)
        if to:
            self._moving = True
            self.run_move(e, to, self._move_done, edit=self._edit_after_refusal)

    def action_status(self) -> None:
        if self._later(self.action_status):
            return
        self.run_status(self.event, lambda _moved: self.load())

    def _edit_after_refusal(self, _event, errors) -> None:
        self._moving = False  # not moved: the person edits the event instead
        self.pending.clear()
        self.action_edit(errors)

    def _move_done(self, moved) -> None:
        if moved is None:  # not moved (refused, declined, failed): what was typed after it was meant for
            self.pending.clear()  # the stage it did not reach (] again would ask the same question again)
        self._move_reloading = True  # the pending keys wait for the event as the move left it
        self.load()

    def action_import_csv(self) -> None:
        if self._later(self.action_import_csv):
            return

        def chosen(path: str | None) -> None:
            if path:
                self._write("event-import", imp.import_csv, self.app.actor, self.event_id, path, then=self._imported)

        self.app.push_screen(PathDialog(
            _("Import registrations"), _("CSV file"),
            _("Columns: name, email, phone, cpf, company, consent (sim/yes). Rows without consent are "
              "rejected."), check=lambda value: intake.check(value, "path", imp.MAX_IMPORT_BYTES)), chosen)

    def _imported(self, report: imp.ImportReport) -> None:
        lines = [_("{added} registered ({waiting} on the waiting list), {rejected} rejected, of {rows} rows.").format(
            added=report.added, waiting=report.waitlisted, rejected=len(report.rejected), rows=report.rows)]
        if report.encoding != "utf-8":
            lines.append(_("The file was read as {encoding}.").format(encoding=report.encoding))
        for row in report.rejected[:30]:
            lines.append(_("line {line}: {reason}").format(line=row.line, reason=row.reason))
        if len(report.rejected) > 30:
            lines.append(_("… and {n} more").format(n=len(report.rejected) - 30))
        self.app.push_screen(MessageDialog(_("Import report"), "\n".join(lines)))

    def action_cancel_registration(self) -> None:
        r = self.selected()
        if r is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write("event-unregister", er.cancel_registration, self.app.actor, r.id, r.version,
                            then=lambda promoted: self.notify(
                                _("Registration cancelled; {n} promoted from the waiting list").format(
                                    n=len(promoted)), markup=False))

        self.app.push_screen(ConfirmDialog(_("Cancel {name}'s registration?").format(name=r.name)), confirmed)

    def action_stage(self) -> None:
        r = self.selected()
        if r is None:
            return

        def chosen(stage: str | None) -> None:
            if stage and stage != r.stage:
                self._write("event-reg-stage", er.set_stage, self.app.actor, r.id, stage, r.version)

        self.app.push_screen(StageDialog(r), chosen)

    def action_toggle_item(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != "tab-checklist":
            return
        option = self.query_one("#checklist", OptionList).highlighted_option
        if option is not None and option.id:
            self._tick(int(option.id))

    @on(OptionList.OptionSelected, "#checklist")
    def _item_selected(self, event: OptionList.OptionSelected) -> None:
        self._tick(int(event.option.id))

    def _tick(self, item_id: int) -> None:
        # one item's tick is written once however often its key is pressed meanwhile; another item's runs
        self._write(f"event-tick-{item_id}", preparation.toggle_task_item, self.app.actor, item_id)

    def action_attach(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self._write("event-attach", materials.attach_material, self.app.actor, self.event_id, path,
                            then=lambda m: self.notify(_("Attached {file}").format(file=m.filename), markup=False))

        self.app.push_screen(PathDialog(_("Attach a material"), _("File"),
                                        _("The file is copied into Atende and sent after the event is held."),
                                        check=lambda value: intake.check(value, "path", materials.MAX_MATERIAL_BYTES)),
                             chosen)

    def action_send_materials(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write("event-materials", materials.send_materials, self.app.actor, self.event_id,
                            then=lambda n: self.notify(_("Materials sent to {n} participants").format(n=n),
                                                       markup=False))

        self.app.push_screen(ConfirmDialog(_("Send the materials to everyone waiting for them?")), confirmed)

    def action_resend(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write("event-resend", pipeline.resend_mail, self.app.actor, self.event_id,
                            then=lambda n: self.notify(_("{n} participants will be e-mailed").format(n=n),
                                                       markup=False))

        self.app.push_screen(ConfirmDialog(_("E-mail every participant the event's details again?")), confirmed)

    def action_fix_cpf(self) -> None:
        r = self.selected()
        if self.query_one(TabbedContent).active == "tab-certificates":  # the one selected in that list
            missing = self.query_one("#missing-cpf", DataTable)
            r = None
            if missing.row_count:
                key = missing.coordinate_to_cell_key(missing.cursor_coordinate).row_key.value
                r = next((x for x in self.registrations if str(x.id) == key), None)
        if r is None:
            return

        def done(value: str | None) -> None:
            if value:
                self._write("event-fix-cpf", er.update_cpf, self.app.actor, r.id, value, r.version,
                            then=lambda info: self.notify(_("CPF of {name} corrected").format(name=info.name),
                                                          markup=False))

        self.app.push_screen(PathDialog(_("CPF of {name}").format(name=r.name), _("CPF"),
                                        _("Needed for the certificate."), empty=_("CPF is required"),
                                        check=lambda v: validation.cpf(v, "cpf", True)), done)

    def action_export_data(self) -> None:
        r = self.selected()
        if r is None or not r.email:
            return

        actor = self.app.actor

        def job() -> Path:
            from models.db import sqlite_path
            from services.core import paths

            data = privacy.export_participant(actor, r.email)
            db_file = sqlite_path()
            folder = (paths.files_dir(db_file) if db_file else paths.user_data_dir()) / "exports"
            folder.mkdir(parents=True, exist_ok=True)
            dest = folder / f"participant-{r.code}.json"
            dest.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
            return dest

        self._write("event-export", job, then=lambda dest: self.app.push_screen(MessageDialog(
            _("Participant data exported"), _("Everything kept about {email} is in:\n{path}").format(
                email=r.email, path=dest))))

    def action_erase_data(self) -> None:
        r = self.selected()
        if r is None or not r.email:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write("event-erase", privacy.erase_participant, self.app.actor, r.email,
                            then=lambda rep: self.notify(
                                _("{n} registration(s) erased; {kept} keep the name and CPF their certificates "
                                  "prove.").format(n=rep.registrations, kept=rep.kept_for_certificates),
                                markup=False))

        self.app.push_screen(ConfirmDialog(
            _("Erase all personal data of {email} in every event? This cannot be undone.").format(email=r.email)),
            confirmed)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        actor = self.app.actor
        if action in ("export_data", "erase_data"):
            return permissions.can(actor, "registrations.privacy")
        if action == "fix_cpf":
            return permissions.can(actor, "registrations.add")
        if action in ("import_csv", "cancel_registration", "stage"):
            return permissions.can(actor, "registrations.manage")
        if action in ("edit", "move", "attach", "send_materials", "resend"):
            if not permissions.can(actor, "events.edit"):
                return False
            if action in ("edit", "move") and self.event is not None and self.event.is_final:
                return None
        return True

    def palette_commands(self):
        yield PaletteCommand(_("Register a participant"), _("Add a registration"), self.action_add)
        yield PaletteCommand(_("Check-in"), _("Open the check-in desk"), self.action_checkin)
        if permissions.can(self.app.actor, "registrations.manage"):
            yield PaletteCommand(_("Import registrations"), _("From a CSV file"), self.action_import_csv)
        if permissions.can(self.app.actor, "events.edit"):
            yield PaletteCommand(_("Attach a material"), _("A file sent after the event"), self.action_attach)
            yield PaletteCommand(_("Send materials"), _("To everyone waiting for them"), self.action_send_materials)
            yield PaletteCommand(_("Resend e-mail"), _("The event's details to every participant"), self.action_resend)
        if permissions.can(self.app.actor, "registrations.privacy"):
            yield PaletteCommand(_("Export participant data"), _("Everything kept about the selected participant"),
                                 self.action_export_data)
            yield PaletteCommand(_("Erase participant data"), _("On the participant's request"), self.action_erase_data)
