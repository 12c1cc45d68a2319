import os

import pytest

from services.core import config
from services.core.errors import ConfigError


def write(tmp_path, text, name="c.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_when_nothing_exists():
    cfg = config.load()
    assert cfg.source is None and cfg.theme == "textual-dark" and cfg.mail.host == ""


def test_precedence_cli_then_env_then_user(tmp_path, monkeypatch):
    user = config.candidate_files(None)[0][0]
    user.parent.mkdir(parents=True)
    user.write_text('locale = "en"\n')
    assert config.load().locale == "en"
    env_file = write(tmp_path, 'locale = "pt_BR"\n', "env.toml")
    monkeypatch.setenv("ATENDE_CONFIG", str(env_file))
    assert config.load().source == env_file
    cli_file = write(tmp_path, 'theme = "nord"\n', "cli.toml")
    assert config.load(str(cli_file)).theme == "nord"


def test_database_path_precedence(tmp_path):
    cfg = config.Config(database="/srv/a.db")
    assert config.database_path("x.db", cfg, {"ATENDE_DB": "/e.db"}) == "x.db"
    assert config.database_path(None, cfg, {"ATENDE_DB": "/e.db"}) == "/e.db"
    assert config.database_path(None, cfg, {}) == "/srv/a.db"
    assert config.database_path(None, config.Config(), {}).endswith("atende/atende.db")


def test_full_config(tmp_path):
    cfg = config.load(str(write(tmp_path, '''
database = "/srv/atende/atende.db"
locale = "pt_BR"
theme = "gruvbox"
protocol_format = "{date:%y%m%d}-{seq:04d}"
[keymap]
help = "f12"
[mail]
host = "smtp.example.com"
port = 465
security = "ssl"
user = "desk"
''')))
    assert cfg.keymap == {"help": "f12"}
    assert (cfg.mail.host, cfg.mail.port, cfg.mail.security) == ("smtp.example.com", 465, "ssl")


@pytest.mark.parametrize("text,match", [
    ("database = [\n", "config"),
    ("database = 3\n", "'database' must be text"),
    ("[mail]\nport = \"x\"\n", "mail.port"),
    ("[mail]\nsecurity = \"tls9\"\n", "ssl, starttls or plain"),
    ("[mail]\npassword = \"hunter2\"\n", "never put the SMTP password"),
    ("[mail]\nhots = \"x\"\n", "unknown setting mail.hots"),
    ("[keymap]\nhelp = 3\n", "keymap.help"),
    ("[mail_in]\npassword = \"hunter2\"\n", "never put the IMAP password"),
    ("[mail_in]\nhots = \"x\"\n", "unknown setting mail_in.hots"),
    ("[mail_in]\nport = \"993\"\n", "mail_in.port"),
    ("[mail_in]\nsecurity = \"tls9\"\n", "mail_in.security must be ssl, starttls or plain"),
])
def test_bad_config_is_one_clear_error(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        config.load(str(write(tmp_path, text)))


def test_missing_unreadable_and_binary(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="directory"):
        config.load(str(tmp_path))
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="UTF-8"):
        config.load(str(binary))
    if os.geteuid() != 0:  # root reads anything
        locked = write(tmp_path, "x = 1")
        locked.chmod(0)
        with pytest.raises(ConfigError, match="cannot read"):
            config.load(str(locked))


def test_a_database_url_with_a_password_is_refused_and_never_shown():
    import subprocess
    import sys

    from tests.conftest import ROOT

    cfg = config.Config()
    for url in ("postgresql://bob:s3cret@db.example/atende", "postgresql://bob@db.example/atende?password=s3cret",
                "postgres://:s3cret@/atende"):
        with pytest.raises(ConfigError):
            config.database_path(url, cfg, {})
        with pytest.raises(ConfigError):
            config.database_path(None, config.Config(database=url), {})
    assert config.database_path("postgresql://bob@db.example/atende", cfg, {}) == "postgresql://bob@db.example/atende"
    for args in (["locate"], ["doctor"], ["ticket", "list"]):
        r = subprocess.run([sys.executable, "-c", "from app import main; main()", "--db",
                            "postgresql://bob:s3cret@db.example/atende", *args],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and "s3cret" not in r.stdout + r.stderr
        assert len(r.stderr.splitlines()) == 1 and "pgpass" in r.stderr


def test_mail_in_settings(tmp_path):
    cfg = config.load(str(write(tmp_path, '[mail_in]\nhost = "imap.example.com"\nuser = "s@example.com"\n'
                                          'queue = 3\n')))
    assert cfg.mail_in == config.MailInSettings(host="imap.example.com", user="s@example.com", queue="3")
    assert (cfg.mail_in.security, cfg.mail_in.mailbox, cfg.mail_in.port) == ("ssl", "INBOX", 0)
    assert "mail_in" not in cfg.extra
