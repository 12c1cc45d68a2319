"""Group commit: one process writes new tickets for every session of a shared store.

Every ticket costs two durable commits (reserve the protocol, finish the
ticket). When each session commits for itself, the commits queue for
SQLite's one write lock, one `fsync` each, and each writer re-reads the
pages the others changed. `atende writer`, run beside the database on a
shared server, takes those two writes from every session over a Unix socket
and commits whatever requests arrived meanwhile in ONE transaction: one
`fsync` and one write lock for the whole group.

Rules that keep it as safe as writing directly:

* **Same code, same checks.** The writer runs the services' own functions
  (`protocol.reserve`, `wizard.finish`'s write) for an Actor it loads itself;
  permissions are checked there, as for any caller.
* **Nobody writes as someone else.** The writer reads who is connected from
  the kernel (`SO_PEERCRED`) and applies the rule of `users.session_login`:
  one acts as one's own OS login, or as anyone on a database file one owns.
  The socket has the database file's permissions, so whoever cannot write
  the file cannot connect.
* **One request, one savepoint.** A request that fails (a validation error,
  a conflict) rolls back its own savepoint only; the others in the group
  commit. Answers go out only after the commit.
* **Never twice, never lost.** Each request carries an id, stored with its
  result in `write_request` in the same transaction. A session whose
  connection breaks asks again with the same id, and when no writer answers
  it does the write itself, in its own transaction, with that id: whichever
  commits first wins (the id is a primary key), the other reads the result.
* **Optional.** With no writer running (a laptop, tests, a PostgreSQL
  server) every session writes directly, exactly as before.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import secrets
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from models import db, is_sqlite, write_tx
from models.db import sqlite_path
from models.writelock import queued_write_tx

from . import clock, fastsql, i18n
from .errors import (AtendeError, ConfigError, Conflict, NotFound, PermissionDenied, UnknownUser,
                     ValidationError)
from .i18n import _
from .permissions import Actor
from .quickopen import SCHEMA_VERSION

log = logging.getLogger("atende.writer")

MAX_FRAME = 32 * 1024 * 1024  # a draft with a 1 MB problem text is far below
MAX_GROUP = 256
REPLY_TIMEOUT = 60.0  # a writer that does not answer by then is given up (the session writes itself)
RETRY_AFTER = 2.0  # after finding no writer, sessions look again this much later
KEEP_REQUESTS = dt.timedelta(days=1)
_HEADER = struct.Struct("!I")

_ERRORS: dict[str, type[AtendeError]] = {
    cls.__name__: cls for cls in (ConfigError, Conflict, NotFound, PermissionDenied, UnknownUser)
}


def socket_path(db_path: Path | None = None) -> Path | None:
    """Where the writer of this database listens: beside the file. None for a
    server database, or a path too long for a Unix socket."""
    if db_path is None:
        if not is_sqlite():
            return None
        db_path = db.obj.database
    key = os.fspath(db_path)
    if key not in _socket_paths:
        path = Path(f"{Path(key).resolve()}.writer")
        _socket_paths[key] = path if len(os.fsencode(path)) < 104 else None
    return _socket_paths[key]


_socket_paths: dict[str, Path | None] = {}


def writer_state(db_path: Path) -> str:
    """"running", "stopped" (a socket nobody listens on) or "none"."""
    path = socket_path(db_path)
    if path is None or not path.exists():
        return "none"
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2.0)
    try:
        probe.connect(os.fspath(path))
        return "running"
    except OSError:
        return "stopped"
    finally:
        probe.close()


def new_request_id() -> str:
    """Time-ordered (new rows land at the end of the index), unguessable."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"


# ----------------------------------------------------------------------------- operations

OPS: dict[str, Callable[[Actor, dict], dict]] = {}


def operation(name: str):
    def register(fn):
        OPS[name] = fn
        return fn
    return register


@operation("reserve")
def _op_reserve(actor: Actor, args: dict) -> dict:
    from . import protocol
    from .permissions import require

    # The wizard's reservation only: Contact us and bookings reserve inside their own transaction.
    require(actor, "tickets.create")
    r = protocol.reserve_here(actor, protocol.check_format(str(args.get("fmt") or protocol.DEFAULT_FORMAT)))
    return {"protocol": r.protocol, "ticket_id": r.ticket_id, "at": r.at.isoformat()}


@operation("finish")
def _op_finish(actor: Actor, args: dict) -> dict:
    from . import wizard

    d = wizard.from_json(args["draft"])
    attachments = [(wizard.AttachmentDraft(**a), stored) for a, stored in args.get("attachments", ())]
    email_files = dict(args.get("email_files") or {})
    folder = f"tickets/{wizard.sanitize_name(d.protocol)}/"
    for stored in [s for _a, s in attachments] + list(email_files.values()):
        rest = str(stored)[len(folder):]
        if not str(stored).startswith(folder) or not rest or "/" in rest or rest in (".", ".."):
            raise ValidationError(_("An attached file is not in this ticket's folder"), "attachments")
    return dict(vars(wizard.finish_copied(actor, d, attachments, email_files)))  # flat: no deep copy


REQUEST_SQL = "INSERT INTO write_request (id, login, op, result, at) VALUES (?, ?, ?, ?, ?)"


def execute(request: dict, actor: Actor) -> dict:
    """Run one request inside the current transaction, in its own savepoint,
    once: a request asked again (`retry`) whose id is stored returns the
    stored result. (A first asking has a new id: nothing to look up.)"""
    if request.get("retry"):
        row = fastsql.run("SELECT result FROM write_request WHERE id = ? AND login = ?",
                          (request["id"], actor.login)).fetchone()
        if row is not None:
            return json.loads(row[0])
    op = OPS.get(request.get("op"))
    if op is None:
        raise _Unusable()
    assert db.in_transaction(), "a request runs inside its group's (or the session's own) transaction"
    # Its own savepoint, so a failing request takes back only its own writes
    # (written out: peewee's savepoint object costs more than the request's inserts).
    fastsql.run("SAVEPOINT atende_request")
    try:
        result = op(actor, request.get("args") or {})
        fastsql.run(REQUEST_SQL, (request["id"], actor.login, request["op"], json.dumps(result),
                                  fastsql.stamp(clock.now())))
    except BaseException:
        try:
            fastsql.run("ROLLBACK TO atende_request")
            fastsql.run("RELEASE atende_request")
        except Exception:  # noqa: BLE001 - SQLite already rolled the whole transaction back; the error says why
            pass
        raise
    fastsql.run("RELEASE atende_request")
    return result


def _group_lost() -> bool:
    """Whether SQLite rolled the current transaction back by itself (it does
    at SQLITE_FULL), though the request's own savepoint was meant to take back
    only its own writes."""
    return is_sqlite() and not db.connection().in_transaction


class _Unusable(Exception):
    """The writer cannot do this request (another version of Atende): the
    session does it itself."""


def _encode_error(exc: BaseException) -> dict:
    if isinstance(exc, ValidationError):
        return {"kind": "ValidationError", "errors": exc.errors}
    if isinstance(exc, AtendeError) and type(exc).__name__ in _ERRORS:
        return {"kind": type(exc).__name__, "message": exc.message}
    if isinstance(exc, AtendeError):  # the store cannot take a write now: nothing of the group was saved
        return {"kind": "unavailable", "message": exc.message}
    return {"kind": "internal"}


# ----------------------------------------------------------------------------- the session's side


class _NoAnswer(Exception):
    """The request may have been sent, but no answer came."""


class _Client:
    """Connections to the writer, shared by the threads of a session (the
    screens' workers come and go): a thread takes an idle one or opens one,
    and gives it back after its answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: list[tuple[Path, socket.socket]] = []
        self.off_until = 0.0

    def _take(self, path: Path) -> socket.socket | None:
        with self.lock:
            while self.idle:
                where, conn = self.idle.pop()
                if where == path:
                    return conn
                conn.close()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(REPLY_TIMEOUT)
        try:
            conn.connect(os.fspath(path))
        except OSError:
            conn.close()
            self.off_until = time.monotonic() + RETRY_AFTER
            return None
        return conn

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for _path, conn in idle:
            conn.close()

    def send(self, path: Path, request: dict) -> dict | None:
        """The writer's answer; None when no writer listens (nothing was sent);
        raises _NoAnswer when the request went out and no answer came back."""
        frame = json.dumps(request, ensure_ascii=False).encode()
        if len(frame) > MAX_FRAME:
            return None
        conn = self._take(path)
        if conn is None:
            return None
        try:
            conn.sendall(_HEADER.pack(len(frame)) + frame)
            reply = json.loads(_read_frame(conn))
        except (OSError, ValueError, EOFError) as exc:
            conn.close()
            raise _NoAnswer() from exc
        with self.lock:
            self.idle.append((path, conn))
        return reply


_client = _Client()
os.register_at_fork(after_in_child=lambda: _client.__init__())  # a child never shares its parent's connections
_serving = threading.local()  # the writer's own thread never sends to itself


def call(op: str, actor: Actor, args: dict) -> dict | None:
    """Have the shared writer do `op`; its result, or None when no writer runs
    (the caller then writes directly, as always). Raises the services' own
    errors (ValidationError, Conflict, ...) as the writer reported them."""
    if getattr(_serving, "on", False) or time.monotonic() < _client.off_until or not is_sqlite() \
            or db.in_transaction():
        return None
    path = socket_path()
    if path is None:
        return None
    request = {"id": new_request_id(), "v": SCHEMA_VERSION, "op": op, "login": actor.login,
               "lang": i18n.current_language(), "args": args}
    for _attempt in range(2):
        try:
            reply = _client.send(path, request)
        except _NoAnswer:
            request["retry"] = True  # the writer stopped or restarted: ask again, same id
            continue
        if reply is None:
            if not request.get("retry"):
                return None  # no writer, nothing sent: the caller writes as always
            break
        if "ok" in reply:
            return reply["ok"]
        error = reply.get("error") or {}
        kind = error.get("kind")
        if kind == "ValidationError":
            raise ValidationError(error.get("errors") or {})
        if kind in _ERRORS:
            raise _ERRORS[kind](error.get("message", ""))
        break  # "internal", "unavailable", another version: write here, where an error shows as it is
    return _write_here(request, actor)


def _write_here(request: dict, actor: Actor) -> dict:
    """The request, done by this session itself: once, whoever gets there first
    (the writer may still be working on it; the id is the table's key)."""
    request["retry"] = True
    with queued_write_tx():
        return execute(request, actor)


def disconnect() -> None:
    """Close the idle connections to the writer (tests; a session that ends)."""
    _client.close()


def _read_frame(conn: socket.socket) -> bytes:
    header = _read_exact(conn, _HEADER.size)
    (size,) = _HEADER.unpack(header)
    if size > MAX_FRAME:
        raise ValueError("frame too large")
    return _read_exact(conn, size)


def _read_exact(conn: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = conn.recv(min(size - len(buf), 1 << 20))
        if not chunk:
            raise EOFError()
        buf += chunk
    return bytes(buf)


# ----------------------------------------------------------------------------- the writer


def peer_uid(conn: socket.socket) -> int:
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                          struct.calcsize("3i")))
    return uid


def _os_login(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


def may_act_as(uid: int, login: str, db_path: Path, os_login: str | None = None) -> bool:
    """The rule of users.session_login, for a connected process: its own OS
    login, or anyone when it owns the database file."""
    if (os_login if os_login is not None else _os_login(uid)) == login:
        return True
    try:
        return db_path.stat().st_uid == uid
    except OSError:
        return False


@dataclass(eq=False)
class _Conn:
    sock: socket.socket
    uid: int
    login: str  # the OS login of the connected process
    buf: bytearray = dataclasses.field(default_factory=bytearray)


@dataclass
class WriterStats:
    requests: int = 0
    groups: int = 0


class Writer:
    """The writer of one database: `serve()` until `stop` is set."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        path = sqlite_path()
        if path is None:
            raise ConfigError(_("The shared writer works with an SQLite database file only"))
        self.db_path = path
        self.path = socket_path(path)
        if self.path is None:
            raise ConfigError(_("The database's path is too long for the writer's socket; use a shorter one"))
        self.stop = stop or threading.Event()
        self.stats = WriterStats()
        self._lock_fd: int | None = None
        self._listener: socket.socket | None = None
        self._actors: dict[str, tuple[float, Actor]] = {}
        self._last_cleanup = 0.0

    # -- set-up

    def bind(self) -> None:
        """Take the writer's place for this database, or raise ConfigError."""
        fd = os.open(f"{self.db_path}.writer.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ConfigError(_("A writer already runs for this database")) from None
        self._lock_fd = fd
        try:
            self.path.unlink()  # left by a writer that died: the lock says none runs
        except FileNotFoundError:
            pass
        # Bound and listening under another name, then renamed into place: a
        # session that finds the socket can connect to it.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        staging = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        if len(os.fsencode(staging)) >= 108:
            staging = self.path
        old = os.umask(0o077)
        try:
            try:
                staging.unlink()
            except FileNotFoundError:
                pass
            s.bind(os.fspath(staging))
        finally:
            os.umask(old)
        st = self.db_path.stat()
        mode = 0o600 | (0o060 if st.st_mode & 0o020 else 0) | (0o006 if st.st_mode & 0o002 else 0)
        os.chmod(staging, mode)  # who may write the file may connect, nobody else
        try:
            os.chown(staging, -1, st.st_gid)
        except OSError:
            pass
        s.listen(128)
        s.setblocking(False)
        if staging != self.path:
            os.replace(staging, self.path)
        self._listener = s

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- the loop

    def serve(self) -> None:
        if self._listener is None:
            self.bind()
        _serving.on = True
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ, None)
        pending: list[tuple[_Conn, dict]] = []
        try:
            while not self.stop.is_set():
                # Whatever arrived while the last group was being committed is the
                # next group: no waiting on purpose (measured: a wait of 0.2-1 ms for
                # busy sessions made bigger groups but fewer tickets per second).
                for key, _mask in sel.select(0 if pending else 0.25):
                    if key.data is None:
                        self._accept(sel)
                    else:
                        self._read(sel, key.data, pending)
                if pending:
                    group, pending = pending[:MAX_GROUP], pending[MAX_GROUP:]
                    self._run(group, sel)
                else:
                    self._cleanup()
        finally:
            for key in list(sel.get_map().values()):
                if key.data is not None:
                    key.data.sock.close()
            sel.close()
            self.close()
            _serving.on = False

    def _accept(self, sel) -> None:
        while True:
            try:
                s, _addr = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE):
                    log.warning("writer: too many open files; a session will write directly")
                return
            try:
                uid = peer_uid(s)
            except OSError:
                s.close()
                continue
            s.setblocking(False)
            conn = _Conn(s, uid, _os_login(uid))
            sel.register(s, selectors.EVENT_READ, conn)

    def _read(self, sel, conn: _Conn, pending: list) -> None:
        try:
            chunk = conn.sock.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(sel, conn)
            return
        conn.buf += chunk
        while len(conn.buf) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(conn.buf)
            if size > MAX_FRAME:
                self._drop(sel, conn)
                return
            if len(conn.buf) < _HEADER.size + size:
                return
            frame = bytes(conn.buf[_HEADER.size:_HEADER.size + size])
            del conn.buf[:_HEADER.size + size]
            try:
                request = json.loads(frame)
                if not isinstance(request, dict) or not isinstance(request.get("id"), str) \
                        or not isinstance(request.get("login"), str) or not 0 < len(request["id"]) <= 40:
                    raise ValueError
            except ValueError:
                self._drop(sel, conn)
                return
            pending.append((conn, request))

    def _drop(self, sel, conn: _Conn) -> None:
        try:
            sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    def _actor(self, login: str) -> Actor:
        """The Actor of `login`, re-read at most every second (a person removed
        or given another role is seen as quickly as by a session's own checks)."""
        from . import users

        now = time.monotonic()
        cached = self._actors.get(login)
        if cached is None or now - cached[0] > 1.0:
            self._actors.pop(login, None)
            cached = self._actors[login] = (now, users.refresh(Actor(login=login, name=login, role="")))
        return cached[1]

    def _run(self, group: list[tuple[_Conn, dict]], sel) -> None:
        replies: list[tuple[_Conn, dict]] = []
        runnable: list[tuple[_Conn, dict, Actor]] = []
        for conn, request in group:
            try:
                with i18n.using_language(str(request.get("lang") or "")):
                    if request.get("v") != SCHEMA_VERSION:
                        raise _Unusable()  # another version of Atende: that session writes itself
                    if not may_act_as(conn.uid, request["login"], self.db_path, conn.login):
                        raise PermissionDenied(_("You may act only as yourself on this database"))
                    runnable.append((conn, request, self._actor(request["login"])))
            except (AtendeError, _Unusable) as exc:
                replies.append((conn, {"id": request["id"], "error": _encode_error(exc)}))
        answered: list[tuple[_Conn, dict]] = []
        if runnable:
            try:
                with queued_write_tx():
                    for conn, request, actor in runnable:
                        try:
                            with i18n.using_language(str(request.get("lang") or "")):
                                answer = {"ok": execute(request, actor)}
                        except Exception as exc:
                            if _group_lost():
                                # SQLite rolled the whole group back (a full disk): the answers
                                # given so far no longer hold, and nothing more may be written
                                # outside the group. The store's failure answers everyone.
                                raise
                            if isinstance(exc, AtendeError):
                                answer = {"error": _encode_error(exc)}
                            else:  # a fault of ours: that session writes itself and shows it
                                log.exception("writer: request %s (%s) failed", request["id"], request.get("op"))
                                answer = {"error": {"kind": "internal"}}
                        answered.append((conn, {"id": request["id"], **answer}))
            except Exception as exc:  # the commit failed: nothing of the group was saved
                log.warning("writer: a group of %d was not saved: %s", len(runnable), exc)
                failure = _encode_error(exc)
                answered = [(conn, {"id": request["id"], "error": failure}) for conn, request, _a in runnable]
        self.stats.groups += 1
        self.stats.requests += len(group)
        for conn, reply in replies + answered:
            self._reply(sel, conn, reply)

    def _reply(self, sel, conn: _Conn, reply: dict) -> None:
        frame = json.dumps(reply, ensure_ascii=False).encode()
        data = _HEADER.pack(len(frame)) + frame
        try:
            try:
                sent = conn.sock.send(data)  # an answer is small: it fits the socket's buffer
            except BlockingIOError:
                sent = 0
            if sent < len(data):
                conn.sock.settimeout(5.0)  # a session that stopped reading must not stop the others
                conn.sock.sendall(data[sent:])
                conn.sock.setblocking(False)
        except OSError:
            self._drop(sel, conn)  # it asks again with the same id, or writes itself

    def _cleanup(self) -> None:
        now = time.monotonic()
        if now - self._last_cleanup < 600:
            return
        self._last_cleanup = now
        try:
            with write_tx(live=None):
                fastsql.run("DELETE FROM write_request WHERE at < ?", (fastsql.stamp(clock.now() - KEEP_REQUESTS),))
        except Exception as exc:  # noqa: BLE001 - tried again in ten minutes
            log.warning("writer: old request ids were not cleaned: %s", exc)
