"""services/ and models/ never import the UI."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("textual", "tui", "screens", "app")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def test_no_ui_imports_in_services_and_models():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for folder in ("services", "models")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for name, line in _imports(path)
        if name in FORBIDDEN
    ]
    assert offenders == []


def test_services_load_without_textual():
    code = (
        "import sys, pkgutil, importlib, services, models\n"
        "for m in pkgutil.walk_packages(services.__path__, 'services.'):\n"
        "    importlib.import_module(m.name)\n"
        "for m in pkgutil.walk_packages(models.__path__, 'models.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui', 'screens')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _ui_calls(name: str) -> list[str]:
    """Where screens/ and tui/ call `name(...)` directly."""
    return [f"{path.relative_to(ROOT)}:{node.lineno}"
            for folder in ("screens", "tui")
            for path in sorted((ROOT / folder).rglob("*.py"))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name]


def test_screens_build_choice_lists_with_plain_labels():
    """Every Select is tui.forms.PlainSelect: its labels are data and never read as markup."""
    assert _ui_calls("Select") == []


def test_screens_build_tables_that_show_their_measured_widths():
    """Every table is tui.table.Table (DataTable could keep cells cut at the header's width)."""
    assert _ui_calls("DataTable") == []
