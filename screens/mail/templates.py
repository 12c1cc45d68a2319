"""E-mail templates: the list of kinds, and an editor with a live preview."""
from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Input, Static, TextArea

from services.core import permissions
from services.core.errors import ValidationError
from services.core.i18n import N_, _
from services.mail import templates as templates_svc
from tui.base import AtendeScreen, PaletteCommand
from tui.dialogs import ConfirmDialog
from tui.forms import Field, clear_errors
from tui.table import Table


class TemplatesScreen(AtendeScreen):
    HELP = N_("The e-mail each kind of message uses, in Portuguese and English. Enter edits one.")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("enter", "edit", N_("Edit"), id="templates-edit"),
        Binding("v", "variant", N_("Variant for a type"), id="templates-variant"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        table = Table(cursor_type="row", zebra_stripes=True, id="templates-table")
        table.add_columns(_("Kind"), _("Language"), _("Event type"), _("Subject"), _("Changed"))
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = _("E-mail templates")
        self.items: list[templates_svc.TemplateInfo] = []
        self.load()
        self.query_one(DataTable).focus()

    def load(self) -> None:
        self.call_service("templates", templates_svc.list_templates, self.app.actor, on_answer=self._show)

    def _show(self, items: list[templates_svc.TemplateInfo]) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.items = items
        for i, t in enumerate(items):
            changed = f"{t.updated_at:%d/%m %H:%M} {t.updated_by}" if t.updated_at else _("default")
            table.add_row(Text(t.label), Text(t.language), Text(t.event_type or "-"), Text(t.subject),
                          Text(changed), key=str(i))
        if items:
            table.move_cursor(row=min(row, len(items) - 1))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    def action_edit(self) -> None:
        table = self.query_one(DataTable)
        if not self.items or not table.row_count:
            return
        info = self.items[table.cursor_row]
        self.app.push_screen(TemplateEditor(info), lambda saved: self.load() if saved else None)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "variant":
            return permissions.can(self.app.actor, "mail.templates")
        return True

    def action_variant(self) -> None:
        """Write a version of an event e-mail for one event type (e.g. a webinar's
        reminder that speaks of the link, not the room)."""
        table = self.query_one(DataTable)
        if not self.items or not table.row_count:
            return
        info = self.items[table.cursor_row]
        if info.kind not in templates_svc.EVENT_KINDS:
            self.notify(_("Only event e-mails have versions per event type."), severity="warning", markup=False)
            return
        from services.events import event_types
        from tui.dialogs import PickDialog

        def edit(variant: templates_svc.TemplateInfo, name: str) -> None:
            if variant.event_type != name:  # new: start from the general template's words
                variant = replace(variant, event_type=name, is_default=True, version=0,
                                  updated_at=None, updated_by="")
            self.app.push_screen(TemplateEditor(variant), lambda saved: self.load() if saved else None)

        def chosen(name: str | None) -> None:
            if name is not None:
                self.call_service("template-variant", templates_svc.effective, info.kind, info.language, name,
                                  on_answer=lambda variant: edit(variant, name))

        def pick(types: list) -> None:
            if not types:
                self.notify(_("There are no event types yet."), severity="warning", markup=False)
                return
            self.app.push_screen(PickDialog(_("{kind} ({language}) for which event type?").format(
                kind=info.label, language=info.language), [(t.name, t.name) for t in types]), chosen)

        self.call_service("template-types", event_types.list_types, self.app.actor, on_answer=pick)


class TemplateEditor(AtendeScreen):
    HELP = N_("Edit the subject and text; names in braces such as {participant_name} are filled in "
              "for each e-mail. The preview below uses example values.")
    BINDINGS = [
        Binding("escape", "close", N_("Back")),
        Binding("ctrl+s", "save", N_("Save"), id="template-save"),
        Binding("ctrl+o", "reset", N_("Default"), id="template-reset"),
    ]

    def __init__(self, info: templates_svc.TemplateInfo) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        yield Header()
        with Vertical(id="template-editor"):
            names = " ".join("{" + n + "}" for n in info.placeholders)
            yield Static(_("Placeholders: {names}").format(names=names), id="template-names", markup=False)
            yield Field(_("Subject"), Input(info.subject, id="template-subject"), name="subject")
            yield Field(_("Text"), TextArea(info.body_text, id="template-text", soft_wrap=True), name="text")
            yield Static("", id="template-preview", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.info.label} · {self.info.language}" + (
            f" · {self.info.event_type}" if self.info.event_type else "")
        self.query_one("#template-subject", Input).focus()
        self.refresh_preview()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("save", "reset"):
            return permissions.can(self.app.actor, "mail.templates")
        return True

    def _values(self) -> tuple[str, str]:
        return self.query_one("#template-subject", Input).value, self.query_one("#template-text", TextArea).text

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_preview()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """Render with example values as the person types; broken placeholders show at once."""
        subject, text = self._values()
        clear_errors(self)
        preview = self.query_one("#template-preview", Static)
        try:
            rendered = templates_svc.preview(self.info.kind, self.info.language, subject, text, "")
        except ValidationError as exc:
            show_errors_quietly(self, exc.errors)
            preview.update(_("Preview unavailable: fix the placeholders above."))
            return
        preview.update(_("Preview") + f"\n{rendered.subject}\n\n{rendered.text}")

    def action_save(self) -> None:
        subject, text = self._values()
        actor, info = self.app.actor, self.info
        self.call_service("template-save", lambda: templates_svc.save_template(
            actor, info.kind, info.language, subject, text, info.body_html, event_type=info.event_type,
            version=info.version), on_answer=self._saved, fields=self, write=True)

    def _saved(self, info) -> None:
        self.info = info
        self.notify(_("Template saved."), markup=False)
        self.dismiss(True)

    def action_reset(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                actor, info = self.app.actor, self.info
                self.call_service("template-reset", templates_svc.reset_template, actor, info.kind, info.language,
                                  info.event_type, on_answer=lambda _none: self._reset(), write=True)

        self.app.push_screen(ConfirmDialog(_("Drop the edits and use the shipped template again?")), confirmed)

    def _reset(self) -> None:
        self.notify(_("The shipped template applies again."), markup=False)
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)

    def palette_commands(self):
        if permissions.can(self.app.actor, "mail.templates"):
            yield PaletteCommand(_("Save the template"), _("Keep these edits"), self.action_save)
            yield PaletteCommand(_("Use the shipped template"), _("Drop the edits of this template"),
                                 self.action_reset)


def show_errors_quietly(container, errors: dict[str, str]) -> None:
    """Show field errors without moving the focus (the person is still typing)."""
    for field in container.query(Field):
        field.set_error(errors.get(field.field_name))
