"""Starting the arrears run on demand ("Run arrears now"). It also runs after every rent run
(rents.jobs); the job page shows its progress and counts (rents.arrears)."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from housing.access import require_perm
from housing.models import BackgroundJob
from rents.arrears import JOB_KIND, policy_in_force, start_arrears_run
from rents.statement_views import DatePartsForm

PERM = "rents.work_arrears"
# A run dated ahead would count letters as older than they are; a run dated far back is a
# mistake (recommendations are for today's work).
EARLIEST_DAYS_BACK = 366


class ArrearsRunForm(DatePartsForm):
    dates = [("as_of", "Work out the recommendations as at", "the date of the run")]

    def __init__(self, *args, today, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        as_of = cleaned.get("as_of")
        if as_of is None:
            return cleaned
        try:
            if as_of > self.today:
                raise ValidationError("The date of the run must be today or in the past.")
            if as_of < self.today - timedelta(days=EARLIEST_DAYS_BACK):
                raise ValidationError("The date of the run must be within the last year.")
            if policy_in_force(as_of) is None:
                raise ValidationError(
                    "No arrears policy is in force on that date. An administrator adds one in "
                    "the admin (Arrears policies).")
        except ValidationError as error:
            self.add_date_errors(ValidationError({"as_of": error.messages}))
        return cleaned


@require_http_methods(["GET", "POST"])
def run_start(request):
    require_perm(request.user, PERM)
    today = timezone.localdate()
    form = ArrearsRunForm(request.POST if request.method == "POST" else None, today=today,
                          initial={"as_of": today})
    if request.method == "POST" and form.is_valid():
        job = start_arrears_run(as_of=form.cleaned_data["as_of"], by=request.user,
                                at=timezone.now())
        return redirect("job-detail", pk=job.pk)
    recent = (BackgroundJob.objects.filter(kind=JOB_KIND).select_related("started_by")
              .order_by("-created_at", "-id")[:5])
    return render(request, "rents/arrears/run_form.html", {
        "form": form, "date_groups": form.date_groups(), "policy": policy_in_force(today),
        "recent": recent})
