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
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

SLOW = float(os.environ.get("ATENDE_E2E_SLOW", "2"))
"""Waits last this many times their stated timeout: a loaded 2-core CI machine
is slow, and a wait only lasts long when it is about to fail anyway."""

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


ROOT = Path(__file__).resolve().parents[2]


def atende_command() -> list[str]:
    """The installed `atende` script beside this Python, else `python -c`."""
    script = Path(sys.executable).parent / "atende"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from app import main; main()"]


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

    available = staticmethod(available)

    # ----------------------------------------------------------------- tmux

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True, check=check,
                              timeout=30)

    def start(self) -> Terminal:
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

    def __enter__(self) -> Terminal:
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

    def keys(self, *keys: str, pause: float = 0.15) -> None:
        """Like press, with tmux's own key names (Enter, F4, C-s) too."""
        self.press(*keys, delay=pause)

    def type(self, text: str, delay: float = 0.15, pause: float | None = None) -> None:
        """Type text literally (no key names), then pause."""
        if text:
            self._tmux("send-keys", "-t", self.session, "-l", text)
        time.sleep(delay if pause is None else pause)

    @staticmethod
    def _tmux_key(key: str) -> str:
        if key in KEYS:
            return KEYS[key]
        if key in KEYS.values() or key[:2] in ("C-", "M-", "S-"):
            return key  # already a tmux key name
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
        deadline = time.monotonic() + timeout * SLOW
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if (re.search(pattern, screen) if regex else pattern in screen):
                return screen
            time.sleep(0.1)
        raise TerminalTimeout(f"{pattern!r} did not appear within {timeout}s; the screen was:\n{screen}")

    def wait_gone(self, pattern: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout * SLOW
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if pattern not in screen:
                return screen
            time.sleep(0.1)
        raise TerminalTimeout(f"{pattern!r} was still there after {timeout}s; the screen was:\n{screen}")

    # ----------------------------------------------------------------- process

    def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the program to end; return its exit status."""
        screen = self.wait_for(r"\[exited (\d+)\]", timeout=timeout, regex=True)
        return int(re.search(r"\[exited (\d+)\]", screen).group(1))

    def app_pid(self) -> int:
        """The pid of the program the pane's shell runs."""
        shell = self._tmux("display-message", "-p", "-t", self.session, "#{pane_pid}").stdout.strip()
        children = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True).stdout.split()
        return int(children[0]) if children else int(shell)

    def kill_app(self) -> None:
        """kill -9 the program, as a dropped SSH connection or a crash would."""
        os.kill(self.app_pid(), 9)


class Tmux(Terminal):
    """The same terminal, started at once, with tmux key names for `send`
    (the wizard's end-to-end tests are written this way)."""

    def __init__(self, command: str | Iterable[str], **kwargs) -> None:
        super().__init__(command, **kwargs)
        self.start()

    def send(self, *keys: str, literal: bool = False, pause: float = 0.05) -> None:
        for key in keys:
            if literal:
                self.type(key, delay=pause)
            else:
                self.press(key, delay=pause)

    def paste(self, text: str) -> None:
        """Paste `text` as a terminal paste (bracketed), as a clipboard paste arrives."""
        self._tmux("set-buffer", "-b", "paste", text)
        self._tmux("paste-buffer", "-p", "-d", "-b", "paste", "-t", self.session)

    def pane_pid(self) -> int:
        return self.app_pid()

    def kill(self) -> None:
        self.close()

    def __enter__(self) -> Tmux:
        return self  # already started
