import datetime as dt
import multiprocessing as mp

import pytest

from models import Ticket
from models.wizard import TicketDraft
from services.core import clock
from services.core.errors import ConfigError, Conflict
from services.tickets import protocol
from services.tickets.wizard import saving


def test_reserve_formats_and_sequences_per_day(admin):
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 10, 0))
    a = protocol.reserve(admin)
    b = protocol.reserve(admin)
    assert (a.protocol, b.protocol) == ("20260309000001", "20260309000002")
    clock.set_clock(lambda: dt.datetime(2026, 3, 10, 8, 0))
    assert protocol.reserve(admin).protocol == "20260310000001"
    t = Ticket.get(Ticket.protocol == a.protocol)
    assert t.status == "draft" and t.created_by_id == admin.id


def test_custom_format_and_bad_formats(admin):
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 10, 0))
    assert protocol.reserve(admin, "AT-{date:%y}-{seq:04d}").protocol == "AT-26-0001"
    assert protocol.reserve(admin, "{seq}").protocol == "1"
    for bad in ("{date:%Y}", "{seq}{who}", "{seq", "{date.nope}{seq}"):
        with pytest.raises(ConfigError):
            protocol.reserve(admin, bad)


def test_a_format_changed_during_the_day_skips_taken_numbers(admin):
    protocol.reserve(admin, "X{seq}")
    from models.wizard import ProtocolCounter

    ProtocolCounter.update(seq=0).execute()
    assert protocol.reserve(admin, "X{seq}").protocol == "X2"


def test_abandon_keeps_the_number_with_who_and_when(admin):
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 10, 5))
    d = saving.start(admin)
    saving.cancel(admin, d)
    t = Ticket.get(Ticket.protocol == d.protocol)
    assert (t.status, t.updated_by, t.closed_at) == ("abandoned", admin.login, dt.datetime(2026, 3, 9, 10, 5))
    assert not TicketDraft.select().exists()
    with pytest.raises(Conflict):
        saving.cancel(admin, d)


def _worker(path, n, queue):
    from services.store import users
    from services.store.database import open_store
    from services.tickets import protocol as p

    open_store(path)
    actor = users.identify(users.session_login())
    queue.put([p.reserve(actor).protocol for _ in range(n)])


def test_unique_under_concurrent_processes(admin, store):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(store), 25, queue)) for _ in range(4)]
    for p in procs:
        p.start()
    got = [x for _ in procs for x in queue.get(timeout=60)]
    for p in procs:
        p.join(30)
    assert len(got) == 100 and len(set(got)) == 100
    assert Ticket.select().count() == 100
    seqs = sorted(int(x[-6:]) for x in got)
    assert seqs == list(range(1, 101))


@pytest.mark.parametrize("bad", ["{seq!s:.1}", "{seq!s:.2}", "AT{seq:.1e}", "{date:%Y}{seq:.3g}", "{seq!s:.5}",
                                 "{seq:c}", "{date:%n}{seq}", "{seq:>45}"])
def test_a_format_that_repeats_numbers_is_refused(admin, bad):
    """Accepted before, such a format gave the same protocol to two numbers of a
    day, and the reservation then skipped taken numbers for ever."""
    with pytest.raises(ConfigError, match="protocol_format"):
        protocol.check_format(bad)
    with pytest.raises(ConfigError, match="protocol_format"):
        protocol.reserve(admin, bad)
    assert not Ticket.select().exists()


@pytest.mark.parametrize("good", ["{date:%Y%m%d}{seq:06d}", "{seq}", "{seq:x}", "{seq:,}", "{seq!r}",
                                  "{seq!s}", "{date:%Y%m%d}{seq:02d}"])
def test_formats_that_grow_are_kept(admin, good):
    assert protocol.check_format(good) == good


def test_a_conversion_of_seq_keeps_one_counter(admin):
    """`{seq!s}` keyed its counter by an object's address: every process began at 1."""
    assert protocol.counter_key("P{seq!s}", dt.datetime(2026, 3, 9)) == "P#"
    assert protocol.counter_key("{date:%Y}{seq!r:>3}", dt.datetime(2026, 3, 9)) == "2026  #"


def test_a_forced_repeating_format_fails_in_bounded_time(admin, monkeypatch):
    """A format that slipped past the check (written directly, or a check of an
    older version) gives up after MAX_TRIES numbers, with a message, and
    releases the write lock: other reservations go on."""
    import time

    from models import write_tx
    from models.wizard import ProtocolCounter

    forced = "F{seq!s:.1}"  # F1..F9, then F1 again for ever
    got = []
    for _n in range(9):
        with write_tx():
            got.append(protocol.reserve_here(admin, forced).protocol)
    assert got == [f"F{n}" for n in range(1, 10)]
    started = time.monotonic()
    with pytest.raises(ConfigError, match="No free protocol number after 10000 tries") as caught:
        with write_tx():
            protocol.reserve_here(admin, forced)
    assert time.monotonic() - started < 60  # gives up (10,000 tries, a round trip each on a server), never hangs
    assert "F{seq!s:.1}" in caught.value.message
    assert ProtocolCounter.get().seq == 9  # the tries were rolled back with the transaction
    assert protocol.reserve(admin).protocol.endswith("000001")  # the lock is free: others reserve
