"""`atende web` as a real process on a free loopback port, for the tests."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def serving(store: str, *extra: str) -> Iterator[str]:
    """`atende web` over `store` until the block ends; its base URL."""
    from tests.smtp_server import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", "from app import main; main()", "--db", str(store), "web",
                             "--port", str(port), *extra], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/eventos/", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"atende web did not start: {proc.stdout.read().decode(errors='replace')[-500:]}")
            time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
