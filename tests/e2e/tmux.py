"""Driving a real terminal: run a command in a tmux session of a given size,
send keys, wait for text, capture the screen.

    with Terminal("atende --db x.db", width=80, height=24) as term:
        term.wait_for("Work areas")
        term.press("f3")
        term.type("Training")
        screen = term.capture()

Each Terminal uses its own tmux server (a private socket), so tests never
touch a person's tmux sessions and can run side by side.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from typing import Iterable, Mapping

TMUX = shutil.which("tmux")

# Textual key names -> tmux key names.
KEYS = {
    "enter": "Enter", "escape": "Escape", "tab": "Tab", "shift+tab": "BTab", "space": "Space",
    "backspace": "BSpace", "delete": "DC", "up": "Up", "down": "Down", "left": "Left", "right": "Right",
    "home": "Home", "end": "End", "pageup": "PPage", "pagedown": "NPage",
    "shift+left": "S-Left", "shift+right": "S-Right",
    **{f"f{i}": f"F{i}" for i in range(1, 13)},
}


class TerminalTimeout(AssertionError):
    """The awaited text did not appear; the message holds the last screen."""


def available() -> bool:
    return TMUX is not None


class Terminal:
    def __init__(self, command: str | Iterable[str], *, width: int = 80, height: int = 24,
                 env: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None) -> None:
        if TMUX is None:
            raise RuntimeError("tmux is not installed")
        self.command = command if isinstance(command, str) else shlex.join(command)
        self.width, self.height = width, height
        self.env = dict(env or {})
        self.cwd = os.fspath(cwd) if cwd else None
        self.socket = f"atende-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.session = "t"
        self.started = False

    # ----------------------------------------------------------------- tmux

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True, check=check,
                              timeout=30)

    def start(self) -> "Terminal":
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        inner = f"cd {shlex.quote(self.cwd)} && " if self.cwd else ""
        inner += f"env {exports} {self.command}" if exports else self.command
        # keep the pane after the program exits, so a crash can still be read
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", self.session, "-x", str(self.width),
                   "-y", str(self.height), f"{inner}; echo '[exited '$?']'; sleep 3600")
        self._tmux("set-option", "-t", self.session, "status", "off")
        self.started = True
        return self

    def close(self) -> None:
        if self.started:
            self._tmux("kill-server", check=False)
            self.started = False

    def __enter__(self) -> "Terminal":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- input

    def press(self, *keys: str, delay: float = 0.15) -> None:
        """Send keys by name (Textual's names: "enter", "ctrl+s", "f3", "]"),
        one at a time, pausing `delay` seconds after each."""
        for key in keys:
            self._tmux("send-keys", "-t", self.session, self._tmux_key(key))
            time.sleep(delay)

    def type(self, text: str, delay: float = 0.15) -> None:
        """Type text literally (no key names), then pause."""
        if text:
            self._tmux("send-keys", "-t", self.session, "-l", text)
        time.sleep(delay)

    @staticmethod
    def _tmux_key(key: str) -> str:
        if key in KEYS:
            return KEYS[key]
        if key.startswith("ctrl+") and len(key) == 6:
            return f"C-{key[-1]}"
        if len(key) == 1:
            return key
        raise ValueError(f"unknown key {key!r}")

    # ----------------------------------------------------------------- output

    def capture(self) -> str:
        """The screen as plain text, one line per row."""
        return self._tmux("capture-pane", "-p", "-t", self.session).stdout

    def wait_for(self, pattern: str, timeout: float = 10.0, regex: bool = False) -> str:
        """Wait until `pattern` is on screen; return the screen. Raises
        TerminalTimeout with the last screen when it does not appear."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if (re.search(pattern, screen) if regex else pattern in screen):
                return screen
            time.sleep(0.1)
        raise TerminalTimeout(f"{pattern!r} did not appear within {timeout}s; the screen was:\n{screen}")

    def wait_gone(self, pattern: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if pattern not in screen:
                return screen
            time.sleep(0.1)
        raise TerminalTimeout(f"{pattern!r} was still there after {timeout}s; the screen was:\n{screen}")
