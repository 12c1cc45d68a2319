"""Pilot tests of the events board, the event form, the registrations screen
and the check-in desk, at 80x24 with the keyboard only."""
from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Checkbox, DataTable, Input, OptionList, Static

from app import AtendeApp
from services.core import clock
from services.events import editing, event_types, materials, notifications, pipeline, preparation, queries
from services.events import registrations as er
from tests.ui.pilot_tools import hold, press_again_while_held, until
from tests.ui.pilot_tools import settle as settle_workers
from tests.unit.events.test_events import NOW, make_event, open_registration, person, type_id

pytestmark = pytest.mark.asyncio


@pytest.fixture
def frozen():
    clock.set_clock(lambda: NOW)
    yield NOW


async def settle(app, pilot) -> None:
    await settle_workers(pilot, rounds=3)


def text_of(widget) -> str:
    rendered = widget.render()
    return getattr(rendered, "plain", str(rendered))


async def open_board(app, pilot):
    await pilot.press("f3")
    await settle(app, pilot)
    from screens.events.board import EventBoardScreen

    assert isinstance(app.screen, EventBoardScreen)
    return app.screen


async def open_event(app, pilot, event_id: int):
    """The event's screen, loaded."""
    from screens.events.detail import EventDetailScreen

    app.push_screen(EventDetailScreen(event_id))
    await settle(app, pilot)
    return app.screen


def cards(screen, stage: str) -> list[str]:
    options = screen.query_one(f"#cards-{stage}", OptionList)
    return [o.id for o in options.options if o.id]


def bare_event_in_preparation(coord) -> queries.EventInfo:
    """An event in Preparation missing what Registration needs (address, seats)."""
    bare = editing.create_event(coord, editing.EventInput(
        description="Bare", responsible_id=coord.id, starts_at=NOW + dt.timedelta(days=2),
        ends_at=NOW + dt.timedelta(days=2, hours=1), type_id=type_id(coord, "offline")))
    pipeline.move_event(coord, bare.id, "preparation")
    return bare


# --------------------------------------------------------------------------- board


async def test_board_shows_cards_and_moves_them_with_the_keyboard(people, frozen):
    coord = people["coordinator"]
    ready = make_event(coord, description="[bold]Ready [/")
    bare = bare_event_in_preparation(coord)
    app = AtendeApp(actor=coord)
    async with app.run_test(size=(80, 24)) as pilot:
        board = await open_board(app, pilot)
        assert cards(board, "new") == [str(ready.id)]
        assert cards(board, "preparation") == [str(bare.id)]
        card_text = board.query_one("#cards-new", OptionList).options[0].prompt.plain
        assert "[bold]Ready [/" in card_text and "0/10" in card_text
        # ] moves the card forward; the task is created
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert queries.get_event(coord, ready.id).stage == "preparation"
        assert preparation.get_task(coord, ready.id) is not None
        assert str(ready.id) in cards(board, "preparation")
        # focus followed the moved card; choose the bare event: registration is refused
        assert board.query_one("#cards-preparation", OptionList).has_focus
        options = board.query_one("#cards-preparation", OptionList)
        options.highlighted = options.get_option_index(str(bare.id))
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        from tui.dialogs import ConfirmDialog

        assert isinstance(app.screen, ConfirmDialog)
        question = text_of(app.screen.query_one("#question", Static))
        assert "missing Address, Seats" in question
        await pilot.press("n")
        await settle(app, pilot)
        assert queries.get_event(coord, bare.id).stage == "preparation"
        # [ moves back
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert queries.get_event(coord, bare.id).stage == "new"


async def test_the_board_shows_its_newest_load_when_an_older_one_answers_last(people, frozen, monkeypatch):
    """A reload started before a change (a live refresh) that answers after
    the reload started by the change put the card back in its old column."""
    import threading

    coord = people["coordinator"]
    e = make_event(coord)
    app = AtendeApp(actor=coord, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        board = await open_board(app, pilot)
        assert cards(board, "new") == [str(e.id)]
        real_list, reads, fresh_answered = queries.list_events, [], threading.Event()

        def list_events(actor, **kwargs):
            items = real_list(actor, **kwargs)
            reads.append([i.stage for i in items])
            if len(reads) == 1:  # read before the move, answered after the newer load
                fresh_answered.wait(5)
            return items

        monkeypatch.setattr(queries, "list_events", list_events)
        board.load()
        await until(pilot, lambda: reads)
        pipeline.move_event(coord, e.id, "preparation")  # another session moves it
        board.load()
        await until(pilot, lambda: len(reads) == 2)
        await pilot.pause(0.1)
        fresh_answered.set()
        await settle(app, pilot)
        assert reads == [["new"], ["preparation"]]
        assert cards(board, "preparation") == [str(e.id)] and cards(board, "new") == []


async def test_next_stage_pressed_again_during_a_move_moves_on_from_the_new_stage(people, frozen, monkeypatch):
    """] pressed twice in a row on an event: the second waits for the first
    move and goes on from the stage it reached. It used the event as it was
    before the first move, and was refused (the end-to-end run under load
    saw the close-as-held question never come)."""
    coord = people["coordinator"]
    e = make_event(coord)
    app = AtendeApp(actor=coord)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_event(app, pilot, e.id)
        held = hold(monkeypatch, pipeline, "move_event")
        await press_again_while_held(pilot, "right_square_bracket", held)  # ] again while the move is written
        await settle(app, pilot)
        await settle(app, pilot)
        assert queries.get_event(coord, e.id).stage == "registration"
        assert not any("stage" in str(n.message).lower() and "changed" in str(n.message).lower()
                       for n in app._notifications)


async def test_a_load_read_before_a_move_does_not_stand_for_the_moved_event(people, frozen, monkeypatch):
    """] pressed twice: the second waits for the event as the first move left
    it. A reload started before that move (a live refresh) whose answer came
    after it was taken for it: the second ] moved from the old stage and was
    refused (the end-to-end run under load saw the close-as-held question
    never come)."""
    import threading
    import time

    coord = people["coordinator"]
    e = make_event(coord)
    app = AtendeApp(actor=coord, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_event(app, pilot, e.id)
        real_get, reads, stale_may_answer = queries.get_event, [], threading.Event()

        def get_event(actor, event_id):
            event = real_get(actor, event_id)
            reads.append(event.stage)
            if len(reads) == 1:  # the early reload: read before the move, answered after it
                stale_may_answer.wait(5)
            elif len(reads) == 2:  # the reload after the move: the early answer comes first
                stale_may_answer.set()
                time.sleep(0.3)
            return event

        monkeypatch.setattr(queries, "get_event", get_event)
        detail.load()
        await until(pilot, lambda: reads)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(app, pilot)
        await settle(app, pilot)
        assert reads[0] == "new"
        assert queries.get_event(coord, e.id).stage == "registration"  # new -> preparation -> registration
        assert not any(n.severity == "error" for n in app._notifications)


async def test_a_move_failing_unexpectedly_is_said_and_next_stage_works_again(people, frozen, monkeypatch):
    """A fault of ours in a move (not a refusal) is said in one line, the
    event stays, and ] moves it again once the store answers."""
    coord = people["coordinator"]
    e = make_event(coord)
    app = AtendeApp(actor=coord, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_event(app, pilot, e.id)
        real_move = pipeline.move_event

        def broken(*args, **kwargs):
            raise RuntimeError("move exploded")

        def said() -> list[str]:
            return [n.message for n in app._notifications if "internal error (RuntimeError)" in n.message]

        monkeypatch.setattr(pipeline, "move_event", broken)
        await pilot.press("right_square_bracket")
        await until(pilot, said)
        await until(pilot, lambda: not detail._moving)
        assert len(said()) == 1 and queries.get_event(coord, e.id).stage == "new"
        monkeypatch.setattr(pipeline, "move_event", real_move)
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert queries.get_event(coord, e.id).stage == "preparation"


async def test_keys_typed_after_a_refused_move_are_dropped_with_it(people, frozen, monkeypatch):
    """] typed three times on an event that is not ready: the refusal is asked
    once. Declining it asked it again for each ] typed ahead."""
    from tui.dialogs import ConfirmDialog

    coord = people["coordinator"]
    bare = bare_event_in_preparation(coord)
    app = AtendeApp(actor=coord, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_event(app, pilot, bare.id)
        held = hold(monkeypatch, pipeline, "move_event")
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: held.calls)
        await pilot.press("right_square_bracket", "right_square_bracket")  # typed while the move is written
        held.release()
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)  # not ready: edit it now?
        await pilot.press("n")
        await settle(app, pilot)
        await settle(app, pilot)
        assert app.screen is detail
        assert queries.get_event(coord, bare.id).stage == "preparation"
        await pilot.press("right_square_bracket")  # ] works again: asked once more
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)


async def test_next_stage_works_again_after_a_refused_move_sent_to_editing(people, frozen):
    from tui.dialogs import ConfirmDialog

    coord = people["coordinator"]
    bare = bare_event_in_preparation(coord)
    app = AtendeApp(actor=coord)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_event(app, pilot, bare.id)
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)  # not ready: edit it now?
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is not detail and not isinstance(app.screen, ConfirmDialog)  # the event's form
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is detail
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)  # asked again, not kept waiting for a move


async def test_board_refuses_moves_by_someone_not_responsible(people, frozen, admin):
    from services.store import users

    users.add(admin, "t_other", "coordinator", name="Other")
    other = users.identify("t_other")
    e = make_event(people["coordinator"])
    app = AtendeApp(actor=other)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(app, pilot)
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert queries.get_event(other, e.id).stage == "new"
        assert any("Only the responsible" in str(n.message) for n in app._notifications)


async def test_board_shows_unread_notifications(people, frozen):
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=1))
    er.register(coord, e.id, person(1))
    er.register(coord, e.id, person(2))  # waiting list: the responsible is told
    app = AtendeApp(actor=coord)
    async with app.run_test(size=(80, 24)) as pilot:
        board = await open_board(app, pilot)
        inbox = board.query_one("#board-inbox", Static)
        assert inbox.display and "unread" in text_of(inbox)
        await pilot.press("i")
        await settle(app, pilot)
        assert "waiting list" in text_of(app.screen.query_one("#notifications-text", Static))
        await pilot.press("escape")
        await settle(app, pilot)
        assert notifications.unread_count(coord) == 0
        assert not board.query_one("#board-inbox", Static).display


# --------------------------------------------------------------------------- form


async def type_into(pilot, app, selector: str, text: str) -> None:
    """Focus the input and type `text` (the first characters pasted, the last typed)."""
    widget = app.screen.query_one(selector, Input)
    widget.focus()
    await pilot.pause()
    widget.value = text[:-2]
    widget.cursor_position = len(widget.value)
    await pilot.press(*text[-2:])


async def test_event_form_shows_errors_next_to_fields_and_saves(people, frozen):
    coord = people["coordinator"]
    app = AtendeApp(actor=coord)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        from screens.events.form import EventFormScreen
        from tui.forms import Field

        form = app.screen
        assert isinstance(form, EventFormScreen)
        await type_into(pilot, app, "#description", "Workshop [/")
        await type_into(pilot, app, "#starts_at", "10/05/2026 14:00")
        await type_into(pilot, app, "#ends_at", "10/05/2026 13:00")
        await type_into(pilot, app, "#seats", "0")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        errors = {f.field_name: text_of(f.query_one(".field-error"))
                  for f in form.query(Field) if f.has_class("-invalid")}
        assert errors["ends_at"] == "The end must be after the start"
        assert "seats" in errors and "type" in errors
        assert form.query_one("#description", Input).value == "Workshop [/"  # nothing typed is lost
        await type_into(pilot, app, "#ends_at", "10/05/2026 18:00")
        await type_into(pilot, app, "#seats", "12")
        form.query_one("#type").value = type_id(coord, "offline")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, EventFormScreen)
        [saved] = queries.list_events(coord)
        assert (saved.description, saved.seats, saved.starts_at) == ("Workshop [/", 12, dt.datetime(2026, 5, 10, 14))


async def test_secondary_event_shows_inherited_fields_read_only(people, frozen):
    coord = people["coordinator"]
    main = make_event(coord, description="Main course", seats=7, public=True)
    app = AtendeApp(actor=coord)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        form = app.screen
        form.query_one("#main").value = main.id
        await settle(app, pilot)
        assert form.query_one("#seats", Input).disabled and form.query_one("#seats", Input).value == "7"
        assert form.query_one("#public", Checkbox).disabled and form.query_one("#public", Checkbox).value
        assert form.query_one("#type").disabled
        assert form.query_one("#description", Input).value == "Main course"
        assert not form.query_one("#address", Input).disabled
        await type_into(pilot, app, "#description", "Main course, day 2")
        await type_into(pilot, app, "#starts_at", "15/05/2026 09:00")
        await type_into(pilot, app, "#ends_at", "15/05/2026 12:00")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        sec = next(e for e in queries.list_events(coord) if e.main_id == main.id)
        assert (sec.description, sec.seats, sec.public) == ("Main course, day 2", 7, True)


# --------------------------------------------------------------------------- registrations


async def open_registration_form(app, pilot, event_id: int, name: str):
    """The event's page, then "a": the registration form with a name and an e-mail typed."""
    from screens.events.dialogs import RegistrationForm

    await open_event(app, pilot, event_id)
    await pilot.press("a")
    await settle(app, pilot)
    assert isinstance(app.screen, RegistrationForm)
    await type_into(pilot, app, "#name", name)
    await type_into(pilot, app, "#email", "joana@example.com")


async def test_registration_form_requires_consent(people, frozen):
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=5))
    app = AtendeApp(actor=people["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        from screens.events.detail import EventDetailScreen
        from screens.events.dialogs import RegistrationForm

        await open_registration_form(app, pilot, e.id, "Joana [b]")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, RegistrationForm)
        consent_field = app.screen.query_one("#consent", Checkbox).parent
        assert consent_field.has_class("-invalid")
        assert "consent" in text_of(consent_field.query_one(".field-error"))
        assert er.list_registrations(coord, e.id) == []
        app.screen.query_one("#consent", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, EventDetailScreen)
        [r] = er.list_registrations(coord, e.id)
        assert (r.name, r.consent_by) == ("Joana [b]", "t_agent")
        table = app.screen.query_one("#registrations", DataTable)
        assert table.row_count == 1


async def test_a_second_ctrl_s_while_registering_registers_once(people, frozen, monkeypatch):
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=5))
    registering = hold(monkeypatch, er, "register")  # the first save still running when Ctrl+S comes again
    calls = registering.calls
    app = AtendeApp(actor=people["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        from screens.events.detail import EventDetailScreen

        await open_registration_form(app, pilot, e.id, "Joana")
        app.screen.query_one("#consent", Checkbox).value = True
        await press_again_while_held(pilot, "ctrl+s", registering)
        await settle(app, pilot)
        assert len(calls) == 1
        assert isinstance(app.screen, EventDetailScreen)
        assert len(er.list_registrations(coord, e.id)) == 1


# --------------------------------------------------------------------------- check-in


async def test_checkin_desk_search_first(people, frozen):
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=10))
    a = er.register(coord, e.id, er.RegistrationInput(name="Ana [Souza]", email="ana@example.com",
                                                      cpf="529.982.247-25", consent=True)).registration
    er.register(coord, e.id, er.RegistrationInput(name="Anabela Reis", email="anabela@example.com", consent=True))
    c = er.register(coord, e.id, er.RegistrationInput(name="Carlos Dias", email="carlos@example.com",
                                                      consent=True)).registration
    app = AtendeApp(actor=people["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        from screens.events.checkin import CheckinScreen

        app.push_screen(CheckinScreen(e.id))
        await settle(app, pilot)
        screen = app.screen
        counts = lambda: text_of(screen.query_one("#checkin-counts", Static))  # noqa: E731
        last = lambda: text_of(screen.query_one("#checkin-last", Static))  # noqa: E731
        assert "Expected 3" in counts() and "Present 0" in counts() and "Missing 3" in counts()
        # a scanner types the code and Enter
        await pilot.press(*c.code.lower(), "enter")
        await settle(app, pilot)
        assert "Carlos Dias checked in" in last()
        assert "Present 1" in counts() and "Missing 2" in counts()
        assert screen.query_one("#checkin-search", Input).value == "" and screen.query_one("#checkin-search").has_focus
        # the same code again is refused, clearly
        await pilot.press(*c.code, "enter")
        await settle(app, pilot)
        assert "already checked in" in last()
        # undo
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert "no longer checked in" in last() and "Present 0" in counts()
        # unknown code
        await pilot.press(*"ZZZZ9999", "enter")
        await settle(app, pilot)
        assert "Unknown code" in last()
        # part of a name matching two people: choose in the table
        await pilot.press(*"ana", "enter")
        await settle(app, pilot)
        table = screen.query_one("#checkin-results", DataTable)
        assert table.has_focus and table.row_count == 2
        await pilot.press("enter")
        await settle(app, pilot)
        assert er.get_registration(coord, a.id).stage == "came"
        # part of a CPF, a single match: checked in at once
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        await pilot.press(*"529.982", "enter")
        await settle(app, pilot)
        assert er.get_registration(coord, a.id).stage == "came"
        assert "Ana [Souza] checked in" in last()


async def test_checkin_two_scans_read_at_once_check_in_both(people, frozen):
    """A scanner types a code and Enter, and the next badge follows before
    the first check-in is written (or both arrive together over SSH): both
    people are checked in. The codes used to run together in the field."""
    from textual import events

    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=10))
    a, b = (er.register(coord, e.id, er.RegistrationInput(name=n, email=f"{n.lower()}@example.com", consent=True))
            .registration for n in ("Ana", "Bia"))
    app = AtendeApp(actor=people["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        from screens.events.checkin import CheckinScreen

        app.push_screen(CheckinScreen(e.id))
        await settle(app, pilot)
        screen = app.screen
        for code in (a.code, b.code):
            for char in code:
                app.post_message(events.Key(char.lower(), char.lower()))
            app.post_message(events.Key("enter", None))  # all queued before the app reads any
        await settle(app, pilot)
        await settle(app, pilot)
        assert er.get_registration(coord, a.id).stage == "came"
        assert er.get_registration(coord, b.id).stage == "came"
        assert screen.query_one("#checkin-search", Input).value == ""
        assert "Present 2" in text_of(screen.query_one("#checkin-counts", Static))


# --------------------------------------------------------------------------- the desk's promotion


async def test_event_promo_registers_the_current_contact(people, frozen):
    from textual.app import ComposeResult

    from tui.base import AtendeScreen
    from tui.dialogs import ConfirmDialog
    from tui.event_promo import EventPromo

    coord = people["coordinator"]
    open_registration(coord, make_event(coord, description="Private", seats=5))
    public = open_registration(coord, make_event(coord, description="Open [day]", seats=5, public=True))
    received = []

    class Host(AtendeScreen):
        def compose(self) -> ComposeResult:
            yield EventPromo(id="promo")

        def on_event_promo_registered(self, message: EventPromo.Registered) -> None:
            received.append(message)

    app = AtendeApp(actor=people["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(Host())
        await settle(app, pilot)
        promo = app.screen.query_one(EventPromo)
        options = promo.query_one(OptionList)
        assert [o.id for o in options.options] == [str(public.id)]
        assert "Open [day]" in options.options[0].prompt.plain and "5 seats left" in options.options[0].prompt.plain
        promo.set_contact("Rita [x]", "rita@example.com", phone="(11) 91234-5678", company="ACME")
        options.focus()
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)  # the agent confirms the contact's consent
        await pilot.press("y")
        await settle(app, pilot)
        [r] = er.list_registrations(coord, public.id)
        assert (r.name, r.source, r.consent_by) == ("Rita [x]", "desk", "t_agent")
        assert received and received[0].event.id == public.id
        assert promo.query_one(OptionList).options == []  # never offered again to someone already in it
        promo.set_contact("Outro", "outro@example.com")
        await settle(app, pilot)
        assert "4 seats left" in promo.query_one(OptionList).options[0].prompt.plain


# --------------------------------------------------------------------------- certificates tab


async def test_certificates_tab_lists_who_lacks_a_cpf_and_p_corrects_it(people, frozen):
    from models import write_tx
    from models.events import Registration
    from screens.events.detail import EventDetailScreen
    from screens.events.dialogs import PathDialog
    from services.events import issuing

    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=5))
    r = er.register(coord, e.id, person(1, name="Zé [bold]Sem CPF")).registration
    with write_tx():
        Registration.update(stage="came").where(Registration.id == r.id).execute()
    app = AtendeApp(actor=coord)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_event(app, pilot, e.id)
        await pilot.press("4")
        await settle(app, pilot)
        assert "no valid CPF" in text_of(app.screen.query_one("#no-cpf", Static))
        missing = app.screen.query_one("#missing-cpf", DataTable)
        assert missing.has_focus and missing.get_row_at(0)[0].plain == "Zé [bold]Sem CPF"
        await pilot.press("p")  # the one selected in the Certificates tab's own list
        await settle(app, pilot)
        assert isinstance(app.screen, PathDialog)
        await type_into(pilot, app, "#path", "123.456.789-00")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PathDialog)  # refused under the field, what was typed kept
        assert app.screen.query_one("#path", Input).value == "123.456.789-00"
        app.screen.query_one("#path", Input).value = "529.982.247-25"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EventDetailScreen)
        assert issuing.without_cpf(coord, e.id) == []
        from textual.widgets import TabbedContent

        tabs = app.screen.query_one(TabbedContent)
        for key, pane in (("3", "tab-materials"), ("2", "tab-checklist"), ("4", "tab-certificates"),
                          ("1", "tab-registrations"), ("4", "tab-certificates")):
            await pilot.press(key)  # from whichever list has the focus
            await settle(app, pilot)
            assert tabs.active == pane, key
        assert "valid CPF for the certificate" in text_of(app.screen.query_one("#no-cpf", Static))


async def test_material_and_import_paths_are_refused_under_the_field(people, frozen, tmp_path):
    from screens.events.dialogs import PathDialog
    from services.events import imports
    from tests.unit.core.test_files import bad_paths

    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=5))
    app = AtendeApp(actor=coord)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_event(app, pilot, e.id)
        for key, limit in (("f", materials.MAX_MATERIAL_BYTES), ("i", imports.MAX_IMPORT_BYTES)):
            await pilot.press(key)
            await settle(app, pilot)
            dialog = app.screen
            assert isinstance(dialog, PathDialog)
            for path, word in bad_paths(tmp_path, limit).items():
                dialog.query_one("#path", Input).value = path
                await pilot.press("enter")
                await settle(app, pilot)
                assert app.screen is dialog, path
                assert word in text_of(dialog.query_one(".field-error", Static)), path
                assert dialog.query_one("#path", Input).value == path  # kept
            await pilot.press("escape")
            await settle(app, pilot)
    assert materials.list_materials(coord, e.id) == []


# --------------------------------------------------------------------------- event types


async def test_event_types_are_added_and_changed_from_the_board(people, frozen):
    from screens.events.types import EventTypeForm, EventTypesScreen

    coord = people["coordinator"]
    app = AtendeApp(actor=coord)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        assert isinstance(app.screen, EventTypesScreen)
        before = app.screen.query_one(DataTable).row_count
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, EventTypeForm)
        await pilot.press("ctrl+s")  # empty name: refused next to the field, form kept
        await settle(app, pilot)
        assert isinstance(app.screen, EventTypeForm)
        assert "-invalid" in app.screen.query_one("Field").classes
        app.screen.query_one("#type-name", Input).value = "Workshop [b]prático"
        app.screen.query_one("#type-checklist").text = "Reservar sala\n\nImprimir apostilas\n"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, EventTypesScreen)
        assert app.screen.query_one(DataTable).row_count == before + 1
        made = next(t for t in event_types.list_types(coord) if t.name == "Workshop [b]prático")
        assert made.checklist == ("Reservar sala", "Imprimir apostilas") and made.format == "offline"
        await pilot.press("d")  # turned off: no longer offered, still listed
        await settle(app, pilot)
        assert made.id not in {t.id for t in event_types.list_types(coord)}
        assert made.id in {t.id for t in event_types.list_types(coord, include_inactive=True)}


async def test_agents_see_event_types_but_cannot_change_them(people, frozen):
    from screens.events.types import EventTypesScreen

    app = AtendeApp(actor=people["agent"])
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(EventTypesScreen())
        await settle(app, pilot)
        rows = app.screen.query_one(DataTable).row_count
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, EventTypesScreen) and rows > 0


async def test_closing_before_the_start_is_refused_to_a_coordinator_and_asks_a_supervisor_why(people, frozen):
    """] on an event in Feedback that has not started: a coordinator is told
    at once (nothing asked, nothing closed); a supervisor writes the reason,
    which the close records."""
    from models import AuditLog
    from tui.dialogs import MessageDialog, WriteDialog

    coord, lead = people["coordinator"], people["supervisor"]
    e = open_registration(coord, make_event(coord))
    for stage in ("materials", "feedback"):
        pipeline.move_event(coord, e.id, stage)
    app = AtendeApp(actor=coord, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_event(app, pilot, e.id)
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert isinstance(app.screen, MessageDialog)
        assert "once it has started" in " ".join(text_of(s) for s in app.screen.query(Static))
    assert queries.get_event(coord, e.id).stage == "feedback"
    app = AtendeApp(actor=lead, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_event(app, pilot, e.id)
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert isinstance(app.screen, WriteDialog)
        await pilot.press(*"Cliente pediu")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await settle(app, pilot)
    assert queries.get_event(coord, e.id).stage == "held"
    entry = AuditLog.select().where(AuditLog.action == "stage").order_by(AuditLog.id.desc()).first()
    assert "Cliente pediu" in entry.changes


async def test_what_is_not_allowed_is_refused_before_any_question(people, frozen):
    """A coordinator cancelling someone else's event, or editing a held one,
    is told at once: no confirmation is asked, no form opens."""
    from services.store import users
    from tui.dialogs import ConfirmDialog

    coord = people["coordinator"]
    users.add(people["admin"], "t_coord2", "coordinator", name="Outra Coordenadora")
    other = users.identify("t_coord2")
    theirs = make_event(coord, description="Evento da colega")
    app = AtendeApp(actor=other, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        board = await open_board(app, pilot)
        if str(theirs.id) not in cards(board, "new"):  # a coordinator's board starts on their own events
            await pilot.press("m")
            await settle(app, pilot)
        assert str(theirs.id) in cards(board, "new")
        options = board.query_one("#cards-new", OptionList)
        options.focus()
        options.highlighted = options.get_option_index(str(theirs.id))
        await pilot.press("x")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmDialog)
        assert any("Only the responsible consultant" in str(n.message) for n in app._notifications)
    assert queries.get_event(coord, theirs.id).stage == "new"
    held = open_registration(coord, make_event(coord, description="Já realizado"))
    for stage in ("materials", "feedback"):
        pipeline.move_event(coord, held.id, stage)
    clock.set_clock(lambda: held.ends_at)
    pipeline.move_event(coord, held.id, "held")
    app = AtendeApp(actor=coord, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_event(app, pilot, held.id)
        await pilot.press("e")
        await settle(app, pilot)
        assert app.screen is detail  # no form (the key is dimmed on a held event)
        await pilot.press("escape")
        board = await open_board(app, pilot)
        board._edit(queries.get_event(coord, held.id))  # e on its card
        await settle(app, pilot)
        assert app.screen is board
        assert any("can no longer change" in str(n.message) for n in app._notifications)


async def test_the_notifications_scroll_at_80x24_and_only_those_shown_are_marked_read(people, frozen):
    from models import write_tx
    from tui.inbox import NotificationsDialog

    coord = people["coordinator"]
    e = make_event(coord)
    with write_tx():
        for i in range(60):
            notifications.notify(coord.id, "A seat opened in {event}: {name} left the waiting list",
                                 {"event": e.description, "name": f"Pessoa {i}"}, e.id)
    app = AtendeApp(actor=coord, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, NotificationsDialog) and len(dialog.items) == 50
        scroll = dialog.query_one("#notifications-scroll")
        assert scroll.max_scroll_y > 0 and scroll.has_focus
        await pilot.press("end")
        await settle(app, pilot)
        assert scroll.scroll_y > 0  # the last ones are reachable with the keyboard
        await pilot.press("escape")
        await settle(app, pilot)
    assert notifications.unread_count(coord) == 10  # the ten not shown stay unread


async def test_moving_the_date_asks_whether_to_e_mail_the_participants(people, frozen):
    from screens.events.form import EventFormScreen
    from tests.unit.events.test_events import mails
    from tui.dialogs import ConfirmDialog

    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=5))
    er.register(coord, e.id, person(1))
    app = AtendeApp(actor=coord, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(EventFormScreen(e.id))
        await settle(app, pilot)
        form = app.screen
        form.query_one("#starts_at", Input).value = "15/05/2026 09:00"
        form.query_one("#ends_at", Input).value = "15/05/2026 12:00"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "date or the place changed" in text_of(app.screen.query_one("#question", Static))
        await pilot.press("y")
        await settle(app, pilot)
        await settle(app, pilot)
        assert not isinstance(app.screen, (ConfirmDialog, EventFormScreen))
    [sent] = mails("event_details")
    assert sent["to"] == ["p1@example.com"] and "15/05/2026" in sent["text"]
