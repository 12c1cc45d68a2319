"""Scene builders shared by the tests: each fills the test database with a
small, known set of records and returns what a test needs to reach them.

- make_desk: customers, plans, a queue and ticket types (the wizard and the desk);
- make_sla_desk, wizard_ticket, move: service-level targets on them, a ticket
  opened through the wizard, a status change;
- make_dashboard: a database whose supervisor dashboard figures are known;
- make_customers, make_analysts, freeze: the scheduling area (every triage case,
  two implementation analysts, a frozen clock).
"""
from __future__ import annotations

import datetime as dt
import json

from models import AccessPoint, Contact, Customer, Network, Plan, Queue, Ticket, TicketType, User, write_tx
from models.events import Event, EventType, Registration
from models.mail import Outbox
from models.wizard import OsType, Technician, TicketDraft
from services.core import clock
from services.core.text import fold
from services.scheduling import rota
from services.store import users


# The desk: customers on networks, a queue, ticket types.
def make_desk() -> dict:
    """Customers with contacts and plans on two networks, a queue, ticket types,
    a technician and a service-order type: what the wizard and the desk need."""
    with write_tx():
        net = Network.create(name="Rede Centro")
        other = Network.create(name="Rede Norte")
        ap1 = AccessPoint.create(name="POP Sé", name_norm="pop se", city="São Paulo", state="SP", network=net)
        ap2 = AccessPoint.create(name="POP Liberdade", name_norm="pop liberdade", city="São Paulo", state="SP",
                                 network=net)
        ap3 = AccessPoint.create(name="POP Norte", name_norm="pop norte", city="Belo Horizonte", state="MG",
                                 network=other, router_host="")
        customers = []
        for i, (name, ap) in enumerate((("João Gonçalves", ap1), ("Maria Conceição", ap2), ("[bold]Zé (NEAR)", ap3))):
            c = Customer.create(kind="customer", name=name, name_norm=fold(name), doc=f"5299822472{i}",
                                phone_digits="5511912345678", email=f"c{i}@example.com", city="São Paulo",
                                city_norm="sao paulo", contract=f"CT-{i:06d}")
            Contact.create(customer=c, name=name, phone="+55 11 91234-5678", email=f"c{i}@example.com",
                           is_primary=True)
            Plan.create(customer=c, name="Fibra 300", access_point=ap, login=f"login{i}")
            customers.append(c)
        q = Queue.create(name="Suporte Técnico")
        outage = TicketType.create(name="Sem conexão", queue=q, responsible_role="agent", allows_link=True)
        plain = TicketType.create(name="Wi-Fi", queue=q, responsible_role="agent", allows_link=False)
        tech = Technician.create(name="Técnico Tião")
        ost = OsType.create(name="Reparo", default_minutes=60)
    return dict(customers=customers, queue=q, outage=outage, plain=plain, tech=tech, os_type=ost,
                aps=(ap1, ap2, ap3))


# Service levels: the queue answers within 2 business hours and resolves within 20;
# "Sem conexão" (outage) is resolved within 8.
SLA_MONDAY = dt.datetime(2026, 3, 9, 10, 0)


def make_sla_desk(admin) -> dict:
    from services.tickets import setup

    clock.set_clock(lambda: SLA_MONDAY)
    w = make_desk()
    setup.save(admin, "queue", w["queue"].id, {"response_minutes": "120", "resolution_minutes": "1200"})
    setup.save(admin, "type", w["outage"].id, {"resolution_minutes": "480"})
    return w


def wizard_ticket(actor, w, type_key="outage", resolved=False, responsible_id=None) -> Ticket:
    """A ticket opened through the wizard for the first customer, now."""
    from services.tickets.wizard import draft, finishing, saving

    c = w["customers"][0]
    d = saving.start(actor)
    finishing.finish(actor, draft.update(
        d, customer_id=c.id, contact_id=c.contacts[0].id, plan_id=c.plans[0].id, problem="queda",
        queue_id=w["queue"].id, type_id=w[type_key].id, responsible_role="" if responsible_id else "agent",
        responsible_id=responsible_id, step="first_contact", resolved=resolved,
        solution="reiniciou" if resolved else ""))
    return Ticket.get_by_id(d.ticket_id)


def move(actor, ticket_id: int, status: str, **kw) -> None:
    """Change a ticket's status as its screen does (against its current version)."""
    from services.tickets import thread

    thread.change_status(actor, ticket_id, status, expected_version=thread.state(actor, ticket_id).version, **kw)


# The supervisor's dashboard.
DASHBOARD_NOW = dt.datetime(2026, 3, 9, 10, 0)


def make_dashboard(admin) -> dict:
    """A database whose supervisor dashboard figures are known: three people,
    tickets of every age and state, a draft, events and outbox mail."""
    clock.set_clock(lambda: DASHBOARD_NOW)
    users.add(admin, "ana", "agent", name="Ana Souza")
    users.add(admin, "bruno", "agent", name="Bruno Lima")
    users.add(admin, "gabi", "supervisor", name="Gabriela Reis")
    with write_tx():
        sup = Queue.create(name="Suporte")
        fin = Queue.create(name="Financeiro")
        sem = TicketType.create(name="Sem conexão", queue=sup)
        bol = TicketType.create(name="Boleto", queue=fin)
        ana, bruno = User.get(User.login == "ana"), User.get(User.login == "bruno")
        cust = Customer.create(kind="customer", name="[bold]Maria[/", name_norm="[bold]maria[/")
        n = 0

        def ticket(status, queue, type_, by, minutes_ago):
            nonlocal n
            n += 1
            at = DASHBOARD_NOW - dt.timedelta(minutes=minutes_ago)
            return Ticket.create(protocol=f"T{n:03d}", status=status, queue=queue, type=type_, customer=cust,
                                 created_by=by, responsible=by, created_at=at, updated_at=at)

        # open tickets: Suporte 4 (Sem conexão), Financeiro 2 (Boleto)
        ticket("open", sup, sem, ana, 10)                 # <1h, today, ana
        ticket("in_progress", sup, sem, ana, 120)         # 1h-1d, today (08:00), ana
        ticket("waiting_customer", sup, sem, bruno, 60 * 30)  # 1d-3d
        ticket("open", sup, sem, bruno, 60 * 24 * 5)      # 3d-7d
        ticket("open", fin, bol, bruno, 60 * 24 * 10)     # >7d, the oldest
        ticket("open", fin, bol, ana, 60 * 24 * 2)        # 1d-3d
        # closed ones: counted per day and per agent today, never as open
        ticket("finished", sup, sem, bruno, 30)           # today, bruno
        ticket("resolved", fin, bol, ana, 60 * 24 * 40)   # outside the 30 days
        # a call in progress (a draft) and an abandoned one
        d = Ticket.create(protocol="D001", status="draft", created_by=bruno,
                          created_at=DASHBOARD_NOW - dt.timedelta(minutes=7), updated_at=DASHBOARD_NOW)
        TicketDraft.create(protocol="D001", owner="bruno", ticket=d, step="contact",
                           data=json.dumps({"customer_name": "[red]Cliente"}), updated_at=DASHBOARD_NOW)
        Ticket.create(protocol="A001", status="abandoned", created_by=ana, created_at=DASHBOARD_NOW,
                      updated_at=DASHBOARD_NOW)
        et = EventType.select().first()

        def event(name, days, seats, stage="registration", regs=0, waiting=0, came=0, cpf=""):
            e = Event.create(description=name, responsible=ana, type=et,
                             starts_at=DASHBOARD_NOW + dt.timedelta(days=days),
                             ends_at=DASHBOARD_NOW + dt.timedelta(days=days, hours=2), seats=seats, stage=stage,
                             created_at=DASHBOARD_NOW, created_by="t", updated_at=DASHBOARD_NOW)
            for i in range(regs + waiting):
                Registration.create(event=e, code=f"{e.id}-{i}", access_token=f"{name}{i}", name=f"P{i}",
                                    email=f"p{i}@{name.lower().replace(' ', '')}.example",
                                    stage="came" if i < came else "new", waitlisted=i >= regs,
                                    cpf=cpf, consent_at=DASHBOARD_NOW, consent_by="t", created_at=DASHBOARD_NOW,
                                    created_by="t", updated_at=DASHBOARD_NOW)
            return e

        soon = event("Treino A", 3, 10, regs=4, waiting=0)
        full = event("Treino B", 10, 2, regs=2, waiting=3)
        event("Treino C", 20, 5, regs=1)                       # beyond 14 days
        event("Cancelado", 5, 5, stage="cancelled", regs=1)     # cancelled: not listed
        event("Passado", -2, 10, stage="held", regs=3, came=3, cpf="52998224725")  # 3 certificates to issue
        event("Sem CPF", -1, 10, stage="held", regs=2, came=2, cpf="")            # 2 waiting for a CPF
        rows = [("queued", 3), ("failed", 2), ("sent", 4)]
        k = 0
        for state, count in rows:
            for _i in range(count):
                k += 1
                Outbox.create(recipients="[]", idempotency_key=f"k{k}", state=state, next_attempt_at=DASHBOARD_NOW,
                              created_at=DASHBOARD_NOW)
    return dict(suporte=sup, financeiro=fin, soon=soon, full=full)


# Scheduling: customers covering every triage case, analysts, a rota, a frozen clock.
MONDAY = dt.datetime(2026, 3, 9, 8, 0)  # a Monday, before working hours

CUSTOMERS = {
    # key: (name, doc, account_status, onboarding, franchise_group)
    "active": ("Padaria [bold]Pão Quente", "52998224725", "active", False, ""),
    "blocked": ("Mercado Bloqueado", "11144477735", "blocked", False, ""),
    "onboarding": ("Loja Nova em Onboarding", "39053344705", "active", True, ""),
    "franchise": ("Filial Franquia X Centro", "11222333000181", "active", False, "Franquia X"),
    "blocked_franchise": ("Filial Bloqueada", "45723174000110", "blocked", True, "Franquia X"),
}


def make_customers() -> dict[str, int]:
    ids = {}
    with write_tx():
        for key, (name, doc, status, onboarding, group) in CUSTOMERS.items():
            c = Customer.create(kind="customer", name=name, name_norm=fold(name), doc=doc,
                                doc_kind="cnpj" if len(doc) == 14 else "cpf", email=f"{key}@cliente.com.br",
                                phone="+55 11 3333-4444", phone_digits="551133334444", city="São Paulo",
                                city_norm="sao paulo", state="SP", account_status=status,
                                onboarding=onboarding, franchise_group=group)
            ids[key] = c.id
        ids["prospect"] = Customer.create(kind="prospect", name="Prospecto Sem Plano", name_norm="prospecto sem plano",
                                          doc="", email="p@x.com.br").id
    return ids


def make_analysts(admin) -> dict[str, object]:
    users.add(admin, "igor", "agent", name="Igor Nascimento", email="igor@atende.example")
    users.add(admin, "juliana", "agent", name="Juliana Prado", email="juliana@atende.example")
    return {
        "igor": rota.save_analyst(admin, "igor"),  # 09:00-12:00 13:30-18:00, Mon-Fri
        "juliana": rota.save_analyst(admin, "juliana", hours="08:00-17:00"),
    }


def freeze(at: dt.datetime, zone: str = "America/Sao_Paulo") -> None:
    """Freeze the clock at the instant the wall clock of `zone` (the scheduling
    time zone's default) reads `at`, wherever the machine running the tests is."""
    from zoneinfo import ZoneInfo

    local = clock.local_of(at, ZoneInfo(zone))
    clock.set_clock(lambda: local)
