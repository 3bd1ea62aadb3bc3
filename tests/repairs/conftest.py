"""Fixtures every repairs test shares: the shipped priorities, trades and sample SOR (from the
data migration), two contractors each with a portal user, a let home on the North patch, and
`make_order` for a work order in any status without going through the services."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from repairs import workflow
from repairs.models import (
    Contract,
    Contractor,
    ContractorMember,
    Priority,
    RepairRequest,
    SorCode,
    Trade,
    WorkOrder,
    WorkOrderLine,
)
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

AT = datetime(2026, 12, 9, 10, 15, tzinfo=UTC)  # Wednesday 9 December 2026, 10:15 in London
TODAY = date(2026, 12, 9)


@pytest.fixture
def routine(db):
    return Priority.objects.get(code="routine")


@pytest.fixture
def emergency(db):
    return Priority.objects.get(code="emergency")


@pytest.fixture
def plumbing(db):
    return Trade.objects.get(code="plumbing")


@pytest.fixture
def contractor_a(contractor, plumbing):
    """Company A, whose portal user is the `contractor` persona, with a plumbing contract."""
    company = Contractor.objects.create(code="a-plumbing", name="A Plumbing Ltd",
                                        email="jobs@a-plumbing.example")
    ContractorMember.objects.create(contractor=company, user=contractor)
    contract = Contract.objects.create(contractor=company, reference="C-A-1",
                                       name="Responsive plumbing", start_date=date(2024, 4, 1))
    contract.trades.add(plumbing)
    return company


@pytest.fixture
def contractor_b(other_contractor, plumbing):
    """Company B, whose portal user is the `other_contractor` persona."""
    company = Contractor.objects.create(code="b-builders", name="B Builders Ltd")
    ContractorMember.objects.create(contractor=company, user=other_contractor)
    contract = Contract.objects.create(contractor=company, reference="C-B-1",
                                       name="Responsive repairs", start_date=date(2024, 4, 1))
    contract.trades.add(plumbing)
    return company


@pytest.fixture
def home(north):
    """A let home on the North patch, with a tenant."""
    home = PropertyFactory(patch=north, address_line_1="12 Mill Lane", town="Exeter",
                           postcode="EX1 2HL")
    tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                             start_date=date(2020, 1, 6),
                             tenant_ids=[PersonFactory(first_name="Ada", last_name="Quick").pk],
                             by=None, at=AT)
    return home


@pytest.fixture
def make_order(routine, plumbing):
    """make_order(home, contractor, status="issued", lines=[("PL100", "1")]) -> WorkOrder,
    made directly (no services), with its request and lines at the SOR's prices."""

    def make(home, contractor, *, status=WorkOrder.Status.ISSUED, lines=(("PL100", "1"),),
             priority=None, raised_by=None, at=AT, description="Dripping kitchen tap"):
        request = RepairRequest.objects.create(
            reference=workflow.next_reference("R"), property=home,
            location=RepairRequest.Location.KITCHEN, description=description,
            priority=priority or routine, channel=RepairRequest.Channel.PHONE,
            raised_by=raised_by, raised_at=at)
        target_at, target_date = workflow.target_for(priority or routine, at=at)
        issued = status not in (WorkOrder.Status.RAISED, WorkOrder.Status.APPROVED)
        order = WorkOrder.objects.create(
            reference=workflow.next_reference("WO"), request=request, property=home,
            contractor=contractor, contract=contractor.contracts.first(), trade=plumbing,
            priority=priority or routine, status=status, description=description,
            target_at=target_at, target_date=target_date, raised_by=raised_by, raised_at=at,
            issued_at=at if issued else None)
        total = 0
        for code, quantity in lines:
            sor = SorCode.objects.get(code=code)
            value = workflow.line_value(Decimal(quantity), sor.unit_price_pence)
            WorkOrderLine.objects.create(order=order, sor=sor, quantity=Decimal(quantity),
                                         unit_price_pence=sor.unit_price_pence,
                                         value_pence=value)
            total += value
        WorkOrder.objects.filter(pk=order.pk).update(value_pence=total)
        order.refresh_from_db()
        return order

    return make
