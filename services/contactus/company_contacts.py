"""The company "Contact us" desk (Fale Conosco): a representative's contacts.

A company representative opens contacts for their company; each contact is a
ticket (with its own protocol) in the desk queue of the classification they
chose (services.contactus.catalogue), and agents answer it from the desk.

Isolation lives here: every representative operation reads the contact
through `_own`, which only finds tickets of the representative's company, and
answers "not found" the same way whether the protocol exists elsewhere or not,
so nothing about other companies leaks. Representatives hold none of the
staff permissions (`tickets.read`, `tickets.work`...), so the desk's own
services refuse them outright.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from peewee import JOIN

from models import Customer, Ticket, User, reading, write_tx
from models.contactus import (
    ContactClassification,
    ContactForm,
    ContactMessage,
    ContactRequest,
    ContactSubclassification,
)
from models.desk import TicketMessage
from models.wizard import TicketAttachment
from services.contactus.catalogue import CENTRAL, CRM, mode
from services.core import clock, validation
from services.core import files as intake
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import REPRESENTATIVE, Actor, require
from services.core.text import clean
from services.store import audit, blobs, database
from services.tickets import protocol, sla, thread
from services.tickets.protocol import OPEN_STATUSES, STATUSES

VIEWS = {"all": N_("All contacts"), "open": N_("Open contacts"), "finished": N_("Finished")}
FINISHED = ("resolved", "finished", "abandoned")
MAX_MESSAGE = 100_000
MAX_ATTACHMENT = 10 * 1024 * 1024


# -- the representative's contacts ----------------------------------------

@dataclass(frozen=True)
class NewContact:
    classification_id: int | None = None
    subclassification_id: int | None = None
    form_id: int | None = None
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    message: str = ""
    attachment: str = ""


@dataclass(frozen=True)
class ContactRow:
    ticket_id: int
    protocol: str
    status: str
    status_label: str
    finished: bool
    classification: str
    detail: str  # the sub-classification or the form of contact
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class ThreadMessage:
    id: int
    author: str
    from_company: bool
    body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ContactDetail:
    ticket_id: int
    protocol: str
    status: str
    status_label: str
    finished: bool
    company: str
    classification: str
    subclassification: str
    form: str
    contact_name: str
    phone: str
    email: str
    opened_by: str
    created_at: dt.datetime
    attachments: tuple
    thread: tuple  # ThreadMessage: the opening message, then public replies only


def _company(actor: Actor) -> int:
    require(actor, "contactus.use")
    if actor.role != REPRESENTATIVE or not actor.company_id:
        raise PermissionDenied(_("{login} does not represent a company").format(login=actor.login))
    return actor.company_id


def _not_found(ref) -> NotFound:
    return NotFound(_("No contact {ref} among your company's contacts").format(ref=ref))


def _own(actor: Actor, ticket_id: int | None = None, protocol_text: str | None = None) -> tuple[Ticket, ContactRequest]:
    """The ticket and its request, only if it belongs to the actor's company."""
    company = _company(actor)
    q = (Ticket.select().join(ContactRequest, on=(ContactRequest.ticket == Ticket.id))
         .where((ContactRequest.company == company) & (Ticket.customer == company) & (Ticket.status != "draft")))
    if ticket_id is not None:
        t = q.where(Ticket.id == ticket_id).first()
        ref = str(ticket_id)
    else:
        ref = clean(protocol_text)
        t = q.where(Ticket.protocol == ref).first() if ref else None
    if t is None:
        raise _not_found(ref)
    return t, ContactRequest.get(ContactRequest.ticket == t.id)


def _check(actor: Actor, c: NewContact, current_mode: str) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}

    def field(name, fn):
        try:
            out[name] = fn()
        except ValidationError as exc:
            errors[name] = exc.message

    def classification():
        row = (ContactClassification.get_or_none((ContactClassification.id == c.classification_id)
                                                 & (ContactClassification.active == True))  # noqa: E712
               if c.classification_id else None)
        if row is None:
            raise ValidationError(_("Choose a classification"))
        return row

    field("classification", classification)
    if current_mode == CENTRAL:
        def sub():
            row = (ContactSubclassification.get_or_none(
                (ContactSubclassification.id == c.subclassification_id)
                & (ContactSubclassification.active == True)) if c.subclassification_id else None)  # noqa: E712
            if row is None or ("classification" in out and row.classification_id != out["classification"].id):
                raise ValidationError(_("Choose a sub-classification of the classification"))
            return row
        field("subclassification", sub)
    else:
        def form():
            row = (ContactForm.get_or_none((ContactForm.id == c.form_id) & (ContactForm.active == True))  # noqa: E712
                   if c.form_id else None)
            if row is None:
                raise ValidationError(_("Choose a form of contact"))
            return row
        field("form", form)
    field("contact_name", lambda: validation.name(c.contact_name, "contact_name"))
    field("phone", lambda: validation.phone(c.phone, "phone"))
    field("email", lambda: validation.email(c.email, "email"))
    field("message", lambda: _message(c.message, "message"))
    if clean(c.attachment):
        field("attachment", lambda: intake.check(c.attachment, "attachment", MAX_ATTACHMENT))
    if errors:
        raise ValidationError(errors)
    return out


def _message(text: str, field: str) -> str:
    if text is not None and len(text) > MAX_MESSAGE * 4:
        raise ValidationError(_("Too long: {size} characters, at most {n}").format(size=len(text), n=MAX_MESSAGE),
                              field)
    body = clean(text, multiline=True)
    if not body:
        raise ValidationError(_("Write the message first"), field)
    return validation.long_text(body, field, required=True, max_len=MAX_MESSAGE)


def open_contact(actor: Actor, c: NewContact, *, fmt: str | None = None, submission: str = "") -> ContactRow:
    """Open a contact for the representative's company: reserve its protocol and
    write the ticket, in the classification's queue, in one transaction. A
    `submission` key already used by the company (a form sent twice) gives
    back the contact it opened."""
    company = _company(actor)
    current_mode = mode()
    with reading():
        ok = _check(actor, c, current_mode)
        company_row = Customer.get_or_none(Customer.id == company)
    if company_row is None:
        raise PermissionDenied(_("{login} does not represent a company").format(login=actor.login))
    cls = ok["classification"]
    detail = ok["subclassification"].name if current_mode == CENTRAL else ok["form"].name
    kept: list[Path] = []
    try:
        with write_tx():
            first = _submitted(ContactRequest, ContactRequest.company == company, submission)
            if first is not None:
                return _row_for(actor, first.ticket_id)
            r = protocol.reserve(actor, fmt, permission="contactus.use")
            now = clock.now()
            lines = [_("Contact us · {company}").format(company=company_row.name),
                     _("Contact person: {name} · {phone} · {email}").format(
                         name=ok["contact_name"], phone=ok["phone"], email=ok["email"])]
            if current_mode == CRM:
                lines.append(_("Form of contact: {form}").format(form=detail))
            problem = "\n".join(lines) + "\n\n" + ok["message"]
            Ticket.update(status="open", kind="customer", customer=company, queue=cls.queue_id,
                          subject=f"{cls.name} / {detail}"[:200], problem=problem, updated_at=now,
                          updated_by=actor.login, version=Ticket.version + 1).where(Ticket.id == r.ticket_id).execute()
            sla.start(r.ticket_id, now, responded=False)
            ContactRequest.create(
                ticket=r.ticket_id, company=company, mode=current_mode, classification=cls.id,
                subclassification=ok["subclassification"].id if current_mode == CENTRAL else None,
                form=ok["form"].id if current_mode == CRM else None, contact_name=ok["contact_name"],
                phone=ok["phone"], email=ok["email"], message=ok["message"], created_by=_user_id(actor), created_at=now,
                submission=_key(submission))
            if "attachment" in ok:
                kept.append(_attach(actor, r.ticket_id, r.protocol, c.attachment, ok["attachment"],
                                    _("Sent with the contact"), now))
            audit.record(actor.login, "ticket", r.ticket_id, "contact_us", {
                "protocol": r.protocol, "status": ["draft", "open"], "company": company, "mode": current_mode,
                "classification": cls.name, "detail": detail, "queue": cls.queue_id, "attachments": len(kept)})
    except BaseException:
        for path in kept:  # rolled back: no file without its ticket
            path.unlink(missing_ok=True)
        raise
    return _row_for(actor, r.ticket_id)


def _attach(actor: Actor, ticket_id: int, protocol_text: str, path_text: str, picked: intake.Picked, note: str,
            now: dt.datetime) -> Path:
    """Inside the caller's transaction: copy the file into the ticket's folder
    and list it on the ticket; the copy's path (the caller removes it when the
    transaction rolls back)."""
    folder = Path("tickets") / intake.safe_name(protocol_text)
    copied = intake.copy_into(path_text, database.files_root() / folder, field="attachment",
                              limit=MAX_ATTACHMENT, name=picked.name)
    TicketAttachment.create(ticket=ticket_id, name=picked.name, path=str(folder / copied.name), size=copied.size,
                            notes=note, created_by=actor.login, created_at=now)
    blobs.keep(copied.path)  # for the hosts that share no folder with this one
    return copied.path


def _key(submission: str) -> str:
    text = str(submission or "")
    return text if 16 <= len(text) <= 64 and text.replace("-", "").replace("_", "").isalnum() else ""


def _submitted(model, scope, submission: str):
    """The row already written from this `submission` key in `scope`, if any
    (asked inside the write transaction: writers take turns, so two copies of
    one form never both pass)."""
    key = _key(submission)
    return model.select().where(scope & (model.submission == key)).first() if key else None


def _user_id(actor: Actor) -> int:
    if actor.id is not None:
        return actor.id
    return User.get(User.login == actor.login).id


def _rows(company: int, view: str, ticket_id: int | None = None) -> list[ContactRow]:
    q = (ContactRequest.select(ContactRequest, Ticket.protocol, Ticket.status, Ticket.created_at.alias("t_created"),
                               Ticket.updated_at, ContactClassification.name.alias("c_name"),
                               ContactSubclassification.name.alias("s_name"), ContactForm.name.alias("f_name"))
         .join(Ticket, on=(ContactRequest.ticket == Ticket.id))
         .switch(ContactRequest).join(ContactClassification,
                                      on=(ContactRequest.classification == ContactClassification.id))
         .switch(ContactRequest).join(ContactSubclassification, join_type=JOIN.LEFT_OUTER,
                                      on=(ContactRequest.subclassification == ContactSubclassification.id))
         .switch(ContactRequest)
         .join(ContactForm, join_type=JOIN.LEFT_OUTER, on=(ContactRequest.form == ContactForm.id))
         .where((ContactRequest.company == company) & (Ticket.customer == company) & (Ticket.status != "draft"))
         .order_by(Ticket.updated_at.desc(), Ticket.id.desc()))
    if view == "open":
        q = q.where(Ticket.status.in_(OPEN_STATUSES))
    elif view == "finished":
        q = q.where(Ticket.status.in_(FINISHED))
    if ticket_id is not None:
        q = q.where(Ticket.id == ticket_id)
    out = []
    for r in q.dicts():
        out.append(ContactRow(
            ticket_id=r["ticket"], protocol=r["protocol"], status=r["status"],
            status_label=_(STATUSES.get(r["status"], r["status"])), finished=r["status"] in FINISHED,
            classification=r["c_name"], detail=r["s_name"] or r["f_name"] or "",
            created_at=_dt(r["t_created"]), updated_at=_dt(r["updated_at"])))
    return out


def _dt(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return dt.datetime.min


def _row_for(actor: Actor, ticket_id: int) -> ContactRow:
    with reading():
        rows = _rows(_company(actor), "all", ticket_id)
    if not rows:
        raise _not_found(ticket_id)
    return rows[0]


def contacts(actor: Actor, view: str = "all") -> list[ContactRow]:
    """The company's contacts, most recently updated first: all, open or finished."""
    company = _company(actor)
    if view not in VIEWS:
        raise ValidationError({"view": _("Unknown view {view}").format(view=view)})
    with reading():
        return _rows(company, view)


def find(actor: Actor, protocol_text: str) -> int:
    """The ticket id of the company's contact with this protocol, or NotFound."""
    with reading():
        t, _req = _own(actor, protocol_text=protocol_text)
    return t.id


def detail(actor: Actor, ticket_id: int) -> ContactDetail:
    """One contact with its thread: the opening message and the public replies
    (internal notes are never read here)."""
    with reading():
        t, req = _own(actor, ticket_id=ticket_id)
        cls = ContactClassification.get_by_id(req.classification_id)
        sub = (ContactSubclassification.get_or_none(ContactSubclassification.id == req.subclassification_id)
               if req.subclassification_id else None)
        form = ContactForm.get_or_none(ContactForm.id == req.form_id) if req.form_id else None
        company = Customer.get_by_id(req.company_id)
        rows = list(TicketMessage.select().where((TicketMessage.ticket == t.id) & (TicketMessage.kind == "public"))
                    .order_by(TicketMessage.id))
        users = {u.id: u for u in User.select().where(
            User.id.in_({r.author_id for r in rows if r.author_id} | {req.created_by_id}))}
        ours = {m.message_id for m in ContactMessage.select().where(ContactMessage.request == req.id)}
        reps = [u.login for u in User.select(User.login).where(User.company == company.id)]
        files = tuple(a.name for a in TicketAttachment.select().where(
            (TicketAttachment.ticket == t.id) & (TicketAttachment.created_by.in_(reps or [""])))
            .order_by(TicketAttachment.id))
    opener = users.get(req.created_by_id)
    thread = [ThreadMessage(0, opener.name if opener else "", True, req.message, req.created_at)]
    for r in rows:
        u = users.get(r.author_id)
        from_company = r.id in ours
        thread.append(ThreadMessage(r.id, u.name if u else r.author_login, from_company, r.body, r.created_at))
    return ContactDetail(
        ticket_id=t.id, protocol=t.protocol, status=t.status, status_label=_(STATUSES.get(t.status, t.status)),
        finished=t.status in FINISHED, company=company.name, classification=cls.name,
        subclassification=sub.name if sub else "", form=form.name if form else "", contact_name=req.contact_name,
        phone=req.phone, email=req.email, opened_by=opener.name if opener else "", created_at=req.created_at,
        attachments=files, thread=tuple(thread))


def add_message(actor: Actor, ticket_id: int, body: str, attachment: str = "", *,
                submission: str = "") -> ThreadMessage:
    """Add a message to the company's contact, with a file (its path) or a
    file alone; the agents see it as a public message in the ticket's thread.
    A contact waiting on the customer goes back to "in progress"; a resolved
    or finished one is reopened for the agents (with an internal note saying
    why). A `submission` key already used on this contact adds nothing again."""
    _company(actor)  # who asks, before a file is looked at
    errors: dict[str, str] = {}
    picked = None
    if clean(attachment):
        try:
            picked = intake.check(attachment, "attachment", MAX_ATTACHMENT)
        except ValidationError as exc:
            errors.update(exc.errors)
    text = ""
    if picked is not None and not clean(body, multiline=True):
        text = _("Sent the file {name}").format(name=picked.name)
    else:
        try:
            text = _message(body, "body")
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    kept: list[Path] = []
    try:
        with write_tx():
            t, req = _own(actor, ticket_id=ticket_id)
            if t.status == "abandoned":
                raise ValidationError(_("This contact was cancelled; open a new contact"), "body")
            first = _submitted(ContactMessage, ContactMessage.request == req.id, submission)
            if first is not None:
                m = TicketMessage.get_by_id(first.message_id)
                return ThreadMessage(m.id, actor.name, True, m.body, m.created_at)
            now = clock.now()
            msg_id = TicketMessage.insert(ticket=t.id, kind="public", body=text, author=_user_id(actor),
                                          author_login=actor.login, created_at=now).execute()
            ContactMessage.insert(message=msg_id, request=req.id, submission=_key(submission)).execute()
            changes: dict = {"kind": "public", "message_id": msg_id}
            if picked is not None:
                kept.append(_attach(actor, t.id, t.protocol, attachment, picked, _("Sent in the thread"), now))
                changes["attachment"] = picked.name
            # the company writes again: a resolved or finished contact is back in the agents' queue
            changes.update(thread.customer_wrote(t, actor.login, now, _(
                "Reopened: the company wrote again after the contact was {status}.").format(
                status=_(STATUSES.get(t.status, t.status)))))
            audit.record(actor.login, "ticket", t.id, "message", changes)
    except BaseException:
        for path in kept:
            path.unlink(missing_ok=True)
        raise
    return ThreadMessage(msg_id, actor.name, True, text, now)
