"""The import pages: uploading a file starts a background job that checks it (dry run) or
imports it; the job page shows the counts or every bad row; only administrators whose role may
add and change that kind of record may import it."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from housing.imports import ImportFileProblem, RowCounter
from housing.jobs import execute_job
from housing.models import BackgroundJob, Block, Estate, Property
from tests.housing.factories import EstateFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADERS = "uprn,kind,property_type,estate,block,address_line_1,town,postcode,bedrooms,tenure"
GOOD_HOMES = f"""{HEADERS}
100040212345,dwelling,flat,riverside,mill-house,"Flat 1, Mill House",Exeter,EX2 4AB,1,void
100040212346,,house,riverside,,2 Weir Road,Exeter,EX2 4AD,3,
"""
ONE_BAD_ROW = f"""{HEADERS}
100040212345,dwelling,flat,riverside,mill-house,"Flat 1, Mill House",Exeter,EX2 4AB,1,void
100040212346,dwelling,house,riverside,,2 Weir Road,Exeter,EX99 ZZZ,3,void
100040212347,dwelling,house,riverside,,4 Weir Road,Exeter,EX2 4AD,3,void
"""
BAD_POSTCODE = "“EX99 ZZZ” is not a UK postcode. Enter a full postcode like EX1 1AA."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def mill_house(north):
    estate = EstateFactory(code="riverside", name="Riverside", patch=north)
    return Block.objects.create(code="mill-house", name="Mill House", estate=estate)


@pytest.fixture
def admin_client(client_for, administrator):
    return client_for(administrator)


def upload(client, content, *, name="homes.csv", kind="homes", action="import"):
    content = content.encode() if isinstance(content, str) else content
    return client.post("/imports/", {
        "kind": kind, "import_file": SimpleUploadedFile(name, content), "action": action})


def run_upload(client, capture, content, **kwargs):
    """Upload and let the (eager) job run once the request's transaction commits."""
    with capture(execute=True):
        response = upload(client, content, **kwargs)
    return response


def only_job() -> BackgroundJob:
    job = BackgroundJob.objects.get()
    return job


# --- The page ---------------------------------------------------------------------------------

def test_the_page_offers_each_file_and_documents_its_columns(admin_client):
    response = admin_client.get("/imports/")
    assert response.status_code == 200
    page = response.content.decode()
    for label in ("Estates", "Blocks", "Homes", "People", "Tenancies"):
        assert f"{label}: the columns" in page
    for column in ("uprn", "address_line_1", "tenant_2_date_of_birth", "ni_number"):
        assert f"<code>{column}</code>" in page
    assert 'enctype="multipart/form-data"' in page
    assert "Check the file (dry run)" in page and "Import the file" in page


def test_only_the_files_the_role_may_add_and_change_are_offered(client_for):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="housing", codename__in=["add_estate", "change_estate",
                                                         "add_block"]))  # not change_block
    client = client_for(user)
    page = client.get("/imports/").content.decode()
    assert 'value="estates"' in page
    for kind in ("blocks", "homes", "people", "tenancies"):
        assert f'value="{kind}"' not in page
    response = upload(client, "code,name,estate\nmill,Mill,riverside\n", kind="blocks")
    assert response.status_code == 200
    assert "Select what the file holds" in response.content.decode()
    assert not BackgroundJob.objects.exists()


@pytest.mark.parametrize("persona", ["council_tax", "officer", "team_leader", "no_access",
                                     "tenant", "contractor"])
def test_others_may_not_import(request, client_for, persona):
    """Housing officers may add and change people one at a time, but loading files is for
    administrators (users of the admin) only."""
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/imports/").status_code == 403
    assert upload(client, GOOD_HOMES).status_code == 403
    assert not BackgroundJob.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client_for):
    response = client_for(None).get("/imports/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Importing --------------------------------------------------------------------------------

def test_a_good_csv_is_imported(admin_client, administrator, mill_house,
                                django_capture_on_commit_callbacks):
    response = run_upload(admin_client, django_capture_on_commit_callbacks, GOOD_HOMES)
    job = only_job()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert (job.kind, job.status, job.started_by) == ("import", "succeeded", administrator)
    assert job.result_summary == "Imported 2 rows: 2 new, 0 updated."
    assert job.result_data["totals"] == {"new": 2, "update": 0, "skip": 0}
    assert job.result_data["errors"] == []
    assert (job.progress_done, job.progress_total) == (2, 2)
    assert Property.objects.count() == 2
    assert Property.history.filter(history_change_reason="Imported from homes.csv",
                                   history_user=administrator).count() == 2
    assert not default_storage.exists(job.parameters["path"])  # personal data not kept

    page = admin_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Import complete" in page
    assert "Imported 2 rows: 2 new, 0 updated." in page
    assert "homes.csv (homes)" in page
    assert "Import this file now" not in page


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(
        admin_client, mill_house, django_capture_on_commit_callbacks):
    run_upload(admin_client, django_capture_on_commit_callbacks, ONE_BAD_ROW)
    job = only_job()
    assert job.status == "succeeded"  # the job did its work: it found a problem
    assert job.result_summary == "Nothing was imported: 1 row has a problem."
    assert job.result_data["errors"] == [
        {"row": 3, "column": "postcode", "message": BAD_POSTCODE}]
    assert job.result_data["bad_rows"] == 1
    assert not Property.objects.exists()

    page = admin_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Nothing was imported: 1 row has a problem." in page
    assert ">3</th>" in page and "<code>postcode</code>" in page
    assert "is not a UK postcode. Enter a full postcode like EX1 1AA." in page
    assert "Import this file now" not in page


def test_a_dry_run_writes_nothing_then_the_checked_file_is_imported(
        admin_client, mill_house, django_capture_on_commit_callbacks):
    run_upload(admin_client, django_capture_on_commit_callbacks, GOOD_HOMES, action="check")
    checked = only_job()
    assert checked.result_summary == (
        "Checked 2 rows: 2 new, 0 to update. Nothing was imported (dry run).")
    assert checked.result_data["dry_run"] is True
    assert not Property.objects.exists()
    page = admin_client.get(f"/jobs/{checked.pk}/").content.decode()
    assert "Every row is right" in page
    assert "Import this file now" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/imports/{checked.pk}/import/")
    job = BackgroundJob.objects.exclude(pk=checked.pk).get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.parameters["checked_in_job"] == checked.pk
    assert job.result_summary == "Imported 2 rows: 2 new, 0 updated."
    assert Property.objects.count() == 2

    # The file went with the import; pressing the button again imports nothing twice.
    response = admin_client.post(f"/imports/{checked.pk}/import/", follow=True)
    assert response.redirect_chain[-1][0] == "/imports/"
    assert "That file is no longer held" in response.content.decode()
    assert BackgroundJob.objects.count() == 2


def test_a_file_with_problems_cannot_be_imported_from_its_check(
        admin_client, mill_house, django_capture_on_commit_callbacks):
    run_upload(admin_client, django_capture_on_commit_callbacks, ONE_BAD_ROW, action="check")
    checked = only_job()
    response = admin_client.post(f"/imports/{checked.pk}/import/")
    assert response["Location"] == f"/jobs/{checked.pk}/"
    assert BackgroundJob.objects.count() == 1


def test_only_the_starter_is_offered_the_import_and_others_may_not_use_it(
        admin_client, client_for, mill_house, team_leader, officer,
        django_capture_on_commit_callbacks):
    run_upload(admin_client, django_capture_on_commit_callbacks, GOOD_HOMES, action="check")
    checked = only_job()
    page = client_for(team_leader).get(f"/jobs/{checked.pk}/").content.decode()  # all jobs
    assert "Every row is right" in page and "Import this file now" not in page
    assert client_for(team_leader).post(f"/imports/{checked.pk}/import/").status_code == 403
    assert client_for(officer).post(f"/imports/{checked.pk}/import/").status_code == 404
    assert client_for(officer).get(f"/imports/{checked.pk}/import/").status_code == 405
    assert not Property.objects.exists()


def test_an_xlsx_workbook_is_imported(admin_client, north, django_capture_on_commit_callbacks):
    book = openpyxl.Workbook()
    book.active.append(["code", "name", "patch"])
    book.active.append(["riverside", "Riverside", "north"])
    book.active.append([None, None, None])  # spreadsheets often end in empty rows
    buffer = io.BytesIO()
    book.save(buffer)
    run_upload(admin_client, django_capture_on_commit_callbacks, buffer.getvalue(),
               name="estates.xlsx", kind="estates")
    assert only_job().result_summary == "Imported 1 row: 1 new, 0 updated."
    assert Estate.objects.get().patch == north


def test_a_rerun_updates_and_never_duplicates(admin_client, mill_house,
                                              django_capture_on_commit_callbacks):
    run_upload(admin_client, django_capture_on_commit_callbacks, GOOD_HOMES)
    run_upload(admin_client, django_capture_on_commit_callbacks,
               GOOD_HOMES.replace("Exeter,EX2 4AB,1", "Exeter,EX2 4AB,2"))
    job = BackgroundJob.objects.first()  # the newest
    assert job.result_summary == "Imported 2 rows: 0 new, 1 updated, 1 unchanged."
    assert Property.objects.count() == 2
    assert Property.objects.get(uprn="100040212345").bedrooms == 2


def test_a_job_redelivered_after_its_import_keeps_its_result(
        admin_client, mill_house, django_capture_on_commit_callbacks):
    """The worker was lost after the import had ended but before the job was marked
    finished: the message comes again, and the saved result stands."""
    run_upload(admin_client, django_capture_on_commit_callbacks, GOOD_HOMES)
    job = only_job()
    BackgroundJob.objects.filter(pk=job.pk).update(status="running", finished_at=None)
    execute_job(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert job.result_summary == "Imported 2 rows: 2 new, 0 updated."
    assert Property.objects.count() == 2


# --- Files that cannot be imported ------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "message"), [
    ("homes.pdf", b"%PDF-1.7", "The file must be a CSV file (.csv) or an Excel workbook"),
    ("homes", b"uprn\n1\n", "The file must be a CSV file (.csv) or an Excel workbook"),
    ("homes.xlsx", b"uprn,town\n1,Exeter\n", "The file is not an Excel workbook (.xlsx)"),
    ("homes.csv", b"\xd0\xcf\x11\xe0\x00\x00\x00", "The file is not a CSV file"),
    ("homes.csv", b"", "The file you chose is empty"),
])
def test_a_file_of_another_type_is_refused_and_nothing_started(admin_client, name, content,
                                                                message):
    response = upload(admin_client, content, name=name)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert 'href="#id_import_file"' in page
    assert not BackgroundJob.objects.exists()


def test_a_file_over_20_mb_is_refused(admin_client, monkeypatch):
    monkeypatch.setattr("housing.import_views.MAX_UPLOAD_BYTES", 10)
    response = upload(admin_client, GOOD_HOMES)
    assert "The file must be smaller than 20 MB" in response.content.decode()
    assert not BackgroundJob.objects.exists()


def test_nothing_chosen_is_explained(admin_client):
    response = admin_client.post("/imports/", {"action": "check"})
    page = response.content.decode()
    assert "Select what the file holds" in page
    assert "Choose the file to import" in page


@pytest.mark.parametrize(("content", "error"), [
    ("uprn,adress_line_1,town\n100040212345,1 Weir Road,Exeter\n",
     "The file has no address_line_1, postcode columns. Unknown column: adress_line_1. The "
     "columns of this file are: uprn, kind, property_type, estate, block, address_line_1, "
     "address_line_2, town, postcode, bedrooms, floor_level, build_year, tenure, patch, "
     "adaptations (listed on the import page)."),
    (f"{HEADERS}\n".encode() + "100040212345,,house,riverside,,1 Weir Road,Exeter,"
     "EX2 4AB,3,void\n100040212346,,house,riverside,,Caf\xe9 Row,Exeter,EX2 4AB,3,void\n"
     .encode("cp1252"),
     "The file is not UTF-8 text (the first character that is not is on line 3)."),
    (f"{HEADERS}\n100040212345,,house,riverside,,1 Weir Road,Exeter,EX2 4AB,3,void,extra\n",
     "Row 2 has more cells (11) than there are headings (10)."),
    (f"{HEADERS}\n", "The file has headings but no rows to import."),
])
def test_a_file_that_cannot_be_read_fails_the_job_with_the_reason(
        admin_client, mill_house, django_capture_on_commit_callbacks, content, error):
    with pytest.raises(ImportFileProblem):  # eager Celery: the task's error reaches the test
        run_upload(admin_client, django_capture_on_commit_callbacks, content)
    job = only_job()
    assert job.status == "failed"
    assert error in job.error
    assert not Property.objects.exists()
    page = admin_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Nothing was imported" in page
    assert error.replace("“", "&ldquo;") in page or error in page
    assert "Upload a corrected file" in page


# --- Progress -------------------------------------------------------------------------------

def test_row_progress_is_seen_while_the_import_is_still_in_its_transaction():
    """The import holds one transaction until its end; the count of rows checked is written
    on a connection of its own, so the job page sees it move. (The job row is committed on
    another connection here: the test's own transaction would hide it.)"""
    from types import SimpleNamespace

    from django.db import DEFAULT_DB_ALIAS, connections

    other = connections.create_connection(DEFAULT_DB_ALIAS)
    with other.cursor() as cursor:
        cursor.execute(
            "INSERT INTO housing_backgroundjob (kind, parameters, status, progress_done, "
            "progress_total, created_at, attempts, result_summary, result_data, result_file, "
            "error) VALUES ('import', '{}', 'running', 0, 10, now(), 1, '', '{}', '', '') "
            "RETURNING id")
        (job_id,) = cursor.fetchone()
    counter = RowCounter(SimpleNamespace(pk=job_id), every=0)
    try:
        for _ in range(4):
            counter.tick()
        with other.cursor() as cursor:
            cursor.execute("SELECT progress_done FROM housing_backgroundjob WHERE id = %s",
                           [job_id])
            assert cursor.fetchone() == (4,)
        for _ in range(20):
            counter.tick()  # never past the total
        assert BackgroundJob.objects.get(pk=job_id).progress_done == 10
    finally:
        counter.close()
        with other.cursor() as cursor:
            cursor.execute("DELETE FROM housing_backgroundjob WHERE id = %s", [job_id])
        other.close()


def test_the_home_page_links_to_imports_only_for_those_who_may_import(client_for, administrator,
                                                                      officer):
    assert 'href="/imports/"' in client_for(administrator).get("/").content.decode()
    assert 'href="/imports/"' not in client_for(officer).get("/").content.decode()
