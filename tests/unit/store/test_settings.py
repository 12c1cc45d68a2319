import datetime as dt

import pytest

from services.core.errors import PermissionDenied, ValidationError
from services.store import settings


def test_default_set_and_audit(people):
    assert settings.get_int("certificates.window_days") == 15
    assert settings.set_value(people["admin"], "certificates.window_days", " 20 ") == 20
    assert settings.get_int("certificates.window_days") == 20
    from services.store import audit

    assert audit.history(people["admin"], entity="setting")[0].changes == {"value": [None, 20]}


@pytest.mark.parametrize("key,value,field", [
    ("certificates.window_days", "0", "value"), ("certificates.window_days", "x", "value"),
    ("certificates.window_days", "9999", "value"), ("no.such", "1", "key"),
])
def test_bad_values(admin, key, value, field):
    with pytest.raises(ValidationError) as err:
        settings.set_value(admin, key, value)
    assert field in err.value.errors


def test_only_admins(people):
    with pytest.raises(PermissionDenied):
        settings.set_value(people["supervisor"], "certificates.window_days", "10")


def test_certificate_sweep_follows_the_parameter(people):
    from services.events import checkin, sweeps
    from services.events import registrations as er
    from tests.unit.events.test_event_mail_e2e import CPF1, at
    from tests.unit.events.test_events import NOW, hold, make_event, open_registration, person

    coord = people["coordinator"]
    at(NOW)
    event = open_registration(coord, make_event(coord, workload_hours="2"))
    reg = er.register(coord, event.id, person(1, cpf=CPF1)).registration
    at(event.starts_at)
    checkin.checkin(coord, reg.code, event.id)
    five_days_after = event.ends_at + dt.timedelta(days=5)
    assert sweeps.certificates_sweep(five_days_after) == 0  # ended, but not closed as held
    hold(coord, event)
    settings.set_value(people["admin"], "certificates.window_days", "3")
    assert sweeps.certificates_sweep(five_days_after) == 0  # outside a 3-day window
    settings.set_value(people["admin"], "certificates.window_days", "10")
    assert sweeps.certificates_sweep(five_days_after) == 1
