"""Canned replies at 80x24: an agent inserts one with F7 in a reply and in
the wizard's first contact (filtered as typed, filled in, at the cursor, what
was typed kept); a lead adds one in desk setup, errors at the field."""
from __future__ import annotations

from textual.widgets import Input, Select, TextArea

from app import AtendeApp
from screens.desk.canned import CannedForm, CannedPicker, CannedScreen
from screens.desk.setup import DeskSetupScreen
from screens.desk.ticket import ReplyDialog, TicketDetailScreen
from services.tickets import canned
from tests.ui.desk.test_ticket_detail_ui import one_ticket  # noqa: F401 - a fixture
from tests.ui.desk.test_wizard_ui import SIZE, first_contact, to_first_contact, wait
from tests.ui.pilot_tools import settle


async def test_f7_in_a_reply_inserts_the_filled_in_text_at_the_cursor(make_app, admin, one_ticket):  # noqa: F811
    canned.save(admin, None, title="Saudação", body="Olá {customer}, protocolo {protocol}. [b]{agent}")
    canned.save(admin, None, title="Encerramento", body="Até logo.")
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TicketDetailScreen("P0001"))
        await settle(pilot)
        await pilot.press("r", *"Bom dia. ")
        await pilot.pause()
        assert isinstance(app.screen, ReplyDialog)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, CannedPicker)
        await pilot.press(*"sauda", "enter")  # Enter while the filter's answer comes: the reply it finds
        await settle(pilot)
        assert isinstance(app.screen, ReplyDialog)
        area = app.screen.query_one(TextArea)
        assert area.text == "Bom dia. Olá [bold]Maria[/, protocolo P0001. [b]Ana Souza"
        assert app.screen.focused is area
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("escape")  # nothing chosen: nothing changes
        await settle(pilot)
        assert area.text.endswith("Ana Souza")


async def test_f7_in_the_wizards_first_contact_fills_in_the_draft(admin, desk_with_scripts):
    canned.save(admin, None, title="Reiniciar", body="{contact}, reinicie o modem.",
                queue_id=desk_with_scripts["queue"].id)
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_first_contact(pilot, app, "Sem internet")
        await first_contact(pilot, app, wiz, desk_with_scripts)
        wiz.query_one("#solution", TextArea).focus()
        await pilot.press(*"Feito:")  # the reply is not glued to the word before it
        await pilot.press("f7")
        await wait(pilot, app)
        await pilot.press("down", "enter")  # into the list, choose the highlighted one
        await wait(pilot, app)
        assert wiz.query_one("#solution", TextArea).text == "Feito: João Gonçalves, reinicie o modem."
        assert wiz.query_one("#checks", TextArea).text == ""


async def test_a_lead_adds_a_reply_in_desk_setup_errors_at_the_field(make_app, people):
    app = make_app("t_supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DeskSetupScreen())
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert isinstance(app.screen, CannedScreen)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CannedForm)
        form.query_one("#canned-title", Input).value = "[bold]Oi"
        form.query_one("#canned-body", TextArea).load_text("Olá {cliente}")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "{cliente}" in str(form.query_one("Field.-invalid .field-error").render())
        form.query_one("#canned-body", TextArea).load_text("Olá {customer}")
        assert form.query_one("#canned-queue", Select).value is Select.NULL
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CannedScreen)
        assert [(c.title, c.queue_id) for c in canned.replies(people["supervisor"])] == [("[bold]Oi", None)]


async def test_a_public_reply_offers_to_email_the_contact_and_may_not(make_app, admin, one_ticket):  # noqa: F811
    from models import Contact, Customer, Ticket, write_tx
    from models.mail import Outbox

    with write_tx():
        t = Ticket.get_by_id(one_ticket)
        joao = Contact.create(customer=Customer.get_by_id(t.customer_id), name="João", email="joao@example.com")
        Ticket.update(contact=joao).where(Ticket.id == t.id).execute()
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(TicketDetailScreen("P0001"))
        await settle(pilot)
        await pilot.press("i")  # a note is never e-mailed: nothing offered
        await settle(pilot)
        assert not app.screen.query("#reply-email")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("r", *"Combinado por telefone.")
        await settle(pilot)
        box = app.screen.query_one("#reply-email")
        assert box.value and "joao@example.com" in str(box.label)
        box.value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("r", *"Segue por e-mail.", "ctrl+s")
        await settle(pilot)
    assert [o.subject.startswith("[#P0001]") for o in Outbox.select()] == [True]
