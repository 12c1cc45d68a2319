"""Tools that are not tests: run them by hand (python tests/tools/<name>.py)."""
