"""Demo data for the outbox: e-mails sent, waiting and failed, so the Outbox
area has something to show. Assumes the core demo (customers, contacts) exists."""
from __future__ import annotations

import datetime as dt
import random

from models import Contact, Customer, write_tx
from models.mail import Outbox
from services.core import clock
from services.core.permissions import Actor
from services.mail import outbox, templates

FAILURES = (
    "550 5.1.1 <{addr}>: Recipient address rejected: User unknown in virtual mailbox table",
    "552 5.2.2 <{addr}>: Mailbox full",
)


def fill(actor: Actor, rng: random.Random, count: int = 30) -> int:
    """Queue `count` ticket e-mails to demo contacts; most sent, a few waiting, two failed."""
    with write_tx():
        contacts = list(Contact.select(Contact, Customer).join(Customer)
                        .where(Contact.email != "").order_by(Contact.id).limit(500))
    if not contacts:
        return 0
    now = clock.now()
    made = 0
    with write_tx():
        for i in range(count):
            contact = rng.choice(contacts)
            protocol = f"{now:%Y%m%d}{rng.randint(1, 999_999):06d}"
            rendered = templates.render("ticket", {
                "contact_name": contact.name, "customer_name": contact.customer.name, "protocol": protocol,
                "ticket_subject": rng.choice(["Nota fiscal rejeitada", "Sem conexão", "Troca de senha",
                                              "Dúvida sobre boleto"]),
                "ticket_status": rng.choice(["aberto", "resolvido"]),
                "message": "Recebemos a sua solicitação e já estamos trabalhando nela.",
                "agent_name": actor.name, "company_name": "Atende",
            }, language="pt_BR")
            try:
                mail_id = outbox.queue(to=f"{contact.name} <{contact.email}>", subject=rendered.subject,
                                       text=rendered.text, html=rendered.html, kind="ticket",
                                       about=("ticket", protocol), key=f"demo:ticket:{protocol}:{i}",
                                       created_by=actor.login)
            except Exception:  # a demo contact with an odd address: skip it
                continue
            made += 1
            created = now - dt.timedelta(minutes=rng.randint(5, 60 * 24 * 10))
            if i < 2:
                Outbox.update(state="failed", attempts=1, created_at=created,
                              last_error=FAILURES[i].format(addr=contact.email)).where(Outbox.id == mail_id).execute()
            elif i < count - 3:
                Outbox.update(state="sent", attempts=1, created_at=created,
                              sent_at=created + dt.timedelta(seconds=rng.randint(1, 30))).where(
                    Outbox.id == mail_id).execute()
    return made
