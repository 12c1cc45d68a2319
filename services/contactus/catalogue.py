"""The Contact us catalogue and mode: the classifications (each routed to a
desk queue), sub-classifications and forms of contact representatives choose
from, kept by leads; and the system parameter `contactus.mode`: "central"
(classification and sub-classification) or "crm" (classification and form
of contact).
"""
from __future__ import annotations

from dataclasses import dataclass

from models import Queue, reading, write_tx
from models.contactus import ContactClassification, ContactForm, ContactSubclassification
from services.core import validation
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.i18n import N_, _
from services.core.permissions import Actor, can, require
from services.store import audit, settings

MODE_KEY = "contactus.mode"
CENTRAL, CRM = "central", "crm"
MODE_LABELS = {CENTRAL: N_("Central (classification and sub-classification)"),
               CRM: N_("CRM (classification and form of contact)")}


KINDS = ("classification", "subclassification", "form")
KIND_LABELS = {"classification": N_("classification"), "subclassification": N_("sub-classification"),
               "form": N_("form of contact")}
_MODELS = {"classification": ContactClassification, "subclassification": ContactSubclassification,
           "form": ContactForm}


def mode() -> str:
    """The Contact us mode of this database: "central" or "crm"."""
    return settings.get_choice(MODE_KEY)


def mode_label(value: str | None = None) -> str:
    return _(MODE_LABELS[value or mode()])


# -- the catalogue --------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """A classification, sub-classification or form of contact."""

    kind: str
    id: int
    name: str
    active: bool
    version: int
    queue_id: int | None = None
    queue: str = ""
    parent_id: int | None = None
    parent: str = ""


@dataclass(frozen=True)
class QueueChoice:
    id: int
    name: str


def _may_see_catalogue(actor: Actor) -> None:
    if not (can(actor, "contactus.use") or can(actor, "contactus.admin")):
        require(actor, "contactus.use")


def classifications(actor: Actor, *, include_inactive: bool = False) -> list[Item]:
    _may_see_catalogue(actor)
    with reading():
        queues = {q.id: q.name for q in Queue.select(Queue.id, Queue.name)}
        q = ContactClassification.select().order_by(ContactClassification.name)
        if not include_inactive:
            q = q.where(ContactClassification.active == True)  # noqa: E712
        return [Item("classification", c.id, c.name, c.active, c.version, c.queue_id, queues.get(c.queue_id, ""))
                for c in q]


def subclassifications(actor: Actor, classification_id: int | None = None, *,
                       include_inactive: bool = False) -> list[Item]:
    _may_see_catalogue(actor)
    with reading():
        parents = {c.id: c.name for c in ContactClassification.select(ContactClassification.id,
                                                                      ContactClassification.name)}
        q = ContactSubclassification.select().order_by(ContactSubclassification.name)
        if classification_id is not None:
            q = q.where(ContactSubclassification.classification == classification_id)
        if not include_inactive:
            q = q.where(ContactSubclassification.active == True)  # noqa: E712
        items = [Item("subclassification", s.id, s.name, s.active, s.version,
                      parent_id=s.classification_id, parent=parents.get(s.classification_id, "")) for s in q]
    return sorted(items, key=lambda i: (i.parent.casefold(), i.name.casefold()))


def forms(actor: Actor, *, include_inactive: bool = False) -> list[Item]:
    _may_see_catalogue(actor)
    with reading():
        q = ContactForm.select().order_by(ContactForm.name)
        if not include_inactive:
            q = q.where(ContactForm.active == True)  # noqa: E712
        return [Item("form", f.id, f.name, f.active, f.version) for f in q]


def queues(actor: Actor) -> list[QueueChoice]:
    """The desk queues a classification may route to."""
    require(actor, "contactus.admin")
    with reading():
        return [QueueChoice(q.id, q.name) for q in
                Queue.select().where(Queue.active == True).order_by(Queue.name)]  # noqa: E712


def _name(value: str) -> str:
    return validation.name(value, "name", max_len=120)


def _queue(queue_id) -> Queue:
    try:
        qid = int(queue_id)
    except (TypeError, ValueError):
        raise ValidationError(_("Choose the desk queue"), "queue") from None
    q = Queue.get_or_none((Queue.id == qid) & (Queue.active == True))  # noqa: E712
    if q is None:
        raise ValidationError(_("Choose the desk queue"), "queue")
    return q


def _taken(model, name: str, exclude: int | None = None, **scope) -> bool:
    wanted = name.casefold()
    q = model.select(model.id, model.name)
    for key, value in scope.items():
        q = q.where(getattr(model, key) == value)
    return any(r.name.casefold() == wanted and r.id != exclude for r in q)


def add_classification(actor: Actor, name: str, queue_id) -> Item:
    require(actor, "contactus.admin")
    name = _name(name)
    with write_tx():
        q = _queue(queue_id)
        if _taken(ContactClassification, name):
            raise ValidationError(_("There is already a classification named {name}").format(name=name), "name")
        row = ContactClassification.create(name=name, queue=q.id, updated_by=actor.login)
        audit.record(actor.login, "contact_classification", row.id, "create", {"name": name, "queue": q.name})
    return _item("classification", row.id)


def add_subclassification(actor: Actor, classification_id, name: str) -> Item:
    require(actor, "contactus.admin")
    name = _name(name)
    with write_tx():
        parent = ContactClassification.get_or_none(ContactClassification.id == classification_id)
        if parent is None:
            raise ValidationError(_("Choose the classification"), "classification")
        if _taken(ContactSubclassification, name, classification=parent.id):
            raise ValidationError(_("{parent} already has a sub-classification named {name}").format(
                parent=parent.name, name=name), "name")
        row = ContactSubclassification.create(classification=parent.id, name=name, updated_by=actor.login)
        audit.record(actor.login, "contact_subclassification", row.id, "create",
                     {"name": name, "classification": parent.name})
    return _item("subclassification", row.id)


def add_form(actor: Actor, name: str) -> Item:
    require(actor, "contactus.admin")
    name = _name(name)
    with write_tx():
        if _taken(ContactForm, name):
            raise ValidationError(_("There is already a form of contact named {name}").format(name=name), "name")
        row = ContactForm.create(name=name, updated_by=actor.login)
        audit.record(actor.login, "contact_form", row.id, "create", {"name": name})
    return _item("form", row.id)


def _item(kind: str, item_id: int) -> Item:
    model = _MODELS[kind]
    with reading():
        r = model.get_or_none(model.id == item_id)
        if r is None:
            raise NotFound(_("No such {kind}").format(kind=_(KIND_LABELS[kind])))
        if kind == "classification":
            q = Queue.get_or_none(Queue.id == r.queue_id)
            return Item(kind, r.id, r.name, r.active, r.version, r.queue_id, q.name if q else "")
        if kind == "subclassification":
            p = ContactClassification.get_or_none(ContactClassification.id == r.classification_id)
            return Item(kind, r.id, r.name, r.active, r.version, parent_id=r.classification_id,
                        parent=p.name if p else "")
        return Item(kind, r.id, r.name, r.active, r.version)


def _update(actor: Actor, kind: str, item_id: int, expected_version: int, changes: dict) -> None:
    model = _MODELS[kind]
    row = model.get_or_none(model.id == item_id)
    if row is None:
        raise NotFound(_("No such {kind}").format(kind=_(KIND_LABELS[kind])))
    before = {k: getattr(row, k if k != "queue" else "queue_id") for k in changes}
    n = (model.update(version=model.version + 1, updated_by=actor.login, **changes)
         .where((model.id == item_id) & (model.version == expected_version)).execute())
    if n == 0:
        raise Conflict(_("{who} changed this {kind} in the meantime; nothing was saved. "
                         "Look again and redo your change.").format(
            who=row.updated_by or _("someone"), kind=_(KIND_LABELS[kind])))
    audit.record(actor.login, f"contact_{kind}", item_id, "update", audit.diff(before, changes))


def rename(actor: Actor, kind: str, item_id: int, name: str, *, expected_version: int) -> Item:
    require(actor, "contactus.admin")
    if kind not in KINDS:
        raise ValidationError(_("Unknown kind {kind}").format(kind=kind), "kind")
    name = _name(name)
    model = _MODELS[kind]
    with write_tx():
        row = model.get_or_none(model.id == item_id)
        scope = {"classification": row.classification_id} if row is not None and kind == "subclassification" else {}
        if _taken(model, name, exclude=item_id, **scope):
            raise ValidationError(_("That name is already used"), "name")
        _update(actor, kind, item_id, expected_version, {"name": name})
    return _item(kind, item_id)


def route(actor: Actor, classification_id: int, queue_id, *, expected_version: int) -> Item:
    """Send new contacts of a classification to another desk queue."""
    require(actor, "contactus.admin")
    with write_tx():
        q = _queue(queue_id)
        _update(actor, "classification", classification_id, expected_version, {"queue": q.id})
    return _item("classification", classification_id)


def set_active(actor: Actor, kind: str, item_id: int, active: bool, *, expected_version: int) -> Item:
    """Deactivate (no longer offered; contacts made with it keep it) or reactivate."""
    require(actor, "contactus.admin")
    if kind not in KINDS:
        raise ValidationError(_("Unknown kind {kind}").format(kind=kind), "kind")
    with write_tx():
        _update(actor, kind, item_id, expected_version, {"active": bool(active)})
    return _item(kind, item_id)
