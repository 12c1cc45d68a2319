"""An unexpected error in a screen's worker is never silent: it is logged
with its details, said in one line, and the panel that waited for the
answer says so instead of staying empty or "Loading..." forever."""
from __future__ import annotations

import ast
import importlib
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Label, Static

from screens.desk.queues import QueuesScreen
from screens.scheduling.triage import TriageScreen
from screens.supervisor.audit import AuditScreen
from screens.supervisor.dashboard import SupervisorScreen
from screens.supervisor.who import WhoScreen
from services.core.errors import NotFound
from services.customers import lookup
from services.store import audit, presence
from services.supervisor import dashboard
from services.tickets import queues
from tests.ui.pilot_tools import settle as settle_or_fail
from tests.ui.pilot_tools import until
from tui.base import AtendeScreen, WorkerErrors

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def log_file(monkeypatch):
    """The log file of this test's home (the logger opens its file once per process)."""
    import logging

    from services.core import logs

    logger = logging.getLogger("atende")
    kept = logger.handlers[:]
    for handler in kept:
        logger.removeHandler(handler)
    monkeypatch.setattr(logs, "_configured", False)
    yield logs.log_file
    for handler in logger.handlers[:]:
        logger.removeHandler(handler)
        handler.close()
    for handler in kept:
        logger.addHandler(handler)


def failing(error: BaseException):
    def fail(*args, **kwargs):
        raise error
    return fail


async def settle(pilot) -> None:
    """pilot_tools.settle, where a worker failing is what the test makes happen:
    a worker still running when the wait starts is reported as WorkerFailed
    (one that already ended is not), so the wait is simply taken again."""
    from textual.worker import WorkerFailed

    for _attempt in range(5):
        try:
            await settle_or_fail(pilot)
            return
        except WorkerFailed:
            await pilot.pause()


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


def shown(widget) -> str:
    return str(widget.render())


ERRORS = {
    "runtime": (RuntimeError("boom in the service"), "internal error (RuntimeError)"),
    "sqlite": (sqlite3.OperationalError("disk I/O error"), "disk I/O error"),
}


@pytest.mark.parametrize("error", ERRORS, ids=list(ERRORS))
@pytest.mark.parametrize("open_screen,owner,name,status", [
    (lambda: QueuesScreen("open"), queues, "page", "#queues-status"),
    (lambda: SupervisorScreen(), dashboard, "read", "#supervisor-summary"),
    (lambda: AuditScreen(), audit, "page", "#audit-status"),
    (lambda: WhoScreen(), presence, "online", "#who-summary"),
], ids=["queues", "supervisor", "audit", "who"])
async def test_a_failing_list_says_so_in_one_line_and_logs_it(make_app, monkeypatch, log_file, open_screen, owner,
                                                             name, status, error):
    exc, expected = ERRORS[error]
    monkeypatch.setattr(owner, name, failing(exc))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(open_screen())
        await settle(pilot)
        said = [m for m in notifications(app) if expected in m]
        assert len(said) == 1 and "\n" not in said[0]
        line = shown(app.screen.query_one(status, Static))
        assert expected in line and "Loading" not in line
        assert str(exc) in log_file().read_text() and "Traceback" in log_file().read_text()


async def test_a_failing_customer_search_says_so_instead_of_type_to_search(make_app, monkeypatch, log_file):
    monkeypatch.setattr(lookup, "lookup_on_kept_connection", failing(RuntimeError("lookup exploded")))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(TriageScreen())
        await settle(pilot)
        await pilot.press(*"maria")
        await settle(pilot)
        await until(pilot, lambda: notifications(app))
        assert [m for m in notifications(app) if "internal error (RuntimeError)" in m]
        line = shown(app.screen.query_one("#lookup-status", Label))
        assert "internal error (RuntimeError)" in line and "Type to search" not in line
        assert "lookup exploded" in log_file().read_text()
        # once the store answers again, the same search runs again on Enter
        monkeypatch.undo()
        await pilot.press("enter")
        await settle(pilot)
        await until(pilot, lambda: "Nothing found" in shown(app.screen.query_one("#lookup-status", Label)))
        assert "Nothing found" in shown(app.screen.query_one("#lookup-status", Label))


async def test_a_failing_decision_frees_f2_and_says_so(make_app, monkeypatch):
    """The decision pane said "Working out the decision…" forever and F2 waited for it."""
    from screens.scheduling import triage as triage_screen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = TriageScreen()
        app.push_screen(screen)
        await settle(pilot)
        monkeypatch.setattr(triage_screen.triage_svc, "triage", failing(KeyError("topic")))
        screen._deciding = "x"
        screen._book_asked = True
        screen.decide(1, "x")
        await settle(pilot)
        assert screen._deciding is None and not screen._book_asked
        assert "internal error (KeyError)" in shown(screen.query_one("#decision", Static))


async def test_an_atende_error_is_said_once_and_not_logged(make_app, monkeypatch, log_file):
    monkeypatch.setattr(presence, "online", failing(NotFound("nobody here")))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = WhoScreen()
        app.push_screen(screen)
        await settle(pilot)
        screen.action_reload()  # a live refresh failing the same way again
        await settle(pilot)
        assert notifications(app).count("nobody here") == 1
        assert not log_file().exists() or "nobody here" not in log_file().read_text()


def test_failure_message_is_one_line_and_logs_only_what_is_not_for_the_person(log_file):
    from tui.base import failure_message

    assert failure_message(NotFound("no such\nticket"), "test") == "no such ticket"
    assert not log_file().exists()
    line = failure_message(ValueError("bad\nvalue"), "test")
    assert "internal error (ValueError)" in line and "\n" not in line
    assert "bad\nvalue" in log_file().read_text()


def _classes_running_workers() -> list[tuple[str, str]]:
    """(module, class) of every class in screens/ and tui/ with a @work method, a run_worker or a call_service call."""
    found = []
    for path in sorted([*ROOT.joinpath("screens").rglob("*.py"), *ROOT.joinpath("tui").rglob("*.py")]):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            runs = False
            for item in ast.walk(node):
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for d in item.decorator_list:
                        target = d.func if isinstance(d, ast.Call) else d
                        if isinstance(target, ast.Name) and target.id == "work":
                            runs = True
                if isinstance(item, ast.Attribute) and item.attr in ("run_worker", "call_service"):
                    runs = True
            if runs:
                found.append((".".join(path.relative_to(ROOT).with_suffix("").parts), node.name))
    return found


def test_every_class_running_workers_reports_their_failures():
    from textual.dom import DOMNode

    def nodes(cls):  # a mixin (tui.dialogs.ThreadedSave) is checked in the screens built with it
        if issubclass(cls, DOMNode):
            return [cls]
        return [n for sub in cls.__subclasses__() for n in nodes(sub)]

    classes = _classes_running_workers()
    assert len(classes) > 20
    screen_modules = {".".join(p.relative_to(ROOT).with_suffix("").parts)
                      for p in ROOT.joinpath("screens").rglob("*.py") if p.name != "__init__.py"}
    for module in sorted({m for m, _c in classes} | screen_modules):
        importlib.import_module(module)
    missing = [f"{n.__module__}.{n.__name__}" for m, c in classes for n in nodes(getattr(importlib.import_module(m), c))
               if not issubclass(n, WorkerErrors)]
    assert missing == []


class Calls(AtendeScreen):
    """A screen with one field, calling services through call_service."""

    def compose(self):
        from textual.widgets import Input

        from tui.forms import Field

        yield Field("Name", Input(id="name"), name="name")
        yield Static("", id="answer")


async def test_call_service_says_each_kind_of_answer_where_it_belongs(make_app, log_file):
    """The answer on the UI thread; a ValidationError under its field, one
    for no field on the screen as one notice; any other AtendeError as one
    notice, never read as markup; an unexpected error through WorkerErrors."""
    import threading

    from services.core.errors import ValidationError

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = Calls()
        app.push_screen(screen)
        await settle(pilot)
        threads = []

        def service(kind):
            threads.append(threading.current_thread())
            if kind == "name":
                raise ValidationError("Type the [bold]name", "name")
            if kind == "other":
                raise ValidationError("Pick a [red]day", "day")
            if kind == "not found":
                raise NotFound("No ticket [b]X")
            if kind == "bug":
                raise RuntimeError("a fault of ours")
            return f"answer [i]{kind}"

        answers = []
        screen.call_service("t", service, "fine", on_answer=answers.append, fields=screen)
        await settle(pilot)
        assert answers == ["answer [i]fine"] and threads[-1] is not threading.main_thread()
        screen.call_service("t", service, "name", on_answer=answers.append, fields=screen)
        await settle(pilot)
        assert "Type the [bold]name" in shown(screen.query_one(".field-error", Static))
        assert not notifications(app)
        screen.call_service("t", service, "fine", on_answer=answers.append, fields=screen)
        await settle(pilot)
        assert shown(screen.query_one(".field-error", Static)) == ""  # a newer answer clears it
        errors = []
        for kind in ("other", "not found"):
            screen.call_service("t", service, kind, on_answer=answers.append, fields=screen, on_error=errors.append)
            await settle(pilot)
        assert notifications(app) == ["Pick a [red]day", "No ticket [b]X"]
        assert all(n.markup is False for n in app._notifications)
        assert [type(e) for e in errors] == [ValidationError, NotFound]
        screen.call_service("t", service, "bug", on_answer=answers.append)
        await settle(pilot)
        assert "internal error (RuntimeError)" in notifications(app)[-1]
        assert "a fault of ours" in log_file().read_text()
        assert answers == ["answer [i]fine"] * 2


async def test_call_service_writes_once_while_a_write_of_its_group_runs(make_app):
    import threading

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = Calls()
        app.push_screen(screen)
        await settle(pilot)
        go, calls, answers = threading.Event(), [], []

        def write(n):
            calls.append(n)
            go.wait(5)
            return n

        assert screen.call_service("w", write, 1, on_answer=answers.append, write=True) is not None
        await until(pilot, lambda: calls)
        assert screen.call_service("w", write, 2, on_answer=answers.append, write=True) is None
        assert screen.service_running("w")
        go.set()
        await settle(pilot)
        assert calls == [1] and answers == [1] and not screen.service_running("w")
        screen.call_service("w", write, 3, on_answer=answers.append, write=True)
        await settle(pilot)
        assert answers == [1, 3]


async def test_call_service_each_runs_every_write_of_its_group(make_app):
    """each=True (the check-in desk's scans): a second write of the group,
    made while the first is still running, is neither ignored nor cancelled."""
    import threading

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = Calls()
        app.push_screen(screen)
        await settle(pilot)
        go, calls, answers = threading.Event(), [], []

        def write(n):
            calls.append(n)
            if n == 1:
                go.wait(5)
            return n

        first = screen.call_service("w", write, 1, on_answer=answers.append, write=True, each=True)
        await until(pilot, lambda: calls)
        second = screen.call_service("w", write, 2, on_answer=answers.append, write=True, each=True)
        assert first is not None and second is not None
        await until(pilot, lambda: answers)
        assert answers == [2]  # written while the first still runs
        go.set()
        await settle(pilot)
        assert sorted(calls) == [1, 2] and answers == [2, 1]
        assert not first.is_cancelled and not screen.service_running("w")


# Screens call services through call_service (tui.base): none starts a thread
# worker of its own or carries an answer back with call_from_thread.
# The modules of tui/ that start thread workers themselves, and why.
TUI_THREAD_WORKERS = {
    "tui/base.py": "call_service itself, the one way a screen calls a service off the UI thread",
    "tui/account.py": "the App's own timer (no screen) looking whether an administrator removed the person",
    "tui/live.py": "the change watcher: one plain thread for the whole app, following the store's changes "
                   "and telling the live screens (it calls no service for a screen)",
}


def _thread_workers(path: Path) -> list[str]:
    """What in `path` runs or answers from a thread by hand: @work(thread=True),
    run_worker(..., thread=True), call_from_thread (name and line of each)."""
    def threaded(call: ast.Call) -> bool:
        return any(k.arg == "thread" and isinstance(k.value, ast.Constant) and k.value.value is True
                   for k in call.keywords)

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                if isinstance(d, ast.Call) and getattr(d.func, "id", getattr(d.func, "attr", "")) == "work" \
                        and threaded(d):
                    found.append(f"@work(thread=True) {node.name} (line {node.lineno})")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "run_worker" and threaded(node):
                found.append(f"run_worker(thread=True) (line {node.lineno})")
            elif node.func.attr == "call_from_thread":
                found.append(f"call_from_thread (line {node.lineno})")
    return found


def test_screens_call_services_only_through_call_service():
    found = {}
    for path in sorted([*ROOT.joinpath("screens").rglob("*.py"), *ROOT.joinpath("tui").rglob("*.py")]):
        hits = _thread_workers(path)
        if hits:
            found[path.relative_to(ROOT).as_posix()] = hits
    screens = {p: hits for p, hits in found.items() if p.startswith("screens/")}
    tui = {p: hits for p, hits in found.items() if p.startswith("tui/")}
    assert screens == {}, ("a screen calls a service off the UI thread by hand: use self.call_service(group, fn, "
                           f"*args, on_answer=...) from tui.base instead: {screens}")
    assert set(tui) == set(TUI_THREAD_WORKERS), (
        "a tui/ module starts thread workers itself: use call_service, or list it in TUI_THREAD_WORKERS with the "
        f"reason; found {tui}, listed {sorted(TUI_THREAD_WORKERS)}")
