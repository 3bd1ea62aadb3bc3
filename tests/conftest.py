"""Personas: one user per staff role, two tenants, two contractors, an administrator and a
member of staff with no role at all."""

import pytest

from housing import roles
from housing.models import User
from tests.housing.factories import PASSWORD, PatchFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and used TOTP codes live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _text_outbox(settings):
    """Text messages are kept in housing.notify.outbox, never sent (as pytest-django keeps
    mail in mail.outbox); each test starts with it empty."""
    from housing import notify

    settings.TEXT_MESSAGE_BACKEND = "housing.notify.LocmemTextBackend"
    notify.outbox.clear()
    yield
    notify.outbox.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def north(db):
    return PatchFactory(code="north", name="North")


@pytest.fixture
def south(db):
    return PatchFactory(code="south", name="South")


@pytest.fixture
def customer_access(db):
    return UserFactory(email="customer@example.test", role=roles.CUSTOMER_ACCESS)


@pytest.fixture
def officer(db, north):
    """A Housing Officer who works the North patch only."""
    return UserFactory(email="officer@example.test", role=roles.HOUSING_OFFICER, patches=[north])


@pytest.fixture
def income_officer(db, north):
    return UserFactory(email="income@example.test", role=roles.INCOME_OFFICER, patches=[north])


@pytest.fixture
def repairs_officer(db):
    return UserFactory(email="repairs@example.test", role=roles.REPAIRS_OFFICER)


@pytest.fixture
def lettings_officer(db):
    return UserFactory(email="lettings@example.test", role=roles.LETTINGS_OFFICER)


@pytest.fixture
def leasehold_officer(db):
    return UserFactory(email="leasehold@example.test", role=roles.LEASEHOLD_OFFICER)


@pytest.fixture
def council_tax(db):
    return UserFactory(email="counciltax@example.test", role=roles.COUNCIL_TAX)


@pytest.fixture
def team_leader(db, north, south):
    return UserFactory(email="teamleader@example.test", role=roles.TEAM_LEADER,
                       patches=[north, south])


@pytest.fixture
def administrator(db):
    """A System Administrator with MFA already set up."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = UserFactory(email="admin@example.test", role=roles.SYSTEM_ADMINISTRATOR,
                       is_staff=True, is_superuser=True)
    user.totp_secret = generate_totp_secret()
    TOTP.activate(user, user.totp_secret)
    return user


@pytest.fixture
def no_access(db):
    """A member of staff with no role."""
    return UserFactory(email="norole@example.test")


@pytest.fixture
def tenant(db):
    return UserFactory(email="tenant@example.test", kind=User.Kind.TENANT)


@pytest.fixture
def other_tenant(db):
    return UserFactory(email="tenant2@example.test", kind=User.Kind.TENANT)


@pytest.fixture
def contractor(db):
    return UserFactory(email="contractor@example.test", kind=User.Kind.CONTRACTOR)


@pytest.fixture
def other_contractor(db):
    return UserFactory(email="contractor2@example.test", kind=User.Kind.CONTRACTOR)


@pytest.fixture
def client_for(client):
    """`client_for(user)` gives a test client signed in as `user` (None: anonymous)."""
    from django.test import Client

    def make(user):
        new = Client()
        if user is not None:
            new.force_login(user)
        return new

    return make
