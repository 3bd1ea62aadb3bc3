"""The Rents module's landing page and the weekly rent run."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from housing.access import require_perm
from housing.jobs import start_job
from housing.models import BackgroundJob
from rents.models import RentWeek
from rents.services import rent_week_for


class RentWeekChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        free = " (rent-free)" if obj.rent_free else ""
        return f"Week {obj.number} of {obj.rent_year}, from Monday {obj.start_date:%-d %B %Y}{free}"


class RentRunForm(forms.Form):
    week = RentWeekChoiceField(queryset=RentWeek.objects.none(), label="Rent week",
                               help_text="Running a week again posts only what is missing.")

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        # The weeks around today: the last eight and the next two.
        self.fields["week"].queryset = RentWeek.objects.select_related("rent_year").filter(
            start_date__gte=today - timezone.timedelta(weeks=8),
            start_date__lte=today + timezone.timedelta(weeks=2)).order_by("-start_date")


def index(request):
    require_perm(request.user, "housing.use_rents")
    today = timezone.localdate()
    try:
        this_week = rent_week_for(on=today)
    except ValidationError:
        this_week = None
    runs = (BackgroundJob.objects.filter(kind="rent_run").select_related("started_by")[:10]
            if request.user.has_perm("rents.run_rent") else [])
    return render(request, "rents/index.html", {"this_week": this_week, "runs": runs})


@require_http_methods(["GET", "POST"])
def rent_run_start(request):
    require_perm(request.user, "rents.run_rent")
    today = timezone.localdate()
    initial = {}
    try:
        initial["week"] = rent_week_for(on=today).pk
    except ValidationError:
        pass
    form = RentRunForm(request.POST or None, today=today, initial=initial)
    if request.method == "POST" and form.is_valid():
        job = start_job(kind="rent_run", parameters={"rent_week_id": form.cleaned_data["week"].pk},
                        by=request.user, at=timezone.now())
        return redirect("job-detail", pk=job.pk)
    return render(request, "rents/run_form.html", {"form": form})
