"""Every tenancy event and every refusal, through the services."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from housing.models import Property
from tenancies import services
from tenancies.models import Tenancy, TenancyEvent, TenancyMember
from tests.housing.factories import PersonFactory, PropertyFactory
from tests.voids.helpers import make_lettable

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.fixture
def home(north):
    return PropertyFactory(estate__patch=north)


@pytest.fixture
def people():
    return [PersonFactory() for _ in range(4)]


def _sign_up(home, tenants, start=date(2025, 6, 2), kind="secure", **extra):
    return services.sign_up(property_id=home.pk, tenancy_type=kind, start_date=start,
                            tenant_ids=[p.pk for p in tenants], by=None, at=AT, **extra)


def _tenant_ids(tenancy, on):
    return {m.person_id for m in services._live_members(tenancy, "tenant", on)}


def test_sign_up_lets_the_home_and_records_the_event(home, people):
    tenancy = _sign_up(home, people[:2], household=[(people[2].pk, "son")])
    home.refresh_from_db()
    assert home.tenure == Property.Tenure.RENTED
    assert tenancy.reference.startswith("T") and len(tenancy.reference) == 8
    assert _tenant_ids(tenancy, date(2025, 6, 2)) == {people[0].pk, people[1].pk}
    assert tenancy.members.filter(role="household").get().relationship == "son"
    event = tenancy.events.get()
    assert event.kind == TenancyEvent.Kind.SIGN_UP
    assert people[0].full_name in event.summary


def test_introductory_tenancy_runs_twelve_months_and_extends_to_eighteen(home, people):
    tenancy = _sign_up(home, people[:1], kind="introductory", start=date(2026, 1, 31))
    assert tenancy.introductory_end_date == date(2027, 1, 30)
    services.extend_introductory(tenancy_id=tenancy.pk, reason="rent arrears", by=None, at=AT)
    tenancy.refresh_from_db()
    assert tenancy.introductory_end_date == date(2027, 7, 30)
    with pytest.raises(ValidationError, match="already been extended"):
        services.extend_introductory(tenancy_id=tenancy.pk, reason="again", by=None, at=AT)
    with pytest.raises(ValidationError, match="becomes secure the day after"):
        services.convert_to_secure(tenancy_id=tenancy.pk, on=date(2027, 7, 30), by=None, at=AT)
    services.convert_to_secure(tenancy_id=tenancy.pk, on=date(2027, 7, 31), by=None, at=AT)
    tenancy.refresh_from_db()
    assert tenancy.tenancy_type == Tenancy.TenancyType.SECURE
    assert list(tenancy.events.values_list("kind", flat=True)) == [
        "conversion", "extension", "sign_up"]


def test_a_secure_tenancy_cannot_be_converted_or_extended(home, people):
    tenancy = _sign_up(home, people[:1])
    with pytest.raises(ValidationError, match="Only an introductory"):
        services.convert_to_secure(tenancy_id=tenancy.pk, on=date(2026, 7, 1), by=None, at=AT)
    with pytest.raises(ValidationError, match="Only an introductory"):
        services.extend_introductory(tenancy_id=tenancy.pk, reason="x", by=None, at=AT)


def test_succession_once_only(home, people):
    tenancy = _sign_up(home, people[:1], household=[(people[1].pk, "wife")])
    services.record_succession(tenancy_id=tenancy.pk, deceased_id=people[0].pk,
                               successor_id=people[1].pk, on=date(2026, 3, 2),
                               eligibility="spouse living in the home", by=None, at=AT)
    assert _tenant_ids(tenancy, date(2026, 3, 2)) == {people[1].pk}
    assert _tenant_ids(tenancy, date(2026, 3, 1)) == {people[0].pk}
    with pytest.raises(ValidationError, match="already had its one succession"):
        services.record_succession(tenancy_id=tenancy.pk, deceased_id=people[1].pk,
                                   successor_id=people[2].pk, on=date(2026, 5, 4),
                                   eligibility="son", by=None, at=AT)


def test_succession_needs_a_reason_and_a_tenant_who_died(home, people):
    tenancy = _sign_up(home, people[:1])
    with pytest.raises(ValidationError, match="eligible"):
        services.record_succession(tenancy_id=tenancy.pk, deceased_id=people[0].pk,
                                   successor_id=people[1].pk, on=date(2026, 3, 2),
                                   eligibility=" ", by=None, at=AT)
    with pytest.raises(ValidationError, match="must be a tenant"):
        services.record_succession(tenancy_id=tenancy.pk, deceased_id=people[2].pk,
                                   successor_id=people[1].pk, on=date(2026, 3, 2),
                                   eligibility="son", by=None, at=AT)


def test_sole_to_joint_and_a_third_tenant_is_refused(home, people):
    tenancy = _sign_up(home, people[:1])
    services.add_joint_tenant(tenancy_id=tenancy.pk, person_id=people[1].pk,
                              on=date(2026, 1, 5), by=None, at=AT)
    assert _tenant_ids(tenancy, date(2026, 1, 5)) == {people[0].pk, people[1].pk}
    with pytest.raises(ValidationError, match="at most two"):
        services.add_joint_tenant(tenancy_id=tenancy.pk, person_id=people[2].pk,
                                  on=date(2026, 2, 2), by=None, at=AT)
    services.remove_joint_tenant(tenancy_id=tenancy.pk, person_id=people[0].pk,
                                 on=date(2026, 4, 6), reason="moved out", by=None, at=AT)
    assert _tenant_ids(tenancy, date(2026, 4, 6)) == {people[1].pk}
    with pytest.raises(ValidationError, match="sole tenant cannot be removed"):
        services.remove_joint_tenant(tenancy_id=tenancy.pk, person_id=people[1].pk,
                                     on=date(2026, 5, 4), reason="", by=None, at=AT)


def test_a_third_tenant_at_sign_up_is_refused(home, people):
    with pytest.raises(ValidationError, match="at most two"):
        _sign_up(home, people[:3])
    assert not Tenancy.objects.exists()
    home.refresh_from_db()
    assert home.tenure == "void"


def test_assignment_moves_the_tenancy_to_the_assignee(home, people):
    tenancy = _sign_up(home, people[:1])
    services.assign(tenancy_id=tenancy.pk, assignee_id=people[1].pk, on=date(2026, 2, 2),
                    reason="court order", by=None, at=AT)
    assert _tenant_ids(tenancy, date(2026, 2, 2)) == {people[1].pk}


def test_mutual_exchange_swaps_the_households(north, people):
    home_a, home_b = PropertyFactory(estate__patch=north), PropertyFactory(estate__patch=north)
    a = _sign_up(home_a, people[:1])
    b = _sign_up(home_b, people[1:3])
    services.mutual_exchange(tenancy_a_id=a.pk, tenancy_b_id=b.pk, on=date(2026, 6, 1),
                             by=None, at=AT)
    assert _tenant_ids(a, date(2026, 6, 1)) == {people[1].pk, people[2].pk}
    assert _tenant_ids(b, date(2026, 6, 1)) == {people[0].pk}
    assert a.events.filter(kind="mutual_exchange").count() == 1
    assert b.events.filter(kind="mutual_exchange").count() == 1


def test_change_of_name_updates_the_person_and_the_tenancy_history(home, people):
    tenancy = _sign_up(home, people[:1])
    services.change_name(person_id=people[0].pk, title="Mrs", first_name="Ann",
                         last_name="Smith-Jones", on=date(2026, 9, 1), evidence="marriage cert",
                         by=None, at=AT)
    people[0].refresh_from_db()
    assert people[0].full_name == "Mrs Ann Smith-Jones"
    event = tenancy.events.get(kind="change_of_name")
    assert "Mrs Ann Smith-Jones" in event.summary and "marriage cert" in event.summary
    with pytest.raises(ValidationError, match="evidence"):
        services.change_name(person_id=people[0].pk, title="", first_name="A", last_name="B",
                             on=date(2026, 9, 1), evidence="", by=None, at=AT)


def test_notice_must_be_four_weeks(home, people):
    tenancy = _sign_up(home, people[:1])
    with pytest.raises(ValidationError, match="at least four weeks"):
        services.record_notice(tenancy_id=tenancy.pk, received_on=date(2026, 11, 2),
                               end_date=date(2026, 11, 29), by=None, at=AT)
    services.record_notice(tenancy_id=tenancy.pk, received_on=date(2026, 11, 2),
                           end_date=date(2026, 11, 30), by=None, at=AT)
    tenancy.refresh_from_db()
    assert tenancy.notice_received_date == date(2026, 11, 2)


@pytest.mark.parametrize("reason", ["notice", "death", "eviction", "abandonment", "transfer"])
def test_every_end_of_tenancy_marks_the_home_void(home, people, reason):
    tenancy = _sign_up(home, people[:1], household=[(people[1].pk, "son")])
    services.end_tenancy(tenancy_id=tenancy.pk, end_date=date(2026, 10, 4), reason=reason,
                         by=None, at=AT)
    home.refresh_from_db()
    tenancy.refresh_from_db()
    assert home.tenure == Property.Tenure.VOID
    assert (tenancy.end_date, tenancy.end_reason) == (date(2026, 10, 4), reason)
    assert not TenancyMember.objects.filter(tenancy=tenancy, end_date__isnull=True).exists()
    assert tenancy.events.filter(kind="end").count() == 1


def test_end_date_before_the_start_is_refused(home, people):
    tenancy = _sign_up(home, people[:1])
    with pytest.raises(ValidationError, match="cannot be before the tenancy started"):
        services.end_tenancy(tenancy_id=tenancy.pk, end_date=date(2025, 1, 1), reason="notice",
                             by=None, at=AT)


def test_a_home_can_only_be_let_when_void_and_after_the_last_tenancy(home, people):
    tenancy = _sign_up(home, people[:1])
    with pytest.raises(ValidationError, match="not void"):
        _sign_up(home, people[1:2], start=date(2026, 1, 5))
    services.end_tenancy(tenancy_id=tenancy.pk, end_date=date(2026, 10, 4), reason="notice",
                         by=None, at=AT)
    with pytest.raises(ValidationError, match="inspection has not been recorded"):
        _sign_up(home, people[1:2], start=date(2026, 10, 5))  # its void is not ready to let
    make_lettable(home)
    with pytest.raises(ValidationError, match="must start after it ends"):
        _sign_up(home, people[1:2], start=date(2026, 10, 4))
    new = _sign_up(home, people[1:2], start=date(2026, 10, 5))
    assert new.start_date == date(2026, 10, 5)


def test_the_database_forbids_two_live_tenancies_on_one_home(home, people):
    Tenancy.objects.create(reference="T1", property=home, tenancy_type="secure",
                           start_date=date(2020, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Tenancy.objects.create(reference="T2", property=home, tenancy_type="secure",
                               start_date=date(2024, 1, 1), end_date=date(2024, 6, 1))


def test_garages_are_not_let_as_homes(north, people):
    garage = PropertyFactory(estate__patch=north, kind="garage", property_type="")
    with pytest.raises(ValidationError, match="not a home"):
        _sign_up(garage, people[:1])
