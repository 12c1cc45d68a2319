"""Drive `atende` in a real terminal: tmux on a private socket."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def atende_command() -> list[str]:
    """The installed `atende` script beside this Python, else `python -c`."""
    script = Path(sys.executable).parent / "atende"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from app import main; main()"]


class Terminal:
    """One tmux session running one command at a fixed size."""

    def __init__(self, args: list[str], *, width: int = 80, height: int = 24,
                 env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
        if not shutil.which("tmux"):
            raise RuntimeError("tmux is not installed")
        self.socket = f"atende-test-{uuid.uuid4().hex[:8]}"
        self.width, self.height = width, height
        environment = {"TERM": "xterm-256color", "LANG": "C.UTF-8", "TEXTUAL_ANIMATIONS": "none"}
        environment.update(env or {})
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
        command = f"cd {shlex.quote(str(cwd))} && env {exports} {shlex.join(atende_command() + args)}"
        self._tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), command)
        self._tmux("set-option", "-t", "t", "remain-on-exit", "on")

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        if result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def send(self, *keys: str, literal: bool = False) -> None:
        """Send tmux key names (Enter, Tab, C-s, F1) or, with literal, text."""
        for key in keys:
            if literal:
                self._tmux("send-keys", "-t", "t", "-l", key)
            else:
                self._tmux("send-keys", "-t", "t", key)
            time.sleep(0.05)

    def type(self, text: str) -> None:
        self.send(text, literal=True)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        """Wait until `text` is on screen; return the screen. Fails with the screen shown."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on screen after {timeout}s:\n{screen}")

    def wait_gone(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text not in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} still on screen after {timeout}s:\n{screen}")

    def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the program to end; return its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead, _, status = self._tmux("display-message", "-p", "-t", "t",
                                         "#{pane_dead} #{pane_dead_status}").strip().partition(" ")
            if dead == "1":
                return int(status or 0)
            time.sleep(0.1)
        raise AssertionError(f"still running after {timeout}s:\n{self.screen()}")

    def pane_pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())

    def kill_app(self) -> None:
        """kill -9 the app, as a dropped SSH connection or a crash would."""
        pid = self.pane_pid()
        subprocess.run(["pkill", "-9", "-P", str(pid)], check=False)
        os.kill(pid, 9)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
