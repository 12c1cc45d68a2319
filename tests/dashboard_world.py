"""A small database whose dashboard figures are known (tests of issue 8's supervisor's area)."""
from __future__ import annotations

import datetime as dt
import json

from models import Customer, Queue, Ticket, TicketType, User, write_tx
from models.events import Event, EventType, Registration
from models.mail import Outbox
from models.wizard import TicketDraft
from services import clock, users

NOW = dt.datetime(2026, 3, 9, 10, 0)


def make_dashboard_world(admin) -> dict:
    clock.set_clock(lambda: NOW)
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
            at = NOW - dt.timedelta(minutes=minutes_ago)
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
        d = Ticket.create(protocol="D001", status="draft", created_by=bruno, created_at=NOW - dt.timedelta(minutes=7),
                          updated_at=NOW)
        TicketDraft.create(protocol="D001", owner="bruno", ticket=d, step="contact",
                           data=json.dumps({"customer_name": "[red]Cliente"}), updated_at=NOW)
        Ticket.create(protocol="A001", status="abandoned", created_by=ana, created_at=NOW, updated_at=NOW)
        et = EventType.select().first()

        def event(name, days, seats, stage="registration", regs=0, waiting=0, came=0, cpf=""):
            e = Event.create(description=name, responsible=ana, type=et, starts_at=NOW + dt.timedelta(days=days),
                             ends_at=NOW + dt.timedelta(days=days, hours=2), seats=seats, stage=stage,
                             created_at=NOW, created_by="t", updated_at=NOW)
            for i in range(regs + waiting):
                Registration.create(event=e, code=f"{e.id}-{i}", access_token=f"{name}{i}", name=f"P{i}",
                                    email=f"p{i}@{name.lower().replace(' ', '')}.example",
                                    stage="came" if i < came else "new", waitlisted=i >= regs,
                                    cpf=cpf, consent_at=NOW, consent_by="t", created_at=NOW, created_by="t",
                                    updated_at=NOW)
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
                Outbox.create(recipients="[]", idempotency_key=f"k{k}", state=state, next_attempt_at=NOW,
                              created_at=NOW)
    return dict(suporte=sup, financeiro=fin, soon=soon, full=full)
