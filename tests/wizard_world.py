"""Small reference data for the wizard tests (customers, plans on networks, types)."""
from __future__ import annotations

from models import AccessPoint, Contact, Customer, Network, Plan, Queue, TicketType, write_tx
from models.wizard import OsType, Technician
from services.text import fold


def make_world():
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
