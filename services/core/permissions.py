"""Who may do what. Every service checks here, so the rule holds for the TUI,
the CLI and tests alike. The README's permission matrix is generated from
`MATRIX` (see `matrix_markdown`)."""
from __future__ import annotations

from dataclasses import dataclass

from services.core.errors import PermissionDenied
from services.core.i18n import N_, _

AGENT, COORDINATOR, SUPERVISOR, ADMIN, REPRESENTATIVE = (
    "agent", "coordinator", "supervisor", "admin", "representative")
ROLES = (AGENT, COORDINATOR, SUPERVISOR, ADMIN, REPRESENTATIVE)
ROLE_LABELS = {
    AGENT: N_("agent"), COORDINATOR: N_("coordinator"), SUPERVISOR: N_("supervisor"),
    ADMIN: N_("admin"), REPRESENTATIVE: N_("company representative"),
}
STAFF = frozenset({AGENT, COORDINATOR, SUPERVISOR, ADMIN})
LEADS = frozenset({SUPERVISOR, ADMIN})


@dataclass(frozen=True)
class Actor:
    """The person acting: who they are and what role they hold."""

    login: str
    name: str
    role: str
    id: int | None = None
    company_id: int | None = None

    @property
    def role_label(self) -> str:
        return _(ROLE_LABELS.get(self.role, self.role))


# action -> (roles allowed, description for the README)
MATRIX: dict[str, tuple[frozenset[str], str]] = {
    "users.manage": (frozenset({ADMIN}), N_("Add people, change roles")),
    "users.list": (LEADS, N_("List people and their roles")),
    "demo.fill": (frozenset({ADMIN}), N_("Fill the database with demo data")),
    "audit.read": (LEADS, N_("Read the audit log")),
    "backup.run": (frozenset({ADMIN, SUPERVISOR}), N_("Back up the database")),
    "store.copy": (frozenset({ADMIN}), N_("Copy the whole store into another (SQLite, PostgreSQL)")),
    "customers.read": (STAFF, N_("Look up customers")),
    "customers.edit": (STAFF, N_("Add and edit customers and contacts")),
    "settings.edit": (frozenset({ADMIN}), N_("Change system parameters and custom fields")),
    "settings.read": (STAFF, N_("See the system parameters")),
    "routers.manage": (frozenset({ADMIN}),
                       N_("Configure and test the access points' MikroTik routers (passwords: the system keyring)")),
    "background.run": (STAFF, N_("Run the worker and the event reminders")),
    "area.desk": (STAFF, N_("Use the service desk")),
    "area.events": (frozenset({COORDINATOR, SUPERVISOR, ADMIN, AGENT}), N_("Use the events area")),
    "area.scheduling": (STAFF, N_("Use scheduling triage")),
    "area.supervisor": (LEADS, N_("Use the supervisor's area")),
    "mail.read": (STAFF, N_("See the outbox")),
    "scheduling.triage": (STAFF, N_("Triage requests and see bookings")),
    "scheduling.book": (STAFF, N_("Book implementation sessions")),
    "scheduling.outcome": (STAFF, N_("Record whether a session was held (the session's analyst or a lead)")),
    "scheduling.rota": (LEADS, N_("Edit the implementation rota and analysts")),
    "scheduling.topics": (LEADS, N_("Edit the triage topics and team guidance")),
    "customers.import": (LEADS, N_("Import customers from a CSV file")),
    "mail.send": (STAFF, N_("Retry and resend e-mail")),
    "mail.templates": (frozenset({COORDINATOR, SUPERVISOR, ADMIN}), N_("Edit e-mail templates")),
    "certificates.issue": (frozenset({COORDINATOR, SUPERVISOR, ADMIN}),
                           N_("Issue certificates of events they are responsible for (supervisors: any)")),
    "certificates.verify": (STAFF, N_("Verify a certificate code")),
    "events.read": (STAFF, N_("See events and their registrations")),
    "events.create": (frozenset({COORDINATOR, SUPERVISOR, ADMIN}), N_("Create events")),
    "events.edit": (frozenset({COORDINATOR, SUPERVISOR, ADMIN}),
                    N_("Change events they are responsible for (supervisors: any)")),
    "events.close_early": (frozenset({SUPERVISOR, ADMIN}),
                           N_("Close an event as held before it starts, saying why (recorded)")),
    "events.types": (frozenset({COORDINATOR, SUPERVISOR, ADMIN}), N_("Manage event types and their checklists")),
    "registrations.add": (STAFF, N_("Register participants in events")),
    "registrations.manage": (frozenset({COORDINATOR, SUPERVISOR, ADMIN}),
                             N_("Import, cancel and move registrations of events they are responsible for "
                                "(supervisors: any)")),
    "registrations.checkin": (STAFF, N_("Check participants in")),
    "registrations.privacy": (frozenset({COORDINATOR, SUPERVISOR, ADMIN}),
                              N_("Export or erase a participant's personal data")),
    "tickets.create": (STAFF, N_("Open tickets (the new-ticket wizard)")),
    "calls.ring": (STAFF, N_("Tell an agent's session who is calling them (the PBX's hook: atende call ring)")),
    "desk.setup": (LEADS, N_("Create and change destinations, ticket types, technicians and service-order types")),
    "tickets.read": (STAFF, N_("See tickets")),
    "tickets.work": (STAFF, N_("Reply to tickets, add notes, change their status and responsible")),
    "scripts.edit": (LEADS, N_("Edit the guided scripts")),
    "canned.manage": (LEADS, N_("Add, change and take out of use the canned replies agents insert")),
    "tickets.reassign_many": (LEADS, N_("Reassign many tickets at once (bulk)")),
    "presence.read": (LEADS, N_("See who is online and where")),
    "presence.peers": (STAFF, N_("See who else is on the same ticket or event")),
    "contactus.use": (frozenset({REPRESENTATIVE}),
                      N_("Open and follow their own company's contacts (Contact us); nothing else")),
    "contactus.admin": (LEADS, N_("Maintain the Contact us classifications, sub-classifications and forms of contact")),
}


def can(actor: Actor, action: str) -> bool:
    try:
        roles, _desc = MATRIX[action]
    except KeyError:
        raise ValueError(f"unknown permission {action!r}") from None
    return actor.role in roles


def require(actor: Actor, action: str) -> None:
    """Raise PermissionDenied unless `actor` may perform `action`."""
    if not can(actor, action):
        raise PermissionDenied(
            _("{login} ({role}) may not: {what}").format(
                login=actor.login, role=actor.role_label, what=_(MATRIX[action][1]).lower()
            )
        )


def matrix_markdown() -> str:
    header = "| action | " + " | ".join(ROLES) + " |"
    lines = [header, "|" + "---|" * (len(ROLES) + 1)]
    for action, (roles, desc) in MATRIX.items():
        cells = " | ".join("yes" if r in roles else "" for r in ROLES)
        lines.append(f"| {desc} (`{action}`) | {cells} |")
    return "\n".join(lines)
