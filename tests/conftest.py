"""Shared fixtures: a temporary database, people in every role, no leaks into
the real home folder, English unless a test asks otherwise."""
from __future__ import annotations

import os
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


_TEMPLATE: dict[str, object] = {}


PG_READY = (
    "unit.core.test_bad_input", "unit.core.test_config", "unit.core.test_files", "unit.core.test_secrets",
    "unit.core.test_validation", "unit.core.test_terminal_safety",
    "unit.store.test_live", "unit.store.test_live_conflicts", "unit.store.test_quickopen", "unit.store.test_settings",
    "unit.store.test_store", "unit.store.test_users", "unit.store.test_blobs",
    "unit.store.test_store_copy",
    "unit.events", "unit.scheduling", "unit.demo", "unit.customers", "unit.tickets", "unit.contactus",
    "unit.supervisor", "unit.core.test_permission_matrix", "unit.mail", "unit.ops", "unit.store.test_shared_server",
    "unit.test_cli", "unit.test_cli_guards",
    "ui.desk.test_wizard_ui", "ui.desk.test_queues_ui", "ui.desk.test_calls_ui", "unit.web",
)
"""Test modules or packages (dotted, under tests.) whose store tests also run
on PostgreSQL: each of their tests that uses `store` runs once per backend
(but those marked `sqlite_only`, about the SQLite file itself)."""


def pytest_generate_tests(metafunc):
    if "store" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    module = metafunc.module.__name__.removeprefix("tests.")
    if os.environ.get("ATENDE_PG_ALL") or any(module == m or module.startswith(m + ".") for m in PG_READY):
        metafunc.parametrize("backend", ["sqlite", "postgresql"])


@pytest.fixture
def backend() -> str:
    """Which store `store` opens: "sqlite" unless the test module is PG_READY."""
    return "sqlite"


@pytest.fixture(scope="session")
def pg_cluster():
    """The PostgreSQL server of this test process (tests.pg): skipped, with
    how to get one, when there is none, unless $ATENDE_REQUIRE_PG (CI)."""
    from tests import pg

    try:
        cluster = pg.start_cluster()
    except RuntimeError as exc:
        if os.environ.get("ATENDE_REQUIRE_PG"):
            pytest.fail(f"ATENDE_REQUIRE_PG is set but {exc}", pytrace=False)
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


def _pg_template(cluster) -> str:
    """A migrated, empty database on `cluster` that each test's database is copied from."""
    name = _TEMPLATE.get("pg")
    if name is None:
        from services.store.database import open_store
        from tests import pg

        name = pg.unique_name("atende_template")
        open_store(cluster.create_database(name))
        models.close_database()  # no connection may stay on a template
        _TEMPLATE["pg"] = name
    return name


@pytest.fixture
def store(request, backend, db_path, tmp_path_factory):
    """An empty, migrated database; the current OS login is its admin.
    Yields its path (SQLite) or its URL (PostgreSQL, see `backend`).

    The first test of a process migrates a database from nothing (the real
    path); the others start from a copy of it, which is the same file and
    much quicker than running every migration again."""
    import shutil

    from services.store.database import open_store

    if backend == "postgresql":
        from tests import pg

        cluster = request.getfixturevalue("pg_cluster")
        name = pg.unique_name()
        url = cluster.create_database(name, template=_pg_template(cluster))
        open_store(url)
        try:
            yield url
        finally:
            models.close_database()
            cluster.drop_database(name)
        return
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
    """The store's first person, its admin: the OS login (SQLite) or the
    database role the tests connect as (PostgreSQL)."""
    return users.identify(users.session_login())


@pytest.fixture
def people(admin) -> dict[str, Actor]:
    """An Actor for each staff role (plus the admin)."""
    actors = {"admin": admin}
    for role in ("agent", "coordinator", "supervisor"):
        users.add(admin, f"t_{role}", role, name=f"Test {role.title()}")
        actors[role] = users.identify(f"t_{role}")
    return actors
