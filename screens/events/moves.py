"""Moving an event through the pipeline, from the board or from the event's
own screen, with the questions a person expects before it is written."""
from __future__ import annotations

from collections.abc import Callable

from services.core import clock
from services.core.errors import AtendeError
from services.core.i18n import _
from services.core.permissions import can
from services.events import access, pipeline, preparation, queries, stages
from services.events.fields import format_datetime
from tui.dialogs import ConfirmDialog, MessageDialog, WriteDialog

MOVE_GROUP = "event-move"


def change_refusal(actor, event: queries.EventInfo) -> str:
    """Why `actor` may not change `event` at all ("" when they may): said at
    once, before any question is asked or any form opened."""
    if not access.may_change(actor, event):
        return _("Only the responsible consultant ({name}) or a supervisor may change this event").format(
            name=event.responsible_name)
    if event.is_final:
        return _("This event is {stage}; it can no longer change").format(
            stage=stages.stage_label(event.stage).lower())
    return ""


class MovesEvents:
    """Mixin for a screen (a WorkerErrors) that moves events: `run_move`."""

    _after_move: Callable[[queries.EventInfo | None], None] | None = None

    def run_move(self, event: queries.EventInfo, to: str, done: Callable[[queries.EventInfo | None], None],
                 edit: Callable[[queries.EventInfo, dict[str, str]], None] | None = None) -> None:
        """Move `event` to stage `to` with the confirmations a person expects:
        closing and cancelling are confirmed, participants are e-mailed only if
        the person agrees, and a readiness refusal offers to edit the event.
        `done(moved event, or None when it did not move)` follows, whatever
        the outcome; the move is written off the UI thread (call_service, a
        write: a second move while one is written is not started)."""
        app = self.app
        refusal = change_refusal(app.actor, event)
        if refusal:
            self.notify(refusal, severity="warning", markup=False)
            done(None)
            return
        # a cancellation reaches the waiting list too; a confirmation only the seat holders
        participants = event.registered + (event.waiting if to == "cancelled" else 0)

        def perform(send_mail: bool, reason: str = "") -> None:
            if self.service_running(MOVE_GROUP):
                done(None)
                return
            self._after_move = done
            actor = app.actor
            self.call_service(MOVE_GROUP, lambda: pipeline.move_event(actor, event.id, to, from_stage=event.stage,
                                                                      send_mail=send_mail, reason=reason),
                              on_answer=moved, on_error=failed, quiet=True, write=True)

        def failed(exc: AtendeError) -> None:
            self._after_move = None
            if isinstance(exc, preparation.NotReady):
                question = exc.message + "\n\n" + _("The event stays in {stage}. Edit it now?").format(
                    stage=stages.stage_label(event.stage))
                if edit is not None:
                    app.push_screen(ConfirmDialog(question),
                                    lambda yes: edit(event, exc.errors) if yes else done(None))
                else:
                    app.push_screen(MessageDialog(_("Not ready"), exc.message), lambda _r: done(None))
                return
            self.show_refusal(exc)
            done(None)

        def moved(result: pipeline.MoveResult) -> None:
            self._after_move = None
            message = _("{event}: {stage}").format(event=event.description, stage=stages.stage_label(to))
            if result.task_created:
                message += "\n" + _("Preparation task created for {name}").format(
                    name=result.event.responsible_name)
            if result.closed:
                message += "\n" + _("{came} waiting for materials, {absent} did not come").format(
                    came=result.closed.waiting_materials, absent=result.closed.did_not_come)
            if result.mailed:
                message += "\n" + _("{n} participants will be e-mailed").format(n=result.mailed)
            self.notify(message, markup=False)
            done(result.event)

        def ask_mail() -> None:
            if participants and to == "cancelled":
                app.push_screen(ConfirmDialog(
                    _("E-mail the {n} participants that the event is now {status}?").format(
                        n=participants, status=stages.status_label("cancelled"))),
                    lambda yes: perform(bool(yes)))
            else:
                perform(False)

        if to == "cancelled":
            app.push_screen(ConfirmDialog(_("Cancel the event {event}? This cannot be undone.").format(
                event=event.description)), lambda yes: ask_mail() if yes else done(None))
        elif to == "held" and clock.now() < event.starts_at:
            if not can(app.actor, "events.close_early"):  # refused before anything is asked
                app.push_screen(MessageDialog(_("Not yet"), _(
                    "{event} starts at {when}: it can be closed as held once it has started (a supervisor can "
                    "close it earlier, saying why)").format(event=event.description,
                                                            when=format_datetime(event.starts_at))),
                    lambda _r: done(None))
                return
            app.push_screen(WriteDialog(_("{event} has not started yet (it starts at {when}). Closing it as held "
                                          "marks everyone but those checked in as absent. Why close it now?").format(
                event=event.description, when=format_datetime(event.starts_at)), warning=True),
                lambda reason: perform(False, reason) if reason is not None else done(None))
        elif to == "held":
            app.push_screen(ConfirmDialog(
                _("Close {event} as held? Those who came will wait for materials; everyone else did not "
                  "come.").format(event=event.description)), lambda yes: perform(False) if yes else done(None))
        else:
            ask_mail()

    def run_status(self, event: queries.EventInfo, done: Callable[[queries.EventInfo | None], None]) -> None:
        """The event's status (Open, Confirmed, Cancelled), the coordinator's own
        decision beside the stages: chosen, then "e-mail the participants?"."""
        from tui.dialogs import ChoiceDialog

        refusal = change_refusal(self.app.actor, event)
        if refusal:
            self.notify(refusal, severity="warning", markup=False)
            done(None)
            return
        choices = [(s, stages.status_label(s)) for s in stages.STATUSES if s != event.status]

        def chosen(status: str | None) -> None:
            if not status:
                done(None)
            elif status == "cancelled":
                self.run_move(event, "cancelled", done)
            elif status == "confirmed" and event.registered:
                self.app.push_screen(ConfirmDialog(
                    _("E-mail the {n} participants that the event is now {status}?").format(
                        n=event.registered, status=stages.status_label(status))),
                    lambda yes: write(status, bool(yes)))
            else:
                write(status, False)

        def write(status: str, send_mail: bool) -> None:
            actor = self.app.actor

            def answered(result: pipeline.StatusResult) -> None:
                message = _("{event}: {status}").format(event=event.description,
                                                        status=stages.status_label(result.event.status))
                if result.mailed:
                    message += "\n" + _("{n} participants will be e-mailed").format(n=result.mailed)
                self.notify(message, markup=False)
                done(result.event)

            self.call_service(MOVE_GROUP, lambda: pipeline.set_status(actor, event.id, status, send_mail=send_mail,
                                                                      version=event.version),
                              on_answer=answered, on_error=lambda exc: (self.show_refusal(exc), done(None)),
                              quiet=True, write=True)

        self.app.push_screen(ChoiceDialog(
            _("Status of {event}: now {status}").format(event=event.description,
                                                       status=stages.status_label(event.status)), choices,
            default=choices[0][0]), chosen)  # never Cancel by a bare Enter

    def worker_failed(self, group: str, message: str) -> None:
        """A move that failed unexpectedly (said by WorkerErrors) did not move: `done(None)`."""
        if group == MOVE_GROUP and self._after_move is not None:
            done, self._after_move = self._after_move, None
            done(None)
        super().worker_failed(group, message)
