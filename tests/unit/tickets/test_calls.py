"""The phone: a ring names the caller found by their number in any format,
tells the agent's sessions (the "ring" topic), and answering opens the
wizard's draft with the caller chosen (or the lookup with the number)."""
import datetime as dt
import time

import pytest

from models import Ticket
from models.calls import Call
from services.core import clock
from services.core.errors import Conflict, PermissionDenied, ValidationError
from services.core.validation import phone_key
from services.customers import contacts, registration
from services.store import presence, users
from services.store.live import watcher
from services.tickets import calls
from services.tickets.wizard import saving


@pytest.mark.parametrize("typed", ["+55 (11) 99469-5266", "5511994695266", "011994695266", "11 99469 5266",
                                   "0 21 11 99469-5266", "tel:+5511994695266", "sip:011994695266@pbx"])
def test_a_number_in_any_format_is_one_e164(typed):
    assert phone_key(typed) == ("+5511994695266", "+55 11 99469-5266")


@pytest.mark.parametrize("typed", ["", "anonymous", "1234", "[bold]", "\x00\x1b[31m", "9" * 300])
def test_what_is_no_number_gives_none(typed):
    assert phone_key(typed) is None


def _maria(admin):
    got = registration.register(admin, kind="customer", name="Maria Souza", doc="529.982.247-25",
                                phone="(11) 99469-5266")
    return got.customer.id, got.contact_id


def test_a_ring_names_the_customer_found_by_any_format_and_tells_the_session(admin, people):
    customer_id, contact_id = _maria(admin)
    agent = people["agent"]
    seen = watcher()
    seen.poll()
    presence.join(agent, "s1")
    rung = calls.ring(None, "011 99469-5266", "t_agent")
    assert rung.sessions == 1
    assert (rung.call.customer_id, rung.call.contact_id, rung.call.matches) == (customer_id, contact_id, 1)
    assert rung.call.headline() == f"Call from Maria Souza (customer {customer_id})"
    deadline = time.monotonic() + 10  # PostgreSQL's notification reaches the socket a moment after the commit
    while "ring" not in seen.poll():
        assert time.monotonic() < deadline, "no ring topic"
        time.sleep(0.05)
    assert [c.id for c in calls.ringing("t_agent")] == [rung.call.id]
    assert calls.ringing("t_agent", after_id=rung.call.id) == []
    assert calls.ringing("t_coordinator") == []
    seen.close()


def test_a_contact_of_a_company_is_named_with_it(admin, people):
    got = registration.register(admin, kind="customer", name="Padaria Pão Bom", doc="11.222.333/0001-81",
                                phone="11 3333-4444")
    joao = contacts.save_contact(admin, got.customer.id, None, name="João Lima", phone="+55 21 98888-7777")
    rung = calls.ring(people["agent"], "5521988887777", "t_agent")
    assert (rung.call.customer_id, rung.call.contact_id) == (got.customer.id, joao.id)
    assert rung.call.headline() == f"Call from João Lima at Padaria Pão Bom (customer {got.customer.id})"
    assert rung.sessions == 0


def test_several_customers_or_none_leave_the_caller_to_the_lookup(admin, people):
    _maria(admin)
    registration.register(admin, kind="prospect", name="Outra Maria", phone="11 99469-5266")
    rung = calls.ring(None, "+5511994695266", "t_agent")
    assert (rung.call.customer_id, rung.call.matches) == (None, 2)
    assert rung.call.headline() == "Call from +55 11 99469-5266: 2 customers have this number"
    draft = calls.answer(people["agent"], rung.call.id)
    assert (draft.step, draft.customer_id, draft.lookup_text) == ("lookup", None, "+5511994695266")
    unknown = calls.ring(None, "[bold]x", "t_agent").call
    assert (unknown.matches, unknown.headline()) == (0, "Call from [bold]x: unknown number")
    assert calls.ring(None, "", "t_agent").call.headline() == "Call from a withheld number"


def test_answering_reserves_a_protocol_with_the_caller_chosen_once(admin, people):
    customer_id, contact_id = _maria(admin)
    agent = people["agent"]
    call_id = calls.ring(None, "11994695266", "t_agent").call.id
    draft = calls.answer(agent, call_id)
    assert (draft.step, draft.customer_id, draft.contact_id, draft.contact_name) == (
        "customer", customer_id, contact_id, "Maria Souza")
    assert Ticket.get_by_id(draft.ticket_id).status == "draft"
    resumed = saving.pending_drafts(agent)
    assert [(d.protocol, d.customer_id, d.step) for d in resumed] == [(draft.protocol, customer_id, "customer")]
    assert calls.ringing("t_agent") == []
    with pytest.raises(Conflict, match=draft.protocol):
        calls.answer(agent, call_id)  # the agent's other session: already taken
    [listed] = calls.recent(agent)
    assert (listed.status, listed.ticket_protocol) == ("answered", draft.protocol)


def test_only_the_agent_rung_answers_or_dismisses_and_an_old_ring_is_missed(admin, people):
    _maria(admin)
    call_id = calls.ring(None, "11994695266", "t_agent").call.id
    with pytest.raises(Exception, match="No call"):
        calls.answer(people["supervisor"], call_id)
    calls.dismiss(people["supervisor"], call_id)  # not theirs: nothing happens
    assert [c.id for c in calls.ringing("t_agent")] == [call_id]
    calls.dismiss(people["agent"], call_id)
    assert calls.ringing("t_agent") == []
    assert calls.recent(people["agent"])[0].status == "dismissed"
    old = calls.ring(None, "11994695266", "t_agent").call.id
    Call.update(created_at=clock.now() - dt.timedelta(minutes=5)).where(Call.id == old).execute()
    assert calls.ringing("t_agent") == []
    assert calls.get(people["agent"], old).status == "missed"
    assert calls.answer(people["agent"], old).customer_id  # calling back later opens a ticket too


def test_a_ring_to_nobody_or_by_a_representative_is_refused_before_anything(admin, people):
    with pytest.raises(ValidationError, match="Nobody with the login 'ghost'"):
        calls.ring(None, "11994695266", "ghost")
    company_id, _contact = _maria(admin)
    users.add(admin, "rep", "representative", name="Rep", company_id=company_id)
    with pytest.raises(PermissionDenied):
        calls.ring(users.identify("rep"), "11994695266", "t_agent")
    with pytest.raises(ValidationError, match="does not open tickets"):
        calls.ring(None, "11994695266", "rep")
    assert not Call.select().exists()
