"""Fixtures every voids test shares: a home on the North patch with rent and a service charge,
let since 2020 and ended through tenancies.services (so its void opened by itself), a voids
contractor covering every trade, and `make_ready` to bring a void to ready to let without
going through the services (tests of the letting start from there)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from rents.models import Charge, ChargeType
from repairs.models import Contract, Contractor, ContractorMember, Trade
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory
from voids.models import SafetyCheck, Stage, VoidPeriod

AT = datetime(2026, 12, 9, 10, 15, tzinfo=UTC)  # Wednesday 9 December 2026, 10:15 in London
TODAY = date(2026, 12, 9)
ENDED = date(2026, 11, 29)  # the old tenancy's last day (a Sunday): void from 30 November
RENT_PENCE, SERVICE_PENCE = 10_000, 500  # £100.00 rent and £5.00 cleaning a week


def let_home(patch, *, address="4 Orchard Close", uprn=None, start=date(2020, 1, 6)):
    """A two-bedroom house with charges from April 2024 and a secure tenancy from `start`."""
    kwargs = {"uprn": uprn} if uprn else {}
    home = PropertyFactory(patch=patch, address_line_1=address, town="Exeter",
                           postcode="EX2 4QR", property_type="house", bedrooms=2, **kwargs)
    for code, pence in (("rent", RENT_PENCE), ("cleaning", SERVICE_PENCE)):
        charge_type = ChargeType.objects.get(code=code)
        Charge.objects.create(property=home, charge_type=charge_type, weekly_pence=pence,
                              start_date=date(2024, 4, 1))
    tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure", start_date=start,
                             tenant_ids=[PersonFactory().pk], by=None, at=AT)
    return home


def end(home, *, on=ENDED, reason="notice", by=None):
    tenancy = home.tenancies.get(end_date__isnull=True)
    tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=on, reason=reason, by=by, at=AT)
    return VoidPeriod.objects.get(previous_tenancy=tenancy)


@pytest.fixture
def home(north):
    return let_home(north)


@pytest.fixture
def void(home):
    """The home's tenancy ended on Sunday 29 November 2026: void from Monday 30 November."""
    return end(home)


@pytest.fixture
def voids_contractor(contractor):
    """Void Works Ltd, whose portal user is the `contractor` persona, contracted for every
    trade on every patch."""
    company = Contractor.objects.create(code="void-works", name="Void Works Ltd",
                                        email="voids@void-works.example")
    ContractorMember.objects.create(contractor=company, user=contractor)
    contract = Contract.objects.create(contractor=company, reference="C-V-1",
                                       name="Void works", start_date=date(2024, 4, 1))
    contract.trades.add(*Trade.objects.all())
    return company


@pytest.fixture
def make_ready():
    """`make_ready(void, on=...)`: inspected as a standard void, no works, both safety checks
    passed, and at ready to let, written directly."""

    def ready(void, *, on=ENDED + timedelta(days=3), void_type="standard"):
        for kind in (SafetyCheck.Kind.GAS, SafetyCheck.Kind.ELECTRICAL):
            SafetyCheck.objects.create(void=void, kind=kind, done_on=on, by=_anyone(),
                                       certificate_reference=f"{kind.upper()}-1", at=AT)
        void.inspected_on, void.void_type, void.ready_on = on, void_type, on
        void.stage = Stage.READY
        void.save()
        void.stages.create(stage=Stage.READY, on=on, summary="Ready to let", at=AT)
        return void

    return ready


def _anyone():
    from tests.housing.factories import UserFactory

    return UserFactory()
