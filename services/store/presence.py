"""Presence: which sessions are running, who runs them, on which screen and
record, and whether they are editing it.

A session `join`s once, then `beat`s every few seconds from a worker thread
(also telling where it is); `leave` removes it on exit. A session killed
without leaving stops beating and is ignored after `STALE_SECONDS`.
Heartbeats that change nothing bump the "beat" topic (nobody reloads on it);
moving to another screen or record bumps "presence", which screens showing
who is around watch (see services.store.live).

`online()` is the list a supervisor's dashboard can show.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass

from models import reading, write_tx
from models.live import Presence
from services.core import clock
from services.core.i18n import _
from services.core.permissions import Actor, require

STALE_SECONDS = 30
HEARTBEAT_SECONDS = 5
FORGET_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Place:
    """Where a session is: a screen (an untranslated label), maybe a record."""

    screen: str = ""
    entity_kind: str = ""
    entity_id: int | None = None
    entity_label: str = ""
    editing: bool = False


@dataclass(frozen=True)
class OnlineInfo:
    session: str
    login: str
    name: str
    host: str
    pid: int
    screen: str
    entity_kind: str
    entity_id: int | None
    entity_label: str
    editing: bool
    started_at: dt.datetime
    heartbeat_at: dt.datetime

    def describe(self) -> str:
        """'ana is editing' / 'ana is also here', for the screen of a shared record."""
        who = self.name or self.login
        if self.editing:
            return _("{who} is editing").format(who=who)
        return _("{who} is also here").format(who=who)


def new_session_id() -> str:
    return uuid.uuid4().hex


def _info(r: Presence) -> OnlineInfo:
    return OnlineInfo(r.session, r.login, r.name, r.host, r.pid, r.screen, r.entity_kind, r.entity_id,
                      r.entity_label, bool(r.editing), r.started_at, r.heartbeat_at)


def join(actor: Actor, session: str, place: Place = Place()) -> None:
    """Record this session as online (and forget sessions dead for a day)."""
    now = clock.now()
    with write_tx(live="presence"):
        Presence.delete().where(Presence.heartbeat_at < now - FORGET_AFTER).execute()
        Presence.delete().where(Presence.session == session).execute()
        Presence.create(session=session, login=actor.login, name=actor.name or actor.login, pid=os.getpid(),
                        host=socket.gethostname()[:200], screen=place.screen[:120],
                        entity_kind=place.entity_kind, entity_id=place.entity_id,
                        entity_label=place.entity_label[:200], editing=place.editing,
                        started_at=now, heartbeat_at=now)


def beat(actor: Actor, session: str, place: Place | None = None) -> None:
    """The heartbeat; with `place`, also where the session is now."""
    now = clock.now()
    if place is None:
        with write_tx(live="beat"):
            n = Presence.update(heartbeat_at=now).where(Presence.session == session).execute()
        if not n:
            join(actor, session)
        return
    with write_tx(live="presence"):
        n = (Presence.update(heartbeat_at=now, screen=place.screen[:120], entity_kind=place.entity_kind,
                             entity_id=place.entity_id, entity_label=place.entity_label[:200],
                             editing=place.editing)
             .where(Presence.session == session).execute())
    if not n:
        join(actor, session, place)


def leave(session: str) -> None:
    with write_tx(live="presence"):
        Presence.delete().where(Presence.session == session).execute()


def _live_query():
    since = clock.now() - dt.timedelta(seconds=STALE_SECONDS)
    return Presence.select().where(Presence.heartbeat_at >= since)


def online(actor: Actor) -> list[OnlineInfo]:
    """Every live session (stale ones left out), by login then start."""
    require(actor, "presence.read")
    with reading():
        rows = list(_live_query().order_by(Presence.login, Presence.started_at))
    return [_info(r) for r in rows]


def others_on(actor: Actor, kind: str, entity_id: int, *, session: str = "") -> list[OnlineInfo]:
    """Other live sessions on the record `kind`/`entity_id` (editors first)."""
    require(actor, "presence.peers")
    with reading():
        rows = list(_live_query().where((Presence.entity_kind == kind) & (Presence.entity_id == entity_id)
                                        & (Presence.session != session))
                    .order_by(Presence.editing.desc(), Presence.login))
    return [_info(r) for r in rows]


def peers_text(peers: list[OnlineInfo]) -> str:
    """One line naming who else is on a record; empty when nobody is."""
    seen: dict[str, OnlineInfo] = {}
    for p in peers:
        if p.login not in seen or (p.editing and not seen[p.login].editing):
            seen[p.login] = p
    return " · ".join(p.describe() for p in seen.values())
