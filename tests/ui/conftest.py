import datetime as dt

import pytest

from app import AtendeApp
from models.wizard import EmailTemplate
from services.core import clock
from services.store import users
from services.tickets import scripts
from tests.scenes import make_desk


@pytest.fixture
def make_app(store):
    """Build the App for a login of the open test database."""

    def build(login: str | None = None, **kwargs) -> AtendeApp:
        actor = users.identify(login or users.session_login())
        return AtendeApp(actor=actor, db_label=str(store), **kwargs)

    return build


@pytest.fixture
def desk_with_scripts(admin):
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 10, 0))
    w = make_desk()
    scripts.load_shipped(admin)
    from models import write_tx

    with write_tx():
        EmailTemplate.create(name="Protocolo", subject="Protocolo {protocol}", body="Olá {contact}")
    return w
