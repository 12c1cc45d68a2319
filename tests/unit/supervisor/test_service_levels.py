"""Service-level breaches: the worker tells the responsible and the
supervisors once per missed deadline; the dashboard lists breached tickets
and those about to breach."""
from __future__ import annotations

import datetime as dt

from models import Ticket
from models.events import Notification
from services.core import clock
from services.events import notifications
from services.ops import sweeps
from services.store import users
from services.supervisor import dashboard, service_levels
from tests.scenes import SLA_MONDAY, make_sla_desk, move, wizard_ticket


def at(when: dt.datetime) -> None:
    clock.set_clock(lambda: when)


def test_a_breach_tells_the_responsible_and_the_supervisors_once(people):
    admin = people["admin"]
    w = make_sla_desk(admin)
    users.add(admin, "sup2", "supervisor", name="Outra Supervisora")
    agent = people["agent"]
    t = wizard_ticket(admin, w, responsible_id=agent.id)  # due Monday 18:00
    paused = wizard_ticket(admin, w)
    move(admin, paused.id, "waiting_customer")
    at(SLA_MONDAY.replace(hour=17, minute=59))
    assert service_levels.notify_breaches(clock.now()) == 0
    at(SLA_MONDAY.replace(hour=18, minute=1))
    assert "tickets.sla_breaches" in sweeps.registered()
    results = {r.name: r for r in sweeps.run_sweeps(clock.now())}
    assert results["tickets.sla_breaches"].done == 1 and not results["tickets.sla_breaches"].error
    told = {n.user_id for n in Notification.select()}
    assert told == {agent.id, people["supervisor"].id, users.identify("sup2").id}
    (line,) = notifications.notifications(agent)
    assert line.text == f"Ticket {t.protocol} missed its resolution target (due 09/03/2026 18:00)"
    assert Ticket.get_by_id(t.id).resolution_breached
    at(SLA_MONDAY.replace(hour=19))
    assert service_levels.notify_breaches(clock.now()) == 0  # once
    assert Notification.select().count() == 3


def test_the_dashboard_lists_breached_tickets_then_those_about_to_breach(people):
    admin = people["admin"]
    w = make_sla_desk(admin)
    late = wizard_ticket(admin, w)  # 8 hours: due Monday 18:00
    at(SLA_MONDAY.replace(hour=11))
    close = wizard_ticket(admin, w, type_key="plain")  # 20 hours: due Wednesday 11:00
    at(SLA_MONDAY.replace(hour=14))
    wizard_ticket(admin, w, type_key="plain")  # due Wednesday 14:00: 5 h 30 of 20 left, not yet close
    at(dt.datetime(2026, 3, 11, 8, 30))
    board = dashboard.read(people["supervisor"])
    assert [(r.protocol, r.breached, r.left_text, r.target) for r in board.service_levels] == [
        (late.protocol, True, "-10 h 30", "resolution"), (close.protocol, False, "2 h 30", "resolution")]
    assert board.service_levels[0].target_label == "resolution"
