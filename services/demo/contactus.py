"""Demo data for Contact us: classifications routed to the demo's queues,
sub-classifications, forms of contact, one company representative ("rep")
and some contacts, a few of them answered or finished.

Assumes the core demo (customers, queues, staff such as "ana") is there;
`fill(actor, rng)` adds what is missing and may run again harmlessly.
"""
from __future__ import annotations

import random

from models import Customer, Queue, User, reading, write_tx
from models.contactus import ContactClassification, ContactRequest
from services.contactus import catalogue, company_contacts
from services.core.permissions import Actor, require
from services.store import users
from services.tickets import thread

REP_LOGIN = "rep"

# classification -> (queue, sub-classifications)
CATALOGUE = {
    "Financeiro": ("Financeiro", ("Segunda via de boleto", "Nota fiscal", "Negociação de débito")),
    "Suporte técnico": ("Suporte Técnico", ("Sem conexão", "Internet lenta", "Troca de equipamento")),
    "Comercial": ("Comercial", ("Upgrade de plano", "Novo ponto de acesso")),
    "Sugestões e reclamações": ("Ouvidoria", ("Elogio", "Reclamação")),
}
FORMS = ("Telefone", "E-mail", "WhatsApp", "Visita presencial")
CONTACTS = (
    ("Financeiro", "Segunda via de boleto", "Precisamos da segunda via do boleto de março da matriz."),
    ("Suporte técnico", "Internet lenta", "A internet do escritório fica lenta depois das 14h todos os dias."),
    ("Comercial", "Upgrade de plano", "Queremos saber o valor para passar o link para 1 Giga."),
    ("Financeiro", "Nota fiscal", "A nota fiscal de fevereiro veio com o CNPJ da filial; favor corrigir."),
    ("Sugestões e reclamações", "Elogio", "O técnico que veio ontem foi muito atencioso. Obrigado!"),
)
REPLIES = ("Olá! Já estamos verificando e retornamos em breve.",
           "Segue em anexo no seu e-mail a informação solicitada.",
           "Ajustamos a configuração; por favor, confirme se melhorou.")


def _queue_id(name: str) -> int:
    row = Queue.get_or_none(Queue.name == name) or Queue.get_or_none(Queue.name == "Fale Conosco")
    if row is None:
        row = Queue.create(name=name)
    return row.id


def fill(actor: Actor, rng: random.Random) -> None:
    require(actor, "demo.fill")
    with write_tx():
        for name, (queue, _subs) in CATALOGUE.items():
            if not ContactClassification.select().where(ContactClassification.name == name).exists():
                _queue_id(queue)
    existing = {c.name: c for c in catalogue.classifications(actor, include_inactive=True)}
    with reading():
        queues = {q.name: q.id for q in Queue.select()}
    for name, (queue, subs) in CATALOGUE.items():
        if name not in existing:
            existing[name] = catalogue.add_classification(actor, name, queues.get(queue) or queues["Fale Conosco"])
        have = {s.name for s in catalogue.subclassifications(actor, existing[name].id, include_inactive=True)}
        for sub in subs:
            if sub not in have:
                catalogue.add_subclassification(actor, existing[name].id, sub)
    have_forms = {f.name for f in catalogue.forms(actor, include_inactive=True)}
    for form in FORMS:
        if form not in have_forms:
            catalogue.add_form(actor, form)

    with reading():
        rep = User.get_or_none(User.login == REP_LOGIN)
        companies = list(Customer.select(Customer.id).where((Customer.kind == "customer")
                                                            & (Customer.doc_kind == "cnpj"))
                         .order_by(Customer.id).limit(20))
    if rep is None:
        if not companies:
            return
        company = rng.choice(companies).id
        users.add(actor, REP_LOGIN, "representative", name="Roberta Representante",
                  email="roberta@empresa.example", company_id=company)
    rep_actor = users.identify(REP_LOGIN)
    with reading():
        if ContactRequest.select().where(ContactRequest.company == rep_actor.company_id).exists():
            return
        agent = User.get_or_none((User.login == "ana") & (User.active == True))  # noqa: E712
    agent_actor = users.identify(agent.login) if agent else actor
    subs = {(s.parent, s.name): s.id for s in catalogue.subclassifications(actor)}
    for i, (cls, sub, message) in enumerate(CONTACTS):
        row = company_contacts.open_contact(rep_actor, company_contacts.NewContact(
            classification_id=existing[cls].id, subclassification_id=subs[(cls, sub)],
            contact_name="Roberta Representante", phone="(11) 3456-7890", email="roberta@empresa.example",
            message=message))
        if i % 2 == 0:
            thread.add_message(agent_actor, row.ticket_id, rng.choice(REPLIES), internal=False)
            thread.add_message(agent_actor, row.ticket_id, "Nota interna: cliente empresarial, prioridade.",
                                      internal=True)
        if i == 4:
            state = thread.state(agent_actor, row.ticket_id)
            thread.change_status(agent_actor, row.ticket_id, "finished", expected_version=state.version)
