"""The background worker: sends the outbox, runs the periodic sweeps, beats.

`atende worker` runs a huey consumer (SqliteHuey, in its own file beside the
database, ``<db>-huey.db``) in the main thread (huey installs its signal
handlers there). Its jobs:

- ``send``: claim due outbox rows and hand them to the transport (one SMTP
  connection per batch); enqueued by the pump as soon as mail is due, and
  every minute as a backstop;
- ``minute`` (periodic, every minute): re-examine rows of dead workers, run the
  registered sweeps (`services.sweeps`), then send.

A small pump thread writes the heartbeat (Setting ``worker.heartbeat``) every
few seconds and wakes the ``send`` job within a second of new mail, so the TUI
never talks to huey: it only writes outbox rows.

`run_once()` does one round of everything without huey (``atende worker --once``,
tests, cron).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from models import Setting, reading, write_tx
from models.db import sqlite_path

from . import clock, outbox, sweeps
from .config import MailSettings
from .doctor import WORKER_HEARTBEAT
from .i18n import _
from .outbox import BatchReport

HEARTBEAT_SECONDS = 5
STALE_AFTER = dt.timedelta(seconds=60)
"""The worker counts as stopped when its heartbeat is older than this (as `atende doctor`)."""
PUMP_SECONDS = 1.0

log = logging.getLogger("atende.worker")


# ---------------------------------------------------------------- heartbeat


def write_heartbeat(now: dt.datetime | None = None) -> None:
    now = now or clock.now()
    with write_tx():
        Setting.insert(key=WORKER_HEARTBEAT, value=now.isoformat(timespec="seconds")).on_conflict_replace().execute()


@dataclass(frozen=True)
class WorkerState:
    running: bool
    last_seen: dt.datetime | None


def status(now: dt.datetime | None = None) -> WorkerState:
    """Whether a worker has beaten recently."""
    now = now or clock.now()
    with reading():
        row = Setting.get_or_none(Setting.key == WORKER_HEARTBEAT)
    if row is None:
        return WorkerState(False, None)
    try:
        last = dt.datetime.fromisoformat(row.value)
    except ValueError:
        return WorkerState(False, None)
    return WorkerState(now - last <= STALE_AFTER, last)


# ---------------------------------------------------------------- sending


Progress = Callable[[int, int], None]


def send_due(transport, worker: str | None = None, *, limit: int = outbox.BATCH_SIZE,
             progress: Progress | None = None, max_batches: int | None = None) -> BatchReport:
    """Send every due outbox row, batch after batch, until none is due or the
    server cannot be reached. `progress(done, batch_size)` is called per mail."""
    worker = worker or outbox.new_worker_id()
    report = BatchReport()
    batches = 0
    with reading():  # one connection for the whole run
        while max_batches is None or batches < max_batches:
            batch = outbox.claim_batch(worker, limit)
            if not batch:
                break
            batches += 1
            part = _send_batch(transport, batch, worker, progress)
            report.add(part)
            if part.connection_error:
                break
    return report


def _send_batch(transport, batch: list[outbox.OutboxItem], worker: str,
                progress: Progress | None) -> BatchReport:
    from .mail_transport import ConnectionFailure, InDoubt, PermanentError, TemporaryError

    report = BatchReport()
    try:
        transport.open()
    except ConnectionFailure as exc:
        outbox.release([m.id for m in batch], worker, str(exc))
        report.retried += len(batch)
        report.connection_error = str(exc)
        log.warning("mail: %s", exc)
        return report
    try:
        handed = False
        for index, item in enumerate(batch):
            if not handed:
                outbox.mark_handed(item.id, worker)
            handed = False
            try:
                note = transport.send(item)
            except TemporaryError as exc:
                state = outbox.mark_temporary(item.id, worker, str(exc))
                if state == outbox.FAILED:
                    report.failed += 1
                else:
                    report.retried += 1
                report.errors.append(f"{item.id}: {exc}")
            except PermanentError as exc:
                outbox.mark_failed(item.id, worker, str(exc))
                report.failed += 1
                report.errors.append(f"{item.id}: {exc}")
            except InDoubt as exc:
                outbox.mark_failed(item.id, worker, f"{_(outbox.UNCERTAIN)} ({exc})")
                report.failed += 1
                report.errors.append(f"{item.id}: {exc}")
                rest = [m.id for m in batch[index + 1:]]
                outbox.release(rest, worker, str(exc))
                report.retried += len(rest)
                report.connection_error = str(exc)
                break
            except ConnectionFailure as exc:
                rest = [m.id for m in batch[index:]]
                outbox.release(rest, worker, str(exc))
                report.retried += len(rest)
                report.connection_error = str(exc)
                log.warning("mail: %s", exc)
                break
            else:
                following = batch[index + 1].id if index + 1 < len(batch) else None
                outbox.mark_sent(item.id, worker, note, hand_next=following)
                handed = following is not None
                report.sent += 1
            if progress is not None:
                progress(index + 1, len(batch))
    finally:
        transport.close()
    return report


# ---------------------------------------------------------------- one round


@dataclass
class RoundReport:
    mail: BatchReport = field(default_factory=BatchReport)
    requeued: int = 0
    uncertain: tuple[int, ...] = ()
    sweeps: list[sweeps.SweepResult] = field(default_factory=list)


def run_once(settings: MailSettings, *, transport=None, now: dt.datetime | None = None) -> RoundReport:
    """One round: heartbeat, re-examine dead workers' rows, sweeps, send what is due."""
    from .mail_transport import transport_for

    report = RoundReport()
    write_heartbeat(now)
    recovery = outbox.recover_stale(now)
    report.requeued, report.uncertain = recovery.requeued, recovery.uncertain
    sweeps.load_modules()
    report.sweeps = sweeps.run_sweeps(now or clock.now())
    if outbox.has_due(now):
        report.mail = send_due(transport or transport_for(settings))
    return report


# ---------------------------------------------------------------- huey


def huey_file(db_path: Path | None = None) -> Path:
    """The huey queue's own SQLite file, beside the database."""
    db_path = db_path or sqlite_path()
    if db_path is None:
        from . import paths

        return paths.user_data_dir() / "atende-huey.db"
    return db_path.parent / f"{db_path.stem}-huey.db"


class Worker:
    """The long-running worker: a huey consumer plus the heartbeat pump."""

    def __init__(self, settings: MailSettings, *, threads: int = 2, huey_path: Path | None = None,
                 immediate: bool = False):
        self.settings = settings
        self.threads = threads
        self.huey_path = huey_path or huey_file()
        self.immediate = immediate
        self.worker_id = outbox.new_worker_id()
        self._send_lock = threading.Lock()
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self.huey = self._build()
        from . import paths

        for suffix in ("", "-wal", "-shm"):  # SQLite makes it 0644 less the umask: the group's, like the database
            extra = Path(f"{self.huey_path}{suffix}")
            if extra.exists():
                paths.private_file(extra)

    def _build(self):
        from huey import SqliteHuey, crontab

        huey = SqliteHuey("atende", filename=str(self.huey_path), immediate=self.immediate)

        @huey.task(name="send")
        def send():
            self._wanted.clear()
            self.send_now()

        @huey.periodic_task(crontab(minute="*"), name="minute")
        def minute():
            self.minute()

        self.send_task, self.minute_task = send, minute
        return huey

    def send_now(self) -> BatchReport | None:
        """Send what is due, unless this process is already sending."""
        from .mail_transport import transport_for

        if not self._send_lock.acquire(blocking=False):
            return None
        try:
            if not outbox.has_due():
                return BatchReport()
            report = send_due(transport_for(self.settings), self.worker_id)
            if report.sent or report.failed or report.retried:
                log.info("mail: sent %d, to retry %d, failed %d", report.sent, report.retried, report.failed)
            return report
        except Exception as exc:
            from .logs import internal_error

            log.error("mail: %s", internal_error(exc, "worker send"))
            return None
        finally:
            self._send_lock.release()

    def minute(self) -> None:
        try:
            recovery = outbox.recover_stale()
            if recovery.requeued or recovery.uncertain:
                log.warning("mail: %d rows of a stopped worker queued again, %d in doubt",
                            recovery.requeued, len(recovery.uncertain))
            for result in sweeps.run_sweeps(clock.now()):
                if result.error:
                    log.error("sweep %s: %s", result.name, result.error)
        except Exception as exc:
            from .logs import internal_error

            log.error("%s", internal_error(exc, "worker minute"))
        self.send_task()

    def pump(self) -> None:
        """Heartbeat every few seconds; wake the send job as soon as mail is due."""
        last_beat = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    write_heartbeat()
                    last_beat = time.monotonic()
                if not self._wanted.is_set() and not self._send_lock.locked() and outbox.has_due():
                    self._wanted.set()
                    self.send_task()
            except Exception as exc:  # the database may be busy for a moment: keep beating
                log.warning("worker pump: %s", exc)
            self._stop.wait(PUMP_SECONDS)

    def run(self) -> None:
        """Run until SIGINT/SIGTERM. Must be called from the main thread."""
        from . import paths

        paths.set_umask()
        sweeps.load_modules()
        recovery = outbox.recover_stale()
        if recovery.requeued or recovery.uncertain:
            log.warning("mail: %d rows of a stopped worker queued again, %d in doubt",
                        recovery.requeued, len(recovery.uncertain))
        write_heartbeat()
        pump = threading.Thread(target=self.pump, name="atende-pump", daemon=True)
        pump.start()
        consumer = self.huey.create_consumer(workers=self.threads, worker_type="thread", periodic=True,
                                             initial_delay=0.1, backoff=1.15, max_delay=1.0,
                                             check_worker_health=True)
        try:
            consumer.run()
        finally:
            self._stop.set()
            pump.join(timeout=5)
