"""The mail tests' loopback SMTP server."""
import pytest

from tests.smtp_server import SmtpServer


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    server = SmtpServer().start()
    yield server
    server.stop()
