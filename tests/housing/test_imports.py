"""Imports of estates, blocks, homes, people and tenancies: all or nothing, every bad row named
with what to fix, reruns update by natural key, and the admin's dry run and confirm step."""

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import tablib
from django.urls import reverse

from housing.models import Adaptation, Block, Estate, Person, Property
from housing.resources import (
    BlockResource,
    EstateResource,
    PersonResource,
    PropertyResource,
)
from tenancies.models import Tenancy, TenancyEvent, TenancyMember
from tenancies.resources import TenancyResource
from tests.housing.factories import (
    EstateFactory,
    PatchFactory,
    PersonFactory,
    PropertyFactory,
)

pytestmark = pytest.mark.django_db

HOME_HEADERS = "uprn,kind,property_type,estate,block,address_line_1,town,postcode,bedrooms,tenure"
TENANCY_HEADERS = ("reference,uprn,tenancy_type,start_date,end_date,end_reason,"
                   "tenant_1_first_name,tenant_1_last_name,tenant_1_date_of_birth,"
                   "tenant_2_first_name,tenant_2_last_name,tenant_2_date_of_birth")


def csv(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text.strip() + "\n", format="csv")


def run(resource_class, text: str, *, dry_run=False, **kwargs):
    data = text if isinstance(text, tablib.Dataset) else csv(text)
    return resource_class().import_data(data, dry_run=dry_run, raise_errors=False, **kwargs)


def problems(result) -> dict[int, dict[str, list[str]]]:
    """Spreadsheet row -> column -> messages, for every refused row."""
    assert not result.has_errors(), [e.error for e in result.base_errors] + [
        e.error for _, errors in result.row_errors() for e in errors]
    return {row.number + 1: row.error_dict for row in result.invalid_rows}


def only_problem(result) -> tuple[int, str, str]:
    found = problems(result)
    assert len(found) == 1, found
    (row, columns), = found.items()
    assert len(columns) == 1, columns
    (column, messages), = columns.items()
    return row, column, " ".join(messages)


@pytest.fixture
def north(db):
    return PatchFactory(code="north", name="North")


@pytest.fixture
def riverside(north):
    return EstateFactory(code="riverside", name="Riverside", patch=north)


@pytest.fixture
def mill_house(riverside):
    return Block.objects.create(code="mill-house", name="Mill House", estate=riverside)


# --- Estates and blocks -------------------------------------------------------------------

def test_estates_import_and_a_rerun_updates_them(north):
    south = PatchFactory(code="south", name="South")
    result = run(EstateResource, """
code,name,patch
riverside,Riverside,north
hill-top,Hill Top,NORTH
""")
    assert problems(result) == {}
    assert result.totals["new"] == 2
    assert Estate.objects.get(code="hill-top").patch == north  # codes match in any case

    result = run(EstateResource, """
code,name,patch
riverside,Riverside,north
hill-top,Hill Top Estate,south
""")
    assert problems(result) == {}
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 1, 1)
    assert Estate.objects.count() == 2
    hill_top = Estate.objects.get(code="hill-top")
    assert (hill_top.name, hill_top.patch) == ("Hill Top Estate", south)


def test_an_unknown_patch_is_named(north):
    result = run(EstateResource, """
code,name,patch
riverside,Riverside,north
hill-top,Hill Top,nowhere
""")
    assert only_problem(result) == (
        3, "patch", "No patch has the code “nowhere”. Use the code of a patch set up under "
                    "Patches in the admin.")
    assert not Estate.objects.exists()


def test_blocks_import_with_their_estate(riverside):
    result = run(BlockResource, """
code,name,estate,storeys,has_lift
mill-house,Mill House,riverside,6,yes
weir-court,Weir Court,riverside,,
""")
    assert problems(result) == {}
    mill = Block.objects.get(code="mill-house")
    assert (mill.estate, mill.storeys, mill.has_lift) == (riverside, 6, True)
    assert Block.objects.get(code="weir-court").has_lift is False


def test_a_block_on_an_unknown_estate_is_refused(riverside):
    result = run(BlockResource, """
code,name,estate
mill-house,Mill House,riverbank
""")
    row, column, message = only_problem(result)
    assert (row, column) == (2, "estate")
    assert "No estate has the code “riverbank”" in message


# --- Homes --------------------------------------------------------------------------------

GOOD_HOMES = f"""
{HOME_HEADERS}
100040212345,dwelling,flat,riverside,mill-house,"Flat 1, Mill House",Exeter,ex2 4ab,1,void
100040212346,,House,riverside,,2 Weir Road,Exeter,EX2  4AD,3,
"""


def test_homes_import(mill_house):
    result = run(PropertyResource, GOOD_HOMES)
    assert problems(result) == {}
    assert result.totals["new"] == 2
    flat = Property.objects.get(uprn="100040212345")
    assert (flat.estate, flat.block, flat.patch.code) == (mill_house.estate, mill_house, "north")
    assert flat.postcode == "EX2 4AB"
    house = Property.objects.get(uprn="100040212346")
    assert (house.property_type, house.postcode, house.tenure) == ("house", "EX2 4AD", "void")


def test_a_home_without_an_estate_needs_a_patch(mill_house):
    result = run(PropertyResource, f"""
{HOME_HEADERS},patch
100040212346,,house,,,2 Weir Road,Exeter,EX2 4AD,3,,
""")
    assert only_problem(result)[:2] == (2, "patch")


def test_rerunning_homes_updates_by_uprn_and_never_duplicates(mill_house):
    run(PropertyResource, GOOD_HOMES)
    result = run(PropertyResource, f"""
{HOME_HEADERS}
100040212345,dwelling,flat,riverside,mill-house,"Flat 1, Mill House",Exeter,EX2 4AB,2,void
0100040212346,,house,riverside,,2 Weir Road,Exeter,EX2 4AD,3,
""")
    assert problems(result) == {}
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 1, 1)
    assert Property.objects.count() == 2
    assert Property.objects.get(uprn="100040212345").bedrooms == 2


def test_one_bad_row_imports_nothing_and_names_the_row_and_reason(mill_house):
    result = run(PropertyResource, f"""
{HOME_HEADERS}
100040212345,dwelling,flat,riverside,mill-house,"Flat 1, Mill House",Exeter,EX2 4AB,1,void
100040212346,dwelling,house,riverside,,2 Weir Road,Exeter,EX99 ZZZ,3,void
100040212347,dwelling,house,riverside,,4 Weir Road,Exeter,EX2 4AD,3,void
""")
    assert only_problem(result) == (
        3, "postcode", "“EX99 ZZZ” is not a UK postcode. Enter a full postcode like EX1 1AA.")
    assert not Property.objects.exists()


def test_library_default_would_keep_the_good_rows_but_ours_does_not(mill_house):
    """django-import-export keeps the valid rows of a file with invalid ones unless told
    otherwise; the council's imports are all or nothing whatever the caller passes."""
    from import_export.resources import ModelResource

    class PlainEstates(ModelResource):
        class Meta:
            model = Estate
            fields = ("code", "name", "patch")
            import_id_fields = ("code",)
            clean_model_instances = True

    plain = PlainEstates().import_data(csv(f"""
code,name,patch
hill-top,Hill Top,{mill_house.estate.patch_id}
,,{mill_house.estate.patch_id}
"""), dry_run=False)
    assert plain.has_validation_errors()
    assert Estate.objects.filter(code="hill-top").exists()  # the library kept the good row

    text = f"""
{HOME_HEADERS}
100040212345,dwelling,flat,riverside,,"Flat 1, Mill House",Exeter,EX2 4AB,1,void
12AB,dwelling,house,riverside,,2 Weir Road,Exeter,EX2 4AD,3,void
"""
    result = PropertyResource().import_data(csv(text), dry_run=False,
                                            rollback_on_validation_errors=False)
    assert result.has_validation_errors()
    assert not Property.objects.exists()


def test_a_duplicate_uprn_in_the_file_names_both_rows(mill_house):
    result = run(PropertyResource, f"""
{HOME_HEADERS}
100040212345,dwelling,flat,riverside,,"Flat 1, Mill House",Exeter,EX2 4AB,1,void
100040212346,dwelling,house,riverside,,2 Weir Road,Exeter,EX2 4AD,3,void
100040212345,dwelling,house,riverside,,4 Weir Road,Exeter,EX2 4AD,3,void
""")
    found = problems(result)
    assert set(found) == {2, 4}
    assert found[2] == {"uprn": [
        "UPRN 100040212345 is also on row 4. A UPRN identifies one home: each must appear "
        "once in the file."]}
    assert "also on row 2" in found[4]["uprn"][0]
    assert not Property.objects.exists()


@pytest.mark.parametrize(("cells", "column", "expected"), [
    ("12AB,dwelling,flat", "uprn", "“12AB” is not a UPRN"),
    ("1234567890123,dwelling,flat", "uprn", "up to 12 digits"),
    ("100040212345,dwelling,", "property_type", "A home (kind dwelling) needs a property_type"),
    ("100040212345,castle,flat", "kind", "“castle” is not allowed here. Use one of: dwelling"),
])
def test_bad_homes_are_refused_with_a_reason(mill_house, cells, column, expected):
    result = run(PropertyResource, f"""
{HOME_HEADERS}
{cells},riverside,,1 Weir Road,Exeter,EX2 4AB,1,void
""")
    row, found_column, message = only_problem(result)
    assert (row, found_column) == (2, column)
    assert expected in message


def test_a_block_on_another_estate_is_refused(mill_house):
    EstateFactory(code="hill-top", name="Hill Top", patch=mill_house.estate.patch)
    result = run(PropertyResource, f"""
{HOME_HEADERS}
100040212345,dwelling,flat,hill-top,mill-house,"Flat 1, Mill House",Exeter,EX2 4AB,1,void
""")
    assert only_problem(result) == (
        2, "block", "Block “mill-house” is on estate “riverside”, not “hill-top”. Correct the "
                    "estate or the block.")


def test_adaptations_are_named_and_unknown_ones_refused(mill_house):
    Adaptation.objects.create(name="Ramp")
    Adaptation.objects.create(name="Level-access shower")
    text = f"""
{HOME_HEADERS},adaptations
100040212345,dwelling,flat,riverside,,"Flat 1, Mill House",Exeter,EX2 4AB,1,void,ramp; Level-access shower
"""
    assert problems(run(PropertyResource, text)) == {}
    home = Property.objects.get()
    assert {a.name for a in home.adaptations.all()} == {"Ramp", "Level-access shower"}

    result = run(PropertyResource, text.replace("ramp;", "Stairlift;"))
    assert only_problem(result)[:2] == (2, "adaptations")
    assert "Unknown adaptation: Stairlift" in only_problem(result)[2]


def test_missing_and_unknown_columns_refuse_the_file(mill_house):
    result = run(PropertyResource, """
uprn,adress_line_1,town
100040212345,1 Weir Road,Exeter
""")
    assert result.has_errors()
    message = str(result.base_errors[0].error)
    assert "The file has no address_line_1, postcode columns." in message
    assert "Unknown column: adress_line_1." in message
    assert not Property.objects.exists()


def test_dry_run_writes_nothing(mill_house):
    result = run(PropertyResource, GOOD_HOMES, dry_run=True)
    assert problems(result) == {}
    assert result.totals["new"] == 2
    assert not Property.objects.exists()


def test_an_xlsx_file_imports(mill_house):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["UPRN ", "property_type", "estate", "address_line_1", "town", "postcode",
                  "bedrooms", None])
    sheet.append([100040212345, "flat", "riverside", "Flat 1, Mill House", "Exeter",
                  "EX2 4AB", 2.0, None])
    sheet.append([None] * 8)
    buffer = io.BytesIO()
    book.save(buffer)
    from import_export.formats.base_formats import XLSX

    dataset = XLSX().create_dataset(buffer.getvalue())
    result = run(PropertyResource, dataset)
    assert problems(result) == {}
    home = Property.objects.get()
    assert (home.uprn, home.bedrooms) == ("100040212345", 2)


# --- People -------------------------------------------------------------------------------

PEOPLE = """
first_name,last_name,date_of_birth,title,mobile_phone,ni_number,large_print
Jane,Smith,1980-05-17,Ms,07700 900982,ab 12 34 56 c,yes
John,Smith,02/03/1978,Mr,,,
"""


def test_people_import_and_a_rerun_matches_them_by_name_and_date_of_birth(db):
    result = run(PersonResource, PEOPLE)
    assert problems(result) == {}
    jane = Person.objects.get(first_name="Jane")
    assert (jane.ni_number, jane.large_print, jane.language) == ("AB123456C", True, "English")
    assert Person.objects.get(first_name="John").date_of_birth == date(1978, 3, 2)

    result = run(PersonResource, """
first_name,last_name,date_of_birth,mobile_phone
JANE,smith,17/05/1980,07700 900983
John,Smith,1978-03-02,
""")
    assert problems(result) == {}
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 1, 1)
    jane.refresh_from_db()
    assert (jane.first_name, jane.last_name, jane.mobile_phone) == ("Jane", "Smith",
                                                                   "07700 900983")
    assert Person.objects.count() == 2


def test_people_need_a_date_of_birth_and_valid_details(db):
    result = run(PersonResource, """
first_name,last_name,date_of_birth,mobile_phone,ni_number
Jane,Smith,,,
John,Smith,1978-03-02,12345,
Ann,Jones,1990-01-01,,AB123
""")
    found = problems(result)
    assert list(found[2]) == ["date_of_birth"]
    assert list(found[3]) == ["mobile_phone"]
    assert "UK phone number" in found[3]["mobile_phone"][0]
    assert list(found[4]) == ["ni_number"]
    assert not Person.objects.exists()


def test_two_people_with_the_same_key_cannot_be_told_apart(db):
    for _ in range(2):
        PersonFactory(first_name="Jane", last_name="Smith", date_of_birth=date(1980, 5, 17))
    result = run(PersonResource, """
first_name,last_name,date_of_birth,email
Jane,Smith,1980-05-17,jane@example.com
""")
    row, column, message = only_problem(result)
    assert row == 2
    assert "2 people are already recorded as Jane Smith, born 17/05/1980" in message


# --- Tenancies ----------------------------------------------------------------------------

@pytest.fixture
def homes(mill_house):
    return [PropertyFactory(uprn=str(100040212345 + n), estate=mill_house.estate,
                            tenure="void") for n in range(3)]


@pytest.fixture
def people(db):
    return [
        PersonFactory(first_name="Jane", last_name="Smith", date_of_birth=date(1980, 5, 17)),
        PersonFactory(first_name="John", last_name="Smith", date_of_birth=date(1978, 3, 2)),
        PersonFactory(first_name="Ann", last_name="Jones", date_of_birth=date(1990, 1, 1)),
    ]


JANE = "Jane,Smith,1980-05-17"
JOHN = "John,Smith,1978-03-02"
ANN = "Ann,Jones,1990-01-01"
NOBODY = ",,"


def tenancies(*rows: str) -> str:
    return "\n".join([TENANCY_HEADERS, *rows])


def test_tenancies_import_with_members_events_and_tenure(homes, people):
    result = run(TenancyResource, tenancies(
        f"T0100001,100040212345,secure,1994-04-04,2009-06-30,death,{ANN},{NOBODY}",
        f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}",
        f"T0100003,100040212346,introductory,2024-01-15,,,{ANN},{NOBODY}",
    ), file_name="tenancies.csv")
    assert problems(result) == {}
    assert result.totals["new"] == 3

    old, joint, intro = (Tenancy.objects.get(reference=f"T010000{n}") for n in (1, 2, 3))
    assert (old.end_date, old.end_reason) == (date(2009, 6, 30), "death")
    assert old.members.get().end_date == date(2009, 6, 30)
    assert set(joint.members.values_list("person__first_name", flat=True)) == {"Jane", "John"}
    assert intro.introductory_end_date == date(2025, 1, 14)
    kinds = sorted(old.events.values_list("kind", flat=True))
    assert kinds == ["end", "sign_up"]
    assert all(e.summary.startswith("Imported from tenancies.csv")
               for e in TenancyEvent.objects.all())
    homes[0].refresh_from_db()
    homes[1].refresh_from_db()
    homes[2].refresh_from_db()
    assert (homes[0].tenure, homes[1].tenure, homes[2].tenure) == ("rented", "rented", "void")


def test_a_rerun_does_not_duplicate_tenancies_and_can_end_one(homes, people):
    rows = [f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}"]
    run(TenancyResource, tenancies(*rows))
    result = run(TenancyResource, tenancies(*rows))
    assert problems(result) == {}
    assert result.totals["skip"] == 1
    assert (Tenancy.objects.count(), TenancyMember.objects.count()) == (1, 2)

    result = run(TenancyResource, tenancies(
        f"T0100002,100040212345,secure,2009-08-03,2025-03-31,transfer,{JOHN},{JANE}"))
    assert problems(result) == {}
    assert result.totals["update"] == 1
    tenancy = Tenancy.objects.get()
    assert (tenancy.end_date, tenancy.end_reason) == (date(2025, 3, 31), "transfer")
    assert tenancy.events.filter(kind="end").count() == 1
    assert Property.objects.get(uprn="100040212345").tenure == "void"  # through the service


def test_a_rerun_cannot_change_a_recorded_tenancy(homes, people):
    run(TenancyResource, tenancies(f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}"))
    result = run(TenancyResource, tenancies(
        f"T0100002,100040212345,secure,2009-08-04,,,{JANE},{NOBODY}"))
    found = problems(result)[2]
    assert set(found) == {"start_date", "tenant_1_first_name"}
    assert "Tenancy T0100002 is recorded with start_date 03/08/2009" in found["start_date"][0]
    assert "An import cannot change the tenants" in found["tenant_1_first_name"][0]


def test_an_introductory_tenancy_becoming_secure_goes_through_the_service(homes, people):
    run(TenancyResource, tenancies(f"T0100003,100040212346,introductory,2023-01-15,,,{ANN},"))
    result = run(TenancyResource, tenancies(f"T0100003,100040212346,secure,2023-01-15,,,{ANN},"))
    assert problems(result) == {}
    tenancy = Tenancy.objects.get()
    assert tenancy.tenancy_type == "secure"
    assert tenancy.events.filter(kind="conversion", effective_date=date(2024, 1, 15)).exists()


def test_a_tenancy_overlapping_another_in_the_file_is_refused(homes, people):
    result = run(TenancyResource, tenancies(
        f"T0100001,100040212345,secure,1994-04-04,2009-08-03,notice,{ANN},{NOBODY}",
        f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}",
    ))
    found = problems(result)
    assert set(found) == {2, 3}
    assert found[3]["start_date"][0].startswith(
        "This tenancy (03/08/2009 to now) overlaps tenancy T0100001 on row 2 of this file "
        "(04/04/1994 to 03/08/2009) at the same home.")
    assert not Tenancy.objects.exists()


def test_a_tenancy_overlapping_a_recorded_one_is_refused(homes, people):
    run(TenancyResource, tenancies(f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}"))
    result = run(TenancyResource, tenancies(
        f"T0100009,100040212345,secure,2020-01-01,,,{ANN},{NOBODY}"))
    row, column, message = only_problem(result)
    assert (row, column) == (2, "start_date")
    assert "overlaps tenancy T0100002 already recorded for UPRN 100040212345" in message
    assert Tenancy.objects.count() == 1


def test_a_file_can_end_a_tenancy_and_let_the_home_again_in_any_order(homes, people):
    run(TenancyResource, tenancies(f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}"))
    result = run(TenancyResource, tenancies(
        f"T0100009,100040212345,secure,2020-01-01,,,{ANN},{NOBODY}",
        f"T0100002,100040212345,secure,2009-08-03,2019-12-01,transfer,{JANE},{JOHN}",
    ))
    assert problems(result) == {}
    assert Tenancy.objects.get(reference="T0100002").end_date == date(2019, 12, 1)
    assert Property.objects.get(uprn="100040212345").tenure == "rented"  # let again


def test_the_database_has_the_last_word_on_overlaps(homes, people, monkeypatch):
    """Should the checks ever miss an overlap, the exclusion constraint refuses the batch:
    nothing is imported and the page says why."""
    monkeypatch.setattr(TenancyResource, "check_overlaps", lambda *args: None)
    result = run(TenancyResource, tenancies(
        f"T0100001,100040212345,secure,1994-04-04,2009-08-03,notice,{ANN},{NOBODY}",
        f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}",
    ))
    assert result.has_errors()
    assert str(result.base_errors[0].error).startswith(
        "The database refused the file, so nothing was imported: two tenancies of the same "
        "home overlap.")
    assert not Tenancy.objects.exists()


def test_an_end_before_the_start_is_refused(homes, people):
    result = run(TenancyResource, tenancies(
        f"T0100001,100040212345,secure,2009-08-03,2009-08-01,notice,{JANE},{NOBODY}"))
    assert only_problem(result) == (
        2, "end_date", "The end date (01/08/2009) is before the start date (03/08/2009). "
                       "Correct one of them.")


def test_a_third_joint_tenant_is_refused(homes, people):
    text = tenancies(f"T0100001,100040212345,secure,2009-08-03,,,{JANE},{JOHN}").replace(
        "tenant_2_date_of_birth", "tenant_2_date_of_birth,tenant_3_first_name,"
        "tenant_3_last_name,tenant_3_date_of_birth") + f",{ANN}"
    row, column, message = only_problem(run(TenancyResource, text))
    assert (row, column) == (2, "tenant_3_first_name")
    assert message.startswith("A tenancy can have at most two joint tenants, but this row "
                              "names 3.")


@pytest.mark.parametrize(("row", "column", "expected"), [
    (f"T1,100040212399,secure,2009-08-03,,,{JANE},{NOBODY}", "uprn",
     "No home has UPRN 100040212399."),
    (f"T1,100040212345,secure,2009-08-03,,,Janet,Smith,1980-05-17,{NOBODY}",
     "tenant_1_first_name", "No person Janet Smith, born 17/05/1980 is recorded."),
    (f"T1,100040212345,secure,2009-08-03,,,{NOBODY},{NOBODY}", "tenant_1_first_name",
     "Every tenancy needs its tenant"),
    (f"T1,100040212345,secure,2009-08-03,,,{JANE},{JANE}", "tenant_2_first_name",
     "the same person as the other tenant"),
    (f"T1,100040212345,secure,2009-08-03,2010-01-01,,{JANE},{NOBODY}", "end_reason",
     "An ended tenancy needs an end_reason"),
    (f"T1,100040212345,flexible,2009-08-03,,,{JANE},{NOBODY}", "fixed_term_end_date",
     "A flexible tenancy needs the end date of its fixed term."),
    (f"T1,100040212345,secure,31/02/2009,,,{JANE},{NOBODY}", "start_date",
     "Enter a real date like 2024-03-31 or 31/03/2024, not “31/02/2009”."),
])
def test_bad_tenancies_are_refused_with_a_reason(homes, people, row, column, expected):
    found_row, found_column, message = only_problem(run(TenancyResource, tenancies(row)))
    assert (found_row, found_column) == (2, column)
    assert expected in message
    assert not Tenancy.objects.exists()


def test_a_live_tenancy_of_a_leasehold_home_is_refused(homes, people):
    Property.objects.filter(pk=homes[0].pk).update(tenure="leasehold")
    row, column, message = only_problem(run(TenancyResource, tenancies(
        f"T1,100040212345,secure,2009-08-03,,,{JANE},{NOBODY}")))
    assert (row, column) == (2, "uprn")
    assert "recorded as leasehold" in message


def test_a_duplicate_reference_in_the_file_is_refused(homes, people):
    result = run(TenancyResource, tenancies(
        f"T1,100040212345,secure,2009-08-03,,,{JANE},{NOBODY}",
        f"T1,100040212346,secure,2009-08-03,,,{JOHN},{NOBODY}",
    ))
    assert set(problems(result)) == {2, 3}
    assert "Tenancy T1 is also on row 3." in problems(result)[2]["reference"][0]


def test_imported_references_move_the_generated_sequence_on(homes, people):
    from tenancies.services import next_reference

    run(TenancyResource, tenancies(f"T0500000,100040212345,secure,2009-08-03,,,{JANE},"))
    assert int(next_reference()[1:]) > 500000


def test_the_tenure_of_a_let_home_cannot_be_imported_as_void(homes, people):
    run(TenancyResource, tenancies(f"T1,100040212345,secure,2009-08-03,,,{JANE},{NOBODY}"))
    row, column, message = only_problem(run(PropertyResource, """
uprn,property_type,estate,address_line_1,town,postcode,tenure
100040212345,house,riverside,1 Mill Lane,Exeter,EX2 4AB,void
"""))
    assert (row, column) == (2, "tenure")
    assert "live tenancy (T1)" in message


def test_exports_read_back_as_an_unchanged_import(homes, people):
    run(TenancyResource, tenancies(
        f"T0100001,100040212345,secure,1994-04-04,2009-06-30,death,{ANN},{NOBODY}",
        f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}"))
    for resource_class in (EstateResource, BlockResource, PropertyResource, PersonResource,
                           TenancyResource):
        exported = resource_class().export()
        result = run(resource_class, tablib.Dataset().load(exported.csv, format="csv"))
        assert problems(result) == {}, resource_class
        assert result.totals["new"] == result.totals["update"] == 0, resource_class


# --- Documentation ------------------------------------------------------------------------

def test_docs_describe_every_column():
    text = (Path(__file__).resolve().parents[2] / "docs" / "imports.md").read_text()
    for resource_class in (EstateResource, BlockResource, PropertyResource, PersonResource,
                           TenancyResource):
        for column in resource_class.columns:
            assert re.search(rf"`{column.name}`", text), column.name


# --- Through the admin --------------------------------------------------------------------

def upload(client, model: str, name: str, content: bytes, file_format="0"):
    """Post a file to the admin import page (the dry run). Format "0" is CSV, "1" XLSX and
    "" means "from the file name"."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse(f"admin:{model}_import"), {
        "import_file": SimpleUploadedFile(name, content), "format": str(file_format),
        "resource": "0"})


def confirm(client, model: str, response):
    form = response.context["confirm_form"]
    return client.post(reverse(f"admin:{model}_process_import"), {
        name: form.initial.get(name, "") for name in form.fields})


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def test_the_import_page_documents_the_columns(admin_client):
    response = admin_client.get(reverse("admin:housing_property_import"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The columns of this file" in page
    for column in PropertyResource.columns:
        assert f"<code>{column.name}</code>" in page
    assert "Homes and non-dwellings (garages, communal areas), matched by UPRN." in page


def test_a_good_csv_is_previewed_then_imported_on_confirm(admin_client, mill_house):
    response = upload(admin_client, "housing_property", "homes.csv", GOOD_HOMES.strip().encode())
    assert response.status_code == 200
    assert "2 new, 0 to update, 0 unchanged" in response.content.decode()
    assert not Property.objects.exists()  # the dry run writes nothing

    response = confirm(admin_client, "housing_property", response)
    assert response.status_code == 302
    assert Property.objects.count() == 2
    assert Property.history.filter(history_change_reason="Imported from homes.csv").count() == 2


def test_an_xlsx_is_imported_through_the_admin(admin_client, north):
    book = openpyxl.Workbook()
    book.active.append(["code", "name", "patch"])
    book.active.append(["riverside", "Riverside", "north"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(admin_client, "housing_estate", "estates.xlsx", buffer.getvalue(),
                      file_format="")  # the format comes from the file name
    assert "confirm_form" in response.context, response.content.decode()
    confirm(admin_client, "housing_estate", response)
    assert Estate.objects.get().patch == north


def test_a_file_with_one_bad_row_names_it_and_cannot_be_confirmed(admin_client, mill_house):
    text = f"""{HOME_HEADERS}
100040212345,dwelling,flat,riverside,mill-house,"Flat 1, Mill House",Exeter,EX2 4AB,1,void
100040212346,dwelling,house,riverside,,2 Weir Road,Exeter,EX99 ZZZ,3,void
"""
    response = upload(admin_client, "housing_property", "homes.csv", text.encode())
    page = response.content.decode()
    assert "Nothing was imported: 1 row to correct" in page
    assert re.search(r"<th scope=\"row\">Row 3</th>\s*<td><code>postcode</code></td>\s*"
                     r"<td>“EX99 ZZZ” is not a UK postcode. Enter a full postcode like "
                     r"EX1 1AA.</td>", page)
    assert "confirm_form" not in response.context
    assert not Property.objects.exists()


def test_a_confirmed_import_that_has_become_invalid_is_refused_whole(admin_client, mill_house):
    """Between the dry run and the confirmation someone else recorded one of the homes'
    blocks elsewhere: the confirmed import is refused and nothing is kept."""
    response = upload(admin_client, "housing_property", "homes.csv",
                      GOOD_HOMES.strip().encode())
    Block.objects.filter(pk=mill_house.pk).update(
        estate=EstateFactory(code="hill-top", name="Hill Top", patch=mill_house.estate.patch))
    response = confirm(admin_client, "housing_property", response)
    assert response.status_code == 200
    assert "Nothing was imported: 1 row to correct" in response.content.decode()
    assert not Property.objects.exists()


def test_tenancies_import_through_the_admin_records_who_imported_them(
        admin_client, administrator, homes, people):
    text = tenancies(f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}")
    response = upload(admin_client, "tenancies_tenancy", "tenancies.csv", text.encode())
    assert "1 new, 0 to update, 0 unchanged" in response.content.decode()
    confirm(admin_client, "tenancies_tenancy", response)
    event = TenancyEvent.objects.get()
    assert (event.kind, event.recorded_by) == ("sign_up", administrator)
    assert event.summary.startswith("Imported from tenancies.csv: Jane Smith and John Smith")


def test_an_overlapping_tenancy_is_named_on_the_admin_page(admin_client, homes, people):
    text = tenancies(
        f"T0100001,100040212345,secure,1994-04-04,2009-08-03,notice,{ANN},{NOBODY}",
        f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}")
    page = upload(admin_client, "tenancies_tenancy", "tenancies.csv",
                  text.encode()).content.decode()
    assert "Nothing was imported: 2 rows to correct" in page
    assert "overlaps tenancy T0100001 on row 2 of this file" in page


def test_staff_who_may_only_view_homes_can_export_but_not_import(client_for, officer):
    from django.contrib.auth.models import Permission

    officer.is_staff = True
    officer.save()
    officer.user_permissions.add(Permission.objects.get(codename="view_property"))
    client = client_for(officer)
    page = client.get(reverse("admin:housing_property_changelist"))
    assert page.status_code == 200
    assert reverse("admin:housing_property_export") in page.content.decode()
    assert reverse("admin:housing_property_import") not in page.content.decode()
    assert client.get(reverse("admin:housing_property_import")).status_code == 403


def test_the_admin_lists_use_a_fixed_number_of_queries(admin_client, mill_house, homes,
                                                       django_assert_max_num_queries):
    for name in ("housing_property", "housing_block", "housing_estate", "housing_person",
                 "tenancies_tenancy"):
        admin_client.get(reverse(f"admin:{name}_changelist"))  # warm up the session
        with django_assert_max_num_queries(12):
            assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_the_examples_in_the_guide_import_in_order(db):
    PatchFactory(code="north", name="North")
    PatchFactory(code="south", name="South")
    Adaptation.objects.create(name="Ramp")
    Adaptation.objects.create(name="Level-access shower")
    text = (Path(__file__).resolve().parents[2] / "docs" / "imports.md").read_text()
    examples = re.findall(r"```csv\n(.*?)```", text, flags=re.S)
    resources = [EstateResource, BlockResource, PropertyResource, PersonResource,
                 TenancyResource]
    assert len(examples) == len(resources)
    for resource_class, example in zip(resources, examples, strict=True):
        assert problems(run(resource_class, example)) == {}, resource_class
    assert Tenancy.objects.count() == 3


def test_the_register_admin_pages_open(admin_client, settings, homes, people):
    # The admin's date and related-object widgets include Django's own form templates, which
    # the project's form renderer finds only once "django.forms" is in INSTALLED_APPS; until
    # then these pages are rendered with Django's renderer here.
    from housing.models import Alert

    run(TenancyResource, tenancies(f"T0100002,100040212345,secure,2009-08-03,,,{JANE},{JOHN}"))
    alert = Alert.objects.create(person=people[0], category="cautionary", detail="Dog",
                                 start_date=date(2020, 1, 1))
    pages = [
        ("housing_property", homes[0].pk), ("housing_block", Block.objects.get().pk),
        ("housing_estate", Estate.objects.get().pk), ("housing_person", people[0].pk),
        ("housing_alert", alert.pk), ("tenancies_tenancy", Tenancy.objects.get().pk),
    ]
    for name, pk in pages:
        assert admin_client.get(reverse(f"admin:{name}_change", args=[pk])).status_code == 200
        if name != "housing_alert":  # confidential: never exported
            assert admin_client.get(reverse(f"admin:{name}_export")).status_code == 200
    for name in ("housing_estate", "housing_block", "housing_alert", "housing_equalitydata",
                 "housing_adaptation", "housing_attributedefinition"):
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 200
    # Homes, people and tenancies change through their services, on their own pages.
    for name in ("housing_property", "housing_person", "tenancies_tenancy"):
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 403
    tenancy_page = admin_client.get(reverse("admin:tenancies_tenancy_change",
                                            args=[Tenancy.objects.get().pk])).content.decode()
    assert "Imported from an import file: Jane Smith and John Smith" in tenancy_page


def test_opening_an_alert_in_the_admin_is_logged(admin_client, administrator, settings,
                                                 people):
    from housing.models import Alert, ConfidentialReadLog

    alert = Alert.objects.create(person=people[0], category="cautionary", detail="Dog",
                                 start_date=date(2020, 1, 1))
    admin_client.get(reverse("admin:housing_alert_change", args=[alert.pk]))
    assert ConfidentialReadLog.objects.get().user == administrator


def test_an_export_is_the_import_layout(admin_client, homes):
    response = admin_client.post(reverse("admin:housing_property_export"), {"format": "0"})
    assert response.status_code == 200
    header = response.content.decode().splitlines()[0]
    assert header == ",".join(column.name for column in PropertyResource.columns)


def test_a_file_that_is_not_csv_or_xlsx_is_refused(admin_client):
    response = upload(admin_client, "housing_estate", "estates.txt", b"code,name\n",
                      file_format="")
    assert response.context["form"].errors["import_file"] == ["Upload a .csv or an .xlsx file."]


def test_a_new_home_cannot_be_imported_as_rented(mill_house):
    row, column, message = only_problem(run(PropertyResource, f"""
{HOME_HEADERS}
100040212345,dwelling,flat,riverside,,"Flat 1, Mill House",Exeter,EX2 4AB,1,rented
"""))
    assert (row, column) == (2, "tenure")
    assert message.startswith("A home becomes rented when its tenancy is imported")


def test_a_national_insurance_number_belongs_to_one_person(db):
    PersonFactory(first_name="Ann", last_name="Jones", ni_number="AB123456C")
    result = run(PersonResource, """
first_name,last_name,date_of_birth,ni_number,correspondence_postcode
Jane,Smith,1980-05-17,ab 12 34 56 c,
John,Smith,1978-03-02,CE123456A,
Joan,Smith,1979-03-02,ce123456a,EX1 1AA
""")
    found = problems(result)
    assert found[2] == {"ni_number": ["National Insurance number AB123456C is already recorded "
                                      "for someone else. Check the number."]}
    assert "also on row 4" in found[3]["ni_number"][0]
    assert set(found[4]) == {"ni_number", "correspondence_address"}


def test_an_administrator_records_a_homes_attributes_in_the_admin(admin_client, settings,
                                                                  homes):
    from housing.models import AttributeDefinition

    heating = AttributeDefinition.objects.create(name="Heating", value_type="text")
    epc = AttributeDefinition.objects.create(name="EPC score", value_type="number")
    home = homes[0]
    url = reverse("admin:housing_property_change", args=[home.pk])
    form = {"attributes-TOTAL_FORMS": "2", "attributes-INITIAL_FORMS": "0",
            "attributes-MIN_NUM_FORMS": "0", "attributes-MAX_NUM_FORMS": "1000",
            "attributes-0-definition": str(heating.pk), "attributes-0-value_text": "Gas",
            "attributes-1-definition": str(epc.pk), "attributes-1-value_text": "C"}
    response = admin_client.post(url, form)
    assert response.status_code == 200  # the EPC score is a number: refused
    assert "EPC score takes its value in value number" in response.content.decode()
    form.update({"attributes-1-value_text": "", "attributes-1-value_number": "71"})
    assert admin_client.post(url, form).status_code == 302
    assert {str(a) for a in home.attributes.all()} == {"Heating: Gas", "EPC score: 71.0000"}
    assert home.history.count() == 1  # the home itself was not saved again
