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


# ------------------------------------------------------------ shared-server modes

UMASK = 0o007
"""Files Atende creates: read and write for the owner and the group, nothing for others."""
DIR_MODE = 0o2770
"""Folders: the group's (setgid keeps new files in the folder's group)."""
FILE_MODE = 0o660


def set_umask() -> int:
    """Make every file this process creates group-only; returns the old umask."""
    import os

    return os.umask(UMASK)


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as group-only folders (2770).

    Folders that already exist keep their mode: they may belong to someone
    else, and the administrator set them up.
    """
    import os

    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True)
    for folder in reversed(missing):
        try:
            os.chmod(folder, DIR_MODE)
        except OSError:  # created by another session in between, or setgid not allowed
            try:
                os.chmod(folder, DIR_MODE & 0o777)
            except OSError:
                pass
    return path


def private_file(path: Path, mode: int = FILE_MODE) -> Path:
    """Give a file Atende wrote the group-only mode (best effort: someone else's file is left alone)."""
    import os

    try:
        os.chmod(path, mode)
    except OSError:
        pass
    return Path(path)
