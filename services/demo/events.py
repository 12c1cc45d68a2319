"""Demo data for the events area: types with checklists, events at every
stage (one main event with secondaries, one over capacity with a waiting
list) and registrations at every stage.

`fill(actor, rng)` assumes the core demo (users, customers and contacts)
exists; coordinators elisa and fabio run the events when present.
"""
from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

from models import Contact, User, reading
from services.core import clock
from services.core.permissions import Actor
from services.events import checkin, editing, event_types, materials, pipeline, preparation, queries, stages
from services.events import registrations as er
from services.store import users

FIRST = ("Ana", "Bruno", "Carla", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João",
         "Karina", "Lucas", "Mariana", "Nicolas", "Otávio", "Patrícia", "Rafael", "Sabrina", "Tiago", "Vanessa",
         "Wagner", "Yasmin", "Caio", "Letícia", "Murilo", "Renata", "Sérgio", "Tânia")
LAST = ("Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
        "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa")
COMPANIES = ("Mercado Bom Preço", "Auto Peças Sul", "Clínica Vida", "Construtora Horizonte", "Padaria Real",
             "Farmácia Central", "Escritório Contábil Alfa", "Loja das Tintas", "Transportes Rápido")

EXTRA_TYPES = (
    ("Demonstração de sistema", "online", "Demonstração aberta de um módulo, com perguntas ao final.",
     ["Preparar a base de demonstração", "Criar a reunião online e informar o link", "Ensaiar o roteiro"]),
)


def _cpf(rng: random.Random) -> str:
    base = [rng.randint(0, 9) for _i in range(9)]
    if len(set(base)) == 1:
        base[0] = (base[0] + 1) % 10
    for n in (10, 11):
        total = sum(d * w for d, w in zip(base, range(n, 1, -1)))
        base.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, base))


def _people(rng: random.Random, n: int) -> list[er.RegistrationInput]:
    """Participants: contacts of demo customers when there are some, else made up."""
    with reading():
        contacts = list(Contact.select(Contact.name, Contact.email, Contact.phone)
                        .where(Contact.email != "").limit(2000))
    rng.shuffle(contacts)
    out, seen = [], set()
    for c in contacts:
        if len(out) >= n:
            break
        email = c.email.lower()
        if email in seen:
            continue
        seen.add(email)
        out.append(er.RegistrationInput(name=c.name, email=email, phone="", cpf=_cpf(rng) if rng.random() < .7 else "",
                                        company=rng.choice(COMPANIES), consent=True))
    while len(out) < n:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{rng.randint(1, 999)}@exemplo.com.br".lower()
        email = email.replace("ã", "a").replace("é", "e").replace("í", "i").replace("á", "a").replace("ô", "o") \
            .replace("ç", "c").replace("â", "a").replace("ó", "o").replace("ú", "u").replace("ê", "e")
        if email in seen:
            continue
        seen.add(email)
        out.append(er.RegistrationInput(
            name=f"{first} {last}", email=email, phone=f"(11) 9{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            cpf=_cpf(rng) if rng.random() < .7 else "", company=rng.choice(COMPANIES), consent=True))
    return out


def _checkin(who: Actor, event: queries.EventInfo, code: str, rng: random.Random) -> None:
    arrival = event.starts_at + dt.timedelta(minutes=rng.randint(-25, 15))
    if arrival < clock.now():
        with clock.moved_to(arrival):
            checkin.checkin(who, code)
    else:
        checkin.checkin(who, code)


def _actor(login: str, fallback: Actor) -> Actor:
    with reading():
        exists = User.select().where((User.login == login) & (User.active == True)).exists()  # noqa: E712
    return users.identify(login) if exists else fallback


def fill(actor: Actor, rng: random.Random) -> None:
    from services.store import settings

    if not settings.get_text("org.name"):  # whose certificates and e-mails these are
        settings.set_value(actor, "org.name", "Conecta Fibra Telecom Ltda")
    now = clock.now().replace(minute=0, second=0)
    elisa = _actor("elisa", actor)
    fabio = _actor("fabio", actor)
    for name, fmt, prep, checklist in EXTRA_TYPES:
        if name not in {t.name for t in event_types.list_types(actor, include_inactive=True)}:
            event_types.save_type(actor, name, fmt, prep, checklist)
    types = {t.name: t for t in event_types.list_types(actor)}
    by_format = {fmt: [t for t in types.values() if t.format == fmt] for fmt in ("offline", "online", "hybrid")}
    pool = _people(rng, 160)
    taken = iter(pool)

    def day(offset_days: int, hour: int = 14) -> dt.datetime:
        return (now + dt.timedelta(days=offset_days)).replace(hour=hour, minute=0)

    def create(who: Actor, description: str, fmt: str, start: dt.datetime, hours: int, *, seats=None,
               public=False, ready=True, main_id=None, client="") -> queries.EventInfo:
        t = rng.choice(by_format[fmt])
        return editing.create_event(who, editing.EventInput(
            description=description, responsible_id=who.id, starts_at=start,
            ends_at=start + dt.timedelta(hours=hours), type_id=t.id, client=client or "1000 - Eventos públicos",
            access_link=f"https://teams.example.com/l/meetup/{rng.randint(10**8, 10**9)}"
            if ready and fmt != "offline" else "",
            address="Rua XV de Novembro, 1200 - sala 3, Curitiba/PR" if ready and fmt != "online" else "",
            seats=seats if seats is not None else (rng.choice((15, 20, 25, 30)) if fmt != "online" else None),
            public=public, workload_hours=hours, main_id=main_id))

    def advance(who: Actor, event: queries.EventInfo, to: str) -> queries.EventInfo:
        order = list(stages.OPEN_STAGES) + ["held"]
        current = event
        while current.stage != to:
            nxt = "cancelled" if to == "cancelled" else order[order.index(current.stage) + 1]
            if nxt == "materials":  # its coordinator confirmed it while registrations were open
                pipeline.set_status(who, current.id, "confirmed")
            current = pipeline.move_event(who, current.id, nxt, send_mail=False).event
        return current

    def register(who: Actor, event: queries.EventInfo, n: int) -> list[er.RegistrationInfo]:
        out = []
        for _i in range(n):
            data = next(taken, None)
            if data is None:
                break
            out.append(er.register(who, event.id, data, source=rng.choice(("staff", "desk", "import"))).registration)
        return out

    def tick_checklist(who: Actor, event: queries.EventInfo, share: float) -> None:
        task = preparation.get_task(who, event.id)
        for item in task.items if task else ():
            if rng.random() < share:
                preparation.toggle_task_item(who, item.id)

    # New: just registered in the system.
    create(elisa, "Treinamento Módulo Fiscal - NF-e 4.0", "hybrid", day(30), 4, ready=False, public=True)
    create(fabio, "Reunião de alinhamento com revendas", "offline", day(21, 9), 2, ready=False)
    # Preparation, with half the checklist done; one still lacks its link.
    e = create(elisa, "Webinar: novidades da versão 2026", "online", day(14, 10), 2, public=True, ready=False)
    advance(elisa, e, "preparation")
    tick_checklist(elisa, e, .5)
    e = create(fabio, "Treinamento interno: atendimento por telefone", "offline", day(9, 8), 3, seats=12)
    advance(fabio, e, "preparation")
    tick_checklist(fabio, e, .7)
    # Participant registration: open, public, with free seats (the desk offers these).
    e = create(elisa, "Treinamento Financeiro - Contas a receber", "hybrid", day(7), 4, seats=25, public=True)
    advance(elisa, e, "registration")
    tick_checklist(elisa, e, 1)
    register(elisa, e, 11)
    e = create(fabio, "Demonstração: Controle de Estoque", "online", day(5, 15), 1, public=True)
    advance(fabio, e, "registration")
    register(fabio, e, 6)
    # A main event with two secondary sessions; registrations replicate.
    main = create(elisa, "Curso de Faturamento", "offline", day(12, 9), 4, seats=18, public=True)
    advance(elisa, main, "registration")
    for i, offset in enumerate((13, 14), start=2):
        sec = editing.create_event(elisa, editing.EventInput(
            description=f"Curso de Faturamento - módulo {i}", starts_at=day(offset, 9),
            ends_at=day(offset, 13), address="Rua XV de Novembro, 1200 - sala 3, Curitiba/PR",
            workload_hours=4, main_id=main.id))
        advance(elisa, sec, "registration")
    register(elisa, main, 9)
    # Over capacity: a full event with a waiting list.
    full = create(fabio, "Oficina prática: Emissão de boletos", "offline", day(4, 14), 3, seats=8, public=True)
    advance(fabio, full, "registration")
    regs = register(fabio, full, 12)
    if regs:
        er.cancel_registration(fabio, regs[1].id)  # the first in line takes the seat
    # Materials preparation: the event is tomorrow, some already checked in early.
    e = create(elisa, "Treinamento Folha de Pagamento", "offline", day(1, 8), 8, seats=20)
    advance(elisa, e, "materials")
    regs = register(elisa, e, 14)
    for r in regs[:3]:
        _checkin(elisa, e, r.code, rng)
    # Feedback: held today, check-in done, waiting for the closing.
    e = create(fabio, "Webinar: fechamento do mês sem erros", "hybrid", day(-1, 10), 2, seats=30, public=True)
    advance(fabio, e, "registration")
    regs = register(fabio, e, 16)
    for r in regs:
        if rng.random() < .7:
            _checkin(fabio, e, r.code, rng)
    advance(fabio, e, "feedback")
    # Held: closed, materials sent to part of them.
    e = create(elisa, "Treinamento Módulo Compras", "offline", day(-12, 9), 4, seats=15)
    advance(elisa, e, "registration")
    regs = register(elisa, e, 12)
    for r in regs:
        if rng.random() < .75:
            _checkin(elisa, e, r.code, rng)
    advance(elisa, e, "held")
    with tempfile.TemporaryDirectory() as folder:
        slides = Path(folder) / "apostila-compras.txt"
        slides.write_text("Apostila do Treinamento Módulo Compras\n", encoding="utf-8")
        materials.attach_material(elisa, e.id, slides)
    materials.send_materials(elisa, e.id)
    e = create(fabio, "Treinamento Módulo Contábil", "hybrid", day(-5, 14), 3, seats=20, public=True)
    advance(fabio, e, "registration")
    regs = register(fabio, e, 10)
    for r in regs[:6]:
        _checkin(fabio, e, r.code, rng)
    advance(fabio, e, "held")
    # Cancelled.
    e = create(elisa, "Palestra: LGPD para pequenas empresas", "online", day(3, 19), 1, public=True)
    advance(elisa, e, "registration")
    register(elisa, e, 4)
    advance(elisa, e, "cancelled")
