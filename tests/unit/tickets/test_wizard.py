import dataclasses
import datetime as dt
import json

import pytest

import models
from models import Ticket
from models.mail import Outbox
from models.wizard import ServiceOrder, TicketAttachment, TicketDraft, TicketEmail, TicketTask
from services.core import clock, files
from services.core.errors import Conflict, ValidationError
from services.store import audit, database
from services.tickets import links
from services.tickets.wizard import actions, draft, finishing, options, orders, saving
from services.tickets.wizard.draft import Draft
from tests.scenes import make_desk


@pytest.fixture
def desk_data(admin):
    clock.set_clock(lambda: dt.datetime(2026, 3, 9, 10, 0))
    return make_desk()


def ready(admin, desk_data, **extra) -> Draft:
    c = desk_data["customers"][0]
    d = saving.start(admin)
    d = draft.update(d, kind="customer", customer_id=c.id, customer_name=c.name, contact_id=c.contacts[0].id,
                     plan_id=c.plans[0].id, problem="Sem internet desde ontem", queue_id=desk_data["queue"].id,
                     type_id=desk_data["outage"].id, responsible_role="agent", step="first_contact", **extra)
    return d


def test_steps_depend_on_kind_and_script():
    d = Draft("p", 1, "me", "2026-01-01")
    assert draft.steps(d) == ("kind", "lookup", "customer", "plan", "first_contact")
    assert draft.steps(draft.update(d, kind="access_point", use_script=True)) == (
        "kind", "lookup", "plan", "script", "first_contact")


def test_advance_validates_each_step():
    d = Draft("p", 1, "me", "2026-01-01")
    d = draft.advance(d)
    assert d.step == "lookup"
    with pytest.raises(ValidationError) as err:
        draft.advance(d)
    assert "lookup" in err.value.errors
    d = draft.advance(draft.update(d, customer_id=5, customer_name="X"))
    assert d.step == "customer"
    with pytest.raises(ValidationError, match="who is calling"):
        draft.advance(d)
    d = draft.advance(draft.update(d, contact_id=3))
    with pytest.raises(ValidationError) as err:
        draft.advance(draft.update(d, problem="   "))
    assert set(err.value.errors) == {"problem"}
    with pytest.raises(ValidationError, match="Too long"):
        draft.advance(draft.update(d, problem="x" * 1_048_576))
    with pytest.raises(ValidationError) as err:  # "create script" on, but no script chosen
        draft.advance(draft.update(d, problem="caiu", use_script=True))
    assert set(err.value.errors) == {"script_choice"}
    d = draft.advance(draft.update(d, problem="caiu"))
    assert d.step == "first_contact"
    with pytest.raises(ValidationError) as err:
        draft.advance(d)
    assert set(err.value.errors) == {"queue", "type", "responsible"}
    assert draft.back(d).step == "plan"


def test_changing_customer_clears_what_followed():
    d = Draft("p", 1, "me", "x", customer_id=1, contact_id=2, plan_id=3, parent_id=9, problem="keep")
    d2 = draft.update(d, customer_id=7)
    assert (d2.contact_id, d2.plan_id, d2.parent_id, d2.problem) == (None, None, None, "keep")


def test_json_round_trip_with_everything():
    d = Draft("p", 1, "me", "x", script_answers=(("a", 1),),
              attachments=(draft.AttachmentDraft("/x", "x", 3, "n"),),
              service_orders=(draft.ServiceOrderDraft(1, "2026-03-09", "09:00", 60),),
              tasks=(draft.TaskDraft(2, "ligar"),),
              emails=(draft.EmailDraft(("a@b.com",), "s", cc=("c@d.com",), attachments=("/x",)),))
    assert draft.from_json(draft.to_json(d)) == d


def test_drafts_are_saved_and_offered_back(admin, desk_data, people):
    d = ready(admin, desk_data)
    saving.save(admin, draft.update(d, problem="o que foi digitado [bold]"))
    other = saving.start(people["agent"])
    back = saving.pending_drafts(admin)
    assert [x.protocol for x in back] == [d.protocol]
    assert back[0].problem == "o que foi digitado [bold]"
    assert [x.protocol for x in saving.pending_drafts(people["agent"])] == [other.protocol]
    with pytest.raises(Conflict):
        saving.save(people["agent"], d)


def test_finish_writes_everything_in_one_transaction(admin, desk_data, tmp_path, store):
    f = tmp_path / "foto do roteador.jpg"
    f.write_bytes(b"jpeg" * 100)
    d = ready(admin, desk_data)
    d = actions.add_attachment(d, str(f), "luz vermelha")
    order = orders.make_service_order(desk_data["tech"].id, "09/03/2026", "11:00", "1:30", desk_data["os_type"].id,
                                      description="trocar ONU")
    d = orders.add_service_order(admin, d, order)
    d = dataclasses.replace(d, tasks=(actions.make_task(admin.id, "Ligar amanhã", "10/03/2026"),))
    mail = actions.make_email("c0@example.com", "Protocolo", "Olá", cc="sup@example.com; x@example.com",
                              read_receipt=True, attachments=(str(f),))
    d = dataclasses.replace(d, emails=(mail,), resolved=True, solution="Reiniciou a ONU")
    saving.save(admin, d)
    done = finishing.finish(admin, d)
    assert (done.status, done.attachments, done.service_orders, done.tasks, done.emails) == ("resolved", 1, 1, 1, 1)
    t = Ticket.get(Ticket.protocol == d.protocol)
    assert (t.status, t.solution, t.problem) == ("resolved", "Reiniciou a ONU", "Sem internet desde ontem")
    att = TicketAttachment.get(TicketAttachment.ticket == t.id)
    stored = database.files_root() / att.path
    assert stored.read_bytes() == f.read_bytes() and att.name == "foto do roteador.jpg"
    if models.is_sqlite():  # the folder beside the database, every session's
        assert str(database.files_root()).startswith(str(store.parent))
    else:  # the store keeps the bytes, for the other hosts
        from models.files import StoredFile

        assert StoredFile.get(StoredFile.path == att.path).sha256
    so = ServiceOrder.get(ServiceOrder.ticket == t.id)
    assert (so.start_minute, so.duration_minutes) == (660, 90)
    assert TicketTask.get(TicketTask.ticket == t.id).description == "Ligar amanhã"
    assert not TicketEmail.select().exists()
    mail_row = Outbox.get((Outbox.about_entity == "ticket") & (Outbox.about_id == str(t.id)))
    assert json.loads(mail_row.recipients) == ["c0@example.com"]
    assert json.loads(mail_row.cc) == ["sup@example.com", "x@example.com"] and mail_row.read_receipt
    assert (mail_row.state, mail_row.kind, mail_row.idempotency_key) == (
        "queued", "ticket", f"ticket:{t.id}:wizard-email")
    stored_mail = json.loads(mail_row.attachments)
    from services.mail.transport import attachment_file

    assert len(stored_mail) == 1 and attachment_file(stored_mail[0]["path"]).read_bytes() == f.read_bytes()
    # the same file is also the ticket's attachment: the e-mail's copy still goes out under its own name
    assert stored_mail[0]["name"] == "foto do roteador.jpg"
    assert mail_row.created_by == admin.login
    assert not TicketDraft.select().exists()
    assert [e.action for e in audit.history(admin, "ticket", t.id)] == ["finish", "reserve"]
    with pytest.raises(Conflict):
        finishing.finish(admin, d)


def test_finish_queues_one_mail_and_a_bad_address_loses_nothing(admin, desk_data):
    d = ready(admin, desk_data)
    bad = draft.EmailDraft(("c0@",), "Protocolo", "Olá")
    d = dataclasses.replace(d, emails=(bad,))
    saving.save(admin, d)
    with pytest.raises(ValidationError) as err:
        finishing.finish(admin, d)
    assert "emails" in err.value.errors
    assert Ticket.get(Ticket.id == d.ticket_id).status == "draft"
    assert TicketDraft.select().count() == 1 and not Outbox.select().exists()
    d = dataclasses.replace(d, emails=(actions.make_email("c0@example.com", "Protocolo", "Olá"),))
    finishing.finish(admin, d)
    rows = list(Outbox.select())
    assert len(rows) == 1 and (rows[0].about_entity, rows[0].about_id) == ("ticket", str(d.ticket_id))
    assert rows[0].state == "queued"


def test_finish_failing_leaves_nothing_behind(admin, desk_data, tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("x")
    d = ready(admin, desk_data)
    d = actions.add_attachment(d, str(f))
    d = dataclasses.replace(d, tasks=(draft.TaskDraft(99999, "ninguém"),))
    with pytest.raises(ValidationError):
        finishing.finish(admin, d)
    assert Ticket.get(Ticket.id == d.ticket_id).status == "draft"
    assert not TicketAttachment.select().exists()
    assert not list((database.files_root() / "tickets").rglob("*.txt"))


def test_finish_errors_are_the_services_own(admin, desk_data):
    d = ready(admin, desk_data)
    finishing.finish(admin, d)
    with pytest.raises(Conflict, match="already open"):
        finishing.finish(admin, d)
    with pytest.raises(ValidationError) as err:
        finishing.finish(admin, draft.update(ready(admin, desk_data), queue_id=999_999))
    assert set(err.value.errors) == {"queue"}


def test_a_finish_failing_after_it_wrote_takes_back_its_own_writes(admin, desk_data):
    """The finish below fails on the technician's agenda after it has already
    turned its ticket from draft to open: its transaction takes that back,
    and the store is usable for the next finish."""
    tech = desk_data["tech"]
    order = orders.make_service_order(tech.id, "09/03/2026", "14:00", "60", desk_data["os_type"].id)
    clash = orders.make_service_order(tech.id, "09/03/2026", "14:30", "30", desk_data["os_type"].id)
    good, bad = ready(admin, desk_data), ready(admin, desk_data)
    bad = dataclasses.replace(bad, service_orders=(order, clash))
    assert finishing.finish(admin, good).status == "open"
    with pytest.raises(ValidationError) as err:
        finishing.finish(admin, bad)
    assert "service_orders" in err.value.errors
    status = {t.protocol: t.status for t in Ticket.select()}
    assert status[good.protocol] == "open" and status[bad.protocol] == "draft"
    assert not ServiceOrder.select().exists()
    assert finishing.finish(admin, dataclasses.replace(bad, service_orders=(order,))).service_orders == 1


def test_threads_of_many_sessions_get_unique_numbers_and_nothing_is_lost(admin, desk_data):
    """Sessions writing at once (each thread its own connection): every
    reservation gets its own number and every finished ticket is stored."""
    import threading

    protocols, errors = [], []

    def agent():
        try:
            for _ in range(15):
                d = ready(admin, desk_data)
                finishing.finish(admin, d)
                protocols.append(d.protocol)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=agent) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(protocols) == len(set(protocols)) == 90
    assert Ticket.select().where(Ticket.protocol.in_(protocols), Ticket.status == "open").count() == 90


def test_a_removed_person_neither_reserves_nor_finishes(admin, desk_data, people):
    """Reserving and finishing write their audit rows like every other save,
    so a person removed while the wizard is open saves nothing more."""
    from services.core.errors import UnknownUser
    from services.store import users

    agent = people["agent"]
    d = ready(agent, desk_data)
    users.remove(admin, agent.login)
    before = Ticket.select().count()
    with pytest.raises(UnknownUser, match="has been removed"):
        saving.start(agent)
    with pytest.raises(UnknownUser, match="has been removed"):
        finishing.finish(agent, d)
    assert Ticket.select().count() == before
    assert Ticket.get(Ticket.protocol == d.protocol).status == "draft"


@pytest.mark.parametrize("path,msg", [("/nope/x.pdf", "No file"), ("{tmp}", "folder"), ("", "Type the path")])
def test_bad_attachments(tmp_path, path, msg):
    d = Draft("p", 1, "me", "x")
    with pytest.raises(ValidationError, match=msg):
        actions.add_attachment(d, path.format(tmp=tmp_path))


def test_attachment_size_and_name(tmp_path):
    big = tmp_path / "../..;rm -rf [bold].bin"
    big = tmp_path / "x;rm -rf [bold].bin"
    with big.open("wb") as fh:
        fh.truncate(actions.MAX_ATTACHMENT + 1)
    with pytest.raises(ValidationError, match="at most"):
        actions.add_attachment(Draft("p", 1, "me", "x"), str(big))
    assert files.safe_name("../../etc/passwd") == "passwd"
    assert files.safe_name("a;b|c.txt") == "a_b_c.txt"
    assert "/" not in files.safe_name("..")


def test_attachments_and_mail_files_take_regular_files_only(tmp_path):
    from tests.unit.core.test_files import bad_paths, in_time

    d = Draft("p", 1, "me", "x")
    for path, word in bad_paths(tmp_path, actions.MAX_ATTACHMENT).items():
        with pytest.raises(ValidationError) as err:
            in_time(lambda path=path: actions.add_attachment(d, path))
        assert word in err.value.errors["path"], path
        with pytest.raises(ValidationError) as err:
            in_time(lambda path=path: actions.make_email("a@b.com", "s", "b", attachments=(path,)))
        assert word in err.value.errors["attachments"], path


def test_finish_copies_regular_files_only_and_a_failed_copy_keeps_the_draft(admin, desk_data, tmp_path, monkeypatch):
    """A file swapped for a device or a pipe after it was added, or a disk
    that fills while copying: a message for the field, nothing copied, the
    ticket still being opened with its draft, and the next finish works."""
    import os

    from services.core import files
    from tests.unit.core.test_files import in_time

    f = tmp_path / "foto.jpg"
    f.write_bytes(b"jpeg" * 100)
    d = ready(admin, desk_data)
    d = actions.add_attachment(d, str(f))
    d = dataclasses.replace(d, emails=(actions.make_email("c0@example.com", "Oi", "b", attachments=(str(f),)),))
    saving.save(admin, d)
    folder = database.files_root() / "tickets" / d.protocol

    def still_a_draft():
        assert Ticket.get(Ticket.id == d.ticket_id).status == "draft"
        assert TicketDraft.select().count() == 1 and not TicketAttachment.select().exists()
        assert not Outbox.select().exists()
        assert not folder.exists() or os.listdir(folder) == []

    f.unlink()
    f.symlink_to("/dev/zero")
    with pytest.raises(ValidationError) as err:
        in_time(lambda: finishing.finish(admin, d))
    assert "not a regular file" in err.value.errors["attachments"]
    still_a_draft()
    f.unlink()
    os.mkfifo(f)
    with pytest.raises(ValidationError) as err:
        in_time(lambda: finishing.finish(admin, d))
    assert "not a regular file" in err.value.errors["attachments"]
    still_a_draft()
    f.unlink()
    f.write_bytes(b"jpeg" * 100)
    real = files._create_temp
    calls = []

    def disk_full_at_the_second_copy(target):  # the attachment copies, the e-mail's file meets a full disk
        tmp, fd = real(target)
        calls.append(tmp)
        if len(calls) == 2:
            os.close(fd)
            fd = os.open("/dev/full", os.O_WRONLY)
        return tmp, fd

    monkeypatch.setattr(files, "_create_temp", disk_full_at_the_second_copy)
    with pytest.raises(ValidationError) as err:
        finishing.finish(admin, d)
    assert err.value.errors == {"emails": f"The disk is full: {f} was not copied"}
    still_a_draft()
    monkeypatch.setattr(files, "_create_temp", real)
    done = finishing.finish(admin, d)
    assert (done.status, done.attachments, done.emails) == ("open", 1, 1)
    assert sorted(os.listdir(folder)) == ["foto-2.jpg", "foto.jpg"]


# -------------------------------------------------------------- service orders


def test_service_order_overlap_per_technician(admin, desk_data, people):
    d = ready(admin, desk_data)
    tech = desk_data["tech"].id
    d = orders.add_service_order(admin, d, orders.make_service_order(tech, "10/03/2026", "09:00", "60"))
    with pytest.raises(ValidationError, match="Overlaps") as err:
        orders.add_service_order(admin, d, orders.make_service_order(tech, "10/03/2026", "09:30", "30"))
    assert "start" in err.value.errors
    d = orders.add_service_order(admin, d, orders.make_service_order(tech, "10/03/2026", "10:00", "30"))
    d = orders.add_service_order(admin, d, orders.make_service_order(tech, "11/03/2026", "09:30", "30"))
    finishing.finish(admin, d)
    assert [a.start for a in orders.agenda(admin, tech, dt.date(2026, 3, 10))] == ["09:00", "10:00"]
    # another ticket meets the stored agenda
    other = ready(admin, desk_data)
    with pytest.raises(ValidationError, match="ticket " + d.protocol):
        orders.add_service_order(admin, other, orders.make_service_order(tech, "10/03/2026", "08:30", "45"))
    orders.add_service_order(admin, other, orders.make_service_order(tech, "10/03/2026", "08:00", "60"))


def test_service_order_midnight_and_zero_duration(desk_data):
    with pytest.raises(ValidationError) as err:
        orders.make_service_order(desk_data["tech"].id, "09/03/2026", "23:30", "60")
    assert "00:30 the next day" in err.value.errors["duration"]
    with pytest.raises(ValidationError, match="more than zero"):
        orders.make_service_order(desk_data["tech"].id, "09/03/2026", "10:00", "0")
    with pytest.raises(ValidationError) as err:
        orders.make_service_order(None, "31/02/2026", "25:00", "abc")
    assert set(err.value.errors) == {"technician", "date", "start", "duration"}
    order = orders.make_service_order(desk_data["tech"].id, "", "23:00", "60")
    assert order.date == "2026-03-09"


@pytest.mark.parametrize("text", ["0", "7", "24:00", "7:75", "sete"])
def test_a_bare_number_is_not_a_start_time(desk_data, text):
    with pytest.raises(ValidationError) as err:
        orders.make_service_order(desk_data["tech"].id, "10/03/2026", text, "60")
    assert err.value.errors == {"start": "Invalid time: use HH:MM"}
    assert orders.make_service_order(desk_data["tech"].id, "10/03/2026", "7h", "60").start == "07:00"


def test_a_start_already_past_today_asks_and_a_day_gone_by_is_refused(desk_data):
    from services.core.errors import NeedsConfirmation

    tech = desk_data["tech"].id  # the clock says 09/03/2026 10:00
    with pytest.raises(NeedsConfirmation, match="09:59 has already passed today"):
        orders.make_service_order(tech, "09/03/2026", "09:59", "30")
    assert orders.make_service_order(tech, "09/03/2026", "09:59", "30", confirmed=True).start == "09:59"
    assert orders.make_service_order(tech, "09/03/2026", "10:00", "30").start == "10:00"
    with pytest.raises(ValidationError) as err:
        orders.make_service_order(tech, "08/03/2026", "11:00", "30", confirmed=True)
    assert "gone by" in err.value.errors["date"]


# -------------------------------------------------------------- linking


def test_linking_rule(admin, desk_data):
    parent = ready(admin, desk_data)
    finishing.finish(admin, parent)
    c1, c2, c3 = desk_data["customers"]
    child = draft.update(ready(admin, desk_data), customer_id=c2.id, contact_id=c2.contacts[0].id,
                         plan_id=c2.plans[0].id)
    cands = links.parent_candidates(admin, c2.plans[0].id, desk_data["outage"].id, child.ticket_id)
    assert [c.protocol for c in cands] == [parent.protocol]  # same network, type allows linking
    assert links.parent_candidates(admin, c2.plans[0].id, desk_data["plain"].id) == []  # type does not allow
    assert links.parent_candidates(admin, c3.plans[0].id, desk_data["outage"].id) == []  # other network
    done = finishing.finish(admin, draft.update(child, parent_id=cands[0].id))
    assert done.parent_protocol == parent.protocol
    assert Ticket.get(Ticket.protocol == child.protocol).parent_id == parent.ticket_id
    # enforced in the service: a type without linking, or another network, is refused
    bad = draft.update(ready(admin, desk_data), type_id=desk_data["plain"].id, parent_id=parent.ticket_id)
    with pytest.raises(ValidationError, match="does not allow"):
        finishing.finish(admin, bad)
    far = draft.update(ready(admin, desk_data), customer_id=c3.id, contact_id=c3.contacts[0].id,
                       plan_id=c3.plans[0].id, parent_id=parent.ticket_id)
    with pytest.raises(ValidationError, match="not an open ticket"):
        finishing.finish(admin, far)


# -------------------------------------------------------------- tasks and e-mail


def test_task_and_email_validation(admin):
    with pytest.raises(ValidationError) as err:
        actions.make_task(None, "", "ontem")
    assert set(err.value.errors) == {"assignee", "due", "description"}
    with pytest.raises(ValidationError) as err:
        actions.make_email("", "", "", cc="not-an-address")
    assert set(err.value.errors) == {"recipients", "subject", "cc"}
    with pytest.raises(ValidationError, match="No file"):
        actions.make_email("a@b.com", "s", "b", attachments=("/nope",))


def test_template_rendering():
    t = options.Template(1, "t", "Protocolo {protocol}", "Olá {contact}, {unknown} {0}")
    d = Draft("2026", 1, "me", "x", contact_name="Zé")
    assert options.render_template(t, d)[0] == "Protocolo 2026"


def test_a_draft_is_not_saved_again_once_its_ticket_is_finished(admin, desk_data):
    """A wizard left open on a ticket finished elsewhere (a second window on
    the same draft) must not bring the draft back: it is told, and the
    finished ticket is no longer offered as unfinished."""
    d = ready(admin, desk_data)
    saving.save(admin, d)
    finishing.finish(admin, d)
    assert not TicketDraft.select().where(TicketDraft.protocol == d.protocol).exists()
    with pytest.raises(Conflict, match=f"Ticket {d.protocol} is already"):
        saving.save(admin, draft.update(d, checks="typed later in the other window"))
    assert not TicketDraft.select().where(TicketDraft.protocol == d.protocol).exists()
    assert d.protocol not in {p.protocol for p in saving.pending_drafts(admin)}
