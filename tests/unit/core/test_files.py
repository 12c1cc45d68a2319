"""services.core.files, the one intake for a path a person typed: regular files
only, the limit counted while copying, safe names, every OS error a message
for the field, nothing left behind. Real devices, pipes and /proc files."""
from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from services.core import files
from services.core.errors import ValidationError


def bad_paths(tmp_path: Path, limit: int) -> dict[str, str]:
    """What an attacker types (a device, a pipe, a folder, a name too long for
    the system, a file over `limit`), and a word of the message each one gets.
    (Used by the tests of every place that takes a path.)"""
    folder = tmp_path / "bad"
    folder.mkdir(exist_ok=True)
    fifo = folder / "pipe"
    if not fifo.exists():
        os.mkfifo(fifo)
    big = folder / "big.bin"
    with big.open("wb") as fh:
        fh.truncate(limit + 1)  # sparse: no disk used
    return {
        "/dev/zero": "not a regular file",
        "/dev/null": "not a regular file",
        str(fifo): "not a regular file",
        str(folder): "is a folder",
        str(folder / ("n" * 300 + ".pdf")): "File name too long",
        str(big): f"at most {limit:,}",
    }


def in_time(fn, seconds: float = 5.0):
    """Run fn in a thread; fail (instead of hanging the suite) if it blocks."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "blocked"
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_only_regular_files_within_the_limit_are_taken(tmp_path):
    for path, word in bad_paths(tmp_path, 1024).items():
        with pytest.raises(ValidationError) as err:
            in_time(lambda path=path: files.check(path, "attachment", limit=1024))
        assert word in err.value.errors["attachment"], path
        assert "\n" not in err.value.message and len(err.value.message) < 300
    good = tmp_path / "ok.txt"
    good.write_bytes(b"hello")
    picked = files.check(str(good), "attachment", limit=1024)
    assert (picked.path, picked.name, picked.size) == (good, "ok.txt", 5)


def test_a_pipe_swapped_in_after_the_look_is_refused_without_waiting(tmp_path, monkeypatch):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    regular = os.stat(__file__)
    monkeypatch.setattr(files, "_lookup", lambda path: regular)  # the look saw a regular file
    with pytest.raises(ValidationError, match="not a regular file"):
        in_time(lambda: files.read_bytes(fifo, "file", 1024))
    with pytest.raises(ValidationError, match="not a regular file"):
        in_time(lambda: files.copy_into(fifo, tmp_path / "out", field="file", limit=1024))
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")


def test_the_limit_is_counted_while_copying_not_taken_from_stat(tmp_path):
    # /proc files are regular and say 0 bytes: only counting stops them
    assert os.stat("/proc/self/maps").st_size == 0
    folder = tmp_path / "store"
    with pytest.raises(ValidationError) as err:
        files.copy_into("/proc/self/maps", folder, field="path", limit=100)
    assert "more than 100 bytes" in err.value.errors["path"]
    assert os.listdir(folder) == []
    with pytest.raises(ValidationError, match="more than 100 bytes"):
        files.read_bytes("/proc/self/maps", "file", 100)
    assert files.read_bytes("/proc/self/maps", "file", 10_000_000)  # within the limit: read whole


def test_a_full_disk_leaves_nothing_and_says_so(tmp_path, monkeypatch):
    src = tmp_path / "photo.jpg"
    src.write_bytes(b"x" * 5000)
    real = files._create_temp

    def to_dev_full(folder):  # the temporary file is made, but writing it meets a full disk
        tmp, fd = real(folder)
        os.close(fd)
        return tmp, os.open("/dev/full", os.O_WRONLY)

    monkeypatch.setattr(files, "_create_temp", to_dev_full)
    folder = tmp_path / "store"
    with pytest.raises(ValidationError) as err:
        files.copy_into(src, folder, field="attachments", limit=10_000)
    assert err.value.errors == {"attachments": f"The disk is full: {src} was not copied"}
    assert os.listdir(folder) == []


def test_copies_never_overwrite_and_names_are_safe_and_short(tmp_path):
    name = "relatório " + "ç" * 110 + ".jpeg"  # 240 bytes: a name the system allows
    src = tmp_path / name
    src.write_bytes(b"one")
    folder = tmp_path / "store"
    first = files.copy_into(src, folder, field="path", limit=100)
    src.write_bytes(b"two")
    second = files.copy_into(src, folder, field="path", limit=100)
    assert first.path.read_bytes() == b"one" and second.path.read_bytes() == b"two"
    for copied in (first, second):
        assert len(copied.name.encode("utf-8")) <= files.MAX_NAME_BYTES + 4
        assert copied.name.endswith(".jpeg") and copied.name.startswith("relatório ç")
    assert sorted(os.listdir(folder)) == sorted([first.name, second.name])
    assert files.safe_name("../../etc/passwd") == "passwd"
    assert files.safe_name("\x1b]0;pwned\x07a\x00b;rm -rf.txt") == "ab_rm -rf.txt"
    assert files.safe_name("..") == "file" and files.safe_name("x" * 400).startswith("x")
    assert len(files.safe_name("x" * 400)) == files.MAX_NAME_BYTES


@pytest.mark.parametrize("code, word", [
    (errno.ENOENT, "No file at"), (errno.EACCES, "permission denied"), (errno.EISDIR, "is a folder"),
    (errno.ENAMETOOLONG, "File name too long"), (errno.ELOOP, "Too many symbolic links"),
    (errno.EIO, "Cannot read"),
])
def test_every_os_error_is_a_message_for_the_field(code, word):
    err = files.read_error(OSError(code, os.strerror(code)), "/x/y", "attachment")
    assert word in err.errors["attachment"]


def test_symlink_loops_and_paths_through_files_are_messages(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(ValidationError, match="Too many symbolic links"):
        files.check(tmp_path / "a", "path")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(ValidationError, match="No file at"):
        files.check(tmp_path / "f.txt" / "inside", "path")
    with pytest.raises(ValidationError, match="Type the path"):
        files.check("  \x1b[2J ", "path")
