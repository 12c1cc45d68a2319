"""Demo data for the desk's queues and the supervisor's dashboard: a month of
tickets on demo customers, in every status, with threads of public replies and
internal notes, so the queues, the search and the dashboard have a day's work
to show.

Bulk inserts (a few hundred rows per statement), not the wizard's path: the
wizard demo already makes a few tickets the long way. Protocol numbers follow
the default format with each day's sequence, and the day counters are moved
past them so the next real reservation never meets a demo number.
"""
from __future__ import annotations

import datetime as dt
import json
import random

from peewee import EXCLUDED

from models import AuditLog, Contact, Plan, Queue, Ticket, TicketType, User, reading, write_tx
from models.db import greatest
from models.desk import TicketMessage
from models.wizard import ProtocolCounter
from services.core import clock
from services.core.permissions import Actor, require
from services.tickets.protocol import DEFAULT_FORMAT, counter_key

SUBJECTS = {
    "connection": ("Sem conexão desde ontem", "Internet caiu após chuva", "LOS vermelho na ONU",
                   "Sem sinal após mudança de cômodo"),
    "slow": ("Lentidão à noite", "Velocidade abaixo do contratado", "Jogos com ping alto",
             "Streaming travando"),
    "wifi": ("Wi-Fi não alcança o quarto", "Trocar senha do Wi-Fi", "Roteador reiniciando sozinho",
             "Dispositivos não conectam no 5 GHz"),
    "billing": ("Segunda via do boleto", "Cobrança em duplicidade", "Mudança de vencimento",
                "Pedido de desconto por queda"),
    "visit": ("Agendar visita técnica", "Mudança de endereço", "Retirada de equipamento",
              "Troca de roteador"),
}
PROBLEMS = {
    "connection": "Cliente relata que está sem internet; já reiniciou a ONU e o roteador sem sucesso.",
    "slow": "Cliente mediu a velocidade via cabo e obteve menos da metade do plano no horário de pico.",
    "wifi": "Cobertura ruim nos cômodos dos fundos; cliente pergunta sobre repetidor.",
    "billing": "Cliente pede esclarecimento sobre a fatura do mês e a data de vencimento.",
    "visit": "Cliente solicita visita técnica no período da manhã.",
}
REPLIES = (
    "Olá! Verificamos o sinal da sua conexão e está normal agora. Pode testar, por favor?",
    "Agendamos a visita técnica; o técnico liga antes de sair.",
    "Enviamos a segunda via do boleto para o seu e-mail.",
    "Reiniciamos a sua sessão PPPoE. A conexão deve voltar em instantes.",
    "Poderia nos enviar uma foto das luzes da ONU?",
)
NOTES = (
    "Sinal óptico em -27 dBm na OLT; acionar equipe de campo se persistir.",
    "Cliente ligou 3 vezes esta semana: prioridade.",
    "Verificado: fatura correta, desconto não se aplica.",
    "Aguardando retorno do cliente com a foto da ONU.",
    "Falha massiva no bairro resolvida às 14h.",
)
OPEN_STATUSES = ("open", "open", "in_progress", "in_progress", "waiting_customer")
CLOSED_STATUSES = ("finished", "finished", "resolved")


def _theme(type_name: str) -> str:
    name = type_name.lower()
    for key, words in (("connection", ("conex", "sinal")), ("slow", ("lent", "velocid")),
                       ("wifi", ("wi-fi", "wifi")), ("billing", ("financ", "boleto", "cobran")),
                       ("visit", ("visita", "instala", "mudan"))):
        if any(w in name for w in words):
            return key
    return "connection"


def fill(actor: Actor, rng: random.Random, tickets: int = 1500, days: int = 30) -> None:
    """Add `tickets` tickets created over the last `days` days (more of them
    recently), older ones mostly finished, today's mostly open."""
    require(actor, "demo.fill")
    with reading():
        plans = list(Plan.select(Plan.id, Plan.customer, Plan.access_point)
                     .where(Plan.status == "active").order_by(Plan.id).limit(3000))
        contacts = {c.customer_id: c.id for c in Contact.select(Contact.id, Contact.customer)
                    .where(Contact.customer.in_([p.customer_id for p in plans]))}
        types = list(TicketType.select().where(TicketType.active == True))  # noqa: E712
        queues = [q.id for q in Queue.select(Queue.id).where(Queue.active == True)]  # noqa: E712
        agents = list(User.select(User.id, User.login).where(User.role == "agent", User.active == True)  # noqa: E712
                      .order_by(User.id))
    if not plans or not types or not queues or not agents:
        return
    now = clock.now().replace(second=0, microsecond=0)
    # Creation times: weighted to recent days, working hours only, never in the future.
    stamps = []
    for _ in range(tickets):
        age = days
        while age >= days:  # recent days busier; resampled, not piled on the oldest day
            age = int(rng.expovariate(1 / (days / 3)))
        day = (now - dt.timedelta(days=age)).date()
        at = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=rng.randrange(0, 10 * 60))
        stamps.append(min(at, now - dt.timedelta(minutes=rng.randrange(1, 90))))
    stamps.sort()
    seq_by_day: dict[str, int] = {}
    with reading():
        for key, seq in ProtocolCounter.select(ProtocolCounter.key, ProtocolCounter.seq).tuples():
            seq_by_day[key] = seq
    taken = {p for (p,) in Ticket.select(Ticket.protocol).tuples()}
    rows, messages, audits = [], [], []
    for at in stamps:
        key = counter_key(DEFAULT_FORMAT, at)
        while True:
            seq_by_day[key] = seq_by_day.get(key, 0) + 1
            protocol = DEFAULT_FORMAT.format(date=at, seq=seq_by_day[key])
            if protocol not in taken:
                break
        taken.add(protocol)
        plan = plans[rng.randrange(len(plans))]
        t = rng.choice(types)
        theme = _theme(t.name)
        age_days = (now - at).total_seconds() / 86400
        closing = rng.random() < min(0.95, 0.15 + age_days / 6)
        status = rng.choice(CLOSED_STATUSES) if closing else rng.choice(OPEN_STATUSES)
        opener = rng.choice(agents)
        responsible = rng.choice(agents) if rng.random() < 0.85 else None
        updated = min(now, at + dt.timedelta(minutes=rng.randrange(5, 60 * 30)))
        rows.append({
            "protocol": protocol, "status": status, "kind": "customer", "customer": plan.customer_id,
            "access_point": plan.access_point_id, "contact": contacts.get(plan.customer_id), "plan": plan.id,
            "queue": t.queue_id or rng.choice(queues), "type": t.id,
            "responsible": responsible.id if responsible else None,
            "subject": rng.choice(SUBJECTS[theme]), "problem": PROBLEMS[theme],
            "checks": "Conferido cadastro e status do contrato.",
            "solution": "Atendimento concluído com o cliente." if closing else "",
            "script_report": "", "created_by": opener.id, "created_at": at, "updated_at": updated,
            "updated_by": (responsible or opener).login, "closed_at": updated if closing else None, "version": 1,
        })
    with write_tx():
        for start in range(0, len(rows), 300):
            Ticket.insert_many(rows[start:start + 300]).execute()
        for key, seq in seq_by_day.items():
            (ProtocolCounter.insert(key=key, seq=seq)
             .on_conflict(conflict_target=[ProtocolCounter.key],
                          update={ProtocolCounter.seq: greatest(ProtocolCounter.seq, EXCLUDED.seq)})
             .execute())
        ids = dict(Ticket.select(Ticket.protocol, Ticket.id).where(Ticket.created_at >= stamps[0]).tuples())
        logins = {a.id: a.login for a in agents}
        for row in rows:
            ticket_id = ids[row["protocol"]]
            audits.append({"at": row["created_at"], "login": logins[row["created_by"]], "entity": "ticket",
                           "entity_id": str(ticket_id), "action": "finish",
                           "changes": json.dumps({"protocol": row["protocol"], "status": "open"})})
            replies = rng.randrange(0, 4)
            at = row["created_at"]
            for _n in range(replies):
                at = min(row["updated_at"], at + dt.timedelta(minutes=rng.randrange(10, 600)))
                author = rng.choice(agents)
                internal = rng.random() < 0.4
                messages.append({"ticket": ticket_id, "kind": "internal" if internal else "public",
                                 "body": rng.choice(NOTES if internal else REPLIES), "author": author.id,
                                 "author_login": author.login, "created_at": at})
            if row["status"] != "open":
                audits.append({"at": row["updated_at"], "login": row["updated_by"], "entity": "ticket",
                               "entity_id": str(ticket_id), "action": "status",
                               "changes": json.dumps({"status": ["open", row["status"]]})})
        for start in range(0, len(messages), 300):
            TicketMessage.insert_many(messages[start:start + 300]).execute()
        for start in range(0, len(audits), 300):
            AuditLog.insert_many(audits[start:start + 300]).execute()
