"""Demo canned replies, in Portuguese: a few for every destination and a few
for one, so F7 offers something on a fresh demo store."""
from __future__ import annotations

import random

from models import Queue
from services.core.permissions import Actor
from services.tickets import canned

REPLIES = (
    ("Saudação", None, "Olá, {contact}! Aqui é {agent}, da central de atendimento. Seu protocolo é {protocol}."),
    ("Encerramento", None, "Obrigado pelo contato, {contact}. Qualquer dúvida, é só citar o protocolo {protocol}."),
    ("Aguardando retorno do cliente", None,
     "Ficamos no aguardo do seu retorno para seguir com o atendimento {protocol}."),
    ("Reiniciar o equipamento", "Suporte Técnico",
     "Desligue o roteador da tomada, aguarde 30 segundos e ligue de novo. Depois de 2 minutos, teste a "
     "navegação e nos avise se o problema continua."),
    ("Visita técnica agendada", "Suporte Técnico",
     "{contact}, a visita técnica para {customer} foi agendada. O técnico apresenta a identificação ao chegar."),
    ("Segunda via de boleto", "Financeiro",
     "A segunda via do boleto de {customer} foi enviada para o e-mail cadastrado e também está no portal."),
)


def fill(actor: Actor, rng: random.Random) -> None:
    queues = {name: queue_id for name, queue_id in Queue.select(Queue.name, Queue.id).tuples()}
    for title, queue, body in REPLIES:
        canned.save(actor, None, title=title, body=body, queue_id=queues.get(queue) if queue else None)
