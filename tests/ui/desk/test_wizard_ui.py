"""Pilot tests of every step of the new-ticket wizard, at 80x24."""
import json

import pytest
from textual.widgets import Checkbox, DataTable, Input, OptionList, Select, Static

from app import AtendeApp
from models import Ticket
from models.mail import Outbox
from models.wizard import ServiceOrder, TicketAttachment, TicketDraft, TicketEmail, TicketTask
from screens.desk.home import DeskScreen, ResumeDialog
from screens.desk.wizard.screen import WizardScreen
from services.store import database
from services.tickets.wizard import actions as wizard_actions
from services.tickets.wizard import draft as wizard_draft
from services.tickets.wizard import finishing as wizard_finishing
from services.tickets.wizard import saving as wizard_saving
from tests.ui.pilot_tools import hold, press_again_while_held, until
from tui.guarded_text import GuardedTextArea

SIZE = (80, 24)


async def wait(pilot, app):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def resume_at_startup(pilot, app) -> WizardScreen:
    """At start-up the draft is offered; Enter resumes it in the wizard."""
    await wait(pilot, app)
    assert isinstance(app.screen, ResumeDialog)
    await pilot.press("enter")
    await wait(pilot, app)
    assert isinstance(app.screen, WizardScreen)
    return app.screen


async def open_wizard(pilot, app) -> WizardScreen:
    app.push_screen(DeskScreen(offer_drafts=False))
    await wait(pilot, app)
    await pilot.press("ctrl+n")
    await wait(pilot, app)
    assert isinstance(app.screen, WizardScreen)
    return app.screen


async def to_lookup(pilot, app) -> WizardScreen:
    """The wizard at its lookup step, for a customer."""
    wiz = await open_wizard(pilot, app)
    await pilot.press("ctrl+n")
    await wait(pilot, app)
    return wiz


async def to_customer(pilot, app, name="joao"):
    wiz = await open_wizard(pilot, app)
    await pilot.press("ctrl+n")  # kind: customer
    await wait(pilot, app)
    await pilot.press(*name)
    await wait(pilot, app)
    await pilot.press("enter")  # to the results
    await pilot.press("enter")  # choose the first
    await wait(pilot, app)
    assert wiz.draft.step == "customer"
    return wiz


async def to_plan(pilot, app):
    wiz = await to_customer(pilot, app)
    await pilot.press("enter")  # the contact
    await wait(pilot, app)
    assert wiz.draft.step == "plan"
    await pilot.press("enter")  # the plan
    await wait(pilot, app)
    return wiz


async def finish(pilot, app, wiz):
    # Called as the key would: pressing a key that closes the screen makes
    # Pilot wait for the closed screen to go idle.
    wiz.action_finish()
    for _ in range(50):
        await wait(pilot, app)
        if not isinstance(app.screen, WizardScreen):
            return
    raise AssertionError("the wizard did not close")


def field_error(screen, name: str) -> str:
    from tui.forms import Field

    for f in screen.query(Field):
        if f.field_name == name:
            return str(f.query_one(".field-error", Static).render())
    raise AssertionError(name)


async def test_protocol_is_reserved_and_shown_at_once(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await open_wizard(pilot, app)
        assert Ticket.get(Ticket.protocol == wiz.draft.protocol).status == "draft"
        # offered back even before the first step change saves a draft row
        assert [d.protocol for d in wizard_saving.pending_drafts(admin)] == [wiz.draft.protocol]
        await pilot.press("ctrl+n")
        await wait(pilot, app)
        assert TicketDraft.select().where(TicketDraft.protocol == wiz.draft.protocol).exists()
        assert wiz.draft.protocol in str(app.screen.query_one("#wizard-top", Static).render())


async def test_lookup_and_kind(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await open_wizard(pilot, app)
        await pilot.press("ctrl+n")
        await wait(pilot, app)
        await pilot.press("ctrl+n")  # nobody chosen: refused at the field
        await wait(pilot, app)
        assert "Choose a customer" in field_error(wiz, "lookup")
        for text in ('"', "*", "(", "NEAR", "[bold]", "[/"):
            lookup_input = wiz.query_one("#lookup-text", Input)
            lookup_input.value = text
            await wait(pilot, app)
        lookup_input.value = "ze (near"
        await wait(pilot, app)
        await pilot.press("enter", "enter")
        await wait(pilot, app)
        assert wiz.draft.customer_name == "[bold]Zé (NEAR)" and wiz.draft.step == "customer"
        await pilot.press("ctrl+b", "ctrl+b")  # back to kind: choose access point
        await wait(pilot, app)
        assert wiz.draft.step == "kind"
        await pilot.press("down", "down", "enter", "ctrl+n")
        await wait(pilot, app)
        assert wiz.draft.kind == "access_point" and wiz.draft.customer_id is None
        await pilot.press(*"liberdade")
        await wait(pilot, app)
        await pilot.press("enter", "enter")
        await wait(pilot, app)
        assert wiz.draft.access_point_name == "POP Liberdade" and wiz.draft.step == "plan"


async def test_the_lookup_reads_a_contract_and_down_goes_into_the_results(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_lookup(pilot, app)
        await pilot.press(*"CT-000001")  # "Field" untouched: the contract is searched as a contract
        await wait(pilot, app)
        assert "1 found · by Contract" in str(wiz.query_one("#lookup-status", Static).render())
        await pilot.press("down", "enter")
        await wait(pilot, app)
        assert wiz.draft.customer_name == "Maria Conceição" and wiz.draft.step == "customer"


async def test_a_caller_nobody_found_is_registered_on_the_spot(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_lookup(pilot, app)
        await pilot.press(*"Fulana [b]Nova")
        await wait(pilot, app)
        assert "Nothing found" in str(wiz.query_one("#lookup-status", Static).render())
        await pilot.press("f2")
        await wait(pilot, app)
        form = app.screen
        assert form.query_one("#name", Input).value == "Fulana [b]Nova"  # what was typed, in its field
        assert app.focused is form.query_one("#doc", Input)
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert app.screen is form
        assert field_error(form, "doc") == "CPF/CNPJ is required"
        assert "phone or an e-mail" in field_error(form, "phone")
        form.query_one("#doc", Input).value = "529.982.247-25"
        form.query_one("#phone", Input).value = "(11) 98888-7777"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert app.screen is wiz and wiz.draft.step == "customer"
        assert wiz.draft.customer_name == "Fulana [b]Nova" and wiz.draft.contact_name == "Fulana [b]Nova"
        await pilot.press("ctrl+n")  # the caller is already chosen as the contact
        await wait(pilot, app)
        assert wiz.draft.step == "plan"
        await pilot.press(*"sem sinal")  # no plans to choose: what is typed is the problem
        await wait(pilot, app)
        assert wiz.query_one("#problem", GuardedTextArea).text == "sem sinal"


async def test_contact_add_with_errors_at_the_fields(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_customer(pilot, app)
        await pilot.press("a")
        await wait(pilot, app)
        form = app.screen
        form.query_one("#name", Input).value = "[bold]Novo [/"
        form.query_one("#phone", Input).value = "123"
        form.query_one("#email", Input).value = "x@"
        form.query_one("#doc", Input).value = "111.111.111-11"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert field_error(form, "phone") == "Invalid phone number"
        assert field_error(form, "email") == "Invalid e-mail address"
        assert "Invalid CPF" in field_error(form, "doc")
        assert form.query_one("#name", Input).value == "[bold]Novo [/"  # kept
        form.query_one("#phone", Input).value = "(11) 98765-4321"
        form.query_one("#email", Input).value = "novo@example.com"
        form.query_one("#doc", Input).value = "529.982.247-25"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert app.screen is wiz
        assert wiz.draft.contact_name == "[bold]Novo [/"
        assert wiz.query_one("#contacts", DataTable).row_count == 2


async def test_contact_form_tab_stops_marks_and_errors_that_clear(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await to_customer(pilot, app)
        await pilot.press("a")
        await wait(pilot, app)
        form = app.screen
        stops = []
        for _ in range(8):  # every Tab lands on something a person sees and can use
            stops.append(app.focused.id)
            await pilot.press("tab")
        assert stops == ["name", "phone", "email", "doc", "position", "cancel", "save", "name"]
        labels = [str(lbl.render()) for lbl in form.query(".field-label")]
        assert "Name *" in labels and "Phone (or e-mail) *" in labels
        form.query_one("#email", Input).value = "x@"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert field_error(form, "email") == "Invalid e-mail address"
        form.query_one("#email", Input).value = "x@example.com"  # fixed: the old message goes
        await wait(pilot, app)
        assert field_error(form, "email") == "" and field_error(form, "name") == "Name is required"
        assert not form.query_one("#email").parent.has_class("-invalid")


async def test_plan_problem_paste_and_router(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_plan(pilot, app)
        assert wiz.draft.plan_id == desk_with_scripts["customers"][0].plans[0].id and wiz.draft.login == "login0"
        await pilot.press("ctrl+r")
        await wait(pilot, app)
        assert "No router is configured" in str(wiz.query_one("#router-info", Static).render())
        area = wiz.query_one("#problem", GuardedTextArea)
        area.focus()
        await pilot.press(*"caiu")
        from textual import events

        area.post_message(events.Paste("x" * 1_048_576))
        await wait(pilot, app)
        assert "Not pasted: 1,048,576 characters" in field_error(wiz, "problem")
        assert area.text == "caiu"
        area.load_text("")
        await pilot.press("ctrl+n")
        await wait(pilot, app)
        assert "Describe the problem" in field_error(wiz, "problem")
        area.load_text("Sem internet [bold]")
        await pilot.press("ctrl+n")
        await wait(pilot, app)
        assert wiz.draft.step == "first_contact" and wiz.draft.problem == "Sem internet [bold]"


async def test_an_access_point_ticket_asks_the_router_for_a_typed_login(admin, desk_with_scripts, monkeypatch):
    from services.customers import router
    from tests.routeros import FakeRouter, memory_keyring

    monkeypatch.delenv("ATENDE_NO_KEYRING", raising=False)
    ap = desk_with_scripts["aps"][1]
    sessions = {"/ppp/active": [{"name": "cliente9", "address": "100.64.0.10", "uptime": "5m"}], "/interface": []}
    app = AtendeApp(actor=admin)
    with memory_keyring(), FakeRouter(tables=sessions) as server:
        router.set_router(admin, ap.id, host="127.0.0.1", port=server.port, user="api")
        router.set_password(admin, ap.id, "s3cret")
        async with app.run_test(size=SIZE) as pilot:
            wiz = await open_wizard(pilot, app)
            await pilot.press("down", "down", "enter", "ctrl+n", *"liberdade")
            await wait(pilot, app)
            await pilot.press("enter", "enter")
            await wait(pilot, app)
            assert wiz.draft.step == "plan" and not wiz.query_one("#plan-field").display
            login = wiz.query_one("#ap-login", Input)
            login.focus()
            await pilot.press("enter")  # nothing typed: said at the field
            await wait(pilot, app)
            assert "Type the PPPoE login" in str(wiz.query_one("#router-info", Static).render())
            await pilot.press(*"cliente9", "enter")
            await wait(pilot, app)
            info = str(wiz.query_one("#router-info", Static).render())
            assert "Session found on 127.0.0.1." in info and "100.64.0.10" in info
            wiz.query_one("#problem", GuardedTextArea).load_text("Sem sinal no POP")
            await pilot.press("ctrl+n")
            await wait(pilot, app)
            assert wiz.draft.step == "first_contact" and wiz.draft.login == "cliente9"


async def test_guided_script(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_plan(pilot, app)
        wiz.query_one("#problem", GuardedTextArea).load_text("sem conexão")
        wiz.query_one("#use-script", Checkbox).value = True
        await wait(pilot, app)
        await pilot.press("ctrl+n")  # no script chosen yet: said next to the choice, which gets the focus
        await wait(pilot, app)
        assert wiz.draft.step == "plan"
        assert "Choose the script to follow" in field_error(wiz, "script_choice")
        select = wiz.query_one("#script-choice", Select)
        assert app.focused is select
        # labels are Text (never read as markup)
        select.value = next(v for label, v in select._options if str(label) == "Sem conexão")
        await pilot.press("ctrl+n")
        await wait(pilot, app)
        assert wiz.draft.step == "script"
        options = wiz.query_one("#script-options", OptionList)
        assert "luzes" in str(wiz.query_one("#script-question", Static).render()).lower()
        await pilot.press("down", "down", "enter")  # normal lights -> bloqueio
        await pilot.press("down", "enter")  # not blocked -> reiniciar
        await wait(pilot, app)
        assert "reiniciar" in str(wiz.query_one("#script-question", Static).render()).lower()
        await pilot.press("left", "left")  # back to the first question, change the answer
        await pilot.press("up", "up", "enter")  # all dark -> energia (the path is recomputed)
        await wait(pilot, app)
        assert "energia" in str(wiz.query_one("#script-question", Static).render()).lower()
        await pilot.press("ctrl+n")  # not ended: Ctrl+N alone does not skip it
        await wait(pilot, app)
        assert "Ctrl+E" in field_error(wiz, "script") and wiz.draft.step == "script"
        # the operator ends the script at this (unanswered) question (seed 002: "encerrar o script")
        await pilot.press("ctrl+e")
        await wait(pilot, app)
        assert wiz.draft.step == "first_contact" and wiz.draft.script_done
        assert wiz.draft.script_report.splitlines() == [
            "Script: Sem conexão", "1. Como estão as luzes do equipamento (ONU/modem)?", "   -> Tudo apagado",
            "Ended early by the operator after 1 question."]
        assert options is not None


async def first_contact(pilot, app, wiz, desk_with_scripts):
    wiz.query_one("#queue", Select).value = desk_with_scripts["queue"].id
    wiz.query_one("#type", Select).value = desk_with_scripts["outage"].id
    await wait(pilot, app)
    assert wiz.query_one("#responsible", Select).value == "role:agent"  # proposed by the type


async def to_first_contact(pilot, app, problem="sem sinal"):
    wiz = await to_plan(pilot, app)
    wiz.query_one("#problem", GuardedTextArea).load_text(problem)
    await pilot.press("ctrl+n")
    await wait(pilot, app)
    assert wiz.draft.step == "first_contact"
    return wiz


async def test_first_contact_actions_and_finish(admin, desk_with_scripts, tmp_path):
    photo = tmp_path / "foto [bold].jpg"
    photo.write_bytes(b"jpeg")
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_first_contact(pilot, app, "Sem internet")
        await first_contact(pilot, app, wiz, desk_with_scripts)
        # attachment: a folder, then a real file
        await pilot.press("f2")
        await wait(pilot, app)
        app.screen.query_one("#path", Input).value = str(tmp_path)
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert "is a folder" in field_error(app.screen, "path")
        app.screen.query_one("#path", Input).value = str(photo)
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        # service order: past midnight, then zero, then fine
        await pilot.press("f3")
        await wait(pilot, app)
        form = app.screen
        form.query_one("#technician", Select).value = desk_with_scripts["tech"].id
        form.query_one("#start", Input).value = "23:30"
        form.query_one("#duration", Input).value = "60"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert "00:30 the next day" in field_error(form, "duration")
        form.query_one("#duration", Input).value = "0"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert "more than zero" in field_error(form, "duration")
        form.query_one("#start", Input).value = "09:00"  # the clock says 10:00: asked first
        form.query_one("#duration", Input).value = "1:30"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        from tui.dialogs import ConfirmDialog

        assert isinstance(app.screen, ConfirmDialog)
        assert "09:00 has already passed today" in str(app.screen.query_one("#question").render())
        await pilot.press("y")
        await wait(pilot, app)
        # a second order overlapping the first is refused, with the agenda shown
        await pilot.press("f3")
        await wait(pilot, app)
        form = app.screen
        form.query_one("#technician", Select).value = desk_with_scripts["tech"].id
        form.query_one("#start", Input).value = "10:00"
        await wait(pilot, app)
        assert form.query_one("#agenda", DataTable).row_count == 1
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert "Overlaps" in field_error(form, "start")
        await pilot.press("escape")
        await wait(pilot, app)
        # task
        await pilot.press("f4")
        await wait(pilot, app)
        app.screen.query_one("#assignee", Select).value = admin.id
        app.screen.query_one("#description", Input).value = "Ligar amanhã"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        # e-mail from a template, to the contact
        await pilot.press("f6")
        await wait(pilot, app)
        form = app.screen
        form.query_one("#template", Select).value = form.templates[0].id
        await wait(pilot, app)
        form.query_one("#recipients").select_all()
        form.query_one("#cc", Input).value = "chefe@[bold]"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert app.screen is form and "Invalid e-mail address" in field_error(form, "cc")
        assert form.query_one("#cc", Input).value == "chefe@[bold]" and not wiz.draft.emails
        form.query_one("#cc", Input).value = "chefe@example.com"
        form.query_one("#read_receipt", Checkbox).value = True
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert app.screen is wiz and len(wiz.draft.emails) == 1
        assert wiz.draft.emails[0].subject == f"Protocolo {wiz.draft.protocol}"
        # resolved
        await pilot.press("f5")
        await wait(pilot, app)
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        assert "Describe the solution" in field_error(wiz, "solution")
        wiz.query_one("#solution", GuardedTextArea).load_text("Reiniciou a ONU")
        protocol = wiz.draft.protocol
        wiz.action_finish()  # resolved with its service order still scheduled: asked first
        await wait(pilot, app)
        assert "1 service order is still scheduled" in str(app.screen.query_one("#question").render())
        await pilot.press("n")
        await wait(pilot, app)
        assert app.screen is wiz and not Ticket.get(Ticket.protocol == protocol).solution
        wiz.action_finish()
        await wait(pilot, app)
        app.screen.dismiss(True)
        for _ in range(50):
            await wait(pilot, app)
            if not isinstance(app.screen, WizardScreen):
                break
        assert not isinstance(app.screen, WizardScreen)
        t = Ticket.get(Ticket.protocol == protocol)
        assert (t.status, t.solution) == ("resolved", "Reiniciou a ONU")
        assert TicketAttachment.get(TicketAttachment.ticket == t.id).name == "foto _bold_.jpg"
        assert ServiceOrder.select().where(ServiceOrder.ticket == t.id).count() == 1
        assert TicketTask.select().where(TicketTask.ticket == t.id).count() == 1
        assert not TicketEmail.select().exists()
        mails = list(Outbox.select().where((Outbox.about_entity == "ticket") & (Outbox.about_id == str(t.id))))
        assert len(mails) == 1 and mails[0].state == "queued" and mails[0].kind == "ticket"
        assert json.loads(mails[0].recipients) == ["c0@example.com"] and mails[0].read_receipt
        assert json.loads(mails[0].cc) == ["chefe@example.com"]


async def test_at_80_columns_the_first_contact_footer_shows_f2_to_f6_and_finish(admin, desk_with_scripts):
    from textual.widgets._footer import FooterKey

    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await to_first_contact(pilot, app)
        await pilot.pause(0.2)
        shown = {k.key for k in app.screen.query(FooterKey) if k.region.width and k.region.right <= SIZE[0] - 14}
        assert {"f2", "f3", "f4", "f5", "f6", "ctrl+s"} <= shown  # left of the "^p commands" corner


async def test_the_lookup_names_the_kind_it_finds(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await open_wizard(pilot, app)
        await pilot.press("down", "enter", "ctrl+n")  # a prospect
        await wait(pilot, app)
        assert "Find the prospect" in str(wiz.query_one("#step-lookup .field-label").render())
        await pilot.press("ctrl+b", "down", "enter", "ctrl+n")  # an access point
        await wait(pilot, app)
        assert "Find the access point" in str(wiz.query_one("#step-lookup .field-label").render())


async def test_the_type_list_follows_the_destination_and_a_task_shows_its_assignee(admin, desk_with_scripts):
    from models import Queue, TicketType, write_tx

    with write_tx():
        billing = Queue.create(name="Financeiro")
        TicketType.create(name="Boleto", queue=billing, responsible_role="agent")
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_first_contact(pilot, app)
        await wait(pilot, app)
        types = wiz.query_one("#type", Select)
        assert {str(label) for label, _v in types._options[1:]} == {"Sem conexão", "Wi-Fi", "Boleto"}
        wiz.query_one("#queue", Select).value = billing.id
        await wait(pilot, app)
        assert [str(label) for label, _v in types._options[1:]] == ["Boleto"]
        await pilot.press("f4")
        await wait(pilot, app)
        app.screen.query_one("#assignee", Select).value = admin.id
        app.screen.query_one("#description", Input).value = "Ligar amanhã"
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        row = wiz.query_one("#actions", DataTable).get_row_at(0)
        assert "Ligar amanhã" in str(row[1]) and admin.name in str(row[1])


async def test_link_offer(admin, desk_with_scripts):
    parent = wizard_saving.start(admin)
    c = desk_with_scripts["customers"][0]
    wizard_finishing.finish(admin, wizard_draft.update(
        parent, customer_id=c.id, contact_id=c.contacts[0].id, plan_id=c.plans[0].id, problem="queda",
        queue_id=desk_with_scripts["queue"].id, type_id=desk_with_scripts["outage"].id, responsible_role="agent",
        step="first_contact"))
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_customer(pilot, app, name="maria")
        await pilot.press("enter")
        await wait(pilot, app)
        await pilot.press("enter")
        wiz.query_one("#problem", GuardedTextArea).load_text("sem sinal")
        await pilot.press("ctrl+n")
        await wait(pilot, app)
        await first_contact(pilot, app, wiz, desk_with_scripts)
        await wait(pilot, app)
        assert wiz.query_one("#parent-field").display
        wiz.query_one("#parent", Select).value = parent.ticket_id
        await finish(pilot, app, wiz)
        child = Ticket.select().where(Ticket.parent == parent.ticket_id).get()
        assert child.customer_id == desk_with_scripts["customers"][1].id


async def test_a_resumed_draft_keeps_its_link_names_choices_and_cursor(admin, desk_with_scripts):
    """As after a kill -9: the draft is read back from the store and resumed."""
    from services.tickets.wizard import orders as wizard_orders

    w = desk_with_scripts
    parent = wizard_saving.start(admin)
    c0, c1 = w["customers"][0], w["customers"][1]
    wizard_finishing.finish(admin, wizard_draft.update(
        parent, customer_id=c0.id, contact_id=c0.contacts[0].id, plan_id=c0.plans[0].id, problem="queda",
        queue_id=w["queue"].id, type_id=w["outage"].id, responsible_role="agent", step="first_contact"))
    d = wizard_saving.start(admin)
    d = wizard_draft.update(d, customer_id=c1.id, customer_name=c1.name, contact_id=c1.contacts[0].id,
                            contact_name=c1.name, plan_id=c1.plans[0].id, problem="sem sinal", queue_id=w["queue"].id,
                            type_id=w["outage"].id, responsible_id=admin.id, checks="reiniciei a ONU",
                            parent_id=parent.ticket_id, parent_protocol=parent.protocol, step="first_contact",
                            focus="checks")
    d = wizard_orders.add_service_order(admin, d, wizard_orders.make_service_order(
        w["tech"].id, "10/03/2026", "14:00", "60", w["os_type"].id))
    wizard_saving.save(admin, d)
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await resume_at_startup(pilot, app)
        for _ in range(3):
            await wait(pilot, app)
        await pilot.pause(0.3)
        assert wiz.query_one("#parent", Select).value == parent.ticket_id
        assert wiz.collect().parent_id == parent.ticket_id
        assert wiz.query_one("#responsible", Select).value == f"user:{admin.id}"  # not the type's proposal
        actions = wiz.query_one("#actions", DataTable)
        assert "Técnico Tião · Reparo" in str(actions.get_row_at(0)[1])
        notices = [n for n in app._notifications if "open ticket on this network" in n.message]
        assert len(notices) == 1
        checks = wiz.query_one("#checks", GuardedTextArea)
        assert app.focused is checks and checks.cursor_location == checks.document.end
        wiz.save_now()
        await wait(pilot, app)
    resumed = wizard_saving.pending_drafts(admin)[0]
    assert (resumed.parent_id, resumed.focus) == (parent.ticket_id, "checks")


async def test_a_second_ctrl_s_while_finishing_finishes_once(admin, desk_with_scripts, monkeypatch):
    finishing = hold(monkeypatch, wizard_finishing, "finish")  # still running when Ctrl+S comes again
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_first_contact(pilot, app)
        await first_contact(pilot, app, wiz, desk_with_scripts)
        await wait(pilot, app)
        wiz.action_finish()
        await until(pilot, lambda: finishing.calls)
        wiz.action_finish()  # Ctrl+S again before the first finish is back
        finishing.release()
        for _ in range(50):
            await wait(pilot, app)
            if not isinstance(app.screen, WizardScreen):
                break
        assert [d.protocol for _actor, d in finishing.calls] == [wiz.draft.protocol]
        assert Ticket.get(Ticket.protocol == wiz.draft.protocol).status == "open"
        assert "already" not in " ".join(str(n.message) for n in app._notifications)


async def test_a_second_ctrl_n_while_the_protocol_is_reserved_opens_one_wizard(admin, desk_with_scripts, monkeypatch):
    # still reserving when Ctrl+N comes again (meant for the wizard's first step)
    starting = hold(monkeypatch, wizard_saving, "start")
    calls = starting.calls
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(DeskScreen(offer_drafts=False))
        await wait(pilot, app)
        await press_again_while_held(pilot, "ctrl+n", starting)
        await wait(pilot, app)
        assert len(calls) == 1
        assert isinstance(app.screen, WizardScreen)
        assert sum(isinstance(s, WizardScreen) for s in app.screen_stack) == 1
        assert Ticket.select().where(Ticket.status == "draft").count() == 1
        await pilot.press("escape")  # once the wizard is closed, Ctrl+N opens the next one
        await wait(pilot, app)
        app.screen.dismiss("keep")
        await wait(pilot, app)
        await pilot.press("ctrl+n")
        await wait(pilot, app)
        assert len(calls) == 2 and isinstance(app.screen, WizardScreen)


async def test_leave_keep_abandon_and_resume_at_start_up(admin, desk_with_scripts):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_customer(pilot, app)
        kept = wiz.draft.protocol
        await pilot.press("escape")
        await wait(pilot, app)
        app.screen.dismiss("keep")
        await wait(pilot, app)
        assert not isinstance(app.screen, WizardScreen)
        await pilot.press("ctrl+n")
        await wait(pilot, app)
        gone = app.screen.draft.protocol
        await pilot.press("escape")
        await wait(pilot, app)
        app.screen.dismiss("abandon")
        await wait(pilot, app)
    assert Ticket.get(Ticket.protocol == gone).status == "abandoned"
    assert [d.protocol for d in wizard_saving.pending_drafts(admin)] == [kept]
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await resume_at_startup(pilot, app)
        assert wiz.draft.protocol == kept and wiz.draft.step == "customer"
        assert app.screen.draft.customer_name == "João Gonçalves"


async def test_ctrl_q_during_a_call_asks_and_keeps_the_draft(admin, desk_with_scripts):
    from tui.dialogs import ConfirmDialog

    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_plan(pilot, app)
        wiz.query_one("#problem", GuardedTextArea).load_text("cai toda noite")
        await pilot.press("ctrl+q")
        await wait(pilot, app)
        assert isinstance(app.screen, ConfirmDialog) and app.is_running
        assert wiz.draft.protocol in str(app.screen.query_one("#question").render())
        await pilot.press("n")  # stay
        await wait(pilot, app)
        assert app.screen is wiz and app.is_running
        await pilot.press("ctrl+q")
        await wait(pilot, app)
        await pilot.press("y")
        for _ in range(20):
            await wait(pilot, app)
            if not app.is_running:
                break
        assert not app.is_running
    kept = wizard_saving.pending_drafts(admin)
    assert [d.problem for d in kept] == ["cai toda noite"]


def test_leaving_the_ticket_and_quitting_have_their_own_labels_in_portuguese():
    from services.core import i18n

    i18n.set_language("pt_BR")
    try:
        assert i18n._("Leave ticket") != i18n._("Quit")
    finally:
        i18n.set_language("en")


async def test_abandoning_leaves_the_screen_answering_and_closes_the_wizard_once_done(admin, desk_with_scripts,
                                                                                     monkeypatch):
    """Abandoning writes (it waits for the write lock): it runs off the UI
    thread, so F1 still opens the help meanwhile. The wizard closes once the
    ticket is abandoned and it is on top again (not the help in its place)."""
    from tui.help import HelpScreen

    abandoning = hold(monkeypatch, wizard_saving, "cancel")
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_customer(pilot, app)
        protocol = wiz.draft.protocol
        await pilot.press("escape")
        await wait(pilot, app)
        app.screen.dismiss("abandon")
        await until(pilot, lambda: abandoning.calls)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert isinstance(app.screen, HelpScreen) and not abandoning.returned.is_set()
        await pilot.press("escape")  # again, for the help
        abandoning.release()
        await wait(pilot, app)
        assert Ticket.get(Ticket.protocol == protocol).status == "abandoned"
        assert wiz not in app.screen_stack and not isinstance(app.screen, HelpScreen)
        assert len(abandoning.calls) == 1
        assert any(f"Ticket {protocol} abandoned." in n.message for n in app._notifications)


async def test_abandoning_while_the_help_is_open_closes_the_wizard_not_the_help(admin, desk_with_scripts, monkeypatch):
    from tui.help import HelpScreen

    abandoning = hold(monkeypatch, wizard_saving, "cancel")
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_customer(pilot, app)
        await pilot.press("escape")
        await wait(pilot, app)
        app.screen.dismiss("abandon")
        await until(pilot, lambda: abandoning.calls)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        abandoning.release()
        await wait(pilot, app)
        assert isinstance(app.screen, HelpScreen) and wiz in app.screen_stack  # the answer waits for the wizard
        await pilot.press("escape")
        await wait(pilot, app)
        assert wiz not in app.screen_stack and not isinstance(app.screen, HelpScreen)


async def test_ticket_view_shows_outbox_mail_and_resends(admin, desk_with_scripts):
    from screens.desk.ticket import TicketDetailScreen

    c = desk_with_scripts["customers"][0]
    d = wizard_saving.start(admin)
    d = wizard_draft.update(d, customer_id=c.id, contact_id=c.contacts[0].id, plan_id=c.plans[0].id, problem="queda",
                            queue_id=desk_with_scripts["queue"].id, type_id=desk_with_scripts["outage"].id,
                            responsible_role="agent",
                      emails=(wizard_actions.make_email("c0@example.com", "[bold]Protocolo", "Olá"),))
    done = wizard_finishing.finish(admin, d)
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(TicketDetailScreen(done.protocol))
        await wait(pilot, app)
        body = str(app.screen.query_one("#ticket-record", Static).render())
        assert "[bold]Protocolo" in body and "queued" in body
        await pilot.press("m")
        await wait(pilot, app)
        rows = list(Outbox.select().where(Outbox.about_id == str(done.ticket_id)).order_by(Outbox.id))
        assert len(rows) == 2 and rows[1].subject == "[bold]Protocolo" and rows[1].created_by == admin.login


async def test_keys_typed_right_after_ctrl_n_go_to_the_next_step(admin, desk_with_scripts):
    """The agent presses Ctrl+N and types the customer's name at once (keys
    arriving together over SSH): the name lands in the lookup, nothing is lost."""
    from textual import events

    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await open_wizard(pilot, app)
        assert wiz.draft.step == "kind"
        for key, char in (("ctrl+n", None), ("j", "j"), ("o", "o"), ("a", "a"), ("o", "o")):
            app.post_message(events.Key(key, char))  # all queued before the app reads any
        await wait(pilot, app)
        assert wiz.draft.step == "lookup"
        assert wiz.query_one("#lookup-text", Input).value == "joao"


async def test_keys_typed_right_after_f2_go_into_the_attachment_dialog(admin, desk_with_scripts):
    """F2 and the file's path typed at once: the path lands in the dialog's field."""
    from textual import events

    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        await to_first_contact(pilot, app)
        for key, char in (("f2", None), ("slash", "/"), ("t", "t"), ("m", "m"), ("p", "p")):
            app.post_message(events.Key(key, char))  # all queued before the app reads any
        await wait(pilot, app)
        assert app.screen.query_one("#path", Input).value == "/tmp"


async def test_the_name_typed_right_after_a_goes_into_the_new_contact_form(admin, desk_with_scripts):
    from textual import events

    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_customer(pilot, app)
        for char in "aMaria":
            app.post_message(events.Key(char, char))  # "a" (add contact) and the name, read at once
        await wait(pilot, app)
        assert app.screen is not wiz
        assert app.screen.query_one("#name", Input).value == "Maria"


async def test_keys_typed_right_after_enter_on_a_list_choose_in_it(admin, desk_with_scripts):
    """Enter opens the ticket types, and Down and Enter typed at once (or
    arriving together over SSH) choose the first type: they go to the list
    that Enter opened, not to the closed field, where they were lost; and
    the keys after the choice go to the field again."""
    from textual import events

    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_first_contact(pilot, app)
        types = wiz.query_one("#type", Select)
        types.focus()
        await wait(pilot, app)
        first_type = next(v for _label, v in types._options if v is not Select.NULL)
        for key in ("enter", "down", "enter"):
            app.post_message(events.Key(key, None))  # all queued before the app reads any
        await wait(pilot, app)
        assert types.value == first_type
        assert not types.expanded and app.focused is types
        second_type = [v for _label, v in types._options if v is not Select.NULL][1]
        for key in ("enter", "down", "enter", "enter", "escape"):  # the next type, then open and leave
            app.post_message(events.Key(key, None))
        await wait(pilot, app)
        assert types.value == second_type
        assert not types.expanded and app.focused is types


async def test_enter_down_enter_typed_at_once_in_the_lookup_chooses_the_second_result(admin, desk_with_scripts):
    """An agent types the name, then Enter, Down and Enter at once (or they
    arrive together over SSH): Enter goes to the results, Down moves in
    them and Enter chooses the second customer. They all went to the search
    field before: nobody was chosen."""
    from textual import events

    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await open_wizard(pilot, app)
        await pilot.press("ctrl+n")
        await wait(pilot, app)
        await pilot.press(*"ao")
        await wait(pilot, app)
        lookup = wiz.query_one("#lookup-results", DataTable)
        assert lookup.row_count == 2
        second = str(lookup.get_row_at(1)[0])
        for key in ("enter", "down", "enter"):
            app.post_message(events.Key(key, None))  # all queued before the app reads any
        await wait(pilot, app)
        assert wiz.draft.step == "customer" and wiz.draft.customer_name == second


async def test_a_tab_typed_among_choices_in_lists_waits_for_the_keys_before_it(admin, desk_with_scripts):
    """Enter, Down, Enter (the destination), Tab, Enter, Down, Enter (the
    type) read at once, as CI's end-to-end run sent them on a busy machine:
    each list gets its own keys. Tab, which acts as soon as it is read, went
    ahead of the destination's keys, which then went to the type's list."""
    from textual import events

    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_first_contact(pilot, app)
        queue, types = wiz.query_one("#queue", Select), wiz.query_one("#type", Select)
        assert app.focused is queue
        first_queue = next(v for _label, v in queue._options if v is not Select.NULL)
        first_type = next(v for _label, v in types._options if v is not Select.NULL)
        for key in ("enter", "down", "enter", "tab", "enter", "down", "enter"):
            app.post_message(events.Key(key, None))  # all queued before the app reads any
        await wait(pilot, app)
        assert queue.value == first_queue and types.value == first_type
        assert app.focused is types and not types.expanded


@pytest.mark.parametrize("step", ["lookup", "customer", "plan", "first_contact"])
async def test_a_resumed_draft_has_its_step_focused(admin, desk_with_scripts, step):
    """Resumed at start-up, the draft's step has the focus, as when the agent
    reached it: the keys typed at once work there (they were all kept for a
    focus that never came, and the screen looked dead)."""
    c = desk_with_scripts["customers"][0]
    d = wizard_draft.update(wizard_saving.start(admin), kind="customer", customer_id=c.id, customer_name=c.name,
                            contact_id=c.contacts[0].id, plan_id=c.plans[0].id, problem="sem sinal", step=step)
    wizard_saving.save(admin, d)
    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await resume_at_startup(pilot, app)
        assert wiz.draft.step == step
        assert app.focused is not None and wiz.current_panel() in app.focused.ancestors


async def test_attachment_and_mail_files_refuse_devices_pipes_folders_and_long_names(admin, desk_with_scripts,
                                                                                     tmp_path):
    """F2 and F6 say what is wrong with the path under the field, and keep
    what was typed: /dev/zero, /dev/null, a named pipe (no hang), a folder,
    a 300-character name, a file over the limit."""
    from tests.unit.core.test_files import bad_paths

    app = AtendeApp(actor=admin)
    async with app.run_test(size=SIZE) as pilot:
        wiz = await to_first_contact(pilot, app)
        for key, field in (("f2", "path"), ("f6", "attachments")):
            await pilot.press(key)
            await wait(pilot, app)
            form = app.screen
            for path, word in bad_paths(tmp_path, wizard_actions.MAX_ATTACHMENT).items():
                form.query_one(f"#{field}", Input).value = path
                await pilot.press("ctrl+s")
                await wait(pilot, app)
                assert app.screen is form, path
                assert word in field_error(form, field), path
                assert form.query_one(f"#{field}", Input).value == path  # kept
            await pilot.press("escape")
            await wait(pilot, app)
            assert app.screen is wiz
        assert not wiz.draft.attachments and not wiz.draft.emails


@pytest.mark.parametrize("failure", ["disk full", "database locked", "a fault of ours"])
async def test_a_failed_finish_says_so_keeps_the_draft_and_ctrl_s_works_again(admin, desk_with_scripts, tmp_path,
                                                                              monkeypatch, failure, backend):
    """Whatever fails while the ticket is written is said in one line (under
    the actions when it is a file's copy), logged with its details, the draft
    kept (the ticket still being opened), and the next Ctrl+S finishes."""
    if failure == "database locked" and backend != "sqlite":
        pytest.skip("SQLite's own lock (a server's writers wait their turn)")
    import logging
    import os
    import sqlite3

    from services.core import files

    photo = tmp_path / "foto.jpg"
    photo.write_bytes(b"jpeg" * 100)
    c = desk_with_scripts["customers"][0]
    d = wizard_draft.update(wizard_saving.start(admin), kind="customer", customer_id=c.id, customer_name=c.name,
                            contact_id=c.contacts[0].id, plan_id=c.plans[0].id, problem="sem sinal",
                            queue_id=desk_with_scripts["queue"].id, type_id=desk_with_scripts["outage"].id,
                            responsible_role="agent",
                            step="first_contact")
    d = wizard_actions.add_attachment(d, str(photo))
    wizard_saving.save(admin, d)
    failed = []

    def once(real, make_error):
        def wrapper(*args, **kwargs):
            if not failed:
                failed.append(True)
                return make_error(real, *args, **kwargs)
            return real(*args, **kwargs)
        return wrapper

    if failure == "disk full":
        def full(real, folder):
            tmp, fd = real(folder)
            os.close(fd)
            return tmp, os.open("/dev/full", os.O_WRONLY)
        monkeypatch.setattr(files, "_create_temp", once(files._create_temp, full))
    elif failure == "database locked":
        def locked(real, *args):
            raise sqlite3.OperationalError("database is locked")
        monkeypatch.setattr(wizard_finishing, "_check_references", once(wizard_finishing._check_references, locked))
    else:
        def fault(real, *args):
            raise RuntimeError("boom at finish")
        monkeypatch.setattr(wizard_finishing, "_write", once(wizard_finishing._write, fault))
    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append
    logging.getLogger("atende").addHandler(handler)
    app = AtendeApp(actor=admin)
    try:
        async with app.run_test(size=SIZE) as pilot:
            wiz = await resume_at_startup(pilot, app)
            assert wiz.draft.step == "first_contact"
            await pilot.press("ctrl+s")
            await wait(pilot, app)
            assert failed and app.screen is wiz
            errors = [str(n.message) for n in app._notifications if n.severity == "error"]
            if failure == "disk full":
                assert f"The disk is full: {photo} was not copied" in field_error(wiz, "actions_list")
                assert any(r.exc_info and str(photo) in r.getMessage() for r in logged)
            else:
                assert len(errors) == 1 and "\n" not in errors[0]
                assert f"Ticket {d.protocol} was not saved; the draft is kept" in errors[0]
                assert ("is locked" if failure == "database locked" else "internal error (RuntimeError)") in errors[0]
                assert any(r.exc_info and d.protocol in r.getMessage() for r in logged)
            assert Ticket.get(Ticket.protocol == d.protocol).status == "draft"
            assert TicketDraft.select().where(TicketDraft.protocol == d.protocol).exists()
            folder = database.files_root() / "tickets" / d.protocol
            assert not folder.exists() or os.listdir(folder) == []
            await pilot.press("ctrl+s")  # again: it works
            for _ in range(50):
                await wait(pilot, app)
                if not isinstance(app.screen, WizardScreen):
                    break
            assert not isinstance(app.screen, WizardScreen)
    finally:
        logging.getLogger("atende").removeHandler(handler)
    t = Ticket.get(Ticket.protocol == d.protocol)
    assert t.status == "open" and TicketAttachment.select().where(TicketAttachment.ticket == t.id).count() == 1
    assert not TicketDraft.select().where(TicketDraft.protocol == d.protocol).exists()
