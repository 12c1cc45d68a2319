"""Registering a caller nobody found, from the wizard's lookup."""
import pytest

from models import AuditLog, Contact, Customer
from services.core.errors import PermissionDenied, ValidationError
from services.customers import lookup, registration
from services.store import users


def test_a_customer_and_its_first_contact_are_registered_and_found(admin):
    got = registration.register(admin, kind="customer", name="  Ana <script> ", doc="529.982.247-25",
                                phone="(11) 98888-7777", email="ANA@Example.com", city="São Paulo")
    c = Customer.get_by_id(got.customer.id)
    assert (c.kind, c.name, c.doc, c.doc_kind, c.phone_digits, c.city_norm) == (
        "customer", "Ana <script>", "52998224725", "cpf", "5511988887777", "sao paulo")
    contact = Contact.get_by_id(got.contact_id)
    assert (contact.customer_id, contact.name, contact.is_primary) == (c.id, "Ana <script>", True)
    assert AuditLog.select().where((AuditLog.entity == "customer") & (AuditLog.action == "create")).count() == 1
    assert [h.id for h in lookup.lookup(admin, lookup.LookupQuery("52998224725"))] == [c.id]


def test_errors_are_at_their_fields_and_nothing_is_written(admin):
    with pytest.raises(ValidationError) as err:
        registration.register(admin, kind="customer", name="", doc="111.111.111-11", email="x@")
    assert set(err.value.errors) == {"name", "doc", "email"}
    with pytest.raises(ValidationError) as err:
        registration.register(admin, kind="customer", name="Ana", doc="")
    assert set(err.value.errors) == {"doc", "phone"}
    assert not Customer.select().exists()


def test_a_prospect_needs_no_document_and_a_document_on_record_is_refused(admin):
    registration.register(admin, kind="prospect", name="Lead", email="lead@example.com")
    registration.register(admin, kind="customer", name="Ana", doc="11.222.333/0001-81", phone="11 3333-4444")
    with pytest.raises(ValidationError, match="already registered to Ana") as err:
        registration.register(admin, kind="prospect", name="Outra", doc="11222333000181", phone="11 3333-4444")
    assert set(err.value.errors) == {"doc"}
    assert Customer.select().count() == 2


def test_a_company_representative_cannot_register(admin):
    company = registration.register(admin, kind="customer", name="ACME", doc="11.222.333/0001-81", phone="1133334444")
    users.add(admin, "rep", "representative", name="Rep", company=company.customer.id)
    with pytest.raises(PermissionDenied):
        registration.register(users.identify("rep"), kind="prospect", name="X", phone="11 3333-4444")
    assert Customer.select().count() == 1
