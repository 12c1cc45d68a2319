"""Keep the README's permission matrix equal to services.core.permissions.MATRIX.

    python tests/tools/readme_tool.py     # rewrites the block between the markers
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

START, END = "<!-- permissions:start -->", "<!-- permissions:end -->"


def block() -> str:
    from services.core.permissions import matrix_markdown

    return f"{START}\n{matrix_markdown()}\n{END}"


def current() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index(START):text.index(END) + len(END)]


def update() -> None:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(current(), block()), encoding="utf-8")


if __name__ == "__main__":
    update()
    print("README permission matrix updated")
