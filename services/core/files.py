"""Taking in a file from a path a person typed: the one intake for every place
that accepts one (wizard attachments and e-mail files, a ticket's attachments,
Contact us, event materials, the outbox's copies, CSV and script imports).

- Only regular files: a folder, a device (/dev/zero, /dev/null), a named
  pipe or a socket is refused. The path is opened without blocking (a pipe
  with no writer never hangs) and the type is checked on the opened file
  (fstat), so what is read is what was checked.
- The size limit holds while copying or reading: bytes are counted, a size
  from stat is only a first answer, so an endless source stops at the limit.
- Stored names are sanitised: no folders, no control characters, at most
  MAX_NAME_BYTES bytes of UTF-8, the extension kept.
- Every OS error becomes a ValidationError for the caller's field, with a
  translated one-line message.
- A copy is written to a temporary name in the target folder and linked to
  its free final name only when complete; a failed copy leaves nothing.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from services.core import paths
from services.core.errors import ValidationError
from services.core.i18n import _
from services.core.text import clean

MAX_NAME_BYTES = 200
"""A stored name's length in UTF-8 bytes (the system allows 255; room for "-2")."""
CHUNK = 1024 * 1024
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


@dataclass(frozen=True)
class Picked:
    """A file that passed the checks: where it is, the name to store it under, its size then."""
    path: Path
    name: str
    size: int


@dataclass(frozen=True)
class Copied:
    """A file copied in: where the copy is, its (free, safe) name, the bytes copied."""
    path: Path
    name: str
    size: int


# ----------------------------------------------------------------------------- names


def _cut_utf8(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[:max(max_bytes, 0)].decode("utf-8", "ignore")


def safe_name(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """A safe file name: no folders, no control or shell characters, at most
    `max_bytes` bytes of UTF-8, the extension kept."""
    base = os.path.basename(str(name).replace("\\", "/").replace("\x00", "")).strip()
    base = _UNSAFE.sub("_", clean(base)).strip(" .")
    if not base:
        base = "file"
    if len(base.encode("utf-8")) <= max_bytes:
        return base
    stem, dot, ext = base.rpartition(".")
    if dot and stem and len(ext.encode("utf-8")) <= 16:
        return _cut_utf8(stem, max_bytes - len(ext.encode("utf-8")) - 1).rstrip(" .") + "." + ext
    return _cut_utf8(base, max_bytes).rstrip(" .") or "file"


def shown(text: str, width: int = 100) -> str:
    """A path as it goes into a message: one line, long ones shortened in the middle."""
    text = clean(str(text))
    if len(text) <= width:
        return text
    keep = (width - 1) // 2
    return text[:keep] + "…" + text[-keep:]


# ----------------------------------------------------------------------------- messages


def read_error(exc: OSError, path_text: str, field: str) -> ValidationError:
    """What a person is told when a file cannot be opened or read."""
    path = shown(path_text)
    code = exc.errno
    if code in (errno.ENOENT, errno.ENOTDIR):
        message = _("No file at {path}").format(path=path)
    elif code == errno.EISDIR:
        message = _("{path} is a folder: choose a file").format(path=path)
    elif code in (errno.EACCES, errno.EPERM):
        message = _("Cannot read {path}: permission denied").format(path=path)
    elif code == errno.ENAMETOOLONG:
        message = _("File name too long: {path}").format(path=path)
    elif code == errno.ELOOP:
        message = _("Too many symbolic links: {path}").format(path=path)
    else:
        message = _("Cannot read {path}: {reason}").format(path=path, reason=exc.strerror or type(exc).__name__)
    return ValidationError(message, field)


def write_error(exc: OSError, path_text: str, field: str, folder: Path | None = None) -> ValidationError:
    """What a person is told when a file cannot be copied into Atende's files folder."""
    path = shown(path_text)
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        message = _("The disk is full: {path} was not copied").format(path=path)
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        message = _("Cannot copy {path}: Atende may not write in {folder}").format(
            path=path, folder=shown(str(folder or ""), 80))
    else:
        message = _("Cannot copy {path}: {reason}").format(path=path, reason=exc.strerror or type(exc).__name__)
    return ValidationError(message, field)


def _too_large(path_text: str, field: str, limit: int, size: int | None = None) -> ValidationError:
    if size is not None:
        return ValidationError(_("{path} has {size:,} bytes; at most {limit:,}").format(
            path=shown(path_text), size=size, limit=limit), field)
    return ValidationError(_("{path} has more than {limit:,} bytes: too large").format(
        path=shown(path_text), limit=limit), field)


# ----------------------------------------------------------------------------- opening


def _path(path_text: str | os.PathLike, field: str) -> tuple[str, Path]:
    text = clean(os.fspath(path_text), multiline=True) if path_text is not None else ""
    if not text:
        raise ValidationError(_("Type the path of the file"), field)
    try:
        return text, Path(text).expanduser()
    except RuntimeError:  # ~someone who does not exist
        raise ValidationError(_("No file at {path}").format(path=shown(text)), field) from None


def _check_kind(mode: int, text: str, field: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise ValidationError(_("{path} is a folder: choose a file").format(path=shown(text)), field)
    raise ValidationError(_("{path} is not a regular file").format(path=shown(text)), field)


def _lookup(path: Path) -> os.stat_result:
    """The path's type before opening it (the opened file is checked again)."""
    return os.stat(path)


@contextmanager
def open_regular(path_text: str | os.PathLike, field: str = "path") -> Iterator[tuple[BinaryIO, Path, int]]:
    """Open a regular file for reading: (the open file, its path, its size by fstat).

    Anything else is refused before a byte is read, and a named pipe is
    opened without waiting for a writer. Errors are ValidationErrors for `field`."""
    text, path = _path(path_text, field)
    try:
        _check_kind(_lookup(path).st_mode, text, field)  # a device is not even opened
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise read_error(exc, text, field) from None
    except ValueError:  # a NUL byte in the path
        raise ValidationError(_("No file at {path}").format(path=shown(text)), field) from None
    try:
        st = os.fstat(fd)
        _check_kind(st.st_mode, text, field)  # the file opened is the one checked (no swap in between)
        fh = os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield fh, path, st.st_size


def _absolute(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def check(path_text: str | os.PathLike, field: str = "path", limit: int = 10 * 1024 * 1024) -> Picked:
    """A file that may be taken in: regular, readable, within `limit` now.
    (The copy counts the bytes again: a file that grows is stopped there.)"""
    text = _path(path_text, field)[0]
    with open_regular(text, field) as (_fh, path, size):
        if size > limit:
            raise _too_large(text, field, limit, size)
        return Picked(_absolute(path), safe_name(path.name), size)


def _read_chunk(fh: BinaryIO, size: int, text: str, field: str) -> bytes:
    try:
        return fh.read(size) or b""
    except BlockingIOError:
        return b""
    except OSError as exc:
        raise read_error(exc, text, field) from None


def read_bytes(path_text: str | os.PathLike, field: str = "file", limit: int = 10 * 1024 * 1024) -> bytes:
    """The whole file, at most `limit` bytes (counted while reading): more is
    refused with a message, never read into memory."""
    text = _path(path_text, field)[0]
    with open_regular(text, field) as (fh, _p, size):
        if size > limit:
            raise _too_large(text, field, limit, size)
        return b"".join(_chunks(fh, text, field, limit))


def _chunks(fh: BinaryIO, text: str, field: str, limit: int) -> Iterator[bytes]:
    """The file's bytes in chunks, refused once more than `limit` have come
    (counted here: a size from stat is never trusted)."""
    total = 0
    while True:
        chunk = _read_chunk(fh, min(CHUNK, limit + 1 - total), text, field)
        if not chunk:
            return
        total += len(chunk)
        if total > limit:
            raise _too_large(text, field, limit)
        yield chunk


# ----------------------------------------------------------------------------- copying


def _create_temp(folder: Path) -> tuple[Path, int]:
    """A new empty file in `folder` under a temporary name, open for writing."""
    tmp = folder / f".part-{uuid.uuid4().hex}"
    return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), paths.FILE_MODE)


def _discard(tmp: Path | None) -> None:
    """Remove a temporary file left by a copy that did not finish (if any)."""
    if tmp is not None:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _free_name(name: str, n: int) -> str:
    if n == 1:
        return name
    stem, dot, ext = name.rpartition(".")
    return f"{stem}-{n}.{ext}" if dot and stem else f"{name}-{n}"


def _link_free(tmp: Path, folder: Path, name: str) -> Path:
    """Give the finished temporary file its final name, the first free one
    (`name`, `name-2`...): never over an existing file."""
    for n in range(1, 10_000):
        dest = folder / _free_name(name, n)
        try:
            os.link(tmp, dest)
            return dest
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
                raise
            if dest.exists() or dest.is_symlink():  # a file system without hard links
                continue
            os.rename(tmp, dest)
            return dest
    raise OSError(errno.EEXIST, os.strerror(errno.EEXIST), str(folder))


def copy_into(path_text: str | os.PathLike, folder: Path, *, field: str = "path", limit: int = 10 * 1024 * 1024,
              name: str | None = None) -> Copied:
    """Copy a regular file into `folder` (created group-only if missing) under
    `name` (default: the source's safe name) or the first free variant of it.

    At most `limit` bytes, counted while copying. Nothing is left in `folder`
    when it fails: the copy is made under a temporary name and given its name
    only when complete. Errors are ValidationErrors for `field`."""
    text = _path(path_text, field)[0]
    with open_regular(text, field) as (src, path, size):
        if size > limit:
            raise _too_large(text, field, limit, size)
        return _write_into(_chunks(src, text, field, limit), Path(folder),
                           safe_name(name if name is not None else path.name), text, field)


def store_bytes(data: bytes, folder: Path, *, name: str, field: str = "path",
                limit: int = 10 * 1024 * 1024) -> Copied:
    """Keep `data` (a file that came in another way than a path: an e-mail's
    attachment) in `folder` under the safe form of `name` or its first free
    variant, with the same limit, modes and all-or-nothing write as `copy_into`."""
    wanted = safe_name(name) or "file"
    if len(data) > limit:
        raise _too_large(wanted, field, limit, len(data))
    return _write_into(iter((data,)), Path(folder), wanted, wanted, field)


def _write_into(chunks: Iterator[bytes], folder: Path, wanted: str, text: str, field: str) -> Copied:
    tmp: Path | None = None
    try:
        paths.private_dir(folder)
        tmp, fd = _create_temp(folder)
        total = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                total += len(chunk)
        paths.private_file(tmp)
        dest = _link_free(tmp, folder, wanted)
    except OSError as exc:  # the files folder cannot take it (full, read-only...): the details go to the log
        from services.core.logs import logger

        logger().warning("copying %s into %s failed", text, folder, exc_info=(type(exc), exc, exc.__traceback__))
        raise write_error(exc, text, field, folder) from None
    finally:
        _discard(tmp)
    return Copied(dest, dest.name, total)


# ----------------------------------------------------------------------------- writing out


def _write_out_error(exc: OSError, path_text: str, field: str) -> ValidationError:
    path = shown(path_text)
    if exc.errno == errno.ENAMETOOLONG:
        return ValidationError(_("File name too long: {path}").format(path=path), field)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ValidationError(_("Cannot write {path}: permission denied").format(path=path), field)
    return ValidationError(_("Cannot write {path}: {reason}").format(
        path=path, reason=exc.strerror or type(exc).__name__), field)


def write_file(path_text: str | os.PathLike, data: bytes, field: str = "path") -> Path:
    """Write `data` to the file a person named: a new file, or a regular file
    replaced whole. It is written beside it under a temporary name and moved
    into place when complete (a failure leaves the old file as it was, and
    nothing else); a folder, a device or a pipe is refused, never opened."""
    text, path = _path(path_text, field)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _write_out_error(exc, text, field) from None
    except ValueError:
        raise ValidationError(_("No file at {path}").format(path=shown(text)), field) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise ValidationError(_("{path} is a folder: give a file name").format(path=shown(text)), field)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ValidationError(_("{path} is not a regular file").format(path=shown(text)), field)
    tmp: Path | None = None
    try:
        tmp, fd = _create_temp(path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise _write_out_error(exc, text, field) from None
    finally:
        _discard(tmp)
    return path
