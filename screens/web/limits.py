"""How often one address (or one e-mail) may send a public form: a sliding
window kept in this process (a well-behaved visitor never meets it; a script
filling the form in a loop does)."""
from __future__ import annotations

import threading
import time
from collections import deque


class Limiter:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one more for `key`; False when it is over the limit."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 50_000:  # forget the quiet ones
                for old in [k for k, v in self._hits.items() if not v or now - v[-1] > self.seconds]:
                    del self._hits[old]
            return True
