"""The seeded council's voids are the ones its tenancy history implies, as if every ending and
letting had gone through voids.services."""

from datetime import timedelta

import pytest

from housing.models import Property
from housing.seed import seed_council
from tenancies.models import Tenancy
from voids.models import OccupancyChange, Stage, StageChange, VoidPeriod

pytestmark = pytest.mark.django_db


@pytest.fixture
def council(db):
    return seed_council(homes=300, seed=2026)


def test_every_ending_but_right_to_buy_leaves_one_void_until_the_next_tenancy(council):
    ended = Tenancy.objects.filter(end_date__isnull=False)
    expected = ended.exclude(end_reason=Tenancy.EndReason.RIGHT_TO_BUY)
    assert council["voids"] == expected.count() == VoidPeriod.objects.count() > 0
    assert not VoidPeriod.objects.filter(
        previous_tenancy__end_reason=Tenancy.EndReason.RIGHT_TO_BUY).exists()
    for void in VoidPeriod.objects.select_related("previous_tenancy", "new_tenancy"):
        old = void.previous_tenancy
        assert void.start_date == old.end_date + timedelta(days=1)
        following = (Tenancy.objects.filter(property_id=void.property_id,
                                            start_date__gt=old.start_date)
                     .order_by("start_date").first())
        if following is None:
            assert void.let_date is None and void.stage != Stage.LET
        else:
            assert (void.let_date, void.new_tenancy, void.stage) == (
                following.start_date, following, Stage.LET)
            assert void.let_date >= void.start_date


def test_homes_void_today_have_open_voids_and_each_change_is_told_once(council):
    open_voids = VoidPeriod.objects.filter(let_date__isnull=True)
    assert set(open_voids.values_list("property_id", flat=True)) <= set(
        Property.objects.filter(tenure=Property.Tenure.VOID).values_list("pk", flat=True))
    assert OccupancyChange.objects.filter(event="void").count() == VoidPeriod.objects.count()
    assert OccupancyChange.objects.filter(event="let").count() == (
        VoidPeriod.objects.filter(let_date__isnull=False).count())
    assert StageChange.objects.filter(stage=Stage.KEYS_IN).count() == VoidPeriod.objects.count()
