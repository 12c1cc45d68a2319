"""The outbox screen and the worker warning, driven with Pilot at 80x24."""
from textual.widgets import DataTable, Label, Static

from app import AtendeApp
from models import write_tx
from models.mail import Outbox
from services.mail import outbox
from services.ops import worker
from tui.worker_status import WorkerStatus


def _queue():
    with write_tx():
        # about a ticket: an event's e-mails are resent by its responsible or a supervisor (test_events_registrations)
        a = outbox.queue(to="a@example.com", subject="[bold]x [/ not markup", text="b", about=("ticket", 3))
        b = outbox.queue(to="b@example.com", subject="second", text="b", about=("ticket", 3))
    Outbox.update(state="failed", last_error="550 5.1.1 [no such] user").where(Outbox.id == b).execute()
    return a, b


async def _wait(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_outbox_lists_filters_and_retries(people):
    a, b = _queue()
    app = AtendeApp(actor=people["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(app, pilot)
        await pilot.press("f7")
        await _wait(app, pilot)
        screen = app.screen
        assert type(screen).__name__ == "OutboxScreen"
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert "[bold]x [/ not markup" in str(table.get_row_at(1)[4])
        # the failed one is first (newest); its reason is shown
        assert "550 5.1.1 [no such] user" in str(screen.query_one("#outbox-detail", Static).render())
        await pilot.press("f", "f", "f", "f")  # all -> queued -> sending -> sent -> failed
        await _wait(app, pilot)
        assert screen.state_filter == "failed" and table.row_count == 1
        await pilot.press("r")
        await _wait(app, pilot)
        assert Outbox.get_by_id(b).state == "queued"
        counts = str(screen.query_one("#outbox-counts", Label).render())
        assert "queued 2" in counts


async def test_resend_from_the_outbox(people):
    _queue()
    app = AtendeApp(actor=people["coordinator"])
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(app, pilot)
        await pilot.press("f7")
        await _wait(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("y")
        await _wait(app, pilot)
        assert Outbox.select().count() == 4


async def test_an_events_mail_resent_from_the_outbox_follows_the_events_rule(people, admin):
    """The outbox resends an event's e-mails only for its responsible or a supervisor
    (services.events.mail.resend), as the event's own screen does."""
    from services.store import users
    from tests.unit.events.test_events import make_event

    event = make_event(people["coordinator"])
    with write_tx():
        outbox.queue(to="p@example.com", subject="Confirmed", text="b", about=("event", event.id))
    users.add(admin, "t_coord2", "coordinator", name="Other Coordinator")
    for who, added in ((users.identify("t_coord2"), 0), (people["supervisor"], 1)):
        before = Outbox.select().count()
        app = AtendeApp(actor=who)
        async with app.run_test(size=(80, 24)) as pilot:
            await _wait(app, pilot)
            await pilot.press("f7")
            await _wait(app, pilot)
            await pilot.press("e")
            await pilot.pause()
            await pilot.press("y")
            await _wait(app, pilot)
            assert Outbox.select().count() == before + added, who.login
            refused = any("Only the responsible" in str(n.message) for n in app._notifications)
            assert refused == (not added), who.login


async def test_worker_warning_on_home(people):
    app = AtendeApp(actor=people["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(app, pilot)
        status = app.screen.query_one(WorkerStatus)
        assert status.running is False and status.display
        assert "atende worker" in str(status.render())
        worker.write_heartbeat()
        status.check()
        await _wait(app, pilot)
        assert status.running is True and not status.has_class("-down")


async def test_template_editor_previews_checks_and_saves(people):
    from textual.widgets import Input, TextArea

    from services.mail import templates

    app = AtendeApp(actor=people["coordinator"])
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(app, pilot)
        await pilot.press("f7")
        await _wait(app, pilot)
        await pilot.press("t")
        await _wait(app, pilot)
        assert type(app.screen).__name__ == "TemplatesScreen"
        await pilot.press("enter")
        await _wait(app, pilot)
        editor = app.screen
        assert type(editor).__name__ == "TemplateEditor"
        kind, language = editor.info.kind, editor.info.language
        editor.query_one("#template-text", TextArea).text = "Olá {participante}"
        await pilot.pause()
        assert "participante" in str(editor.query_one(".field-error", Static).render()) or \
            "participante" in "".join(str(s.render()) for s in editor.query(".field-error"))
        await pilot.press("ctrl+s")
        await _wait(app, pilot)
        assert templates.effective(kind, language).is_default  # refused, nothing saved
        editor.query_one("#template-text", TextArea).text = "Olá {participant_name}, [bold]até[/]"
        editor.query_one("#template-subject", Input).value = "Novo assunto {event_title}"
        await pilot.pause()
        assert "Olá Maria da Conceição, [bold]até[/]" in str(editor.query_one("#template-preview", Static).render())
        await pilot.press("ctrl+s")
        await _wait(app, pilot)
        saved = templates.effective(kind, language)
        assert not saved.is_default and saved.subject == "Novo assunto {event_title}"


async def test_an_event_type_gets_its_own_version_of_an_event_email(people):
    from textual.widgets import Input, TextArea

    from services.events import event_types
    from services.mail import templates
    from tui.dialogs import PickDialog

    coordinator = people["coordinator"]
    webinar = next(t for t in event_types.list_types(coordinator) if t.format == "online").name
    app = AtendeApp(actor=coordinator)
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(app, pilot)
        await pilot.press("f7")
        await _wait(app, pilot)
        await pilot.press("t")
        await _wait(app, pilot)
        screen = app.screen
        table = screen.query_one(DataTable)
        row = next(i for i, t in enumerate(screen.items) if t.kind in templates.EVENT_KINDS)
        kind, language = screen.items[row].kind, screen.items[row].language
        not_event = next(i for i, t in enumerate(screen.items) if t.kind not in templates.EVENT_KINDS)
        table.move_cursor(row=not_event)
        await pilot.press("v")  # not an event e-mail: a message, nothing opens
        await _wait(app, pilot)
        assert app.screen is screen
        table.move_cursor(row=row)
        await pilot.press("v")
        await _wait(app, pilot)
        assert isinstance(app.screen, PickDialog)
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        options.highlighted = next(i for i in range(options.option_count)
                                   if options.get_option_at_index(i).id == webinar)
        await pilot.press("enter")
        await _wait(app, pilot)
        editor = app.screen
        assert type(editor).__name__ == "TemplateEditor" and editor.info.event_type == webinar
        editor.query_one("#template-subject", Input).value = "Link do webinar: {event_title}"
        editor.query_one("#template-text", TextArea).text = "Olá {participant_name}, entre pelo link."
        await pilot.press("ctrl+s")
        await _wait(app, pilot)
        assert app.screen is screen
        assert templates.effective(kind, language, webinar).subject == "Link do webinar: {event_title}"
        assert templates.effective(kind, language).subject != "Link do webinar: {event_title}"  # general kept
        assert any(t.event_type == webinar for t in screen.items)
