"""Drive a real terminal: start a command in a detached tmux session of a given
size, send keys, wait for text, capture the screen."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid


class Tmux:
    def __init__(self, command: str, *, width: int = 80, height: int = 24, env: dict | None = None,
                 cwd: str | None = None) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed")
        self.name = f"atende-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in (env or {}).items())
        full = f"cd {shlex.quote(cwd or os.getcwd())} && exec env {exports} {command}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        full], check=True)

    def send(self, *keys: str, literal: bool = False, pause: float = 0.05) -> None:
        """Send tmux key names (Enter, C-n, F2, Escape...) or, with literal=True, text as typed."""
        for key in keys:
            args = ["tmux", "send-keys", "-t", self.name] + (["-l", key] if literal else [key])
            subprocess.run(args, check=True)
            time.sleep(pause)

    def type(self, text: str) -> None:
        self.send(text, literal=True)

    def paste(self, text: str) -> None:
        """Paste `text` as a terminal paste (bracketed), as a mouse/clipboard paste arrives."""
        subprocess.run(["tmux", "set-buffer", "-b", self.name, text], check=True)
        subprocess.run(["tmux", "paste-buffer", "-p", "-d", "-b", self.name, "-t", self.name], check=True)

    def capture(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear within {timeout}s; screen:\n{screen}")

    def pane_pid(self) -> int:
        out = subprocess.run(["tmux", "display-message", "-p", "-t", self.name, "#{pane_pid}"],
                             capture_output=True, text=True, check=True)
        return int(out.stdout.strip())

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)

    def __enter__(self) -> "Tmux":
        return self

    def __exit__(self, *exc) -> None:
        self.kill()
