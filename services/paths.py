"""Where Atende keeps its files. Functions, never constants: nothing is
computed (or created) at import time, and tests redirect HOME/XDG freely."""
from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "atende"
SYSTEM_CONFIG = Path("/etc/atende/config.toml")


def user_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def default_db_path() -> Path:
    return user_data_dir() / "atende.db"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP))


def files_dir(db_path: Path) -> Path:
    """Attachments, certificates and outgoing mail live beside the database."""
    return db_path.parent / f"{db_path.stem}-files"
