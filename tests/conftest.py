"""Shared fixtures: a temporary database, people in every role, no leaks into
the real home folder, English unless a test asks otherwise."""
from __future__ import annotations

from pathlib import Path

import pytest

import models
from services.core import clock, i18n
from services.core.permissions import Actor
from services.store import users

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolate(tmp_path_factory, monkeypatch):
    """Keep config discovery, data and logs inside a temporary HOME."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
                "ATENDE_DB", "ATENDE_CONFIG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setenv("ATENDE_STARTUP_QUIET", "0")  # start-up checks at once: nothing to paint first
    i18n.set_language("en")
    _forget_log_file()  # the log file is this test's HOME's, opened on first use
    yield
    _forget_log_file()
    clock.set_clock(None)
    i18n.set_language("en")


def _forget_log_file() -> None:
    import logging

    from services.core import logs

    log = logging.getLogger("atende")
    for handler in list(log.handlers):
        if isinstance(handler, (logging.FileHandler, logging.NullHandler)):
            log.removeHandler(handler)
            handler.close()
    logs._configured = False


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "atende.db"


_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def store(db_path, tmp_path_factory):
    """An empty, migrated database; the current OS login is its admin.

    The first test of a process migrates a database from nothing (the real
    path); the others start from a copy of it, which is the same file and
    much quicker than running every migration again."""
    import shutil

    from services.store.database import open_store

    template = _TEMPLATE.get("db")
    if template is None:
        template = tmp_path_factory.mktemp("template") / "atende.db"
        open_store(str(template))
        models.close_database()  # checkpointed: the main file holds everything
        _TEMPLATE["db"] = template
    shutil.copyfile(template, db_path)
    open_store(str(db_path))
    yield db_path
    models.close_database()


@pytest.fixture
def admin(store) -> Actor:
    return users.identify(users.os_login())


@pytest.fixture
def people(admin) -> dict[str, Actor]:
    """An Actor for each staff role (plus the admin)."""
    actors = {"admin": admin}
    for role in ("agent", "coordinator", "supervisor"):
        users.add(admin, f"t_{role}", role, name=f"Test {role.title()}")
        actors[role] = users.identify(f"t_{role}")
    return actors
