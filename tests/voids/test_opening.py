"""A void opens by itself when a tenancy ends, whatever the route out (every end reason, and the
tenancy import's ending), exactly once; Right to Buy opens none; a second void for the same
home and days is refused by the service and by the database; a tenancy cannot end twice."""

from datetime import date, timedelta

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from housing.models import Property
from tenancies import services as tenancy_services
from tenancies.models import Tenancy
from tenancies.resources import TenancyResource
from tests.housing.factories import PersonFactory, PropertyFactory
from tests.voids.conftest import AT, ENDED, end, let_home
from voids import services
from voids.models import OccupancyChange, Stage, StageChange, VoidPeriod

pytestmark = pytest.mark.django_db

ROUTES = [reason for reason in Tenancy.EndReason.values
          if reason != Tenancy.EndReason.RIGHT_TO_BUY]


def test_every_route_is_covered():
    assert sorted(ROUTES) == ["abandonment", "assignment", "death", "eviction",
                              "mutual_exchange", "notice", "transfer"]


def assert_one_void(home, tenancy, *, start, reason):
    tenancy.refresh_from_db()
    void = VoidPeriod.objects.get(property=home)  # exactly one
    assert (void.previous_tenancy, void.vacancy_reason, void.stage) == (tenancy, reason,
                                                                         Stage.KEYS_IN)
    assert (void.start_date, void.keys_in_date, void.let_date) == (start, tenancy.end_date,
                                                                   None)
    change = StageChange.objects.get(void=void)
    assert (change.stage, change.on) == (Stage.KEYS_IN, tenancy.end_date)
    told = OccupancyChange.objects.get(property=home)
    assert (told.void, told.event, told.date) == (void, "void", start)
    home.refresh_from_db()
    assert home.tenure == Property.Tenure.VOID
    return void


@pytest.mark.parametrize("reason", ROUTES)
def test_a_tenancy_ended_by_any_route_opens_exactly_one_void(north, lettings_officer, reason):
    home = let_home(north)
    tenancy = home.tenancies.get()
    void = end(home, reason=reason, by=lettings_officer)
    assert_one_void(home, tenancy, start=ENDED + timedelta(days=1), reason=reason)
    assert void.opened_by == lettings_officer and void.reference.startswith("V")


def test_right_to_buy_opens_no_void(north):
    home = let_home(north)
    tenancy = home.tenancies.get()
    tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=ENDED, reason="right_to_buy",
                                 by=None, at=AT)
    assert not VoidPeriod.objects.exists() and not OccupancyChange.objects.exists()
    home.refresh_from_db()
    assert home.tenure == Property.Tenure.RENTED


# --- The tenancy import's ending --------------------------------------------------------------

HEADERS = ("reference,uprn,tenancy_type,start_date,end_date,end_reason,"
           "tenant_1_first_name,tenant_1_last_name,tenant_1_date_of_birth,"
           "tenant_2_first_name,tenant_2_last_name,tenant_2_date_of_birth")


def run_import(*rows: str):
    data = tablib.Dataset().load("\n".join([HEADERS, *rows]) + "\n", format="csv")
    result = TenancyResource().import_data(data, dry_run=False, raise_errors=False)
    assert not result.has_errors() and not result.invalid_rows, [
        row.error_dict for row in result.invalid_rows]
    return result


def test_the_tenancy_import_ending_a_tenancy_opens_one_void(north):
    home = PropertyFactory(uprn="100040212345", patch=north, tenure="void")
    PersonFactory(first_name="Jane", last_name="Smith", date_of_birth=date(1980, 5, 17))
    jane = "Jane,Smith,1980-05-17,,,"
    run_import(f"T0100002,100040212345,secure,2009-08-03,,,{jane}")
    assert not VoidPeriod.objects.exists()

    run_import(f"T0100002,100040212345,secure,2009-08-03,2026-11-29,abandonment,{jane}")
    tenancy = Tenancy.objects.get(reference="T0100002")
    assert_one_void(home, tenancy, start=date(2026, 11, 30), reason="abandonment")

    run_import(f"T0100002,100040212345,secure,2009-08-03,2026-11-29,abandonment,{jane}")
    assert VoidPeriod.objects.count() == 1 and OccupancyChange.objects.count() == 1


def test_a_tenancy_import_that_ends_one_tenancy_and_lets_to_the_next_closes_the_void(north):
    """The ending (read row by row) opens the void; the new tenancy (written after every row
    is read) closes it, as a sign-up would: let, Council Tax told, a CORE record."""
    home = PropertyFactory(uprn="100040212346", patch=north, tenure="void")
    PersonFactory(first_name="Jane", last_name="Smith", date_of_birth=date(1980, 5, 17))
    PersonFactory(first_name="Omar", last_name="Reid", date_of_birth=date(1975, 2, 3))
    jane, omar = "Jane,Smith,1980-05-17,,,", "Omar,Reid,1975-02-03,,,"
    run_import(f"T0100003,100040212346,secure,2009-08-03,,,{jane}")
    run_import(f"T0100003,100040212346,secure,2009-08-03,2026-11-29,notice,{jane}",
               f"T0100004,100040212346,secure,2026-12-07,,,{omar}")
    void = VoidPeriod.objects.get(property=home)
    new = Tenancy.objects.get(reference="T0100004")
    assert (void.stage, void.let_date, void.new_tenancy) == (Stage.LET, date(2026, 12, 7), new)
    assert sorted(OccupancyChange.objects.filter(property=home).values_list("event", "date")) \
        == [("let", date(2026, 12, 7)), ("void", date(2026, 11, 30))]
    assert void.letting.relet_date == date(2026, 12, 7)
    assert void.letting.void_date == date(2026, 11, 29)
    home.refresh_from_db()
    assert home.tenure == Property.Tenure.RENTED


def test_a_sold_home_cannot_be_recorded_void(north, lettings_officer):
    home = PropertyFactory(patch=north, tenure="sold", address_line_1="3 Sold Row")
    with pytest.raises(ValidationError, match="only a council home let on tenancies"):
        services.record_void(property_id=home.pk, start_date=date(2026, 12, 1),
                             reason="other", by=lettings_officer, at=AT)
    assert not VoidPeriod.objects.filter(property=home).exists()


# --- Refusals ---------------------------------------------------------------------------------


def test_a_second_void_for_the_same_home_and_days_is_refused(void, lettings_officer):
    with pytest.raises(ValidationError) as error:
        services.record_void(property_id=void.property_id, start_date=date(2026, 12, 5),
                             reason="other", by=lettings_officer, at=AT)
    assert error.value.messages == [
        f"4 Orchard Close, EX2 4QR is already void from 30 November 2026 and is still open "
        f"(void {void.reference}): a home cannot have two voids for the same days."]
    # Should a write ever skip the service, the database refuses it (one_void_at_a_time).
    with pytest.raises(IntegrityError, match="one_void_at_a_time"), transaction.atomic():
        VoidPeriod.objects.create(reference="V999999", property_id=void.property_id,
                                  vacancy_reason="other", start_date=date(2026, 12, 5),
                                  opened_at=AT)
    assert VoidPeriod.objects.filter(property_id=void.property_id).count() == 1


def test_a_closed_void_still_refuses_a_void_over_its_days(void, lettings_officer):
    void.stage, void.let_date = Stage.LET, date(2026, 12, 7)
    void.save()
    with pytest.raises(IntegrityError, match="one_void_at_a_time"), transaction.atomic():
        VoidPeriod.objects.create(reference="V999998", property_id=void.property_id,
                                  vacancy_reason="other", start_date=date(2026, 12, 6),
                                  opened_at=AT)
    # The day it was let, a new void may begin (the range is [start, let)).
    VoidPeriod.objects.create(reference="V999997", property_id=void.property_id,
                              vacancy_reason="other", start_date=date(2026, 12, 7),
                              opened_at=AT)


def test_ending_a_tenancy_twice_is_refused_and_opens_no_second_void(void):
    tenancy = void.previous_tenancy
    with pytest.raises(ValidationError) as error:
        tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=ENDED + timedelta(days=3),
                                     reason="notice", by=None, at=AT)
    assert error.value.messages == [f"Tenancy {tenancy.reference} already ended on "
                                    f"29 November 2026."]
    assert VoidPeriod.objects.count() == 1 and OccupancyChange.objects.count() == 1


def test_a_void_recorded_by_hand_opens_at_keys_in(north, lettings_officer):
    home = PropertyFactory(patch=north, tenure="void")
    void = services.record_void(property_id=home.pk, start_date=date(2026, 12, 1),
                                reason="new_build", by=lettings_officer, at=AT)
    assert (void.stage, void.start_date, void.previous_tenancy) == (Stage.KEYS_IN,
                                                                     date(2026, 12, 1), None)
    assert void.stages.get().summary == "Void recorded: new build or acquired home"
    assert OccupancyChange.objects.get(void=void).date == date(2026, 12, 1)


def test_a_home_with_a_live_tenancy_cannot_be_recorded_void(home, lettings_officer):
    with pytest.raises(ValidationError) as error:
        services.record_void(property_id=home.pk, start_date=date(2026, 12, 1),
                             reason="other", by=lettings_officer, at=AT)
    assert "end the tenancy instead, and the void opens by itself" in error.value.messages[0]
    assert not VoidPeriod.objects.exists()
