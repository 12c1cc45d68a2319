"""The concurrency bench's core, briefly: two sessions, nothing lost, doubled or locked."""
from __future__ import annotations

import importlib.util

from tests.conftest import ROOT


def test_two_sessions_lose_nothing(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_concurrency", ROOT / "bench" / "concurrency.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.run(str(tmp_path / "c.db"), sessions=2, seconds=2.5, seed=3)
    detail = figures["_detail"]
    assert figures["succeeded"] > 10, detail
    counts = (figures["lost_updates"], figures["duplicates"], figures["overbooked"], figures["lock_errors"])
    assert counts == (0, 0, 0, 0), detail
    assert figures["other_errors"] == 0, detail["errors"]
    assert figures["integrity"] == "ok"
