"""Drive a real terminal: start a command in a detached tmux session of a
given size, send keys, wait for text, capture the screen.

Each Terminal uses its own tmux server (-L socket), so tests never touch a
person's sessions and clean up after themselves.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid


class TerminalTimeout(AssertionError):
    pass


class Terminal:
    def __init__(self, command: str, *, width: int = 80, height: int = 24, env: dict[str, str] | None = None,
                 cwd: str | None = None) -> None:
        self.socket = f"atende-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.session = "e2e"
        self.command = command
        self.width, self.height = width, height
        self.env = env or {}
        self.cwd = cwd

    @staticmethod
    def available() -> bool:
        return shutil.which("tmux") is not None

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check)

    def start(self) -> "Terminal":
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        inner = f"cd {shlex.quote(self.cwd or os.getcwd())} && env {exports} {self.command}; sleep 30"
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", self.session, "-x", str(self.width),
                   "-y", str(self.height), inner)
        self._tmux("set-option", "-t", self.session, "status", "off", check=False)
        return self

    def __enter__(self) -> "Terminal":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._tmux("kill-server", check=False)

    def keys(self, *keys: str, pause: float = 0.15) -> None:
        """Send tmux key names (Enter, Tab, F4, C-s, Escape, Down, ...), one at a time."""
        for key in keys:
            self._tmux("send-keys", "-t", self.session, key)
            time.sleep(pause)

    def type(self, text: str, pause: float = 0.25) -> None:
        """Type `text` literally, then give the application time to take it in
        (a key sent in the same burst as text may be read as part of it)."""
        self._tmux("send-keys", "-t", self.session, "-l", text)
        time.sleep(pause)

    def capture(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session).stdout

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        """Wait until `text` is on the screen; return the screen."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise TerminalTimeout(f"{text!r} did not appear within {timeout}s; the screen was:\n{screen}")
