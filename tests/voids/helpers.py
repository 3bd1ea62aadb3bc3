"""Bring a void to where a sign-up may let it, writing the rows directly (not through the
services): inspected, both safety checks passed, ready to let and an offer accepted. For tests
elsewhere (tenancies) whose point is not the void."""

from datetime import UTC, datetime

from tests.housing.factories import UserFactory
from voids.models import Offer, SafetyCheck, Stage, VoidPeriod

AT = datetime(2026, 12, 9, 10, 15, tzinfo=UTC)


def make_lettable(home, *, applicant: str = "Grace Okafor") -> VoidPeriod:
    void = VoidPeriod.objects.get(property=home, let_date__isnull=True)
    by = UserFactory()
    on = void.keys_in_date or void.start_date
    for kind in (SafetyCheck.Kind.GAS, SafetyCheck.Kind.ELECTRICAL):
        SafetyCheck.objects.create(void=void, kind=kind, done_on=on, by=by,
                                   certificate_reference=f"{kind.upper()}-1", at=AT)
    void.inspected_on, void.void_type, void.ready_on = on, "standard", on
    void.stage = Stage.OFFERED
    void.save()
    Offer.objects.create(void=void, applicant_name=applicant, offered_on=on,
                         outcome=Offer.Outcome.ACCEPTED, outcome_on=on, recorded_by=by,
                         recorded_at=AT)
    return void
