"""Demo data for scheduling: implementation analysts, the rota of last,
this and next month, and bookings (past ones held or missed, future ones
booked) for customers the triage lets book.

Assumes the core demo (customers, users, ...) exists. The analysts are two
extra staff users (role agent) registered as implementation analysts.
"""
from __future__ import annotations

import datetime as dt
import random

from models import Contact, Customer, User, reading
from models.scheduling import Booking, Topic
from services.core import clock
from services.core.errors import AtendeError
from services.core.permissions import Actor
from services.scheduling import bookings, rota
from services.store import settings, users

ANALYSTS = (
    ("igor", "Igor Nascimento", "igor.nascimento@atende.example", "09:00-12:00 13:30-18:00", "0,1,2,3,4"),
    ("juliana", "Juliana Prado", "juliana.prado@atende.example", "08:00-12:30 14:00-17:00", "0,1,2,3,4"),
)
NEEDS = {
    "balanca": "Configurar a balança {eq} no PDV do caixa principal e cadastrar os produtos pesáveis da padaria",
    "etiqueta": "Configurar a impressora de etiquetas {eq} para etiquetas de gôndola e de produtos pesados",
    "catraca": "Configurar a catraca {eq} na entrada da academia e integrar com o cadastro de alunos",
    "totem": "Configurar o totem {eq} de autoatendimento com o cardápio e os meios de pagamento",
    "delivery_do_zero": "Ensinar a equipe a usar a integração de delivery e configurar a loja, horários e cardápio",
    "tapp_do_zero": "Fazer a integração TAPP do zero e mostrar o fluxo de pedidos para o gerente da loja",
    "fidelidade": "Configurar o programa de fidelidade com pontos por compra e resgate no caixa",
    "treinamento_financeiro": "Treinamento completo do financeiro: contas a pagar e a receber, conciliação e DRE",
    "treinamento_estoque": "Treinamento completo de estoque: entradas por XML, inventário, transferências e curva ABC",
    "treinamento_pdv": "Treinamento completo do PDV para três operadores novos: abertura, vendas, sangria e fechamento",
}
EQUIPMENT = {
    "balanca": ("Toledo", "Prix 3 Fit"), "etiqueta": ("Zebra", "GC420t"),
    "catraca": ("Henry", "Lumen Advance"), "totem": ("Gertec", "TSG 821"),
}
CONTACT_NAMES = ("Marta Souza", "Rafael Lima", "Patrícia Gomes", "Eduardo Reis", "Camila Rocha", "Tiago Alves")


def _month(today: dt.date, n: int) -> str:
    return rota.add_months(rota.month_key(today), n)


def fill(actor: Actor, rng: random.Random) -> None:
    """Add analysts, the rota for last/this/next month, and about a dozen bookings."""
    with reading():
        existing = {u.login for u in User.select(User.login)}
    for login, name, email, hours, days in ANALYSTS:
        if login not in existing:
            users.add(actor, login, "agent", name=name, email=email)
        rota.save_analyst(actor, login, hours=hours, weekdays=days)
    today = clock.today()
    rota.set_rota(actor, _month(today, -1), "juliana")
    rota.set_rota(actor, _month(today, 0), "igor")
    rota.set_rota(actor, _month(today, 1), "juliana")
    with reading():
        eligible = [c.id for c in Customer.select(Customer.id).where(
            (Customer.kind == "customer") & (Customer.account_status == "active")
            & (Customer.onboarding == False) & (Customer.franchise_group == "")  # noqa: E712
        ).order_by(Customer.id).limit(200)]
        if Booking.select().exists() or not eligible:
            return
        topic_keys = [k for k in NEEDS if Topic.select().where(  # (none booked on a ticket with a file attached)
            (Topic.key == k) & (Topic.active == True) & (Topic.needs_attachment == False)).exists()]  # noqa: E712
    with clock.kept():  # the demo books in the past by moving the clock back
        _past_bookings(actor, rng, eligible, topic_keys)
    _book_some(actor, rng, eligible, topic_keys, count=8)


def _request(rng: random.Random, customer_id: int, topic_key: str, start: dt.datetime) -> bookings.BookingRequest:
    with reading():
        contact = Contact.select().where(Contact.customer == customer_id).first()
        customer = Customer.get_by_id(customer_id)
    name = contact.name if contact else rng.choice(CONTACT_NAMES)
    phone = (contact.phone if contact and contact.phone else "") or customer.phone or \
        f"(11) 9{rng.randint(6000, 9999)}-{rng.randint(1000, 9999)}"
    email = (contact.email if contact and contact.email else "") or customer.email or "contato@cliente.example"
    maker, model = EQUIPMENT.get(topic_key, ("", ""))
    with reading():
        topic = Topic.get(Topic.key == topic_key)
    import json

    return bookings.BookingRequest(
        customer_id=customer_id, topic_key=topic_key, start=start,
        needs=NEEDS[topic_key].format(eq=f"{maker} {model}".strip()),
        contact_name=name, contact_phone=phone, contact_email=email,
        equipment_manufacturer=maker, equipment_model=model,
        preconditions_done=tuple(json.loads(topic.preconditions)), webinar_offered=topic.is_training)


def _book_some(actor: Actor, rng: random.Random, eligible: list[int], topic_keys: list[str], count: int) -> list:
    made = []
    try:
        analyst = rota.analyst_for_month(actor)
    except AtendeError:
        return made
    free = bookings.free_slots(actor, analyst, limit=60)
    for slot in sorted(rng.sample(free, min(count, len(free))), key=lambda s: s.start):
        req = _request(rng, rng.choice(eligible), rng.choice(topic_keys), slot.start)
        try:
            made.append(bookings.book(actor, req).booking)
        except AtendeError:
            continue  # a demo customer without a valid phone or e-mail: skip it
    return made


def _past_bookings(actor: Actor, rng: random.Random, eligible: list[int], topic_keys: list[str]) -> None:
    """Sessions of the last two weeks, booked then (clock moved back) and
    recorded as held or no-show after them."""
    start = clock.now() - dt.timedelta(days=15)
    clock.set_clock(lambda: start)
    made = _book_some(actor, rng, eligible, topic_keys, count=6)
    made = [b for b in made if b.end < start + dt.timedelta(days=14)]
    zone = settings.get_zone("scheduling.timezone")  # the sessions' times are on its wall clock
    for b in made:
        clock.set_clock(lambda b=b: clock.local_of(b.start + dt.timedelta(minutes=30), zone))
        analyst_actor = users.identify(b.analyst_login)
        outcome = "no_show" if rng.random() < 0.25 else "held"
        note = "" if outcome == "no_show" else "Sessão realizada; cliente orientado."
        bookings.record_outcome(analyst_actor, b.id, outcome, b.version, note=note)
