"""services/ and models/ never import the UI."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("textual", "tui", "screens", "app", "flask", "werkzeug", "waitress", "jinja2")


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


# The layers, each importing only those below it (one way: no circle between
# packages). app.py, the application and its command line, sits on top.
LAYERS = {
    "models": [],
    "services": ["models"],
    "tui": ["services", "models"],
    "screens": ["tui", "services", "models"],
    "app": ["screens", "tui", "services", "models"],
}

# Import circles among files, counting the imports made inside functions (a
# module-level circle is refused outright, below). Each is an entry of names
# that import each other round, through function-level imports; they are to be
# broken, so this list may only shrink: the test fails when a circle is added,
# grows, or is gone (then delete its entry here).
KNOWN_CYCLES: list[set[str]] = []


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the layers: its dotted name -> (file, is it a package's __init__)."""
    found = {"app": (ROOT / "app.py", False)}
    for package in ("models", "services", "tui", "screens"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _import_graph() -> dict[str, dict[str, bool]]:
    """module -> {module it imports: whether at module level (else only inside a function)}.
    `from a.b import c` counts as importing a.b.c when that is a module, else a.b;
    relative imports are resolved."""
    modules = _modules()
    graph: dict[str, dict[str, bool]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        edges = graph.setdefault(name, {})

        def add(target: str, top: bool, name=name, edges=edges) -> None:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges[target] = edges.get(target, False) or top

        def visit(node: ast.AST, top: bool, package=package, add=add) -> None:
            for child in ast.iter_child_nodes(node):
                child_top = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, ast.Import):
                    for alias in child.names:
                        add(alias.name, child_top)
                elif isinstance(child, ast.ImportFrom):
                    if child.level:
                        base = ".".join(package.split(".")[:len(package.split(".")) - (child.level - 1)])
                        module = f"{base}.{child.module}" if child.module else base
                    else:
                        module = child.module or ""
                    add(module, child_top)
                    for alias in child.names:
                        add(f"{module}.{alias.name}", child_top)
                visit(child, child_top)

        visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return graph


def _circles(graph: dict[str, list[str]]) -> list[set[str]]:
    """The groups of modules that import each other round (strongly connected, 2 or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups, key=sorted)


def _one_circle(graph: dict[str, list[str]], group: set[str]) -> str:
    """One round of imports through `group`, written a -> b -> ... -> a."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for other in sorted(graph.get(node, ())):
            if other == start:
                return " -> ".join(paths[node] + [start])
            if other in group and other not in paths:
                paths[other] = paths[node] + [other]
                queue.append(other)
    return " <-> ".join(sorted(group))


def test_the_layer_table_is_one_way():
    assert _circles(LAYERS) == [], "the layer table itself has a circle"
    assert set(LAYERS) == {name.split(".")[0] for name in _modules()}


def test_packages_import_only_the_layers_below_them():
    graph = _import_graph()
    offenders = sorted(
        f"{name} imports {target} ({'module level' if top else 'inside a function'}), "
        f"but {name.split('.')[0]} may import only {LAYERS[name.split('.')[0]]}"
        for name, edges in graph.items()
        for target, top in edges.items()
        if target.split(".")[0] != name.split(".")[0] and target.split(".")[0] not in LAYERS[name.split(".")[0]]
    )
    assert offenders == []


def test_no_import_circle_at_module_level():
    graph = {name: [t for t, top in edges.items() if top] for name, edges in _import_graph().items()}
    assert [_one_circle(graph, group) for group in _circles(graph)] == []


def test_import_circles_through_function_imports_only_shrink():
    graph = {name: list(edges) for name, edges in _import_graph().items()}
    found = _circles(graph)
    new = [_one_circle(graph, group) for group in found if group not in KNOWN_CYCLES]
    gone = [sorted(group) for group in KNOWN_CYCLES if group not in found]
    assert new == [], "new import circle (counting imports inside functions); break it"
    assert gone == [], "these circles are broken or changed: update KNOWN_CYCLES"


def test_app_keeps_only_the_root_group_and_the_installation_commands():
    """app.py: the App, the root group and the installation commands; every area's
    command group lives beside that area's screens (screens/<area>/cli.py)."""
    from app import main

    assert len((ROOT / "app.py").read_text(encoding="utf-8").splitlines()) < 500
    installation = {"demo", "locate", "doctor", "backup", "worker", "secrets", "store"}  # web: screens/web/cli.py
    for name, command in main.commands.items():
        home = command.callback.__module__
        assert home == "app" if name in installation else home.startswith("screens.") and home.endswith(".cli"), name


def test_the_home_screen_imports_the_areas_screens_plainly():
    """Each area's screen is imported by name (no "module:Class" string for
    importlib), so the import graph above sees the home screen's imports."""
    from screens.home import AREAS

    edges = _import_graph()["screens.home"]
    assert sorted({area.screen().__module__ for area in AREAS} - set(edges)) == []


# Inside services/, the areas are layers too, lowest first: an area imports
# only the areas before it (and itself), also inside functions.
SERVICE_AREAS = ["core", "store", "customers", "mail", "tickets", "events", "scheduling", "contactus",
                 "supervisor", "ops", "demo"]


def test_service_areas_import_only_the_areas_below_them():
    graph = _import_graph()
    assert {name.split(".")[1] for name in graph if name.count(".") >= 2 and name.startswith("services.")} \
        == set(SERVICE_AREAS), "every services/ package is an area of SERVICE_AREAS, and every area exists"
    assert [name for name in graph if name.startswith("services.") and name.count(".") == 1
            and name.split(".")[1] not in SERVICE_AREAS] == [], "services/ holds area packages only"
    offenders = sorted(
        f"{name} imports {target} ({'module level' if top else 'inside a function'})"
        for name, edges in graph.items() if name.startswith("services.") and name.count(".") >= 1
        for target, top in edges.items() if target.startswith("services.") and target.count(".") >= 1
        if SERVICE_AREAS.index(target.split(".")[1]) > SERVICE_AREAS.index(name.split(".")[1])
    )
    assert offenders == []


LONG = 600
LONG_REASON = "Longer than 600 lines because"


def test_modules_stay_short_or_say_why():
    """A module of services/ or screens/ over 600 lines says why in its docstring."""
    offenders = []
    for package in ("services", "screens"):
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            lines = text.count("\n")
            if lines > LONG and LONG_REASON not in (ast.get_docstring(ast.parse(text)) or ""):
                offenders.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert offenders == []


def test_no_private_name_is_imported_from_another_module():
    """`from x import _name` (gettext's `_` aside) or `module._name` across modules: make it public."""
    offenders = []
    ours = tuple(LAYERS)
    for name, (path, _is_package) in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in ours):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__") and alias.name != "_":
                        offenders.append(f"{name}:{node.lineno} imports {alias.name}")
                    if not alias.name[0].isupper():  # a module or function, not a class (Model._meta is peewee's)
                        modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                modules.update((a.asname or a.name).split(".")[0] for a in node.names
                               if a.name.split(".")[0] in ours)
        offenders += [f"{name}:{node.lineno} uses {node.value.id}.{node.attr}" for node in ast.walk(tree)
                      if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                      and node.value.id in modules and node.attr.startswith("_") and not node.attr.startswith("__")]
    assert offenders == []
