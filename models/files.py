"""Files kept in the store itself: on PostgreSQL the hosts share no folder,
so the bytes of attachments, certificates, materials and outgoing mail live
here, content-addressed (one row per distinct content), and each file's
place under the files folder names its content (services.store.blobs)."""
from __future__ import annotations

from peewee import BlobField, CharField, DateTimeField, IntegerField

from .base import BaseModel


class StoredBlob(BaseModel):
    """One distinct content, by its SHA-256."""

    sha256 = CharField(max_length=64, primary_key=True)
    size = IntegerField()
    data = BlobField()

    class Meta:
        table_name = "stored_blob"


class StoredFile(BaseModel):
    """A file under the files folder (its path relative to it) and its content."""

    path = CharField(max_length=1000, primary_key=True)
    sha256 = CharField(max_length=64, index=True)
    created_at = DateTimeField()

    class Meta:
        table_name = "stored_file"


FILE_MODELS = [StoredBlob, StoredFile]
