"""The SMTP password: environment, keyring (when one works), owner-only file."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.core import secrets
from services.core.errors import ValidationError
from tests.routeros import memory_keyring


@pytest.fixture
def no_keyring(monkeypatch):
    monkeypatch.setenv("ATENDE_NO_KEYRING", "1")
    monkeypatch.delenv("ATENDE_SMTP_PASSWORD", raising=False)


def test_environment_wins(monkeypatch, no_keyring):
    monkeypatch.setenv("ATENDE_SMTP_PASSWORD", "from-env")
    assert secrets.smtp_password() == "from-env"
    assert secrets.source("smtp").where == "environment"


def test_file_is_owner_only_and_wider_modes_are_refused(no_keyring):
    where = secrets.set_secret("smtp", "p@ss wörd")
    path = Path(where.detail)
    assert where.where == "file" and (path.stat().st_mode & 0o777) == 0o600
    assert secrets.smtp_password() == "p@ss wörd"
    os.chmod(path, 0o644)
    with pytest.raises(secrets.SecretError) as exc:
        secrets.smtp_password()
    assert "chmod 600" in exc.value.message
    os.chmod(path, 0o640)
    with pytest.raises(secrets.SecretError):
        secrets.smtp_password()


def test_no_secret_anywhere_is_none(no_keyring):
    assert secrets.smtp_password() is None
    assert secrets.source("smtp").where == ""


def test_a_working_keyring_is_used(monkeypatch):
    monkeypatch.delenv("ATENDE_NO_KEYRING", raising=False)
    monkeypatch.delenv("ATENDE_SMTP_PASSWORD", raising=False)
    with memory_keyring() as ring:
        assert secrets.set_secret("smtp", "in-ring").where == "keyring"
        assert ring.items[("atende", "smtp")] == "in-ring"
        assert secrets.smtp_password() == "in-ring"
        assert not secrets.secret_file("smtp").exists()


def test_the_headless_fail_backend_falls_back_to_the_file(monkeypatch):
    import keyring
    from keyring.backends import fail

    monkeypatch.delenv("ATENDE_NO_KEYRING", raising=False)
    monkeypatch.delenv("ATENDE_SMTP_PASSWORD", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert secrets.working_keyring() is None
        assert secrets.set_secret("smtp", "in-file").where == "file"
        assert secrets.smtp_password() == "in-file"
    finally:
        keyring.set_keyring(previous)


def test_bad_values(no_keyring):
    with pytest.raises(ValidationError):
        secrets.set_secret("smtp", "")
    with pytest.raises(ValidationError):
        secrets.set_secret("smtp", "two\nlines")
    with pytest.raises(ValidationError):
        secrets.get_secret("other")


def test_cli_reads_the_password_from_stdin(tmp_path, no_keyring):
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", "import app; app.main()", "secrets", "set", "smtp", "--file"],
                            input="from-stdin\n", capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stderr
    assert "from-stdin" not in result.stdout + result.stderr
    assert secrets.smtp_password() == "from-stdin"
    where = subprocess.run([sys.executable, "-c", "import app; app.main()", "secrets", "where", "smtp"],
                           capture_output=True, text=True, cwd=root)
    assert where.stdout.startswith("file:")


def test_the_imap_password_has_its_own_sources(monkeypatch, no_keyring):
    monkeypatch.delenv("ATENDE_IMAP_PASSWORD", raising=False)
    assert secrets.imap_password() is None
    secrets.set_secret("imap", "imap-pass")
    assert secrets.imap_password() == "imap-pass" and secrets.smtp_password() is None
    monkeypatch.setenv("ATENDE_IMAP_PASSWORD", "from-env")
    assert secrets.imap_password() == "from-env" and secrets.source("imap").detail == "ATENDE_IMAP_PASSWORD"
