"""The periodic sweeps run once a minute whatever the number of workers (on
PostgreSQL, workers on several hosts)."""
from __future__ import annotations

import datetime as dt
import multiprocessing as mp

from services.core import clock
from services.core.config import MailSettings
from services.ops import sweeps, worker

MINUTE = dt.datetime(2026, 5, 4, 9, 0, 12)
PROCESSES = 6


def _claim(target: str, barrier, results) -> None:
    from services.store.database import open_store

    try:
        open_store(target)
        barrier.wait(timeout=60)
        results.put([sweeps.claim_minute(MINUTE), sweeps.claim_minute(MINUTE + dt.timedelta(seconds=30))])
    except Exception as exc:  # reported to the parent, which fails the test
        results.put([f"error: {exc!r}"])


def test_one_worker_of_many_claims_a_minute(store):
    """Processes asking for one minute at the same moment: exactly one gets it."""
    import models

    models.close_database()
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_claim, args=(str(store), barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    models.open_database(store)
    assert not [g for g in got if any(isinstance(x, str) for x in g)], got
    assert sum(first for first, _later in got) == 1  # the minute's sweeps run once
    assert not any(later for _first, later in got)  # the same minute, later: nobody again
    assert sweeps.claim_minute(MINUTE + dt.timedelta(minutes=1))  # the next minute is anyone's
    assert not sweeps.claim_minute(MINUTE)  # a minute already past is nobody's


def test_two_workers_minute_jobs_run_the_sweeps_once(store, tmp_path):
    runs: list[dt.datetime] = []
    sweeps.register_sweep("zz_count", lambda now: runs.append(now) or 1)
    try:
        workers = [worker.Worker(MailSettings(), huey_path=tmp_path / f"q{i}.db", immediate=True) for i in range(2)]
        clock.set_clock(lambda: MINUTE)
        for w in workers:
            w.minute()
        assert runs == [MINUTE]
        later = MINUTE + dt.timedelta(minutes=1)
        clock.set_clock(lambda: later)
        for w in reversed(workers):
            w.minute()
        assert runs == [MINUTE, later]
    finally:
        sweeps.unregister_sweep("zz_count")
