"""E-mail taken in, seen from the outbox (I) at 80x24: each message and what
became of it, the ignored ones with their reason; Enter opens the ticket."""
from textual.widgets import DataTable, Static

from app import AtendeApp
from models import Queue, write_tx
from services.core.config import Config, MailInSettings, MailSettings
from services.tickets import mail_in
from tests.unit.tickets.test_mail_in import raw


async def _wait(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_mail_taken_in_lists_what_became_of_each_and_why(people):
    with write_tx():
        Queue.create(name="E-mail")
    config = Config(mail=MailSettings(sender="Suporte <suporte@atende.example>"),
                    mail_in=MailInSettings(queue="E-mail"))
    ticket = mail_in.receive(raw("alternative.eml"), config)
    mail_in.receive(raw("autoreply.eml", **{"Subject: =?UTF-8?Q?": "Subject: =?UTF-8?Q?[bold]"}), config)
    app = AtendeApp(actor=people["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(app, pilot)
        await pilot.press("f7")
        await _wait(app, pilot)
        await pilot.press("i")
        await _wait(app, pilot)
        screen = app.screen
        assert type(screen).__name__ == "MailInScreen"
        table = screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[1]) for i in range(2)] == ["ignored", "new ticket"]
        assert str(table.get_row_at(0)[4]).startswith("[bold]")  # a subject is never markup
        assert "Why: " in str(screen.query_one("#mailin-detail", Static).render())
        await pilot.press("f")  # only the ignored
        await _wait(app, pilot)
        assert table.row_count == 1
        await pilot.press("f", "f", "f")  # back to all
        await _wait(app, pilot)
        await pilot.press("down", "enter")
        await _wait(app, pilot)
        assert type(app.screen).__name__ == "TicketDetailScreen"
        assert ticket.protocol in str(app.screen.sub_title)
