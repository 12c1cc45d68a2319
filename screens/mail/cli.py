"""The mail command group: outbox."""
from __future__ import annotations

import json

import click

from screens.cli_base import ID, Context
from services.core.i18n import _


@click.group()
def outbox() -> None:
    """E-mail waiting, sent and failed."""


@outbox.command("list")
@click.option("--state", type=click.Choice(["queued", "sending", "sent", "failed"]), default=None)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def outbox_list(obj: Context, state: str | None, limit: int, as_json: bool) -> None:
    """List e-mails, newest first."""
    from services.mail import outbox as outbox_mod

    actor = obj.open()
    items = outbox_mod.list_mail(actor, state=state, limit=limit)
    if as_json:
        click.echo(json.dumps([{
            "id": m.id, "state": m.state, "kind": m.kind, "to": list(m.recipients), "cc": list(m.cc),
            "subject": m.subject, "attempts": m.attempts, "last_error": m.last_error,
            "about": [m.about_entity, m.about_id], "created_at": m.created_at.isoformat(),
            "next_attempt_at": m.next_attempt_at.isoformat(),
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        } for m in items], ensure_ascii=False, indent=2))
        return
    for m in items:
        line = (f"{m.id:>7}  {m.state_label:<8}  {m.created_at:%Y-%m-%d %H:%M}  "
                f"{', '.join(m.recipients)[:40]:<40}  {m.subject}")
        click.echo(line)
        if m.last_error and m.state != "sent":
            click.echo(f"{'':>9}{m.last_error}")


@outbox.command("retry")
@click.argument("mail_id", type=ID)
@click.pass_obj
def outbox_retry(obj: Context, mail_id: int) -> None:
    """Queue failed e-mail MAIL_ID again."""
    from services.mail import outbox as outbox_mod

    actor = obj.open()
    outbox_mod.retry(actor, mail_id)
    click.echo(_("E-mail {id} is queued again.").format(id=mail_id))


@outbox.command("resend")
@click.argument("entity")
@click.argument("entity_id")
@click.pass_obj
def outbox_resend(obj: Context, entity: str, entity_id: str) -> None:
    """Send again the last e-mails about ENTITY ENTITY_ID (e.g. event 12)."""
    from services.events import mail as event_mail
    from services.mail import outbox as outbox_mod

    actor = obj.open()
    if entity == "event":  # an event's e-mails follow the event's own rule
        ids = event_mail.resend(actor, entity_id)
    else:
        ids = outbox_mod.resend(actor, entity, entity_id)
    click.echo(_("{n} e-mails queued again.").format(n=len(ids)))


EX_DATAERR, EX_TEMPFAIL = 65, 75
"""sysexits.h: what an MTA's pipe makes of an exit status (a bounce; try again later)."""


@click.command("mail-in")
@click.option("--json", "as_json", is_flag=True, help="Say what became of the message as JSON.")
@click.option("--setup", is_flag=True, help="Only add the system account mail-in tickets are recorded as "
              "(PostgreSQL: once, as the database's owner) and exit.")
@click.pass_obj
def mail_in(obj: Context, as_json: bool, setup: bool) -> None:
    """Take in one e-mail (RFC 5322) from standard input, as an MTA pipes it:
    a message on the ticket whose protocol its subject names, else a new ticket
    in mail_in.queue. Exit status 75 (try again later) when it cannot be stored
    now, 65 when it can never be (empty, too large)."""
    import sys

    from screens.cli_base import fail
    from services.core.errors import AtendeError
    from services.tickets import mail_in as intake

    if setup:
        from services.store import users

        obj.open_background()
        users.system_actor(intake.LOGIN)
        click.echo(_("The system account {login} is ready.").format(login=intake.LOGIN))
        return
    raw = sys.stdin.buffer.read(intake.MAX_RAW + 1)
    if not raw.strip():
        fail(_("No e-mail on standard input"), EX_DATAERR)
    try:
        obj.open_background()
        received = intake.receive(raw, obj.config, via="stdin")
    except intake.MessageTooLarge as exc:
        fail(exc.message, EX_DATAERR)
    except AtendeError as exc:  # the files folder, the queue's name: kept by the MTA until an administrator fixes it
        fail(exc.message, EX_TEMPFAIL)
    except Exception as exc:  # the database busy or gone: the MTA keeps the message and tries again
        from services.core.logs import internal_error

        fail(internal_error(exc, "mail-in"), EX_TEMPFAIL)
    if as_json:
        click.echo(json.dumps({"outcome": received.outcome, "message_id": received.message_id,
                               "protocol": received.protocol, "reason": received.reason,
                               "files": received.files}, ensure_ascii=False))
        return
    click.echo({
        "ticket": _("New ticket {protocol}"), "reply": _("Added to ticket {protocol}"),
        "ignored": _("Ignored: {reason}"), "duplicate": _("Already taken in: {message_id}"),
    }[received.outcome].format(protocol=received.protocol, reason=received.reason, message_id=received.message_id))
