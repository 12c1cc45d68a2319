import pytest

from app import AtendeApp
from services import users


@pytest.fixture
def make_app(store):
    """Build the App for a login of the open test database."""

    def build(login: str | None = None, **kwargs) -> AtendeApp:
        actor = users.identify(login or users.os_login())
        return AtendeApp(actor=actor, db_label=str(store), **kwargs)

    return build
