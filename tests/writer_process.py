"""`atende writer` as a real process, for the tests that need one."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class WriterProcess:
    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.returncode: int | None = None
        self.stderr = ""


@contextmanager
def running_writer(db: Path, *, command: list[str] | None = None, env: dict | None = None, timeout: float = 30.0):
    """Start `atende --db DB writer`, wait until its socket is there, stop it
    with SIGTERM on the way out (its exit code and stderr are then on the
    yielded object)."""
    argv = [*(command or [sys.executable, "-c", "import app; app.main()"]), "--db", str(db), "writer"]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    w = WriterProcess(proc)
    sock = Path(f"{Path(db).resolve()}.writer")
    try:
        deadline = time.monotonic() + timeout
        while not sock.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.02)
        yield w
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, w.stderr = proc.communicate(timeout=timeout)
        w.returncode = proc.returncode
