import random

from models import Contact, Customer, write_tx
from services.demo import mail
from services.mail import outbox


def test_demo_fill_makes_sent_waiting_and_failed_mail(admin):
    with write_tx():
        for i in range(5):
            c = Customer.create(kind="customer", name=f"Cliente {i}", name_norm=f"cliente {i}")
            Contact.create(customer=c, name=f"Contato São {i}", email=f"contato{i}@example.com")
        Contact.create(customer=c, name="Sem e-mail", email="")
    made = mail.fill(admin, random.Random(3), count=12)
    counts = outbox.counts()
    assert made == 12
    assert counts["failed"] == 2 and counts["queued"] == 3 and counts["sent"] == 7
