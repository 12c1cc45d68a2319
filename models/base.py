"""The base model every table derives from."""
from __future__ import annotations

from peewee import Model

from .db import db


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False
