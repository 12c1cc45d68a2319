"""Pilot tests of Contact us at 80x24: the representative's home, new contact,
thread; the leads' setup screen."""
from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import DataTable, Input, Select, Static, TextArea

from models import Customer, Queue, Ticket, write_tx
from screens.contactus.form import NewContactScreen
from screens.contactus.home import ContactUsScreen, ProtocolDialog
from screens.contactus.setup import ContactUsAdminScreen, ItemForm
from screens.contactus.thread import ContactMessageDialog, ContactThreadScreen
from screens.home import HomeScreen
from services.contactus import catalogue, company_contacts
from services.core import clock
from services.store import settings, users
from services.tickets import thread
from tests.ui.pilot_tools import settle

NOW = dt.datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def cu(admin):
    clock.set_clock(lambda: NOW)
    with write_tx():
        fin = Queue.create(name="Financeiro")
        acme = Customer.create(kind="customer", name="Acme", name_norm="acme", doc="11222333000181",
                               doc_kind="cnpj")
        other = Customer.create(kind="customer", name="Outra", name_norm="outra")
    billing = catalogue.add_classification(admin, "Financeiro", fin.id)
    catalogue.add_subclassification(admin, billing.id, "Segunda via")
    catalogue.add_form(admin, "Telefone")
    users.add(admin, "rep", "representative", name="Rita Rep", company_id=acme.id)
    users.add(admin, "rep2", "representative", name="Otto", company_id=other.id)
    users.add(admin, "ana", "agent", name="Ana")
    users.add(admin, "gabi", "supervisor", name="Gabi")
    return {"billing": billing, "fin": fin.id}




async def new_contact(pilot, app) -> NewContactScreen:
    """The representative's new-contact form, opened with N from their home."""
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(app.screen, NewContactScreen)
    return app.screen


def rows(screen, selector="#cu-table") -> list[list[str]]:
    table = screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_representative_lands_on_contact_us_and_sends_a_contact(make_app, cu):
    app = make_app("rep")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ContactUsScreen)
        assert "No contacts here yet" in str(app.screen.query_one("#cu-empty", Static).render())
        form = await new_contact(pilot, app)
        assert form.query_one("#cu-sub-field").display and not form.query_one("#cu-form-field").display
        # send empty: every field says what is wrong, nothing is created
        await pilot.press("ctrl+s")
        await settle(pilot)
        errors = {str(e.parent.field_name) for e in form.query(".field-error") if e.parent.has_class("-invalid")}
        assert errors == {"classification", "subclassification", "contact_name", "phone", "email", "message"}
        # fill it with the keyboard: the classification select is focused first
        form.query_one("#cu-classification", Select).focus()
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert form.query_one("#cu-classification", Select).value == cu["billing"].id
        form.query_one("#cu-sub", Select).focus()
        await pilot.press("enter", "down", "enter")
        form.query_one("#cu-name", Input).focus()
        await pilot.press(*"[bold]Rita")
        form.query_one("#cu-phone", Input).focus()
        await pilot.press(*"11912345678")
        form.query_one("#cu-email", Input).focus()
        await pilot.press(*"bad")
        form.query_one("#cu-message", TextArea).focus()
        await pilot.press(*"Boleto?")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewContactScreen)  # the bad e-mail keeps the form, as typed
        assert form.query_one("#cu-email").parent.has_class("-invalid")
        assert form.query_one("#cu-message", TextArea).text == "Boleto?"
        form.query_one("#cu-email", Input).value = "rita@acme.com.br"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ContactUsScreen)
        await settle(pilot)
        table = rows(app.screen)
        assert len(table) == 1 and table[0][2] == "Financeiro" and table[0][3] == "Segunda via"
        protocol = table[0][0]
        # open it: the thread shows the message as typed
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ContactThreadScreen)
        text = " ".join(str(s.render()) for s in app.screen.query(".cu-msg-body"))
        assert "Boleto?" in text
    assert Ticket.get(Ticket.protocol == protocol).queue_id == cu["fin"]


async def test_new_contact_attachment_refuses_devices_pipes_folders_and_long_names(make_app, cu, tmp_path):
    from tests.unit.core.test_files import bad_paths

    app = make_app("rep")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await new_contact(pilot, app)
        form.query_one("#cu-classification", Select).value = cu["billing"].id
        await settle(pilot)
        form.query_one("#cu-sub", Select).value = next(
            v for _label, v in form.query_one("#cu-sub", Select)._options if v is not Select.NULL)
        form.query_one("#cu-name", Input).value = "Rita"
        form.query_one("#cu-phone", Input).value = "11912345678"
        form.query_one("#cu-email", Input).value = "rita@acme.com.br"
        form.query_one("#cu-message", TextArea).load_text("Boleto?")
        for path, word in bad_paths(tmp_path, company_contacts.MAX_ATTACHMENT).items():
            form.query_one("#cu-attachment", Input).value = path
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is form, path
            invalid = {e.parent.field_name: str(e.render()) for e in form.query(".field-error")
                       if e.parent.has_class("-invalid")}
            assert list(invalid) == ["attachment"] and word in invalid["attachment"], path
            assert form.query_one("#cu-attachment", Input).value == path  # kept
    assert not Ticket.select().where(Ticket.status == "open").exists()


async def test_names_with_markup_show_as_written_in_the_lists_to_choose_from(make_app, cu, admin):
    """A classification named "Ouvidoria [/" (a lead typed it) once stopped the representative's form:
    the choice lists read their labels as markup."""
    catalogue.add_classification(admin, "Ouvidoria [/", cu["fin"])
    catalogue.add_classification(admin, "[bold]Elogios", cu["fin"])
    app = make_app("rep")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await new_contact(pilot, app)
        select = form.query_one("#cu-classification", Select)
        select.focus()
        await pilot.press("enter")  # the list opens: every label drawn
        await settle(pilot)
        listed = [str(o.prompt) for o in select.query_one("SelectOverlay").options]
        assert "Ouvidoria [/" in listed and "[bold]Elogios" in listed
        await pilot.press("escape")
        select.value = next(c.id for c in catalogue.classifications(users.identify("rep")) if c.name == "Ouvidoria [/")
        await settle(pilot)
        assert "Ouvidoria [/" in str(select.query_one("#label", Static).render())


async def test_thread_shows_public_replies_only_and_adds_a_message(make_app, cu):
    rep = users.identify("rep")
    row = company_contacts.open_contact(rep, company_contacts.NewContact(
        classification_id=cu["billing"].id, subclassification_id=catalogue.subclassifications(rep)[0].id,
        contact_name="Rita", phone="11912345678", email="r@acme.com.br", message="Olá"))
    ana = users.identify("ana")
    thread.add_message(ana, row.ticket_id, "[red]Resposta pública[/", internal=False)
    thread.add_message(ana, row.ticket_id, "nota interna secreta", internal=True)
    app = make_app("rep")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ContactThreadScreen)
        bodies = [str(s.render()) for s in screen.query(".cu-msg-body")]
        assert bodies == ["Olá", "[red]Resposta pública[/"]
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ContactMessageDialog)
        await pilot.press("ctrl+s")  # empty: the dialog comes back with the message under the field
        await settle(pilot)
        assert isinstance(app.screen, ContactMessageDialog)
        await pilot.press(*"Obrigada", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ContactThreadScreen)
        bodies = [str(s.render()) for s in screen.query(".cu-msg-body")]
        assert bodies[-1] == "Obrigada"
        assert "secreta" not in " ".join(bodies)
    assert [m.body for m in thread.messages(ana, row.ticket_id)][-1] == "Obrigada"


async def test_views_and_protocol_of_another_company(make_app, cu):
    rep2 = users.identify("rep2")
    sub = catalogue.subclassifications(rep2)[0].id
    theirs = company_contacts.open_contact(rep2, company_contacts.NewContact(
        classification_id=cu["billing"].id, subclassification_id=sub, contact_name="Otto", phone="11912345678",
        email="o@outra.com.br", message="segredo da Outra"))
    app = make_app("rep")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert rows(app.screen) == []
        await pilot.press("f")
        await settle(pilot)
        assert "Finished" in str(app.screen.query_one("#cu-heading", Static).render())
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProtocolDialog)
        await pilot.press(*theirs.protocol, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ProtocolDialog)  # refused, with the message under the field
        error = str(app.screen.query_one(".field-error", Static).render())
        assert error == f"No contact {theirs.protocol} among your company's contacts"
        await pilot.press("escape")
        # a ticket id of another company opened directly shows the refusal, not the contact
        app.push_screen(ContactThreadScreen(theirs.ticket_id))
        await settle(pilot)
        head = str(app.screen.query_one("#cu-thread-head", Static).render())
        assert "No contact" in head and "segredo" not in head


async def test_crm_mode_form_asks_for_form_of_contact(make_app, cu, admin):
    settings.set_value(admin, "contactus.mode", "crm")
    app = make_app("rep")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await new_contact(pilot, app)
        assert not form.query_one("#cu-sub-field").display and form.query_one("#cu-form-field").display
        assert "CRM" in str(form.query_one("#cu-mode", Static).render())


async def test_a_mode_switched_while_the_form_is_open_shows_the_new_field_with_its_message(make_app, cu, admin):
    app = make_app("rep")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await new_contact(pilot, app)
        form.query_one("#cu-classification", Select).value = cu["billing"].id
        await settle(pilot)
        form.query_one("#cu-sub", Select).value = form.query_one("#cu-sub", Select)._options[1][1]
        form.query_one("#cu-name", Input).value = "Rita"
        form.query_one("#cu-phone", Input).value = "11912345678"
        form.query_one("#cu-email", Input).value = "rita@acme.com.br"
        form.query_one("#cu-message", TextArea).text = "Boleto?"
        settings.set_value(admin, "contactus.mode", "crm")  # an admin switches while Rita types
        await pilot.press("ctrl+s")
        await settle(pilot, 2)
        assert app.screen is form and not Ticket.select().where(Ticket.status == "open").exists()
        field = form.query_one("#cu-form-field")
        assert field.display and not form.query_one("#cu-sub-field").display
        assert field.has_class("-invalid")
        assert form.query_one("#cu-classification", Select).value == cu["billing"].id  # kept
        assert form.query_one("#cu-message", TextArea).text == "Boleto?"
        form.query_one("#cu-form-of-contact", Select).value = form.query_one(
            "#cu-form-of-contact", Select)._options[1][1]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ContactUsScreen)


async def test_staff_home_has_no_contact_us_desk_but_leads_get_the_setup(make_app, cu):
    app = make_app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "contactus" not in [a.id for a in app.screen.areas]
    app = make_app("gabi")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "contactus" in [a.id for a in app.screen.areas]


async def test_admin_screen_add_rename_route_deactivate(make_app, cu):
    with write_tx():
        Queue.create(name="Suporte")
    app = make_app("gabi")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ContactUsAdminScreen)
        assert rows(screen, "#cu-admin-table") == [["Financeiro", "Financeiro", "yes"]]
        # add a classification: the name, then its queue
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ItemForm)
        await pilot.press(*"[b]Suporte", "ctrl+s")
        await settle(pilot)
        assert app.screen.query_one("#cu-item-queue").parent.has_class("-invalid")  # no queue yet
        app.screen.query_one("#cu-item-queue", Select).focus()
        await pilot.press("enter", "down", "down", "enter", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ContactUsAdminScreen)
        assert ["[b]Suporte", "Suporte", "yes"] in rows(screen, "#cu-admin-table")
        # rename the selected one (first row: Financeiro)
        screen.query_one("#cu-admin-table", DataTable).move_cursor(row=0)
        await pilot.press("e")
        await settle(pilot)
        name = app.screen.query_one("#cu-item-name", Input)
        name.value = "Cobrança"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ["Cobrança", "Financeiro", "yes"] in rows(screen, "#cu-admin-table")
        # sub-classifications, then deactivate one
        await pilot.press("2")
        await settle(pilot)
        assert rows(screen, "#cu-admin-table") == [["Cobrança", "Segunda via", "yes"]]
        await pilot.press("d")
        await settle(pilot)
        assert rows(screen, "#cu-admin-table") == [["Cobrança", "Segunda via", "no"]]
        await pilot.press("3")
        await settle(pilot)
        assert rows(screen, "#cu-admin-table") == [["Telefone", "yes"]]
        # supervisors may not switch the mode (admins only)
        await pilot.press("m")
        await settle(pilot)
        assert catalogue.mode() == "central"


async def test_admin_switches_mode(make_app, cu):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert catalogue.mode() == "crm"
        assert "CRM" in str(app.screen.query_one("#cu-admin-heading", Static).render())


async def test_people_form_adds_a_representative_by_cnpj(make_app, cu):
    from screens.admin.people import PersonForm

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(PersonForm())
        await settle(pilot)
        form = app.screen
        form.query_one("#login", Input).value = "rita"
        form.query_one("#role", Select).value = "representative"
        form.query_one("#company", Input).value = "99.999.999/0001-99"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form.query_one("#company").parent.has_class("-invalid")  # no such company: said under the field
        form.query_one("#company", Input).value = "11.222.333/0001-81"
        await pilot.press("ctrl+s")
        await settle(pilot)
    rita = users.identify("rita")
    assert rita.role == "representative" and rita.company_id == users.identify("rep").company_id


async def test_an_agents_answer_appears_in_the_open_thread_by_itself(make_app, cu):
    import asyncio

    rep = users.identify("rep")
    row = company_contacts.open_contact(rep, company_contacts.NewContact(
        classification_id=cu["billing"].id, subclassification_id=catalogue.subclassifications(rep)[0].id,
        contact_name="Rita", phone="11912345678", email="r@acme.com.br", message="Olá"))
    app = make_app("rep")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ContactThreadScreen)
        thread.add_message(users.identify("ana"), row.ticket_id, "Já resolvemos", internal=False)
        thread.add_message(users.identify("ana"), row.ticket_id, "nota interna", internal=True)
        loop = asyncio.get_running_loop()
        start = loop.time()
        bodies: list[str] = []
        # By itself, with no key pressed (how soon is bench/live.py's business, not a timed test's)
        while loop.time() - start < 15:
            bodies = [str(s.render()) for s in screen.query(".cu-msg-body")]
            if "Já resolvemos" in bodies:
                break
            await pilot.pause(0.1)
        assert bodies == ["Olá", "Já resolvemos"]  # the public answer, never the internal note
