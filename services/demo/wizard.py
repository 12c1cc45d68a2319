"""Demo data for the service desk: technicians, OS types, e-mail templates,
the shipped scripts, and some finished tickets.

Assumes the core demo (customers, contacts, plans, staff, queues, ticket
types) is there; call after it: `wizard_demo.fill(actor, random.Random(seed))`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

from models import Contact, Customer, Plan, Queue, TicketType, User, reading, write_tx
from models.wizard import EmailTemplate, OsType, Technician
from services.core import clock
from services.core.permissions import Actor, require
from services.tickets import scripts
from services.tickets.wizard import draft, finishing, orders, saving

TECHNICIANS = (
    ("Tiago Nascimento", "+55 11 98811-2201"), ("Renata Figueiredo", "+55 11 98811-2202"),
    ("Joaquim Peçanha", "+55 31 98822-3301"), ("Luíza Damasceno", "+55 41 98833-4401"),
    ("Sebastião Aragão", "+55 62 98844-5501"),
)
OS_TYPES = (("Instalação", 120), ("Reparo de fibra", 90), ("Troca de equipamento", 60),
            ("Visita técnica", 60), ("Mudança de endereço", 120), ("Retirada de equipamento", 45))
TEMPLATES = (
    ("Protocolo de atendimento", "Protocolo {protocol} - Conecta Brasil",
     "Olá, {contact}!\n\nRegistramos o seu atendimento com o protocolo {protocol}.\n"
     "Problema relatado: {problem}\n\nGuarde este número para acompanhar a solicitação.\n\n"
     "Equipe de Suporte Conecta Brasil"),
    ("Visita técnica agendada", "Visita técnica agendada - protocolo {protocol}",
     "Olá, {contact}!\n\nAgendamos uma visita técnica para resolver o problema relatado "
     "(protocolo {protocol}). O técnico entrará em contato antes de sair.\n\nEquipe Conecta Brasil"),
    ("Atendimento resolvido", "Atendimento {protocol} resolvido",
     "Olá, {contact}!\n\nO seu atendimento {protocol} foi resolvido.\nSolução: {solution}\n\n"
     "Se o problema voltar, responda este e-mail.\n\nEquipe Conecta Brasil"),
)
PROBLEMS = (
    "Cliente relata que está sem internet desde ontem à noite.",
    "Internet lenta no período da noite, principalmente no streaming.",
    "Wi-Fi não alcança o quarto dos fundos.",
    "Luz LOS vermelha piscando na ONU.",
    "Roteador reiniciando sozinho várias vezes ao dia.",
    "Cliente quer trocar a senha do Wi-Fi.",
)


def fill(actor: Actor, rng: random.Random, tickets: int = 12) -> None:
    """Add the desk's reference data and `tickets` finished tickets on demo customers."""
    require(actor, "demo.fill")
    with write_tx():
        for name, phone in TECHNICIANS:
            Technician.insert(name=name, phone=phone).on_conflict_ignore().execute()
        for name, minutes in OS_TYPES:
            OsType.insert(name=name, default_minutes=minutes).on_conflict_ignore().execute()
        for name, subject, body in TEMPLATES:
            EmailTemplate.insert(name=name, subject=subject, body=body).on_conflict_ignore().execute()
    scripts.load_shipped(actor)
    _tickets(actor, rng, tickets)


def _tickets(actor: Actor, rng: random.Random, count: int) -> None:
    with reading():
        plans = list(Plan.select(Plan.id, Plan.customer, Plan.name, Plan.login, Plan.access_point)
                     .where(Plan.status == "active").order_by(Plan.id).limit(200))
        types = list(TicketType.select().where(TicketType.active == True))  # noqa: E712
        queues = {q.id for q in Queue.select(Queue.id)}
        techs = [t.id for t in Technician.select(Technician.id)]
        agents = [u.id for u in User.select(User.id).where(User.role == "agent")]
    if not plans or not types or not queues:
        return
    today = clock.today()
    for i in range(count):
        plan = plans[rng.randrange(len(plans))]
        with reading():
            customer = Customer.get_by_id(plan.customer_id)
            contact = Contact.select().where(Contact.customer == customer.id).first()
        if contact is None:
            continue
        t = rng.choice(types)
        d = saving.start(actor)
        d = draft.update(
            d, kind="customer", customer_id=customer.id, customer_name=customer.name,
            contact_id=contact.id, contact_name=contact.name,
            plan_id=plan.id, plan_name=plan.name, login=plan.login, access_point_id=plan.access_point_id,
            problem=rng.choice(PROBLEMS), queue_id=t.queue_id or next(iter(queues)), type_id=t.id,
            responsible_id=t.responsible_user_id, responsible_role=t.responsible_role or ("" if t.responsible_user_id
                                                                                          else "agent"),
            checks="Verificado cadastro e status do contrato; cliente reiniciou a ONU.", step="first_contact")
        if i % 3 == 0:
            d = dataclasses.replace(d, resolved=True, solution="Orientado a reiniciar o roteador; conexão normalizada.")
        elif techs and i % 3 == 1:
            day = today + dt.timedelta(days=rng.randint(0, 3))
            order = draft.ServiceOrderDraft(rng.choice(techs), day.isoformat(), f"{8 + (i % 9):02d}:00", 60,
                                            description="Verificar sinal da fibra no local.")
            try:
                d = orders.add_service_order(actor, d, order)
            except Exception:
                pass
        elif agents:
            d = dataclasses.replace(d, tasks=(draft.TaskDraft(rng.choice(agents), "Ligar para o cliente amanhã",
                                                              (today + dt.timedelta(days=1)).isoformat()),))
        finishing.finish(actor, d)
