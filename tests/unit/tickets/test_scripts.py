import json

import pytest

from services.core.errors import Conflict, PermissionDenied, ValidationError
from services.tickets import scripts


def tree(**over):
    data = {"name": "T", "start": "a", "nodes": [
        {"id": "a", "question": "A?", "options": [{"label": "1", "next": "b"}, {"label": "2", "next": "c"}]},
        {"id": "b", "question": "B?", "options": [{"label": "fim", "next": None}]},
        {"id": "c", "question": "C?", "options": [{"label": "ok", "next": "b"}, {"label": "sai", "next": None}]},
    ]}
    data.update(over)
    return data


def test_path_answers_and_report():
    s = scripts.parse(tree())
    ans = scripts.answer(s, (), "a", 1)
    assert [n.id for n, _o in scripts.path(s, ans)] == ["a", "c"]
    ans = scripts.answer(s, ans, "c", 0)
    assert not scripts.is_complete(s, ans)
    # ended early (seed 002: "encerrar o script"): the answers so far, and that it ended early
    assert scripts.report(s, ans).splitlines()[-3:] == ["2. C?", "   -> ok",
                                                        "Ended early by the operator after 2 questions."]
    ans = scripts.answer(s, ans, "b", 0)
    assert scripts.is_complete(s, ans)
    assert scripts.report(s, ans).splitlines() == ["Script: T", "1. A?", "   -> 2", "2. C?", "   -> ok",
                                                   "3. B?", "   -> fim"]
    # changing an earlier answer recomputes the path, keeping what is still on it
    ans2 = scripts.answer(s, ans, "a", 0)
    assert [n.id for n, _o in scripts.path(s, ans2)] == ["a", "b"]
    assert dict(ans2) == {"a": 0, "b": 0}
    assert scripts.is_complete(s, ans2)
    with pytest.raises(ValidationError):
        scripts.answer(s, ans, "a", 5)


def test_loops_and_dangling_options_are_refused_with_the_reason():
    looped = tree()
    looped["nodes"][1]["options"] = [{"label": "volta", "next": "a"}]
    with pytest.raises(ValidationError, match=r"loops: a -> b -> a"):
        scripts.parse(looped)
    dangling = tree()
    dangling["nodes"][1]["options"] = [{"label": "x", "next": "zz"}]
    with pytest.raises(ValidationError, match="leads to 'zz', which does not exist"):
        scripts.parse(dangling)
    orphan = tree()
    orphan["nodes"].append({"id": "d", "question": "D?", "options": [{"label": "x", "next": None}]})
    with pytest.raises(ValidationError, match="Never reached from the start: d"):
        scripts.parse(orphan)
    for bad in ([], {"nodes": []}, {"name": "x", "nodes": [{"id": "a", "question": "", "options": []}]}):
        with pytest.raises(ValidationError):
            scripts.parse(bad)


def test_shipped_scripts_are_valid_and_in_portuguese(admin):
    files = scripts.shipped_files()
    names = {scripts.read_file(f).name for f in files}
    assert {"Sem conexão", "Lentidão", "Wi-Fi"} <= names
    loaded = scripts.load_shipped(admin)
    assert len(loaded) == len(files) and all(s.nodes >= 5 for s in loaded)
    assert len(scripts.load_shipped(admin)) == len(files)  # importing again replaces


def test_import_export_round_trip(admin, tmp_path):
    src = tmp_path / "t.json"
    src.write_text(json.dumps(tree()), encoding="utf-8")
    info = scripts.import_file(admin, src)
    out = scripts.export_file(admin, info.id, tmp_path / "out.json")
    assert scripts.read_file(out) == scripts.parse(tree())
    (tmp_path / "bad.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(ValidationError, match="not valid JSON"):
        scripts.import_file(admin, tmp_path / "bad.json")
    with pytest.raises(ValidationError, match="folder"):
        scripts.export_file(admin, info.id, tmp_path)


def test_import_reads_regular_files_only_and_at_most_the_limit(tmp_path):
    from tests.unit.core.test_files import bad_paths, in_time

    for path, word in bad_paths(tmp_path, scripts.MAX_FILE).items():
        with pytest.raises(ValidationError) as err:
            in_time(lambda path=path: scripts.read_file(path))
        assert word in err.value.errors["path"], path


def test_export_never_writes_into_a_device_a_pipe_or_an_impossible_name(admin, tmp_path):
    import os

    from tests.unit.core.test_files import in_time

    src = tmp_path / "t.json"
    src.write_text(json.dumps(tree()), encoding="utf-8")
    info = scripts.import_file(admin, src)
    out = tmp_path / "out"
    out.mkdir()
    fifo = out / "pipe"
    os.mkfifo(fifo)
    for path, word in {str(fifo): "not a regular file", "/dev/full": "not a regular file",
                       str(out / ("n" * 300 + ".json")): "File name too long",
                       str(out / "missing" / "x.json"): "Cannot write"}.items():
        with pytest.raises(ValidationError) as err:
            in_time(lambda path=path: scripts.export_file(admin, info.id, path))
        assert word in err.value.errors["path"], path
    old = out / "old.json"
    old.write_text("old")
    assert scripts.read_file(scripts.export_file(admin, info.id, old)) == scripts.parse(tree())
    assert sorted(p.name for p in out.iterdir()) == ["old.json", "pipe"]  # no temporary left


def test_save_is_optimistic_and_only_for_leads(admin, people):
    s = scripts.parse(tree())
    info = scripts.save(admin, s)
    scripts.save(admin, s, info.id, version=info.version)
    with pytest.raises(Conflict):
        scripts.save(admin, s, info.id, version=info.version)
    with pytest.raises(PermissionDenied):
        scripts.save(people["agent"], s)
