import pytest

from tests.e2e.tmux import Terminal, atende_command, available


@pytest.fixture
def terminal():
    """terminal(args, width=80, height=24, env=...) -> a started Terminal running
    `atende args`, closed after the test."""
    if not available():
        pytest.skip("tmux is not installed (.ci/run installs it)")
    opened = []

    def start(args, **kwargs):
        kwargs.setdefault("env", {})
        kwargs["env"] = {"TERM": "xterm-256color", "LANG": "C.UTF-8", "TEXTUAL_ANIMATIONS": "none",
                         **kwargs["env"]}
        t = Terminal(atende_command() + list(args), **kwargs).start()
        opened.append(t)
        return t

    yield start
    for t in opened:
        t.close()
