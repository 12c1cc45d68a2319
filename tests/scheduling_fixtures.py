"""Shared set-up for the scheduling tests: customers covering every triage
case, two implementation analysts, a rota, a frozen clock."""
from __future__ import annotations

import datetime as dt

from models import Customer, write_tx
from services import clock, rota, users
from services.text import fold

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


def freeze(at: dt.datetime) -> None:
    clock.set_clock(lambda: at)
