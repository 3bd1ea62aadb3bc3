"""The import pages: upload a file to check (a dry run) or import, as a background job whose
page shows the progress and then the result (housing.imports).

Who may import which file: housing.imports.may_import. Tenants and contractors never reach
these pages (housing.middleware); staff who may import nothing get 403.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from housing.imports import (
    EXTENSIONS,
    KINDS,
    MAX_UPLOAD_BYTES,
    extension_of,
    kinds_for,
    may_import,
    start_import,
    store_upload,
)
from housing.models import BackgroundJob

DRY_RUN = "check"
IMPORT = "import"


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What does the file hold?", widget=forms.RadioSelect,
        error_messages={"required": "Select what the file holds",
                        "invalid_choice": "Select what the file holds"})
    import_file = forms.FileField(
        label="Upload the file",
        help_text="A CSV file (UTF-8) or an Excel workbook (.xlsx, first sheet), up to 20 MB. "
                  "The first row holds the headings.",
        error_messages={"required": "Choose the file to import",
                        "empty": "The file you chose is empty"},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.code, kind.label) for kind in kinds]

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if extension_of(upload.name) not in EXTENSIONS:
            raise forms.ValidationError(
                "The file must be a CSV file (.csv) or an Excel workbook (.xlsx)")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "The file must be smaller than 20 MB: split it into several files")
        # The name says what the file should be; its first bytes say what it is.
        upload.seek(0)
        start = upload.read(8192)
        upload.seek(0)
        if extension_of(upload.name) == "xlsx" and not start.startswith(b"PK\x03\x04"):
            raise forms.ValidationError(
                "The file is not an Excel workbook (.xlsx). Save it from Excel as an “Excel "
                "Workbook” or as “CSV UTF-8”")
        if extension_of(upload.name) == "csv" and b"\x00" in start:
            raise forms.ValidationError(
                "The file is not a CSV file. Save it from Excel as “CSV UTF-8 (Comma "
                "delimited)”")
        return upload


@require_http_methods(["GET", "POST"])
def import_start(request):
    kinds = kinds_for(request.user)
    if not kinds:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        at = timezone.now()
        upload = form.cleaned_data["import_file"]
        job = start_import(
            kind=KINDS[form.cleaned_data["kind"]], path=store_upload(upload=upload, at=at),
            file_name=upload.name, dry_run=request.POST.get("action") != IMPORT,
            by=request.user, at=at)
        return redirect("job-detail", pk=job.pk)
    return render(request, "housing/imports/import_form.html", {
        "form": form, "kinds": kinds, "dry_run": DRY_RUN, "import": IMPORT,
    })


def _get_import_job(request, pk: int) -> BackgroundJob:
    """An import job the user may see: their own, or any with housing.view_all_jobs (as on
    the job pages)."""
    jobs = BackgroundJob.objects.filter(kind="import")
    if not request.user.has_perm("housing.view_all_jobs"):
        jobs = jobs.filter(started_by=request.user)
    try:
        return jobs.get(pk=pk)
    except BackgroundJob.DoesNotExist:
        raise Http404 from None


@require_POST
def import_checked(request, pk: int):
    """"Import this file now", after a dry run found nothing wrong: import the same file."""
    checked = _get_import_job(request, pk)
    kind = KINDS[checked.parameters["kind"]]
    if not may_import(request.user, kind):
        raise PermissionDenied
    data = checked.result_data or {}
    if (checked.status != BackgroundJob.Status.SUCCEEDED or not data.get("dry_run")
            or data.get("bad_rows")):
        messages.error(request, "Only a file that has been checked and found right can be "
                                "imported from here. Upload it again.")
        return redirect("job-detail", pk=checked.pk)
    if not default_storage.exists(checked.parameters["path"]):
        messages.error(request, "That file is no longer held: it has been imported already, "
                                "or was removed. Upload it again to import it.")
        return redirect("imports:start")
    job = start_import(kind=kind, path=checked.parameters["path"],
                       file_name=checked.parameters["file_name"], dry_run=False,
                       by=request.user, at=timezone.now(), checked_in_job=checked.pk)
    return redirect("job-detail", pk=job.pk)
