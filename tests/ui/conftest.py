import datetime as dt

import pytest

from models.wizard import EmailTemplate
from services import clock, scripts
from tests.wizard_world import make_world


@pytest.fixture
def world(admin):
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 10, 0))
    w = make_world()
    scripts.load_shipped(admin)
    from models import write_tx

    with write_tx():
        EmailTemplate.create(name="Protocolo", subject="Protocolo {protocol}", body="Olá {contact}")
    return w
