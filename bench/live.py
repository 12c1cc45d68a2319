"""The cost of watching for other sessions' commits.

    python bench/live.py --polls 20000 --seconds 10

Times `services.live.ChangeWatcher.poll()` with nothing changing (the idle
case: one `PRAGMA data_version`) and right after a commit (the counters are
read too), then the CPU a watcher polling every 0.5 s uses for `--seconds`.
Last line: JSON with idle_poll_us, changed_poll_us, idle_cpu_percent.
Target: idle_poll_us <= 50, idle_cpu_percent <= 1.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    from models import Queue, write_tx
    from services.live import ChangeWatcher
    from services.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "live.db"
        open_store(str(db))
        watcher = ChangeWatcher(db)
        watcher.poll()
        start = time.perf_counter()
        for _ in range(args.polls):
            assert not watcher.poll()
        idle_us = (time.perf_counter() - start) / args.polls * 1e6

        changed = []
        for i in range(200):
            with write_tx():
                Queue.create(name=f"q{i}")
            t = time.perf_counter()
            assert watcher.poll() == {"data"}
            changed.append((time.perf_counter() - t) * 1e6)
        changed_us = statistics.median(changed)

        cpu0, wall0 = time.process_time(), time.perf_counter()
        while time.perf_counter() - wall0 < args.seconds:
            watcher.poll()
            time.sleep(0.5)
        cpu_percent = (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100
        watcher.close()

    print(f"idle poll: {idle_us:.1f} µs; poll after a commit: {changed_us:.1f} µs (median); "
          f"idle CPU polling every 0.5 s for {args.seconds:.0f} s: {cpu_percent:.3f}%")
    print(json.dumps({"idle_poll_us": round(idle_us, 1), "changed_poll_us": round(changed_us, 1),
                      "idle_cpu_percent": round(cpu_percent, 3)}))


if __name__ == "__main__":
    main()
