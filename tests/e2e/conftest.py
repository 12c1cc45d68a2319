import shutil

import pytest

from tests.e2e.tmux import Terminal

pytestmark = pytest.mark.e2e


@pytest.fixture
def terminal(request):
    """terminal(args, width=80, height=24, env=...) -> a running Terminal, closed after the test."""
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed (.ci/run installs it)")
    opened = []

    def start(args, **kwargs):
        t = Terminal(args, **kwargs)
        opened.append(t)
        return t

    yield start
    for t in opened:
        t.close()
