"""The first thing a new user sees, in a real terminal."""
import subprocess

from tests.e2e.tmux import atende_command


def run(*args, env=None):
    return subprocess.run(atende_command() + list(args), capture_output=True, text=True, env=env, timeout=120)


def test_home_on_demo_database_at_80x24(tmp_path, terminal):
    db = str(tmp_path / "demo.db")
    assert run("--db", db, "demo", "--customers", "300").returncode == 0
    t = terminal(["--db", db], width=80, height=24, env={"HOME": str(tmp_path)})
    t.wait_for("Work areas")
    screen = t.wait_for("Quit")  # the footer is painted last
    assert "People" in screen and "admin" in screen
    lines = screen.rstrip('\n').split('\n')
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert "Quit" in lines[-1] and "Help" in lines[-1]  # footer keys on the last line
    t.press("f1")
    t.wait_for("Keys on this screen")
    t.press("escape")
    t.wait_gone("Keys on this screen")
    t.press("f6")
    t.wait_for("helena")  # the demo's admin, listed on the People screen
    t.press("escape")
    t.wait_for("Work areas")
    t.press("ctrl+q")
    assert t.wait_exit() == 0  # the app exited cleanly


def test_home_in_portuguese(tmp_path, terminal):
    db = str(tmp_path / "demo.db")
    run("--db", db, "users", "list")
    t = terminal(["--db", db], env={"HOME": str(tmp_path), "LANG": "pt_BR.UTF-8"})
    t.wait_for("Áreas de trabalho")
    screen = t.wait_for("Sair")
    assert "Ajuda" in screen and "Pessoas" in screen
