"""The log file: where internal errors are written instead of shown."""
from __future__ import annotations

import logging
from pathlib import Path

from services.core import paths

_configured = False


def log_file() -> Path:
    return paths.log_dir() / "atende.log"


def logger() -> logging.Logger:
    """The application logger, writing to the log file (created on first use)."""
    global _configured
    log = logging.getLogger("atende")
    if not _configured:
        _configured = True
        try:
            path = log_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
        except OSError:
            handler = logging.NullHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(process)d %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def internal_error(exc: BaseException, where: str = "") -> str:
    """Log `exc` with its traceback; return a one-line message for a person."""
    from services.core.i18n import _

    logger().error("internal error %s", where, exc_info=(type(exc), exc, exc.__traceback__),
                   extra={"atende_detail": True})  # the details: the caller says it in one line
    return _("internal error ({kind}); details were written to {path}").format(
        kind=type(exc).__name__, path=log_file())
