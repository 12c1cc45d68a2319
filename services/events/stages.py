"""The events' vocabulary: the stages of an event and the status people see
for each, the formats, their labels, and the pure rules of moving from one
stage to another (the moves themselves are in `services.events.pipeline`).
"""
from __future__ import annotations

from models.events import EVENT_STAGES
from services.core.errors import AtendeError
from services.core.i18n import N_, _
from services.core.logs import internal_error

STAGES = EVENT_STAGES
OPEN_STAGES = ("new", "preparation", "registration", "materials", "feedback")
FINAL_STAGES = ("held", "cancelled")
STAGE_LABELS = {
    "new": N_("New"),
    "preparation": N_("Preparation"),
    "registration": N_("Participant registration"),
    "materials": N_("Materials preparation"),
    "feedback": N_("Feedback"),
    "held": N_("Held"),
    "cancelled": N_("Cancelled"),
}
STAGE_SHORT = {
    "new": N_("New"), "preparation": N_("Preparation"), "registration": N_("Registration"),
    "materials": N_("Materials"), "feedback": N_("Feedback"), "held": N_("Held"),
    "cancelled": N_("Cancelled"),
}
STATUS_LABELS = {"open": N_("Open event"), "confirmed": N_("Confirmed"), "cancelled": N_("Cancelled")}
STATUSES = ("open", "confirmed", "cancelled")
"""An event's status, the coordinator's decision beside its stage (seed 000:
Aberto, Confirmado, Cancelado); cancelled is also its stage."""
FORMAT_LABELS = {"offline": N_("offline"), "online": N_("online"), "hybrid": N_("hybrid")}
REGISTRATION_OPEN_STAGES = ("registration", "materials")
"""Stages in which participants may register."""
CHECKIN_STAGES = ("registration", "materials", "feedback")


def stage_label(stage: str) -> str:
    return _(STAGE_LABELS.get(stage, stage))


def status_label(status: str) -> str:
    """The label of an event's status ("open", "confirmed", "cancelled")."""
    return _(STATUS_LABELS.get(status, STATUS_LABELS["open"]))


def event_status(stage: str, status: str) -> str:
    """The status an event shows: cancelled when its stage is, else its own."""
    return "cancelled" if stage == "cancelled" else (status if status in STATUSES else "open")


def format_label(fmt: str) -> str:
    return _(FORMAT_LABELS.get(fmt, fmt))


# --------------------------------------------------------------------------- moving between stages


def allowed_moves(stage: str) -> tuple[str, ...]:
    """Stages an event in `stage` may move to: one step forward, any step
    back, or cancelled. Held and cancelled are final."""
    if stage in FINAL_STAGES:
        return ()
    i = OPEN_STAGES.index(stage)
    forward = (OPEN_STAGES[i + 1],) if i + 1 < len(OPEN_STAGES) else ("held",)
    return forward + tuple(reversed(OPEN_STAGES[:i])) + ("cancelled",)


def next_stage(stage: str) -> str | None:
    moves = allowed_moves(stage)
    return moves[0] if moves else None


def previous_stage(stage: str) -> str | None:
    if stage in FINAL_STAGES or stage == "new":
        return None
    return OPEN_STAGES[OPEN_STAGES.index(stage) - 1]


# --------------------------------------------------------------------------- errors


class StageError(AtendeError):
    """A stage move that the pipeline does not allow."""


def error_text(exc: BaseException) -> str:
    """What to show for a failure: an AtendeError's own message, or for
    anything unexpected, a line saying where the details were logged."""
    if isinstance(exc, AtendeError):
        return exc.message
    return internal_error(exc, "events")
