"""Pilot tests of the Scheduling area at 80x24: triage, booking, bookings,
rota and topics, keyboard only."""
import datetime as dt

import pytest
from textual.widgets import Checkbox, Input, OptionList, Static, TextArea

from app import AtendeApp
from models.scheduling import Booking, RotaMonth, Topic
from services.scheduling import bookings, rota
from services.store import users
from tests.scenes import MONDAY, freeze, make_analysts, make_customers
from tests.ui.pilot_tools import hold, press_again_while_held, until
from tests.ui.pilot_tools import settle as settle_workers
from tui.forms import Field


@pytest.fixture
def triage_desk(people):
    ids = make_customers()
    make_analysts(people["admin"])
    rota.set_rota(people["supervisor"], "2026-03", "igor")
    freeze(MONDAY)
    return {"ids": ids, **people}


async def settle(pilot):
    await settle_workers(pilot, rounds=2)


async def type_text(pilot, text):
    await pilot.press(*[{" ": "space", "-": "minus", ",": "comma", "(": "left_parenthesis",
                         ")": "right_parenthesis", "@": "at", ".": "full_stop"}.get(c, c) for c in text])


async def open_triage(pilot, customer="padaria"):
    await pilot.press("f4")
    await settle(pilot)
    await type_text(pilot, customer)
    await settle(pilot)
    await pilot.press("enter")  # into the results
    await pilot.press("enter")  # choose the customer
    await settle(pilot)
    return pilot.app.screen


def field(screen, name) -> Field:
    return next(f for f in screen.query(Field) if f.field_name == name)


async def test_full_triage_ends_in_a_booking(triage_desk):
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot)
        assert type(screen).__name__ == "TriageScreen"
        assert screen.customer.id == triage_desk["ids"]["active"]
        assert "[bold]Pão Quente" in str(screen.query_one("#triage-customer-bar", Static).render())
        await type_text(pilot, "financ")
        await settle(pilot)
        assert screen.decision.route == "webinar_first"
        shown = str(screen.query_one("#decision", Static).render())
        assert "webinar" in shown and "https://ajuda.atende.example/webinars/financeiro" in shown
        await pilot.press("f2")
        await settle(pilot)
        booking = app.screen
        assert type(booking).__name__ == "BookingScreen"
        assert booking.analyst.login == "igor"
        assert booking.chosen_slot().start == dt.datetime(2026, 3, 9, 9, 0)
        await type_text(pilot, "Financeiro todo: pagar e receber")
        await pilot.press("tab")
        await type_text(pilot, "Marta")
        await pilot.press("tab", "tab", "tab")  # phone and e-mail come from the customer
        assert app.focused.id == "webinar_offered"
        await pilot.press("space")
        await pilot.press("tab", "tab")  # ticket protocol (empty: new ticket), then the slots
        assert app.focused.id == "slots"
        await pilot.press("down")  # 10:30
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "BookedDialog"
        body = str(app.screen.query_one("#booked-scroll Static", Static).render())
        assert "1h30" in body and "15 minutes" in body and "10:30" in body
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
    b = Booking.get()
    assert (b.start, b.contact_name, b.webinar_offered) == (dt.datetime(2026, 3, 9, 10, 30), "Marta", True)


@pytest.mark.parametrize("customer,route", [
    ("onboarding", "gr_onboarding"), ("franquia", "franchise"), ("bloqueado", "gr_blocked")])
async def test_routes_that_do_not_book(triage_desk, customer, route):
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot, customer)
        await type_text(pilot, "balanca")
        await settle(pilot)
        assert screen.decision.route == route
        await pilot.press("f2")  # not offered on these routes
        await settle(pilot)
        assert app.screen is screen


async def test_support_topic_and_guidance(triage_desk):
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot)
        await type_text(pilot, "tef")
        await settle(pilot)
        assert screen.decision.route == "support"
        assert "pinpad" in str(screen.query_one("#decision", Static).render())
        await pilot.press("down")  # into the list
        assert app.focused.id == "topics"
        await pilot.press("escape")  # back to the customer
        await settle(pilot)
        assert screen.customer is None
        await pilot.press("escape")  # back home
        assert type(app.screen).__name__ == "HomeScreen"


async def test_missing_data_is_shown_by_the_fields_and_kept(triage_desk):
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        await open_triage(pilot)
        await type_text(pilot, "balanca")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        booking = app.screen
        await type_text(pilot, "balanca")
        await pilot.press("tab")
        await type_text(pilot, "[/x")
        await pilot.press("ctrl+s")
        await settle(pilot)
        for name in ("needs", "equipment_manufacturer", "equipment_model"):
            assert field(booking, name).has_class("-invalid"), name
        assert not field(booking, "contact_name").has_class("-invalid")
        assert booking.query_one("#needs", TextArea).text == "balanca"
        assert booking.query_one("#contact_name", Input).value == "[/x"
        booking.query_one("#equipment_manufacturer", Input).value = "Marca X"
        booking.query_one("#equipment_model", Input).value = "Y1"
        await pilot.pause()
        assert "no" in str(booking.query_one("#homologated", Static).render()).lower()
        booking.query_one("#equipment_manufacturer", Input).value = "Zebra"  # a homologated label printer
        booking.query_one("#equipment_model", Input).value = "ZD220"
        await pilot.pause()
        status = booking.query_one("#homologated", Static)
        assert "homologated as label printer" in str(status.render()) and status.has_class("-bad")
    assert Booking.select().count() == 0


async def test_slot_taken_meanwhile_offers_the_next(triage_desk):
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        await open_triage(pilot)
        await type_text(pilot, "tapp")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        booking = app.screen
        booking.query_one("#needs", TextArea).text = "Integrar o TAPP do zero e ensinar a equipe a usar os pedidos"
        booking.query_one("#contact_name", Input).value = "Marta Souza"
        for cb in booking.query(".precondition").results(Checkbox):
            cb.value = True
        slot = booking.chosen_slot()
        # another agent takes the same slot first
        bookings.book(triage_desk["supervisor"], booking.request())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is booking
        assert field(booking, "slot").has_class("-invalid")
        assert booking.chosen_slot().start > slot.start
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "BookedDialog"
    assert Booking.select().count() == 2


async def test_ctrl_s_again_while_the_booking_is_written_books_once(triage_desk, monkeypatch):
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        await open_triage(pilot)
        await type_text(pilot, "tapp")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        booking = app.screen
        booking.query_one("#needs", TextArea).text = "Integrar o TAPP do zero e ensinar a equipe a usar os pedidos"
        booking.query_one("#contact_name", Input).value = "Marta Souza"
        for cb in booking.query(".precondition").results(Checkbox):
            cb.value = True
        booking_call = hold(monkeypatch, bookings, "book")  # still writing when Ctrl+S comes again
        await press_again_while_held(pilot, "ctrl+s", booking_call)
        await settle(pilot)
        assert type(app.screen).__name__ == "BookedDialog"
        assert len(booking_call.calls) == 1
    assert Booking.select().count() == 1


async def test_month_without_analyst_says_so(triage_desk):
    RotaMonth.delete().execute()
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        await open_triage(pilot)
        await type_text(pilot, "balanca")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        text = str(app.screen.query_one("#analyst", Static).render())
        assert "No implementation analyst is on the rota for 2026-03" in text
        assert app.screen.query_one("#slots", OptionList).option_count == 0


async def test_analyst_records_held(triage_desk):
    start = dt.datetime(2026, 3, 9, 9, 0)
    req = bookings.BookingRequest(triage_desk["ids"]["active"], "tapp_do_zero", start,
                                  "Integrar o TAPP do zero e ensinar a equipe a usar", "Marta", "11 91234-5678",
                                  preconditions_done=tuple(__import__("json").loads(
                                      Topic.get(Topic.key == "tapp_do_zero").preconditions)))
    bookings.book(triage_desk["agent"], req)
    freeze(dt.datetime(2026, 3, 9, 9, 20))
    app = AtendeApp(actor=users.identify("igor"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert type(app.screen).__name__ == "BookingsScreen"
        await pilot.press("h")
        await pilot.press("y")
        await settle(pilot)
    assert Booking.get().status == "held"


async def test_supervisor_fills_the_rota(triage_desk):
    app = AtendeApp(actor=triage_desk["supervisor"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert type(app.screen).__name__ == "RotaScreen"
        await pilot.press("down")  # cursor starts on this month; next month is empty
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "AnalystPicker"
        await pilot.press("enter")  # the first analyst (alphabetical): Igor
        await settle(pilot)
    assert rota.get_rota(triage_desk["supervisor"], "2026-04", 1)[0].analyst.login == "igor"


async def test_agents_do_not_get_rota_or_topics(triage_desk):
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f5", "f6")
        await settle(pilot)
        assert type(app.screen).__name__ == "TriageScreen"


async def test_supervisor_edits_a_topic(triage_desk):
    app = AtendeApp(actor=triage_desk["supervisor"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert type(app.screen).__name__ == "TopicEditorScreen"
        await pilot.press("enter")  # the first topic
        await settle(pilot)
        label = app.screen.query_one("#label", Input)
        label.value = "Configuração de Etiquetas [/gôndola]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "TopicEditorScreen"
    assert Topic.get(Topic.key == "etiqueta").label == "Configuração de Etiquetas [/gôndola]"


async def test_f2_books_the_highlighted_topic_never_the_previous_one(triage_desk, monkeypatch):
    """Moving to another topic, F2 pressed before its decision is worked out
    books that topic once decided: never the topic shown before, never nothing."""
    from services.scheduling import triage as triage_svc

    # the scale topic's decision is still being worked out when F2 is pressed
    deciding = hold(monkeypatch, triage_svc, "triage", when=lambda _actor, _customer, topic: topic == "balanca")
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot)
        await type_text(pilot, "financ")
        await settle(pilot)
        assert screen.decision.topic_key == "treinamento_financeiro" and screen.decision.can_book
        screen.query_one("#topic-search", Input).value = "balan"
        await until(pilot, lambda: [t.key for t in screen.topic_list] == ["balanca"])
        await pilot.pause(0.05)
        assert screen.decision is None  # the financial topic's decision is no longer offered
        assert "Working out" in str(screen.query_one("#decision", Static).render())
        await pilot.press("f2")
        await pilot.pause(0.05)
        assert app.screen is screen  # nothing booked yet, and not the previous topic
        deciding.release()
        await settle(pilot)
        booking = app.screen
        assert type(booking).__name__ == "BookingScreen"
        assert booking.topic.key == "balanca"


async def test_f2_pressed_before_a_decision_that_does_not_book_says_so(triage_desk, monkeypatch):
    from services.scheduling import triage as triage_svc

    deciding = hold(monkeypatch, triage_svc, "triage")
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot)
        screen.query_one("#topic-search", Input).value = "tef"
        await until(pilot, lambda: len(screen.topic_list) == 1 and screen._deciding == screen.topic_list[0].key)
        assert screen.decision is None
        await pilot.press("f2")  # before the decision of the TEF topic is there
        deciding.release()
        await settle(pilot)
        assert app.screen is screen and screen.decision.route == "support"
        assert any("not booked" in str(n.message) for n in app._notifications)


async def test_f2_straight_after_typing_a_topic_books_the_topic_typed(triage_desk, monkeypatch):
    """F2 pressed before the list of the filter is back books the topic of the
    filter, never the one highlighted under the previous filter."""
    from services.scheduling import topics as topics_svc

    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_triage(pilot)
        await type_text(pilot, "financ")
        await settle(pilot)
        assert screen.decision.topic_key == "treinamento_financeiro" and screen.decision.can_book
        searching = hold(monkeypatch, topics_svc, "search_topics", when=lambda _actor, text: text == "balan")
        screen.query_one("#topic-search", Input).value = "balan"
        await until(pilot, lambda: searching.calls)
        await pilot.press("f2")  # the list still shows the financial training highlighted
        await pilot.pause(0.05)
        assert app.screen is screen
        searching.release()
        await settle(pilot)
        booking = app.screen
        assert type(booking).__name__ == "BookingScreen"
        assert booking.topic.key == "balanca"


async def test_loyalty_asks_for_the_ticket_with_the_answer_attached(triage_desk):
    app = AtendeApp(actor=triage_desk["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        await open_triage(pilot)
        await type_text(pilot, "fidelidade")
        await settle(pilot)
        assert any("attach the answer" in step for step in app.screen.decision.next_steps)
        await pilot.press("f2")
        await settle(pilot)
        booking = app.screen
        booking.query_one("#needs", TextArea).text = "Configurar o programa de fidelidade com pontos e resgate"
        booking.query_one("#contact_name", Input).value = "Marta Souza"
        for cb in booking.query(".precondition").results(Checkbox):
            cb.value = True  # ticking is not enough
        await pilot.press("ctrl+s")
        await settle(pilot)
        protocol = field(booking, "ticket_protocol")
        assert app.screen is booking and protocol.has_class("-invalid")
        assert protocol.label == "Protocol of the ticket with the answer attached"
    assert Booking.select().count() == 0
