"""A real SMTP server on loopback (aiosmtpd) for tests and benches.

It records every message it accepts; `reject` maps a recipient address to an
SMTP answer ("550 no such user") given at RCPT time, and `delay` slows each
DATA so a batch takes a while (`started` counts the DATA commands begun: a
message is in hand once its DATA started and until it is in `messages`).
"""
from __future__ import annotations

import email
import socket
import threading
import time
from collections import Counter
from email import policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.reject: dict[str, str] = {}
        self.data_answer: str | None = None
        self.delay = 0.0
        self.started = 0
        self.parse = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.reject.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.started += 1
        if self.delay:
            time.sleep(self.delay)  # deliberately blocking: a slow server
        if self.data_answer:
            return self.data_answer
        with self.lock:
            if self.parse:
                self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            else:
                self.messages.append(envelope.content)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            if self.parse:
                return [m["Message-ID"] for m in self.messages]
            out = []
            for raw in self.messages:
                head = raw.split(b"\r\n\r\n", 1)[0]
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"message-id:"):
                        out.append(line.split(b":", 1)[1].strip().decode())
            return out

    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(self.message_ids()).values() if n > 1)


class SmtpServer:
    """Start/stop a loopback SMTP server on a fixed port (so it can come back)."""

    def __init__(self, port: int | None = None, recorder: Recorder | None = None):
        self.port = port or free_port()
        self.recorder = recorder or Recorder()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port,
                                     data_size_limit=50_000_000)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, n: int, timeout: float = 20.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.recorder.lock:
                if len(self.recorder.messages) >= n:
                    return True
            time.sleep(0.02)
        return False

    @property
    def messages(self):
        return self.recorder.messages
