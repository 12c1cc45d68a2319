"""A real IMAP server on loopback for tests and benches: Debian's dovecot
(`apt-get install dovecot-imapd`; .ci/run installs it), started from its own
configuration in a temporary folder: IMAPS only, on a free port of
127.0.0.1, a self-signed certificate (its file is the client's CA), one
user with a password, mail in a Maildir under the folder. It runs as the
user running the tests (root or not): no system folder, service or port
below 1024 is touched.

`deliver(raw)` puts a message in the user's INBOX, unread, the way an MTA
would (dovecot's own `dovecot-lda`).
"""
from __future__ import annotations

import datetime as dt
import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
LDA = "/usr/lib/dovecot/dovecot-lda"


def available() -> str:
    """Why no server can start here ("" when one can)."""
    if not Path(DOVECOT).exists() or not Path(LDA).exists():
        return "dovecot is not installed (apt-get install dovecot-imapd)"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _certificate(folder: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return cert_file, key_file


class ImapServer:
    def __init__(self, folder: Path, user: str = "suporte@atende.example", password: str = "s3cret-imap"):
        self.folder = Path(folder)
        self.user, self.password = user, password
        self.port = free_port()
        self.mailbox = "INBOX"
        self.process: subprocess.Popen | None = None

    @property
    def cafile(self) -> Path:
        return self.folder / "cert.pem"

    @property
    def config_file(self) -> Path:
        return self.folder / "dovecot.conf"

    def _write_config(self) -> None:
        f = self.folder
        for sub in ("run", "state", "home"):
            (f / sub).mkdir(parents=True, exist_ok=True)
            (f / sub).chmod(0o755)  # whatever the umask (Atende sets its own): dovecot's users reach them
        cert, key = _certificate(f)
        me = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        login_user, uid, gid = me, os.getuid(), os.getgid()
        if os.getuid() == 0:  # dovecot runs nothing as root but its master: its own system users then
            me, login_user = "dovecot", "dovenull"
            group = grp.getgrgid(pwd.getpwnam(me).pw_gid).gr_name
            uid, gid = pwd.getpwnam(me).pw_uid, pwd.getpwnam(me).pw_gid
            os.chown(f / "home", uid, gid)
        (f / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        self.config_file.write_text(f"""
base_dir = {f}/run
state_dir = {f}/state
log_path = {f}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = {me}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 0
first_valid_gid = 0
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
lda_mailbox_autocreate = yes
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {f}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={f}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
        for name in ("passwd", "dovecot.conf", "cert.pem"):
            (f / name).chmod(0o644)

    def start(self, timeout: float = 15.0) -> ImapServer:
        self._write_config()
        # in the foreground: the process is this one's child, stopped by its own id
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config_file)], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        try:
            return (self.folder / "dovecot.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def deliver(self, raw: bytes, mailbox: str = "INBOX") -> None:
        done = subprocess.run([LDA, "-c", str(self.config_file), "-d", self.user, "-m", mailbox], input=raw,
                              capture_output=True, timeout=30)
        if done.returncode:
            raise RuntimeError(f"dovecot-lda: exit {done.returncode}: {done.stderr.decode(errors='replace')} "
                               f"{self.log()[-600:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
