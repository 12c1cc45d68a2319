"""The background worker: sends the outbox, runs the periodic sweeps, beats.

`atende worker` runs a huey consumer (SqliteHuey, in its own file beside the
database, ``<db>-huey.db``) in the main thread (huey installs its signal
handlers there). Its jobs:

- ``send``: claim due outbox rows and hand them to the transport (one SMTP
  connection per batch); enqueued by the pump as soon as mail is due, and
  every minute as a backstop;
- ``minute`` (periodic, every minute): re-examine rows of dead workers, run the
  registered sweeps (`services.ops.sweeps`; with `[mail_in] host` set, the
  ``mail.fetch`` sweep takes in the mailbox's unread mail: `enable_mail_in`),
  then send.

A small pump thread writes the heartbeat (Setting ``worker.heartbeat``) every
few seconds and wakes the ``send`` job within a second of new mail, so the TUI
never talks to huey: it only writes outbox rows.

`run_once()` does one round of everything without huey (``atende worker --once``,
tests, cron).

SIGTERM (systemd's stop), SIGINT and SIGHUP stop the worker gracefully: the
e-mail in hand is finished and recorded, the rest of its batch goes back to
the queue (`sending.give_back`), exit status 0. What the worker logs also goes
to stderr, one line per record (`log_to_stderr`): under systemd, the journal.
"""
from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models import Setting, reading, write_tx
from models.db import db, is_postgresql, sqlite_path
from models.schema import HUEY_TABLES
from services.core import clock
from services.core.config import Config, MailSettings
from services.core.i18n import _
from services.mail import outbox, sending
from services.mail.sending import BatchReport
from services.ops import sweeps
from services.ops.doctor import WORKER_HEARTBEAT

HEARTBEAT_SECONDS = 5
STALE_AFTER = dt.timedelta(seconds=60)
"""The worker counts as stopped when its heartbeat is older than this (as `atende doctor`)."""
PUMP_SECONDS = 1.0

log = logging.getLogger("atende.worker")


# ---------------------------------------------------------------- heartbeat


def write_heartbeat(now: dt.datetime | None = None) -> None:
    now = now or clock.now()
    with write_tx():
        Setting.put(WORKER_HEARTBEAT, now.isoformat(timespec="seconds"))


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


class _LeaseKeeper:
    """Renews a claim's lease while its batches are sent (a thread), so a slow
    server never makes a live claim look abandoned to another host's sweep."""

    def __init__(self, worker: str, lease: dt.timedelta):
        self.worker = worker
        self.every = max(lease.total_seconds() / 4, 0.05)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="atende-lease", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._done.wait(self.every):
            try:
                sending.renew_claim(self.worker)
            except Exception as exc:  # the database busy for a moment: the next renewal comes soon
                log.warning("mail: cannot renew the claim: %s", exc)


def send_due(transport, worker: str | None = None, *, limit: int = sending.BATCH_SIZE,
             progress: Progress | None = None, max_batches: int | None = None,
             lease: dt.timedelta = sending.CLAIM_LEASE,
             should_stop: Callable[[], bool] | None = None) -> BatchReport:
    """Send every due outbox row, batch after batch, until none is due or the
    server cannot be reached. `progress(done, batch_size)` is called per mail.

    The claim is this process's while it runs (`sending.holding`) and its lease
    is renewed every quarter of `lease`. Once `should_stop()` is true the mail
    in hand is finished and the rest of the batch goes back to the queue."""
    worker = worker or sending.new_worker_id()
    report = BatchReport()
    batches = 0
    with sending.holding(worker), _LeaseKeeper(worker, lease), reading():  # one connection for the run
        while max_batches is None or batches < max_batches:
            if should_stop is not None and should_stop():
                break
            batch = sending.claim_batch(worker, limit)
            if not batch:
                break
            batches += 1
            part = _send_batch(transport, batch, worker, progress, should_stop)
            report.add(part)
            if part.connection_error or part.stopped:
                break
    return report


def _send_batch(transport, batch: list[outbox.OutboxItem], worker: str,
                progress: Progress | None, should_stop: Callable[[], bool] | None = None) -> BatchReport:
    from services.mail.transport import ConnectionFailure, InDoubt, PermanentError, TemporaryError

    report = BatchReport()

    def give_back(start: int) -> None:
        report.returned += sending.give_back([m.id for m in batch[start:]], worker)
        report.stopped = True

    if should_stop is not None and should_stop():
        give_back(0)
        return report
    try:
        transport.open()
    except ConnectionFailure as exc:
        sending.release([m.id for m in batch], worker, str(exc))
        report.retried += len(batch)
        report.connection_error = str(exc)
        log.warning("mail: %s", exc)
        return report
    position = -1
    try:
        handed = False
        for index, item in enumerate(batch):
            position = index
            if should_stop is not None and should_stop():
                give_back(index)  # the mail in hand is done; the rest waits for the next worker
                break
            if not handed and not sending.mark_handed(item.id, worker):
                # No longer ours (taken over as abandoned): send none of what is left.
                log.warning("mail: e-mail %d is no longer this worker's; the batch stops", item.id)
                give_back(index)
                break
            handed = False
            try:
                note = transport.send(item)
            except TemporaryError as exc:
                state = sending.mark_temporary(item.id, worker, str(exc))
                if state == outbox.FAILED:
                    report.failed += 1
                else:
                    report.retried += 1
                report.errors.append(f"{item.id}: {exc}")
                log.warning("mail %d: %s", item.id, exc)
            except PermanentError as exc:
                sending.mark_failed(item.id, worker, str(exc))
                report.failed += 1
                report.errors.append(f"{item.id}: {exc}")
                log.warning("mail %d: %s", item.id, exc)
            except InDoubt as exc:
                sending.mark_failed(item.id, worker, f"{_(sending.UNCERTAIN)} ({exc})")
                report.failed += 1
                report.errors.append(f"{item.id}: {exc}")
                log.warning("mail %d: %s", item.id, exc)
                rest = [m.id for m in batch[index + 1:]]
                sending.release(rest, worker, str(exc))
                report.retried += len(rest)
                report.connection_error = str(exc)
                break
            except ConnectionFailure as exc:
                rest = [m.id for m in batch[index:]]
                sending.release(rest, worker, str(exc))
                report.retried += len(rest)
                report.connection_error = str(exc)
                log.warning("mail: %s", exc)
                break
            else:
                following = batch[index + 1].id if index + 1 < len(batch) else None
                _recorded, handed = sending.mark_sent(item.id, worker, note, hand_next=following)
                report.sent += 1
            if progress is not None:
                progress(index + 1, len(batch))
    except BaseException:
        # Something unexpected (or Ctrl+C in `worker --once`): the mail in hand
        # stays 'sending' for the sweep to judge; the ones after it were never
        # handed and go back to the queue.
        try:
            sending.give_back([m.id for m in batch[position + 1:]], worker)
        except Exception as exc:
            log.warning("mail: %s", exc)
        raise
    finally:
        transport.close()
    return report


# ---------------------------------------------------------------- mail in

MAIL_IN_SWEEP = "mail.fetch"


def fetch_mail_in(config: Config) -> int:
    """Take in the `[mail_in]` mailbox's unread mail (services.tickets.mail_in.fetch);
    a server that cannot be reached is logged and tried again the next minute."""
    from services.mail.imap import ImapFailure
    from services.tickets import mail_in

    try:
        report = mail_in.fetch(config)
    except ImapFailure as exc:
        log.warning("mail-in: %s", exc.message)
        return 0
    if report.fetched:
        log.info("mail-in: %s", ", ".join(f"{k} {n}" for k, n in sorted(report.counts.items())))
    return report.fetched


def enable_mail_in(config: Config) -> bool:
    """With `[mail_in] host` set, fetch the mailbox every minute (the sweep
    MAIL_IN_SWEEP, run by one worker a minute); whether it was set."""
    if not config.mail_in.host:
        sweeps.unregister_sweep(MAIL_IN_SWEEP)
        return False
    sweeps.register_sweep(MAIL_IN_SWEEP, lambda now: fetch_mail_in(config))
    return True


# ---------------------------------------------------------------- one round


@dataclass
class RoundReport:
    mail: BatchReport = field(default_factory=BatchReport)
    requeued: int = 0
    uncertain: tuple[int, ...] = ()
    sweeps: list[sweeps.SweepResult] = field(default_factory=list)


def run_once(settings: MailSettings, *, transport=None, now: dt.datetime | None = None,
             lease: dt.timedelta = sending.CLAIM_LEASE) -> RoundReport:
    """One round: heartbeat, re-examine dead workers' rows, sweeps, send what is due."""
    from services.mail.transport import transport_for

    report = RoundReport()
    write_heartbeat(now)
    recovery = sending.recover_stale(now, lease)
    report.requeued, report.uncertain = recovery.requeued, recovery.uncertain
    report.sweeps = sweeps.run_sweeps(now or clock.now())
    if outbox.has_due(now):
        report.mail = send_due(transport or transport_for(settings), lease=lease)
    return report


# ---------------------------------------------------------------- logging


class _OneLine(logging.Formatter):
    """One line per record, whatever the message holds (an SMTP answer spans
    lines; data may hold escape sequences); the traceback stays in the log file."""

    def format(self, record: logging.LogRecord) -> str:
        from services.core.text import clean

        record.asctime = self.formatTime(record)
        return f"{record.asctime} {record.levelname} {record.name}: {clean(record.getMessage())}"


def _not_detail(record: logging.LogRecord) -> bool:
    return not getattr(record, "atende_detail", False)


def log_to_stderr(stream=None) -> logging.Handler:
    """Everything the worker logs goes to stderr (the journal under systemd) as
    one line, besides the log file. Returns the handler (installed once)."""
    from services.core import logs

    app_log = logs.logger()  # the file handler first: "atende" stops propagating to the root
    for handler in app_log.handlers:
        if getattr(handler, "atende_stderr", False):
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.atende_stderr = True
    handler.setLevel(logging.INFO)
    handler.setFormatter(_OneLine())
    handler.addFilter(_not_detail)
    app_log.addHandler(handler)
    return handler


# ---------------------------------------------------------------- huey


def huey_file(db_path: Path | None = None) -> Path:
    """The huey queue's own SQLite file, beside the database."""
    db_path = db_path or sqlite_path()
    if db_path is None:
        from services.core import paths

        return paths.user_data_dir() / "atende-huey.db"
    return db_path.parent / f"{db_path.stem}-huey.db"


class Worker:
    """The long-running worker: a huey consumer plus the heartbeat pump.

    SIGTERM (systemd's stop), SIGINT (Ctrl+C) and SIGHUP stop it the same
    way: the e-mail in hand is finished and recorded, the rest of its batch
    goes back to the queue, running jobs end, exit status 0. A second signal
    stops it at once (the mail in hand is then judged by the next sweep)."""

    def __init__(self, settings: MailSettings, *, threads: int = 2, huey_path: Path | None = None,
                 immediate: bool = False, lease: dt.timedelta = sending.CLAIM_LEASE):
        self.settings = settings
        self.threads = threads
        self.huey_path = huey_path or huey_file()
        self.immediate = immediate
        self.lease = lease
        self.worker_id = sending.new_worker_id()
        self._send_lock = threading.Lock()
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._forced = False
        self.huey = self._build()
        from services.core import paths

        for suffix in ("", "-wal", "-shm"):  # SQLite makes it 0644 less the umask: the group's, like the database
            extra = Path(f"{self.huey_path}{suffix}")
            if extra.exists():
                paths.private_file(extra)

    def _build(self):
        from huey import SqliteHuey, crontab

        if is_postgresql():  # the queue in the server, shared by the workers of every host (LISTEN/NOTIFY)
            from huey import PostgresHuey

            huey = PostgresHuey("atende", dsn=db.obj.database, immediate=self.immediate, create_tables=False,
                                table_prefix=HUEY_TABLES)
        else:
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

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the worker to stop (what a signal does): the mail in hand is finished."""
        self._stop.set()

    def send_now(self) -> BatchReport | None:
        """Send what is due, unless this process is already sending or stopping."""
        from services.mail.transport import transport_for

        if self._stop.is_set() or not self._send_lock.acquire(blocking=False):
            return None
        try:
            if not outbox.has_due():
                return BatchReport()
            report = send_due(transport_for(self.settings), self.worker_id, lease=self.lease,
                              should_stop=self._stop.is_set)
            if report.sent or report.failed or report.retried:
                log.info("mail: sent %d, to retry %d, failed %d", report.sent, report.retried, report.failed)
            if report.returned:
                log.info("mail: %d e-mails back in the queue", report.returned)
            return report
        except Exception as exc:
            from services.core.logs import internal_error

            log.error("mail: %s", internal_error(exc, "worker send"))
            return None
        finally:
            self._send_lock.release()

    def minute(self) -> None:
        try:
            recovery = sending.recover_stale(lease=self.lease)
            if recovery.requeued or recovery.uncertain:
                log.warning("mail: %d rows of a stopped worker queued again, %d in doubt",
                            recovery.requeued, len(recovery.uncertain))
            now = clock.now()
            if sweeps.claim_minute(now):  # once a minute whatever the number of workers
                for result in sweeps.run_sweeps(now):
                    if result.error:
                        log.error("sweep %s: %s", result.name, result.error)
            if not self._stop.is_set():
                self.send_task()
        except Exception as exc:
            from services.core.logs import internal_error

            log.error("%s", internal_error(exc, "worker minute"))

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

    def _on_signal(self, signum, frame) -> None:
        import signal

        if self._stop.is_set():
            self._forced = True
            raise KeyboardInterrupt  # a second signal: stop now
        log.info("%s: finishing the e-mail in hand, then stopping", signal.Signals(signum).name)
        self._stop.set()

    def run(self) -> None:
        """Run until SIGTERM, SIGINT or SIGHUP. Must be called from the main thread."""
        import signal

        from huey.consumer import ConsumerStopped

        from services.core import paths

        paths.set_umask()
        recovery = sending.recover_stale(lease=self.lease)
        if recovery.requeued or recovery.uncertain:
            log.warning("mail: %d rows of a stopped worker queued again, %d in doubt",
                        recovery.requeued, len(recovery.uncertain))
        write_heartbeat()
        pump = threading.Thread(target=self.pump, name="atende-pump", daemon=True)
        pump.start()
        consumer = self.huey.create_consumer(workers=self.threads, worker_type="thread", periodic=True,
                                             initial_delay=0.1, backoff=1.15, max_delay=1.0,
                                             check_worker_health=True)
        consumer.start()
        try:
            # huey's own handlers stop at once on SIGTERM (a thread cut mid-message)
            # and restart on SIGHUP: every stop signal is a graceful stop here.
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(signum, self._on_signal)
            health = time.monotonic()
            while not self._stop.is_set():
                health = consumer.loop(health)
        except ConsumerStopped:
            pass
        finally:
            self._stop.set()
            if self._forced:
                consumer.stop_flag.set()
            else:
                consumer.stop(graceful=True)  # the jobs running end: a send finishes its mail in hand
            pump.join(timeout=5)
        self.huey.notify_interrupted_tasks()
        log.info("worker stopped")
