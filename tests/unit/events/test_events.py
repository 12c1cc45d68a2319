"""Events: the pipeline, readiness, the preparation task, secondaries, closing."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from models import AuditLog, reading
from models.events import EventTask
from services.core import clock
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.events import (
    checkin,
    editing,
    event_types,
    materials,
    notifications,
    pipeline,
    preparation,
    queries,
    stages,
)
from services.events import registrations as er
from services.store import database

NOW = dt.datetime(2026, 5, 4, 9, 0)


@pytest.fixture
def frozen():
    clock.set_clock(lambda: NOW)
    yield NOW


def type_id(actor, fmt: str) -> int:
    return next(t.id for t in event_types.list_types(actor) if t.format == fmt)


def make_event(actor, responsible=None, fmt="offline", **kw) -> queries.EventInfo:
    data = editing.EventInput(
        description=kw.pop("description", "Training"), responsible_id=(responsible or actor).id,
        starts_at=NOW + dt.timedelta(days=10), ends_at=NOW + dt.timedelta(days=10, hours=4),
        type_id=type_id(actor, fmt), address="Rua A, 10", seats=kw.pop("seats", 10),
        access_link="https://meet.example.com/x", **kw)
    return editing.create_event(actor, data)


def open_registration(actor, event) -> queries.EventInfo:
    pipeline.move_event(actor, event.id, "preparation")
    return pipeline.move_event(actor, event.id, "registration").event


def hold(actor, event) -> queries.EventInfo:
    """The clock at the event's end, and the event closed as held."""
    clock.set_clock(lambda: event.ends_at)
    stage = queries.get_event(actor, event.id).stage
    while stage != "held":
        stage = pipeline.move_event(actor, event.id, stages.next_stage(stage)).event.stage
    return queries.get_event(actor, event.id)


def person(i: int, **kw) -> er.RegistrationInput:
    return er.RegistrationInput(name=kw.pop("name", f"Participant {i}"), email=f"p{i}@example.com",
                                consent=kw.pop("consent", True), **kw)


def mails(kind: str | None = None) -> list[dict]:
    """The outbox rows of one of the events services' mail kinds (legacy names map
    onto template kinds; "event_reminder" means both reminders)."""
    from email.utils import parseaddr

    from models.mail import Outbox
    from services.events.mail import KIND_OF

    kinds = {"event_reminder": ("reminder_3d", "reminder_1d")}.get(kind, (KIND_OF.get(kind, kind),))
    with reading():
        q = Outbox.select().order_by(Outbox.id)
        if kind:
            q = q.where(Outbox.kind.in_(kinds))
        return [{"kind": r.kind, "to": [parseaddr(a)[1] for a in json.loads(r.recipients)],
                 "subject": r.subject, "text": r.body_text, "state": r.state, "key": r.idempotency_key,
                 "attachments": [a["name"] for a in json.loads(r.attachments)]} for r in q]


# --------------------------------------------------------------------------- fields


def test_create_validates_every_field(people, frozen):
    coord = people["coordinator"]
    with pytest.raises(ValidationError) as exc:
        editing.create_event(coord, editing.EventInput(
            description="", responsible_id=None, starts_at="31/02/2026 10:00", ends_at="x",
            type_id=None, seats="-3", workload_hours="abc", access_link="meet me"))
    errors = exc.value.errors
    assert set(errors) >= {"description", "responsible", "starts_at", "ends_at", "type", "seats",
                           "workload_hours", "access_link"}


def test_end_before_start_and_zero_seats_are_refused(people, frozen):
    coord = people["coordinator"]
    base = dict(description="X", responsible_id=coord.id, type_id=type_id(coord, "offline"))
    with pytest.raises(ValidationError) as exc:
        editing.create_event(coord, editing.EventInput(starts_at="10/05/2026 14:00", ends_at="10/05/2026 13:00",
                                                       seats="0", **base))
    assert exc.value.errors["ends_at"] == "The end must be after the start"
    assert "seats" in exc.value.errors
    e = editing.create_event(coord, editing.EventInput(starts_at="10/05/2026 14:00", ends_at="10/05/2026 18:00",
                                                       seats="20", workload_hours="3,5", **base))
    assert (e.starts_at, e.seats, e.workload_hours) == (dt.datetime(2026, 5, 10, 14), 20, 3.5)


def test_markup_in_description_is_kept_as_text(people, frozen):
    e = make_event(people["coordinator"], description="[bold]x [/")
    assert queries.get_event(people["agent"], e.id).description == "[bold]x [/"


def test_agents_cannot_create_events(people, frozen):
    with pytest.raises(PermissionDenied):
        make_event(people["agent"])


def test_only_the_responsible_or_a_supervisor_changes_an_event(people, frozen, admin):
    from services.store import users

    users.add(admin, "t_coord2", "coordinator", name="Other Coordinator")
    other = users.identify("t_coord2")
    e = make_event(people["coordinator"])
    with pytest.raises(PermissionDenied, match="Only the responsible"):
        pipeline.move_event(other, e.id, "preparation")
    with pytest.raises(PermissionDenied, match="Only the responsible"):
        editing.update_event(other, e.id, replace(editing.EventInput.from_event(e), description="Hijack"))
    assert pipeline.move_event(people["supervisor"], e.id, "preparation").event.stage == "preparation"
    assert queries.get_event(admin, e.id).description == "Training"


def test_update_is_optimistic(people, frozen):
    coord = people["coordinator"]
    e = make_event(coord)
    editing.update_event(people["supervisor"], e.id, replace(editing.EventInput.from_event(e), description="New name"),
                         version=e.version)
    with pytest.raises(Conflict, match="t_supervisor"):
        editing.update_event(coord, e.id, replace(editing.EventInput.from_event(e), description="Mine"),
                             version=e.version)
    assert queries.get_event(coord, e.id).description == "New name"


# --------------------------------------------------------------------------- pipeline


def test_stage_moves_follow_the_pipeline(people, frozen):
    coord = people["coordinator"]
    e = make_event(coord)
    assert e.stage == "new" and e.status == "open"
    with pytest.raises(stages.StageError):
        pipeline.move_event(coord, e.id, "registration")  # no skipping preparation
    assert pipeline.move_event(coord, e.id, "preparation").event.stage == "preparation"
    e = pipeline.move_event(coord, e.id, "registration").event
    assert (e.stage, e.status) == ("registration", "open")  # the status is its own decision
    for stage in ("materials", "feedback"):
        e = pipeline.move_event(coord, e.id, stage).event
    with pytest.raises(stages.StageError, match="once it has started"):
        pipeline.move_event(coord, e.id, "held")  # before its start nobody's presence is known
    clock.set_clock(lambda: e.starts_at + dt.timedelta(minutes=5))
    e = pipeline.move_event(coord, e.id, "held").event
    assert e.stage == "held"
    with pytest.raises(stages.StageError):
        pipeline.move_event(coord, e.id, "feedback")
    with pytest.raises(stages.StageError):
        editing.update_event(coord, e.id, editing.EventInput.from_event(e))


def test_a_move_from_a_stale_stage_is_refused(people, frozen):
    coord = people["coordinator"]
    e = make_event(coord)
    editing.update_event(coord, e.id, replace(editing.EventInput.from_event(e), description="Renamed"))
    # an edit does not stop a move from the stage the person saw...
    assert pipeline.move_event(coord, e.id, "preparation", from_stage="new").event.stage == "preparation"
    # ...but someone else's move does
    with pytest.raises(Conflict, match="t_coordinator moved this event to Preparation"):
        pipeline.move_event(people["supervisor"], e.id, "preparation", from_stage="new")


def test_cancel_from_any_open_stage_and_status(people, frozen):
    coord = people["coordinator"]
    e = make_event(coord)
    e = pipeline.move_event(coord, e.id, "cancelled").event
    assert (e.stage, e.status, stages.status_label(e.stage)) == ("cancelled", "cancelled", "Cancelled")


def test_readiness_lists_what_is_missing_and_event_stays_in_preparation(people, frozen):
    coord = people["coordinator"]
    cases = {"offline": {"address", "seats"}, "online": {"access_link"}, "hybrid": {"access_link", "address", "seats"}}
    for fmt, missing in cases.items():
        e = editing.create_event(coord, editing.EventInput(
            description=f"Bare {fmt}", responsible_id=coord.id, starts_at=NOW + dt.timedelta(days=3),
            ends_at=NOW + dt.timedelta(days=3, hours=2), type_id=type_id(coord, fmt)))
        pipeline.move_event(coord, e.id, "preparation")
        with pytest.raises(preparation.NotReady) as exc:
            pipeline.move_event(coord, e.id, "registration")
        assert set(exc.value.missing) == missing
        assert set(exc.value.errors) == missing
        assert queries.get_event(coord, e.id).stage == "preparation"
        assert set(preparation.readiness(coord, e.id)) == missing


def test_readiness_cannot_be_undone_by_an_edit(people, frozen):
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord))
    with pytest.raises(preparation.NotReady):
        editing.update_event(coord, e.id, replace(editing.EventInput.from_event(e), address="", seats=""))
    assert queries.get_event(coord, e.id).address == "Rua A, 10"


def test_preparation_task_is_created_once_with_the_types_checklist(people, frozen):
    coord = people["coordinator"]
    e = make_event(coord, fmt="online")
    r = pipeline.move_event(coord, e.id, "preparation")
    assert r.task_created
    for stage in ("new", "preparation", "registration", "preparation", "new", "preparation"):
        assert not pipeline.move_event(coord, e.id, stage).task_created
    with reading():
        assert EventTask.select().where(EventTask.event == e.id).count() == 1
    task = preparation.get_task(coord, e.id)
    webinar = next(t for t in event_types.list_types(coord) if t.format == "online")
    assert [i.text for i in task.items] == [event_types.in_reader_language(t) for t in webinar.checklist]
    assert task.assignee_id == coord.id
    assert notifications.notifications(coord) == []  # they moved it themselves
    other = make_event(coord, description="Moved by the supervisor")
    pipeline.move_event(people["supervisor"], other.id, "preparation")
    assert any("Preparation task for Moved by the supervisor" in n.text for n in notifications.notifications(coord))


def test_a_new_type_works_without_code(people, frozen):
    coord = people["coordinator"]
    t = event_types.save_type(coord, "Hackathon", "hybrid", "Pizza", ["Order pizza", "Book the room", ""])
    e = editing.create_event(coord, editing.EventInput(
        description="Hack", responsible_id=coord.id, starts_at=NOW + dt.timedelta(days=1),
        ends_at=NOW + dt.timedelta(days=2), type_id=t.id))
    pipeline.move_event(coord, e.id, "preparation")
    assert [i.text for i in preparation.get_task(coord, e.id).items] == ["Order pizza", "Book the room"]
    with pytest.raises(preparation.NotReady) as exc:
        pipeline.move_event(coord, e.id, "registration")
    assert set(exc.value.missing) == {"access_link", "address", "seats"}


def test_checklist_items_toggle(people, frozen):
    coord = people["coordinator"]
    e = make_event(coord)
    pipeline.move_event(coord, e.id, "preparation")
    item = preparation.get_task(coord, e.id).items[0]
    task = preparation.toggle_task_item(coord, item.id)
    assert task.items[0].done and task.done == 1
    assert queries.get_event(coord, e.id).task_done == 1
    with pytest.raises(PermissionDenied):
        preparation.toggle_task_item(people["agent"], item.id)


def test_confirming_and_cancelling_mail_the_participants(people, frozen):
    coord = people["coordinator"]
    main = open_registration(coord, make_event(coord, seats=1))
    er.register(coord, main.id, person(1))
    er.register(coord, main.id, person(2))  # the waiting list
    assert mails("event_confirmed") == []  # opening registrations confirms nothing by itself
    # seed 000: confirming is the coordinator's decision, with its question, once the registrations are there
    result = pipeline.set_status(coord, main.id, "confirmed", send_mail=True)
    assert (result.event.status, result.event.stage, result.mailed) == ("confirmed", "registration", 1)
    assert [m["to"] for m in mails("event_confirmed")] == [["p1@example.com"]]
    assert pipeline.set_status(coord, main.id, "confirmed", send_mail=True).mailed == 0  # already confirmed
    with pytest.raises(PermissionDenied):
        pipeline.set_status(people["agent"], main.id, "open")
    with pytest.raises(ValidationError):
        pipeline.set_status(coord, main.id, "maybe")
    assert pipeline.set_status(coord, main.id, "open").event.status == "open"
    assert pipeline.set_status(coord, main.id, "cancelled", send_mail=True).mailed == 2
    assert sorted(m["to"][0] for m in mails("event_cancelled")) == ["p1@example.com", "p2@example.com"]
    assert pipeline.move_event.__doc__  # the rules are written down where they live


# --------------------------------------------------------------------------- secondaries


def test_secondary_inherits_and_registrations_replicate(people, frozen):
    coord = people["coordinator"]
    main = open_registration(coord, make_event(coord, description="Course", seats=5, public=True))
    er.register(coord, main.id, person(1))
    sec = editing.create_event(coord, editing.EventInput(
        description="", starts_at=NOW + dt.timedelta(days=11), ends_at=NOW + dt.timedelta(days=11, hours=4),
        main_id=main.id, seats=99, public=False, type_id=type_id(coord, "online")))
    assert sec.description == "Course"  # defaults from the main
    assert (sec.seats, sec.public, sec.type_id, sec.responsible_id) == (5, True, main.type_id, coord.id)
    assert sec.is_secondary and queries.get_event(coord, main.id).secondary_ids == (sec.id,)
    # not ready (no address yet): nobody is registered in it, nobody is told "Where: ..."
    assert er.list_registrations(coord, sec.id) == [] and len(mails("registration_confirmed")) == 1
    editing.update_event(coord, sec.id, replace(editing.EventInput.from_event(queries.get_event(coord, sec.id)),
                                                address="Rua B, 2"))
    open_registration(coord, queries.get_event(coord, sec.id))
    # once it opens, the main's registrations come in; later ones are replicated
    assert [r.email for r in er.list_registrations(coord, sec.id)] == ["p1@example.com"]
    assert "Rua B, 2" in mails("registration_confirmed")[-1]["text"]
    result = er.register(coord, main.id, person(2))
    assert result.replicas == 1
    assert {r.email for r in er.list_registrations(coord, sec.id)} == {"p1@example.com", "p2@example.com"}
    # the main's changes reach the secondary
    editing.update_event(coord, main.id,
                         replace(editing.EventInput.from_event(queries.get_event(coord, main.id)), seats=7))
    assert queries.get_event(coord, sec.id).seats == 7
    # cancelling on the main cancels the replica too
    p2 = next(r for r in er.list_registrations(coord, main.id) if r.email == "p2@example.com")
    er.cancel_registration(coord, p2.id)
    assert {r.email for r in er.list_registrations(coord, sec.id)} == {"p1@example.com"}
    # a cancelled secondary no longer follows its main
    pipeline.move_event(coord, sec.id, "cancelled", send_mail=False)
    editing.update_event(coord, main.id,
                         replace(editing.EventInput.from_event(queries.get_event(coord, main.id)), seats=9))
    assert queries.get_event(coord, main.id).seats == 9 and queries.get_event(coord, sec.id).seats == 7
    other = open_registration(coord, make_event(coord, description="Other course", seats=5))
    later = editing.create_event(coord, editing.EventInput(
        description="", starts_at=NOW + dt.timedelta(days=12), ends_at=NOW + dt.timedelta(days=12, hours=4),
        main_id=other.id, address="Rua C, 3", type_id=type_id(coord, "offline")))
    pipeline.move_event(coord, other.id, "cancelled", send_mail=False)  # the main takes its sessions with it
    assert queries.get_event(coord, later.id).stage == "cancelled"


def test_a_new_date_or_place_is_mailed_to_the_seat_holders_when_asked(people, frozen):
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=1))
    er.register(coord, e.id, person(1))
    er.register(coord, e.id, person(2))  # the waiting list
    before = queries.get_event(coord, e.id)
    renamed = editing.update_event(coord, e.id, replace(editing.EventInput.from_event(before), description="Novo"))
    assert not pipeline.moved(before, renamed)  # a new name is not a new date or place
    later = editing.update_event(coord, e.id, replace(editing.EventInput.from_event(renamed),
                                                      starts_at=before.starts_at + dt.timedelta(days=1),
                                                      ends_at=before.ends_at + dt.timedelta(days=1)))
    assert pipeline.moved(renamed, later)
    assert pipeline.mail_changes(coord, e.id) == 1
    [sent] = mails("event_details")
    assert sent["to"] == ["p1@example.com"] and later.starts_at.strftime("%d/%m/%Y") in sent["text"]
    pipeline.mail_changes(coord, e.id)  # asked twice for the same version: one e-mail
    assert len(mails("event_details")) == 1
    with pytest.raises(PermissionDenied):
        pipeline.mail_changes(people["agent"], e.id)


def test_secondary_of_a_secondary_is_refused(people, frozen):
    coord = people["coordinator"]
    main = make_event(coord)
    sec = editing.create_event(coord, editing.EventInput(description="S", starts_at=NOW + dt.timedelta(days=1),
                                                         ends_at=NOW + dt.timedelta(days=1, hours=1), main_id=main.id))
    with pytest.raises(ValidationError) as exc:
        editing.create_event(coord, editing.EventInput(description="T", starts_at=NOW + dt.timedelta(days=1),
                                                       ends_at=NOW + dt.timedelta(days=1, hours=1), main_id=sec.id))
    assert "main" in exc.value.errors


# --------------------------------------------------------------------------- closing


def test_the_waiting_list_is_never_written_to_as_if_it_had_a_seat(people, frozen, tmp_path):
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=1))
    seated = er.register(coord, e.id, person(1)).registration
    waiting = er.register(coord, e.id, person(2)).registration
    assert waiting.waitlisted and not seated.waitlisted
    [confirmation] = mails("registration_confirmed")
    [waitlisted] = mails("registration_waitlisted")
    assert any(a.endswith(".ics") for a in confirmation["attachments"])
    assert waitlisted["to"] == ["p2@example.com"] and waitlisted["attachments"] == []  # no calendar entry
    assert pipeline.set_status(coord, e.id, "confirmed", send_mail=True).mailed == 1  # the seat holder only
    assert [m["to"] for m in mails("event_confirmed")] == [["p1@example.com"]]
    checkin.checkin(coord, seated.code)
    hold(coord, e)
    slides = tmp_path / "slides.pdf"
    slides.write_bytes(b"%PDF-1.4 x")
    materials.attach_material(coord, e.id, str(slides))
    materials.send_materials(coord, e.id)
    [sent] = mails("event_materials")
    assert [a.endswith("slides.pdf") for a in sent["attachments"]] == [True]  # the materials, no calendar file


def test_an_online_events_calendar_says_where_by_its_link_never_the_client_code(people, frozen):
    from models.mail import Outbox
    from services.mail.transport import attachment_file

    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, fmt="online", client="CLI-0042"))
    reg = er.register(coord, e.id, person(1)).registration
    row = Outbox.select().where(Outbox.kind == "registration_confirmation").get()
    [calendar] = [attachment_file(a["path"]).read_text(encoding="utf-8") for a in json.loads(row.attachments)]
    unfolded = calendar.replace("\r\n ", "")
    location = next(line for line in unfolded.splitlines() if line.startswith("LOCATION"))
    assert "CLI-0042" not in unfolded and reg.access_token in location


def test_an_offline_events_mail_has_no_empty_online_access_line(people, frozen):
    coord = people["coordinator"]
    offline = open_registration(coord, make_event(coord))
    online = open_registration(coord, make_event(coord, fmt="online"))
    er.register(coord, offline.id, person(1))
    er.register(coord, online.id, person(2))
    by_person = {m["to"][0]: m["text"] for m in mails("registration_confirmed")}
    assert "Acesso online" not in by_person["p1@example.com"] and "Rua A, 10" in by_person["p1@example.com"]
    assert "Acesso online: https://" in by_person["p2@example.com"]  # mail goes in the store's language


def test_a_cancellation_reaches_the_waiting_list_too(people, frozen):
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=1))
    er.register(coord, e.id, person(1))
    er.register(coord, e.id, person(2))
    assert pipeline.move_event(coord, e.id, "cancelled").mailed == 2
    cancelled = mails("event_cancelled")
    assert sorted(m["to"][0] for m in cancelled) == ["p1@example.com", "p2@example.com"]
    waiting = next(m for m in cancelled if m["to"] == ["p2@example.com"])
    assert waiting["attachments"] == []


def test_only_a_supervisor_closes_an_event_before_its_start_and_says_why(people, frozen):
    coord, lead = people["coordinator"], people["supervisor"]
    e = open_registration(coord, make_event(coord))
    b = er.register(coord, e.id, person(1)).registration
    for stage in ("materials", "feedback"):
        pipeline.move_event(coord, e.id, stage)
    with pytest.raises(stages.StageError, match="supervisor"):
        pipeline.move_event(coord, e.id, "held")
    with pytest.raises(ValidationError, match="say why"):
        pipeline.move_event(lead, e.id, "held", reason="   ")
    assert er.get_registration(coord, b.id).stage == "waiting"  # nothing was closed
    result = pipeline.move_event(lead, e.id, "held", reason="Cancelado pelo cliente, mas realizado antes")
    assert result.event.stage == "held" and result.closed.did_not_come == 1
    entry = AuditLog.select().where((AuditLog.entity == "event") & (AuditLog.action == "stage")).order_by(
        AuditLog.id.desc()).first()
    assert "Cancelado pelo cliente" in entry.changes and "before_start" in entry.changes


def test_closing_moves_registrations_and_materials_process_them(people, frozen, tmp_path):
    coord = people["coordinator"]
    e = open_registration(coord, make_event(coord, seats=2))
    a = er.register(coord, e.id, person(1)).registration
    b = er.register(coord, e.id, person(2)).registration
    c = er.register(coord, e.id, person(3)).registration  # waiting list
    assert er.register(coord, e.id, person(4)).waitlisted
    checkin.checkin(coord, a.code)
    for stage in ("materials", "feedback"):
        pipeline.move_event(coord, e.id, stage)
    clock.set_clock(lambda: e.ends_at)
    result = pipeline.move_event(coord, e.id, "held")
    assert result.closed == pipeline.CloseReport(waiting_materials=1, did_not_come=3)
    stages = {r.id: r.stage for r in er.list_registrations(coord, e.id)}
    assert (stages[a.id], stages[b.id], stages[c.id]) == ("materials", "no_show", "no_show")
    with pytest.raises(ValidationError, match="Attach"):
        materials.send_materials(coord, e.id)
    slides = tmp_path / "slides [1].pdf"
    slides.write_bytes(b"%PDF-1.4 test")
    m = materials.attach_material(coord, e.id, str(slides))
    assert m.size == len(b"%PDF-1.4 test") and m.filename == "slides _1_.pdf"
    assert materials.send_materials(coord, e.id) == 1
    assert er.get_registration(coord, a.id).stage == "processed"
    sent = mails("event_materials")
    assert sent[-1]["to"] == ["p1@example.com"] and Path(m.path).name in sent[-1]["attachments"]


def test_attach_refuses_missing_files(people, frozen, tmp_path):
    coord = people["coordinator"]
    e = make_event(coord)
    with pytest.raises(ValidationError, match="No file"):
        materials.attach_material(coord, e.id, str(tmp_path / "nope.pdf"))


def test_materials_take_regular_files_only_and_leave_nothing_behind(people, frozen, tmp_path):
    import os

    from tests.unit.core.test_files import bad_paths, in_time

    coord = people["coordinator"]
    e = make_event(coord)
    for path, word in bad_paths(tmp_path, materials.MAX_MATERIAL_BYTES).items():
        with pytest.raises(ValidationError) as err:
            in_time(lambda path=path: materials.attach_material(coord, e.id, path))
        assert word in err.value.errors["path"], path
    assert materials.list_materials(coord, e.id) == []
    folder = database.files_root() / "events" / str(e.id)
    assert not folder.exists() or os.listdir(folder) == []
    ok = tmp_path / ("slides " + "x" * 240 + ".pdf")
    ok.write_bytes(b"%PDF-1.4")
    m = materials.attach_material(coord, e.id, str(ok))
    assert m.filename.endswith(".pdf") and len(Path(m.path).name.encode()) <= 210
    with pytest.raises(PermissionDenied):  # asked before the file is looked at
        materials.attach_material(people["agent"], e.id, "/dev/zero")


# --------------------------------------------------------------------------- queries


def test_board_list_and_promotion_query(people, frozen):
    coord = people["coordinator"]
    full = open_registration(coord, make_event(coord, description="Full", seats=1, public=True))
    er.register(coord, full.id, person(1))
    free = open_registration(coord, make_event(coord, description="Free", seats=3, public=True))
    private = open_registration(coord, make_event(coord, description="Private", seats=3))
    make_event(coord, description="Not yet open", public=True)
    promo = queries.upcoming_public_events_with_seats(people["agent"], limit=5)
    assert [e.description for e in promo] == ["Free"]
    assert promo[0].free_seats == 3
    other = open_registration(coord, make_event(coord, description="Other", seats=3, public=True))
    er.register(coord, free.id, person(2))
    offered = queries.upcoming_public_events_with_seats(people["agent"], limit=5, for_email="P2@Example.com")
    assert [e.description for e in offered] == ["Other"]  # never an event they are already in
    assert len(queries.upcoming_public_events_with_seats(people["agent"], limit=5, for_email="not an e-mail")) == 2
    assert other.id in {e.id for e in queries.upcoming_public_events_with_seats(people["agent"], for_email="x@y.z")}
    listed = queries.list_events(people["agent"])
    assert {e.id for e in listed} >= {full.id, free.id, private.id}
    assert [e.id for e in queries.list_events(coord, search="priv")] == [private.id]


def test_old_final_events_leave_the_board(people, frozen):
    coord = people["coordinator"]
    e = make_event(coord)
    pipeline.move_event(coord, e.id, "cancelled")
    clock.set_clock(lambda: NOW + dt.timedelta(days=200))
    assert e.id not in {x.id for x in queries.list_events(coord)}
    assert e.id in {x.id for x in queries.list_events(coord, include_old=True)}


def test_notifications_read(people, frozen):
    coord = people["coordinator"]
    e = make_event(coord)
    pipeline.move_event(people["supervisor"], e.id, "preparation")
    assert notifications.unread_count(coord) == 1
    notifications.mark_read(coord)
    assert notifications.unread_count(coord) == 0 and notifications.notifications(coord) == []
    assert len(notifications.notifications(coord, unread_only=False)) == 1


def test_a_notification_reads_in_the_readers_language_not_the_writers(people, frozen):
    from services.core import i18n

    coord = people["coordinator"]
    e = make_event(coord, description="Oficina [bold]")
    with i18n.language_for("pt_BR"):  # the supervisor works in Portuguese
        pipeline.move_event(people["supervisor"], e.id, "preparation")
    with i18n.language_for("en"):
        [note] = notifications.notifications(coord)
        assert note.text.startswith("Preparation task for Oficina [bold] (")
    with i18n.language_for("pt_BR"):
        [note] = notifications.notifications(coord)
        assert note.text.startswith("Tarefa de preparação") and "Oficina [bold]" in note.text


def test_a_preparation_task_reads_in_the_readers_language(people, frozen):
    from services.core import i18n

    coord = people["coordinator"]
    webinar = next(t for t in event_types.list_types(coord) if t.name == "Webinar")
    e = editing.create_event(
        coord, editing.EventInput(description="Live", responsible_id=coord.id, starts_at=NOW + dt.timedelta(days=3),
                                  ends_at=NOW + dt.timedelta(days=3, hours=1), type_id=webinar.id))
    with i18n.language_for("pt_BR"):  # moved by someone working in Portuguese
        pipeline.move_event(coord, e.id, "preparation")
        pt = preparation.get_task(coord, e.id)
    with i18n.language_for("en"):
        en = preparation.get_task(coord, e.id)
    assert pt.title == "Preparar: Live" and en.title == "Prepare: Live"
    assert pt.items[0].text == "Criar a reunião online e informar o link"
    assert en.items[0].text == "Create the online meeting and share the link"
    assert en.preparation.startswith("Create the online meeting")
    event_types.save_type(coord, "Webinar", "online", "Texto próprio", ["Item escrito por alguém"], type_id=webinar.id)
    other = editing.create_event(coord, editing.EventInput(
        description="Outro", responsible_id=coord.id, starts_at=NOW + dt.timedelta(days=4),
        ends_at=NOW + dt.timedelta(days=4, hours=1), type_id=webinar.id))
    pipeline.move_event(coord, other.id, "preparation")
    with i18n.language_for("en"):
        assert [i.text for i in preparation.get_task(coord, other.id).items] == ["Item escrito por alguém"]


def test_unknown_event(people):
    with pytest.raises(NotFound):
        queries.get_event(people["agent"], 999)


def test_the_worker_closes_events_that_ran_a_day_after_they_ended(people, frozen):
    from models.events import Notification
    from services.ops.sweeps import registered
    from services.store import settings

    coord = people["coordinator"]
    ran = open_registration(coord, make_event(coord, description="Ran"))
    er.register(coord, ran.id, person(1))
    came = er.register(coord, ran.id, person(2)).registration
    checkin.checkin(coord, came.code)
    never_opened = make_event(coord, description="Never opened")
    assert "events.close" in registered()
    end = ran.ends_at
    assert pipeline.close_ended(end + dt.timedelta(hours=23)) == 0  # not yet
    assert pipeline.close_ended(end + dt.timedelta(hours=25)) == 1
    assert queries.get_event(coord, ran.id).stage == "held"
    assert queries.get_event(coord, never_opened.id).stage == "new"  # left for its responsible
    stages = sorted(r.stage for r in er.list_registrations(coord, ran.id))
    assert stages == ["materials", "no_show"]
    with reading():
        note = Notification.select().order_by(Notification.id.desc()).first()
        entry = AuditLog.select().where(AuditLog.entity == "event", AuditLog.action == "stage").order_by(
            AuditLog.id.desc()).first()
    assert "Ran" in note.text and "1" in note.text
    assert entry.login == "worker"
    assert pipeline.close_ended(end + dt.timedelta(hours=26)) == 0  # idempotent
    settings.set_value(people["admin"], "events.autoclose_hours", "0")
    other = open_registration(coord, make_event(coord, description="Kept open"))
    assert pipeline.close_ended(other.ends_at + dt.timedelta(days=30)) == 0
    assert queries.get_event(coord, other.id).stage == "registration"
