from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from housing.jobs import start_job
from rents.services import rent_week_for


@shared_task
def scheduled_rent_run() -> int | None:
    """Beat starts this week's rent run early each Monday. A week already run posts nothing
    more, so a duplicate start is harmless."""
    try:
        week = rent_week_for(on=timezone.localdate())
    except ValidationError:
        return None  # the rent year is not set up; the Rents page says so
    return start_job(kind="rent_run", parameters={"rent_week_id": week.pk}, by=None,
                     at=timezone.now()).pk
