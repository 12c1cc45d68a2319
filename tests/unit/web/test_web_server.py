"""`atende web` as it runs (waitress, a real process): behind the reverse
proxy the visitor's address is the one the proxy forwards."""
from __future__ import annotations

import datetime as dt
import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest


def register_through(base: str, event_id: int, email: str, forwarded: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/eventos/{event_id}", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "name": "Visitante", "email": email, "consent": "yes"})
    request = urllib.request.Request(f"{base}/eventos/{event_id}", data=data.encode(),
                                     headers={"X-Forwarded-For": forwarded})
    return opener.open(request, timeout=10).status


@pytest.mark.sqlite_only
def test_behind_the_proxy_the_forwarded_address_is_the_visitors(store, people):
    from models.events import Registration
    from services.core import clock
    from services.events import editing, event_types, pipeline
    from tests.web_server import serving

    coordinator = people["coordinator"]
    clock.set_clock(None)
    offline = next(t.id for t in event_types.list_types(coordinator) if t.format == "offline")
    start = dt.datetime.now().replace(microsecond=0) + dt.timedelta(days=3)
    info = editing.create_event(coordinator, editing.EventInput(
        description="Oficina", responsible_id=coordinator.id, starts_at=start, ends_at=start + dt.timedelta(hours=2),
        type_id=offline, address="Rua A, 1", seats=10, public=True))
    pipeline.move_event(coordinator, info.id, "preparation")
    pipeline.move_event(coordinator, info.id, "registration")
    with serving(store) as base:  # the default: the proxy on this machine is trusted
        assert register_through(base, info.id, "a@example.com", "203.0.113.9") == 200
    with serving(store, "--trusted-proxy", "") as base:  # nobody's headers are believed
        assert register_through(base, info.id, "b@example.com", "203.0.113.9") == 200
    addresses = {r.email: r.consent_address for r in Registration.select()}
    assert addresses == {"a@example.com": "203.0.113.9", "b@example.com": "127.0.0.1"}
