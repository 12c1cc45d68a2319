"""CSV export of any list: the file chosen is checked (odd paths, an existing
file, a folder that cannot be written), cells are safe from spreadsheet
formulas, and the file appears whole or not at all (written beside it, then
renamed)."""
from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from services.core.errors import ValidationError
from services.core.i18n import _


def safe_cell(value) -> str:
    """A value as a CSV cell that spreadsheets will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def check_path(text: str, *, overwrite: bool = False, cwd: Path | None = None, exists: str | None = None) -> Path:
    """The file to write, or ValidationError({"path": why}). `exists`: what to
    say when the file is there and `overwrite` is off ({path} in it), e.g. the
    command line's "add --force"."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError({"path": _("Type the file to write, e.g. ~/tickets.csv")})
    if any(ord(ch) < 32 for ch in raw) or "\x7f" in raw:
        raise ValidationError({"path": _("The file name has control characters")})
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    if raw.endswith(("/", os.sep)) or path.is_dir():
        raise ValidationError({"path": _("{path} is a folder: add a file name").format(path=path)})
    if len(path.name.encode("utf-8", "surrogateescape")) > 255:
        raise ValidationError({"path": _("The file name is too long")})
    folder = path.parent
    if not folder.is_dir():
        raise ValidationError({"path": _("The folder {folder} does not exist").format(folder=folder)})
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValidationError({"path": _("You may not write in {folder}").format(folder=folder)})
    if path.exists():
        if not path.is_file():
            raise ValidationError({"path": _("{path} is not a regular file").format(path=path)})
        if not overwrite:
            raise ValidationError({"path": (exists or _("{path} exists: tick \"Replace it\" or choose another name"))
                                   .format(path=path)})
        if not os.access(path, os.W_OK):
            raise ValidationError({"path": _("You may not replace {path}").format(path=path)})
    return path


def write_with(path: Path, write: Callable[[object], int]) -> int:
    """Call `write(text_stream)` on a temporary file beside `path`, then put it in place."""
    fd, tmp = tempfile.mkstemp(prefix=".atende-export-", suffix=".csv", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            n = write(fh)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return n


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write a header and rows; return how many rows."""

    def write(fh) -> int:
        out = csv.writer(fh)
        out.writerow([safe_cell(c) for c in columns])
        n = 0
        for row in rows:
            out.writerow([safe_cell(c) for c in row])
            n += 1
        return n

    return write_with(path, write)
