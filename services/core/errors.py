"""Errors a person may see. Their text is already translated and meant to be shown."""
from __future__ import annotations


class AtendeError(Exception):
    """A failure with a message for a person (one line, no traceback)."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class ValidationError(AtendeError):
    """One or more fields are invalid; `errors` maps a field name to its message."""

    def __init__(self, errors: dict[str, str] | str, field: str | None = None):
        if isinstance(errors, str):
            errors = {field or "": errors}
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


class PermissionDenied(AtendeError):
    pass


class NotFound(AtendeError):
    pass


class Conflict(AtendeError):
    """Someone else changed the record first; nothing was overwritten."""


class NeedsConfirmation(AtendeError):
    """The change is allowed but needs a yes first: the message asks the
    question; the caller asks the person and calls again, confirmed."""


class UnknownUser(AtendeError):
    pass


class ConfigError(AtendeError):
    pass
