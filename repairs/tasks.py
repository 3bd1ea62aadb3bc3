from celery import shared_task
from django.utils import timezone

from repairs import awaab


@shared_task
def escalate_overdue_hazard_cases() -> int:
    """Beat runs this each morning: open Awaab's Law cases with a clock overdue go on the
    Team Leaders' escalated list. A case already escalated is left alone, so a rerun adds
    nothing."""
    at = timezone.now()
    return len(awaab.escalate_overdue(today=timezone.localdate(at), at=at))
