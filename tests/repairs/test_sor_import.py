"""The Schedule of Rates import (repairs.resources): a later start date is a new price that
ends the one before, the same start date corrects that price, an earlier one is refused with
the reason; all or nothing with every bad row named; dry run; reruns change nothing; CSV and
Excel through the imports page, for system administrators only."""

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from housing.imports import KINDS
from housing.models import BackgroundJob
from repairs.models import SorCode
from repairs.resources import SorCodeResource

pytestmark = pytest.mark.django_db

HEADERS = "code,description,trade,unit,unit_price,start_date"
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "sor-sample.csv"


def csv(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text.strip() + "\n", format="csv")


def run(text, *, dry_run=False, **kwargs):
    data = text if isinstance(text, tablib.Dataset) else csv(text)
    return SorCodeResource().import_data(data, dry_run=dry_run, raise_errors=False,
                                         file_name="sor.csv", **kwargs)


def problems(result) -> dict[int, dict[str, list[str]]]:
    assert not result.has_errors(), [e.error for e in result.base_errors] + [
        e.error for _, errors in result.row_errors() for e in errors]
    return {row.number + 1: row.error_dict for row in result.invalid_rows}


def totals(result) -> tuple[int, int, int]:
    return result.totals["new"], result.totals["update"], result.totals["skip"]


def versions(code: str) -> list[tuple]:
    return list(SorCode.objects.filter(code=code).order_by("start_date").values_list(
        "start_date", "end_date", "unit_price_pence", "description"))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- New codes and new prices --------------------------------------------------------------

def test_new_codes_are_imported_in_capitals_with_their_price_in_pence():
    result = run(f"""
{HEADERS}
pl140,Renew kitchen tap,Plumbing,pair,86,2026-04-01
EL240,Renew extractor fan,electrical,each,£1,145.5,01/04/2026
""".replace("£1,145.5", '"£1,145.5"'))
    assert problems(result) == {}
    assert totals(result) == (2, 0, 0)
    assert versions("PL140") == [(date(2026, 4, 1), None, 8600, "Renew kitchen tap")]
    fan = SorCode.objects.get(code="EL240")
    assert (fan.unit_price_pence, fan.trade.code, fan.unit) == (114550, "electrical", "each")
    assert fan.history.get().history_change_reason == "Imported from sor.csv"


def test_a_later_start_date_is_a_new_price_and_ends_the_one_before(administrator):
    assert versions("PL100") == [
        (date(2024, 4, 1), None, 2850, "Renew tap washer or cartridge")]
    result = run(f"""
{HEADERS}
PL100,Renew tap washer or cartridge,plumbing,each,29.90,2026-04-01
""", user=administrator)
    assert problems(result) == {}
    assert totals(result) == (1, 0, 0)
    assert versions("PL100") == [
        (date(2024, 4, 1), date(2026, 3, 31), 2850, "Renew tap washer or cartridge"),
        (date(2026, 4, 1), None, 2990, "Renew tap washer or cartridge"),
    ]
    old = SorCode.objects.get(code="PL100", start_date=date(2024, 4, 1))
    ended = old.history.first()
    assert ended.end_date == date(2026, 3, 31)
    assert ended.history_user == administrator
    assert ended.history_change_reason == "Imported from sor.csv: a new price from 1 April 2026"


def test_several_new_prices_of_a_code_in_one_file_follow_each_other():
    result = run(f"""
{HEADERS}
PL100,Renew tap washer or cartridge,plumbing,each,31.00,2027-04-01
PL100,Renew tap washer or cartridge,plumbing,each,29.90,2026-04-01
""")
    assert problems(result) == {}
    assert [(start, end, pence) for start, end, pence, _ in versions("PL100")] == [
        (date(2024, 4, 1), date(2026, 3, 31), 2850),
        (date(2026, 4, 1), date(2027, 3, 31), 2990),
        (date(2027, 4, 1), None, 3100),
    ]


def test_the_same_start_date_corrects_that_price_and_leaves_its_dates():
    run(f"{HEADERS}\nPL100,Renew tap washer or cartridge,plumbing,each,29.90,2026-04-01")
    result = run(f"""
{HEADERS}
PL100,Renew tap washer or cartridge (any),plumbing,each,28.75,2024-04-01
""")
    assert problems(result) == {}
    assert totals(result) == (0, 1, 0)
    assert [(start, end, pence) for start, end, pence, _ in versions("PL100")] == [
        (date(2024, 4, 1), date(2026, 3, 31), 2875),
        (date(2026, 4, 1), None, 2990),
    ]
    assert versions("PL100")[0][3] == "Renew tap washer or cartridge (any)"


def test_a_code_that_had_already_ended_keeps_its_end():
    SorCode.objects.filter(code="PL100").update(end_date=date(2025, 3, 31))
    result = run(f"{HEADERS}\nPL100,Renew tap washer,plumbing,each,29.90,2026-04-01")
    assert problems(result) == {}
    assert [(start, end) for start, end, _, _ in versions("PL100")] == [
        (date(2024, 4, 1), date(2025, 3, 31)), (date(2026, 4, 1), None)]


def test_a_rerun_changes_nothing():
    text = SAMPLE.read_text(encoding="utf-8")
    first = run(text)
    assert problems(first) == {}
    assert totals(first) == (10, 0, 0)
    before = list(SorCode.objects.order_by("code", "start_date").values_list(
        "code", "start_date", "end_date", "unit_price_pence"))
    history = SorCode.history.count()
    again = run(text)
    assert problems(again) == {}
    assert totals(again) == (0, 0, 10)
    assert list(SorCode.objects.order_by("code", "start_date").values_list(
        "code", "start_date", "end_date", "unit_price_pence")) == before
    assert SorCode.history.count() == history


def test_the_sample_file_has_ten_rows_six_new_prices_and_four_new_codes():
    result = run(SAMPLE.read_text(encoding="utf-8"))
    assert problems(result) == {}
    assert result.total_rows == 10
    assert SorCode.objects.filter(start_date=date(2026, 4, 1)).count() == 10
    assert SorCode.objects.filter(end_date=date(2026, 3, 31)).count() == 6
    assert versions("DM950")[-1][:3] == (date(2026, 4, 1), None, 1260)


def test_a_dry_run_checks_and_writes_nothing():
    count, history = SorCode.objects.count(), SorCode.history.count()
    result = run(SAMPLE.read_text(encoding="utf-8"), dry_run=True)
    assert problems(result) == {}
    assert totals(result) == (10, 0, 0)
    assert (SorCode.objects.count(), SorCode.history.count()) == (count, history)
    assert versions("PL100")[0][1] is None  # not ended either


# --- Refused -----------------------------------------------------------------------------

def test_a_file_with_bad_rows_imports_nothing_and_names_every_one():
    count = SorCode.objects.count()
    result = run(f"""
{HEADERS}
PL140,Renew kitchen tap,plumbing,pair,86.00,2026-04-01
PL150,Renew bath panel,bricklaying,each,40.00,2026-04-01
PL160,Renew bath seal,plumbing,m,4.999,2026-04-01
PL170,Renew shower hose,plumbing,each,-3.00,2026-04-01
PL180,,plumbing,,12.00,2026-04-01
PL190,Renew overflow,plumbing,each,twelve,31/02/2026
PL100,Renew tap washer or cartridge,plumbing,each,27.00,2023-04-01
,Labour,carpentry,hour,35.00,2026-04-01
""")
    assert problems(result) == {
        3: {"trade": ["No trade has the code “bricklaying”. Use the code of a trade set up "
                      "under Trades in the admin (for example plumbing or electrical)."]},
        4: {"unit_price": ["“4.999” is not an amount in pounds: Enter the amount to the penny: "
                           "no more than two decimal places."]},
        5: {"unit_price": ["“-3.00” is below zero: a price cannot be negative."]},
        6: {"description": ["Fill in description: every SOR price needs it."],
            "unit": ["Fill in unit: every SOR price needs it."]},
        7: {"unit_price": ["“twelve” is not an amount in pounds: Enter an amount in pounds "
                           "and pence, like 12.50."],
            "start_date": ["Enter a real date like 2024-03-31 or 31/03/2024, not "
                           "“31/02/2026”."]},
        8: {"start_date": [
            "PL100 already has a price from 1 April 2024 (£28.50), after 1 April 2023. A new "
            "price must start after the latest one; a price cannot be put in before a later "
            "one. To correct a recorded price, give its own start date (1 April 2024)."]},
        9: {"code": ["Fill in code: every SOR price needs it."]},
    }
    assert SorCode.objects.count() == count
    assert not SorCode.objects.filter(code="PL140").exists()


def test_the_same_code_and_start_date_twice_in_a_file_is_refused():
    result = run(f"""
{HEADERS}
PL100,Renew tap washer,plumbing,each,29.90,2026-04-01
PL110,Clear waste,plumbing,each,44.10,2026-04-01
pl100,Renew tap washer,plumbing,each,29.95,01/04/2026
""")
    assert problems(result) == {
        2: {"code": ["PL100 from 1 April 2026 is also on row 4. A code's price from a date "
                     "must appear once in the file: remove or merge the repeated rows."]},
        4: {"code": ["PL100 from 1 April 2026 is also on row 2. A code's price from a date "
                     "must appear once in the file: remove or merge the repeated rows."]},
    }
    assert len(versions("PL100")) == 1 and len(versions("PL110")) == 1


def test_missing_and_unknown_columns_refuse_the_file():
    result = run("code,description,trade,price,start_date\nPL100,Tap,plumbing,29.90,2026-04-01")
    assert result.has_errors()
    message = str(result.base_errors[0].error)
    assert message.startswith("The file has no unit, unit_price columns. Unknown column: price.")
    assert len(versions("PL100")) == 1


def test_an_export_is_a_file_to_import_again():
    exported = SorCodeResource().export(SorCode.objects.filter(code__in=["PL100", "DM950"]))
    assert exported.headers == ["code", "description", "trade", "unit", "unit_price",
                                "start_date"]
    assert [list(row) for row in exported] == [
        ["DM950", "Mould wash and treat affected area", "damp", "m²", "12.00", "2024-04-01"],
        ["PL100", "Renew tap washer or cartridge", "plumbing", "each", "28.50", "2024-04-01"],
    ]
    assert totals(run(exported)) == (0, 0, 2)


# --- Through the imports page ---------------------------------------------------------------

def upload(client, content, *, name="sor.csv", action="import"):
    content = content.encode() if isinstance(content, str) else content
    return client.post("/imports/", {"kind": "sor", "import_file": SimpleUploadedFile(
        name, content), "action": action})


def test_the_imports_page_offers_the_schedule_of_rates_to_administrators(
        client_for, administrator, media):
    assert KINDS["sor"].permissions == ("repairs.add_sorcode", "repairs.change_sorcode")
    page = client_for(administrator).get("/imports/").content.decode()
    assert 'value="sor"' in page and "Schedule of Rates: the columns" in page
    assert "<code>unit_price</code>" in page
    assert "The price of one unit in pounds and pence, not pence: 28.50 is £28.50." in page


@pytest.mark.parametrize("persona", ["repairs_officer", "team_leader", "customer_access",
                                     "contractor", "tenant"])
def test_others_may_not_import_it(client_for, request, persona, media):
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/imports/").status_code == 403
    assert upload(client, SAMPLE.read_bytes()).status_code == 403
    assert not BackgroundJob.objects.exists()


def test_anonymous_visitors_sign_in_first(client):
    assert client.get("/imports/")["Location"].startswith("/accounts/login/")


def test_a_dry_run_then_the_import_on_the_imports_page(client_for, administrator, media,
                                                       django_capture_on_commit_callbacks):
    client = client_for(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, SAMPLE.read_bytes(), action="check")
    checked = BackgroundJob.objects.get()
    assert checked.result_summary == ("Checked 10 rows: 10 new, 0 to update. Nothing was "
                                      "imported (dry run).")
    assert versions("PL100")[0][1] is None
    assert "Import this file now" in client.get(f"/jobs/{checked.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{checked.pk}/import/")
    job = BackgroundJob.objects.exclude(pk=checked.pk).get()
    assert job.result_summary == "Imported 10 rows: 10 new, 0 updated."
    assert versions("PL100")[0][1] == date(2026, 3, 31)


def test_bad_rows_are_listed_on_the_job_page(client_for, administrator, media,
                                             django_capture_on_commit_callbacks):
    client = client_for(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, f"{HEADERS}\nPL100,Tap,plumbing,each,29.90,2026-04-01\n"
                       f"PL100,Tap,plumbing,each,27.00,2023-04-01\n")
    job = BackgroundJob.objects.get()
    assert job.result_summary == "Nothing was imported: 1 row has a problem."
    assert [(e["row"], e["column"]) for e in job.result_data["errors"]] == [(3, "start_date")]
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "PL100 already has a price from 1 April 2024 (£28.50)" in page
    assert len(versions("PL100")) == 1


def test_an_excel_workbook_is_imported(client_for, administrator, media,
                                       django_capture_on_commit_callbacks):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS.split(","))
    sheet.append(["PL100", "Renew tap washer or cartridge", "plumbing", "each", 29.9,
                  date(2026, 4, 1)])
    sheet.append(["GN995", "Labour: skilled operative", "carpentry", "hour", 42,
                  date(2026, 4, 1)])
    sheet.append([None] * 6)
    buffer = io.BytesIO()
    book.save(buffer)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(administrator), buffer.getvalue(), name="sor.xlsx")
    job = BackgroundJob.objects.get()
    assert job.result_summary == "Imported 2 rows: 2 new, 0 updated.", job.result_data
    assert versions("PL100")[-1][:3] == (date(2026, 4, 1), None, 2990)
    assert versions("GN995")[0][2] == 4200


def test_the_example_in_the_guide_imports():
    text = (SAMPLE.parents[1] / "imports.md").read_text(encoding="utf-8")
    section = text[text.index("## The Schedule of Rates"):]
    example = section[section.index("```text\n") + 8:section.index("```", section.index(
        "```text\n") + 8)]
    result = run(example)
    assert problems(result) == {}
    assert totals(result) == (3, 0, 0)


def test_a_correction_and_a_new_price_of_a_code_in_one_file():
    result = run(f"""
{HEADERS}
PL100,Renew tap washer or cartridge,plumbing,each,29.90,2026-04-01
PL100,Renew tap washer or cartridge,plumbing,each,28.60,2024-04-01
""")
    assert problems(result) == {}
    assert totals(result) == (1, 1, 0)
    assert [(start, end, pence) for start, end, pence, _ in versions("PL100")] == [
        (date(2024, 4, 1), date(2026, 3, 31), 2860),
        (date(2026, 4, 1), None, 2990),
    ]
    old = SorCode.objects.get(code="PL100", start_date=date(2024, 4, 1))
    assert [h.history_change_reason for h in old.history.order_by("history_id")] == [
        "Imported from sor.csv: a new price from 1 April 2026", "Imported from sor.csv"]
