"""Guided scripts (Script de Atendimento): decision trees the operator walks
with the customer.

A script is data: nodes, each with a question, an explanation for the
customer, one for the operator, and answer options that lead to another node
or end the script. The answers given are kept as {node: option}; the path is
recomputed from the start every time, so changing an earlier answer takes a
new branch and keeps the answers of nodes still on it. A script with a loop,
an option leading nowhere, or a node never reached is refused with the reason.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from models import reading, write_tx
from models.wizard import Script
from services.core import clock
from services.core import files as intake
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.i18n import _, ngettext
from services.core.permissions import Actor, require
from services.core.text import clean
from services.store import audit

MAX_NODES = 500
MAX_FILE = 2 * 1024 * 1024


@dataclass(frozen=True)
class Option:
    label: str
    next: str | None  # a node id, or None: the script ends


@dataclass(frozen=True)
class Node:
    id: str
    question: str
    for_customer: str = ""
    for_operator: str = ""
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class ScriptDef:
    name: str
    start: str
    nodes: tuple[Node, ...]
    description: str = ""

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


@dataclass(frozen=True)
class ScriptInfo:
    id: int
    name: str
    description: str
    nodes: int
    version: int
    active: bool
    updated_by: str


# ----------------------------------------------------------------------------- parsing and validation


def parse(data: object) -> ScriptDef:
    """Build a ScriptDef from JSON-like data and validate it (ValidationError with the reason)."""
    if not isinstance(data, dict):
        raise ValidationError(_("A script is a JSON object with name, start and nodes"), "script")
    nodes_raw = data.get("nodes")
    if not isinstance(nodes_raw, list) or not nodes_raw:
        raise ValidationError(_("The script has no nodes"), "nodes")
    if len(nodes_raw) > MAX_NODES:
        raise ValidationError(_("Too many nodes: at most {n}").format(n=MAX_NODES), "nodes")
    nodes = []
    for i, raw in enumerate(nodes_raw, 1):
        if not isinstance(raw, dict):
            raise ValidationError(_("Node {n} is not an object").format(n=i), "nodes")
        options = []
        for opt in raw.get("options") or []:
            if not isinstance(opt, dict):
                raise ValidationError(_("An option of node {n} is not an object").format(n=i), "nodes")
            nxt = opt.get("next")
            options.append(Option(clean(str(opt.get("label", ""))), clean(str(nxt)) or None if nxt else None))
        nodes.append(Node(clean(str(raw.get("id", ""))), clean(str(raw.get("question", "")), multiline=True),
                          clean(str(raw.get("for_customer", "")), multiline=True),
                          clean(str(raw.get("for_operator", "")), multiline=True), tuple(options)))
    script = ScriptDef(clean(str(data.get("name", ""))), clean(str(data.get("start", "") or nodes[0].id)),
                       tuple(nodes), clean(str(data.get("description", "")), multiline=True))
    check(script)
    return script


def problems(script: ScriptDef) -> list[str]:
    """Every reason this script cannot be used; empty when it is sound."""
    out: list[str] = []
    if not script.name:
        out.append(_("The script needs a name"))
    ids = [n.id for n in script.nodes]
    seen = set()
    for n in script.nodes:
        if not n.id:
            out.append(_("A node has no id"))
        elif n.id in seen:
            out.append(_("Two nodes have the id '{id}'").format(id=n.id))
        seen.add(n.id)
        if not n.question:
            out.append(_("Node '{id}' has no question").format(id=n.id))
        if not n.options:
            out.append(_("Node '{id}' has no answer options").format(id=n.id))
        for o in n.options:
            if not o.label:
                out.append(_("Node '{id}' has an option without text").format(id=n.id))
            if o.next is not None and o.next not in ids:
                out.append(_("Option '{label}' of node '{id}' leads to '{next}', which does not exist").format(
                    label=o.label, id=n.id, next=o.next))
    if script.start not in ids:
        out.append(_("The start node '{id}' does not exist").format(id=script.start))
        return out
    if out:
        return out
    # Loops: depth-first search, reporting the cycle as a path.
    by_id = {n.id: n for n in script.nodes}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node_id: str) -> list[str] | None:
        state[node_id] = 1
        stack.append(node_id)
        for o in by_id[node_id].options:
            if o.next is None:
                continue
            if state.get(o.next) == 1:
                return stack[stack.index(o.next):] + [o.next]
            if o.next not in state:
                found = visit(o.next)
                if found:
                    return found
        stack.pop()
        state[node_id] = 2
        return None

    cycle = visit(script.start)
    if cycle:
        out.append(_("The script loops: {path}").format(path=" -> ".join(cycle)))
        return out
    unreachable = [n.id for n in script.nodes if n.id not in state]
    if unreachable:
        out.append(_("Never reached from the start: {ids}").format(ids=", ".join(unreachable)))
    return out


def check(script: ScriptDef) -> ScriptDef:
    found = problems(script)
    if found:
        raise ValidationError({"script": "; ".join(found)})
    return script


def to_data(script: ScriptDef) -> dict:
    return {
        "name": script.name, "description": script.description, "start": script.start,
        "nodes": [{"id": n.id, "question": n.question, "for_customer": n.for_customer,
                   "for_operator": n.for_operator,
                   "options": [{"label": o.label, "next": o.next} for o in n.options]} for n in script.nodes],
    }


# ----------------------------------------------------------------------------- walking a script


Answers = tuple[tuple[str, int], ...]


def path(script: ScriptDef, answers: Answers) -> list[tuple[Node, int | None]]:
    """The nodes from the start following the answers: (node, option chosen or None)."""
    chosen = dict(answers)
    out: list[tuple[Node, int | None]] = []
    node_id: str | None = script.start
    seen = set()
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        node = script.node(node_id)
        option = chosen.get(node.id)
        if option is not None and not 0 <= option < len(node.options):
            option = None
        out.append((node, option))
        if option is None:
            break
        node_id = node.options[option].next
    return out


def answer(script: ScriptDef, answers: Answers, node_id: str, option: int) -> Answers:
    """Record `option` for `node_id`; the path is recomputed from the start."""
    node = script.node(node_id)
    if not 0 <= option < len(node.options):
        raise ValidationError(_("Choose one of the options"), "option")
    chosen = dict(answers)
    chosen[node_id] = option
    on_path = {n.id for n, _o in path(script, tuple(chosen.items()))}
    return tuple((k, v) for k, v in chosen.items() if k in on_path)


def is_complete(script: ScriptDef, answers: Answers) -> bool:
    steps = path(script, answers)
    node, option = steps[-1]
    return option is not None and node.options[option].next is None


def report(script: ScriptDef, answers: Answers) -> str:
    """The script report: questions and answers, in order."""
    lines = [_("Script: {name}").format(name=script.name)]
    answered = 0
    for i, (node, option) in enumerate(path(script, answers), 1):
        if option is None:
            break
        answered = i
        lines.append(f"{i}. {node.question}")
        lines.append(f"   -> {node.options[option].label}")
    if not is_complete(script, answers):
        lines.append(ngettext("Ended early by the operator after {n} question.",
                              "Ended early by the operator after {n} questions.", answered).format(n=answered))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- storage


def _info(s: Script) -> ScriptInfo:
    try:
        count = len(json.loads(s.data).get("nodes", []))
    except ValueError:
        count = 0
    return ScriptInfo(s.id, s.name, s.description, count, s.version, s.active, s.updated_by)


def list_scripts(actor: Actor, include_inactive: bool = False) -> list[ScriptInfo]:
    require(actor, "tickets.read")
    with reading():
        q = Script.select().order_by(Script.name)
        if not include_inactive:
            q = q.where(Script.active == True)  # noqa: E712
        return [_info(s) for s in q]


def get(actor: Actor, script_id: int) -> tuple[ScriptInfo, ScriptDef]:
    require(actor, "tickets.read")
    with reading():
        s = Script.get_or_none(Script.id == script_id)
        if s is None:
            raise NotFound(_("No script with id {id}").format(id=script_id))
        return _info(s), parse(json.loads(s.data))


def save(actor: Actor, script: ScriptDef, script_id: int | None = None, version: int | None = None) -> ScriptInfo:
    """Create or replace a script after checking it; optimistic on `version`."""
    require(actor, "scripts.edit")
    check(script)
    data = json.dumps(to_data(script), ensure_ascii=False)
    now = clock.now()
    with write_tx():
        clash = Script.select().where(Script.name == script.name)
        if script_id:
            clash = clash.where(Script.id != script_id)
        if clash.exists():
            raise ValidationError(_("There is already a script named '{name}'").format(name=script.name), "name")
        if script_id is None:
            script_id = Script.insert(name=script.name, description=script.description, data=data,
                                      updated_by=actor.login, updated_at=now).execute()
            audit.record(actor.login, "script", script_id, "create", {"name": script.name})
        else:
            q = Script.update(name=script.name, description=script.description, data=data, updated_by=actor.login,
                              updated_at=now, version=Script.version + 1, active=True).where(Script.id == script_id)
            if version is not None:
                q = q.where(Script.version == version)
            if not q.execute():
                current = Script.get_or_none(Script.id == script_id)
                if current is None:
                    raise NotFound(_("No script with id {id}").format(id=script_id))
                raise Conflict(_("{login} changed this script meanwhile; reopen it to see their version").format(
                    login=current.updated_by))
            audit.record(actor.login, "script", script_id, "update", {"name": script.name})
        return _info(Script.get_by_id(script_id))


def deactivate(actor: Actor, script_id: int) -> None:
    require(actor, "scripts.edit")
    with write_tx():
        Script.update(active=False, updated_by=actor.login, updated_at=clock.now(),
                      version=Script.version + 1).where(Script.id == script_id).execute()
        audit.record(actor.login, "script", script_id, "deactivate", {})


def read_file(path: str | Path) -> ScriptDef:
    """A script from a JSON file, with a clear reason when it cannot be used."""
    p = intake.shown(str(path))
    raw = intake.read_bytes(path, "path", MAX_FILE)  # a regular file, at most MAX_FILE bytes read
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValidationError(_("{path} is not UTF-8 text").format(path=p), "path") from None
    except ValueError as exc:
        raise ValidationError(_("{path} is not valid JSON: {reason}").format(path=p, reason=exc), "path") from None
    return parse(data)


def import_file(actor: Actor, path: str | Path, replace_existing: bool = True) -> ScriptInfo:
    script = read_file(path)
    with reading():
        existing = Script.get_or_none(Script.name == script.name)
    if existing and not replace_existing:
        raise ValidationError(_("There is already a script named '{name}'").format(name=script.name), "name")
    return save(actor, script, existing.id if existing else None)


def export_file(actor: Actor, script_id: int, path: str | Path) -> Path:
    _info_, script = get(actor, script_id)
    data = json.dumps(to_data(script), ensure_ascii=False, indent=2) + "\n"
    return intake.write_file(path, data.encode("utf-8"), "path")  # never into a folder, a device or a pipe


def shipped_files() -> list[Path]:
    folder = resources.files("data") / "scripts"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".json"))


def load_shipped(actor: Actor) -> list[ScriptInfo]:
    """Import the scripts shipped in data/scripts (existing ones with the same name are replaced)."""
    return [import_file(actor, p) for p in shipped_files()]
