"""Files kept in the store (PostgreSQL: the hosts share no folder)."""
from __future__ import annotations

import shutil

import pytest

from models.files import StoredBlob, StoredFile
from services.core.errors import NotFound
from services.store import blobs
from services.store.database import files_root


def test_a_file_kept_by_one_host_is_there_for_another(store, backend):
    folder = files_root() / "tickets" / "20260001"
    folder.mkdir(parents=True)
    (folder / "foto.jpg").write_bytes(b"\xff\xd8 jpeg bytes")
    (folder / "copia.jpg").write_bytes(b"\xff\xd8 jpeg bytes")
    blobs.keep(folder / "foto.jpg")
    blobs.keep(folder / "copia.jpg")
    if backend == "sqlite":  # one folder for every session: nothing to keep
        assert StoredFile.select().count() == 0
        assert blobs.local(folder / "foto.jpg") == folder / "foto.jpg"
        return
    assert StoredFile.select().count() == 2 and StoredBlob.select().count() == 1  # one content, once
    shutil.rmtree(files_root())  # another host: its own, empty folder
    got = blobs.local("tickets/20260001/foto.jpg")
    assert got == folder / "foto.jpg" and got.read_bytes() == b"\xff\xd8 jpeg bytes"
    with pytest.raises(NotFound):
        blobs.local("tickets/20260001/nada.jpg")


def test_each_postgresql_store_has_its_own_files_folder(store, backend):
    root = files_root()
    if backend == "sqlite":
        assert root == store.parent / f"{store.stem}-files"
    else:
        assert "stores" in root.parts and root.name == "files"
