"""Start-up time: launch to the first painted home screen, in a real pty.

Runs `atende` on a demo database with --customers customers and, side by
side in the same run, a minimal Textual app; reports the medians, their ratio
and the RSS of atende once its home screen is painted.

    python bench/startup.py [--customers 100000] [--runs 9]

Target: ratio <= 1.3 and rss_mb <= 80. Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Label

class Bare(App):
    def compose(self):
        yield Header()
        yield Label("Bare textual ready")
        yield Footer()

Bare().run()
"""


def atende_cmd() -> list[str]:
    script = Path(sys.executable).parent / "atende"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from app import main; main()"]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def time_to_text(cmd: list[str], marker: bytes, env: dict, cols=80, rows=24, timeout=30.0) -> tuple[float, float]:
    """Milliseconds from spawn until `marker` is written to the terminal, and RSS then."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                            start_new_session=True)
    os.close(slave)
    seen = b""
    elapsed = float("nan")
    memory = float("nan")
    try:
        deadline = start + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                seen += chunk
                if marker in seen:
                    elapsed = (time.perf_counter() - start) * 1000
                    memory = rss_mb(proc.pid)
                    break
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(master)
    if elapsed != elapsed:
        raise SystemExit(f"marker {marker!r} never appeared for {cmd}: {seen[-400:]!r}")
    return elapsed, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--db", help="reuse this demo database instead of building one")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="atende-bench-"))
    env = {**os.environ, "HOME": str(work), "TERM": "xterm-256color", "LANG": "C.UTF-8",
           "TEXTUAL_ANIMATIONS": "none"}
    env.pop("ATENDE_CONFIG", None)
    # Measure a normal installation: modules load from their cached bytecode
    # (the first, warming run writes it), as they do for a person.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    db = args.db or str(work / "demo.db")
    if not args.db:
        t0 = time.perf_counter()
        subprocess.run(atende_cmd() + ["--db", db, "demo", "--customers", str(args.customers)],
                       check=True, env=env, cwd=ROOT, capture_output=True)
        print(f"demo database with {args.customers:,} customers built in {time.perf_counter() - t0:.1f} s")
    bare_file = work / "bare.py"
    bare_file.write_text(BARE_APP)

    atende_runs, bare_runs, rss = [], [], []
    # warm the OS caches once for each, then alternate so drift hits both equally
    time_to_text(atende_cmd() + ["--db", db], b"Work areas", env)
    time_to_text([sys.executable, str(bare_file)], b"Bare textual ready", env)
    for _ in range(args.runs):
        ms, mem = time_to_text(atende_cmd() + ["--db", db], b"Work areas", env)
        atende_runs.append(ms)
        rss.append(mem)
        ms, _mem = time_to_text([sys.executable, str(bare_file)], b"Bare textual ready", env)
        bare_runs.append(ms)

    atende_ms = statistics.median(atende_runs)
    bare_ms = statistics.median(bare_runs)
    result = {
        "customers": args.customers,
        "runs": args.runs,
        "atende_ms": round(atende_ms, 1),
        "bare_textual_ms": round(bare_ms, 1),
        "ratio": round(atende_ms / bare_ms, 3),
        "rss_mb": round(statistics.median(rss), 1),
    }
    print(f"atende  median {atende_ms:7.1f} ms  (runs: {', '.join(f'{x:.0f}' for x in atende_runs)})")
    print(f"bare    median {bare_ms:7.1f} ms  (runs: {', '.join(f'{x:.0f}' for x in bare_runs)})")
    print(f"ratio {result['ratio']}  (target <= 1.3)   rss {result['rss_mb']} MB  (target <= 80)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
