"""What the first contact adds to a draft before the ticket is finished:
attachments, tasks and e-mails (service orders: services.tickets.wizard.orders).
Each is checked here; nothing is written until the ticket is finished."""
from __future__ import annotations

import re
from dataclasses import replace

from models import User, reading
from services.core import clock, files, validation
from services.core.errors import ValidationError
from services.core.i18n import _
from services.core.text import clean
from services.mail import outbox
from services.tickets.wizard.draft import MAX_CHECKS, MAX_PROBLEM, AttachmentDraft, Draft, EmailDraft, TaskDraft

MAX_ATTACHMENT = 10 * 1024 * 1024


def add_attachment(d: Draft, path_text: str, notes: str = "") -> Draft:
    picked = files.check(path_text, "path", MAX_ATTACHMENT)
    notes = validation.long_text(notes, "notes", max_len=2000)
    item = AttachmentDraft(str(picked.path), picked.name, picked.size, notes)
    return replace(d, attachments=d.attachments + (item,))


def make_task(assignee_id, description: str, due_text: str = "") -> TaskDraft:
    errors = {}
    if not assignee_id:
        errors["assignee"] = _("Choose who does it")
    due = None
    try:
        due = validation.date(due_text, "due", required=False)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        description = validation.long_text(description, "description", required=True, max_len=MAX_CHECKS)
    except ValidationError as exc:
        errors.update(exc.errors)
    if due and due < clock.today():
        errors["due"] = _("The due date is in the past")
    name = None
    if assignee_id:
        with reading():
            name = User.select(User.name).where((User.id == int(assignee_id)) & User.active).scalar()
        if name is None:
            errors["assignee"] = _("Choose who does it")
    if errors:
        raise ValidationError(errors)
    return TaskDraft(int(assignee_id), description, due.isoformat() if due else "", name)


def split_addresses(text: str | tuple | list, field: str) -> tuple[str, ...]:
    """Addresses the outbox accepts as they are (checked the outbox's way too)."""
    items = text if isinstance(text, (tuple, list)) else re.split(r"[,;\s]+", text or "")
    out = []
    for item in items:
        item = clean(item)
        if item:
            try:
                out.append(outbox.normalize_address(validation.email(item, field), field))
            except ValidationError:
                raise ValidationError(_("Invalid e-mail address: {address}").format(address=item), field) from None
    return tuple(dict.fromkeys(out))


def make_email(recipients, subject: str, body: str, cc="", read_receipt: bool = False,
               template_id=None, attachments: tuple[str, ...] = ()) -> EmailDraft:
    errors = {}
    to = cc_list = ()
    try:
        to = split_addresses(recipients, "recipients")
        if not to:
            errors["recipients"] = _("Pick at least one recipient")
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        cc_list = split_addresses(cc, "cc")
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        subject = validation.name(subject, "subject", max_len=200)
    except ValidationError:
        errors["subject"] = (_("Type the subject") if not clean(subject)
                             else _("Too long: at most {n} characters").format(n=200))
    try:
        body = validation.long_text(body, "body", max_len=MAX_PROBLEM)
    except ValidationError as exc:
        errors.update(exc.errors)
    picked = []
    for path_text in attachments:
        try:
            picked.append(str(files.check(path_text, "attachments", MAX_ATTACHMENT).path))
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return EmailDraft(to, subject, body, cc_list, bool(read_receipt), int(template_id) if template_id else None,
                      tuple(picked))
