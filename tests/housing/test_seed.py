"""The demo council (`housing.seed`, `manage.py seed_demo`): a small council, checked for the
shape of a real one and for everything the database and the validators demand."""

import io
import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F, Q

from housing import seed as seed_module
from housing.models import Block, Estate, Patch, Person, Property, User
from housing.seed import BIG, TODAY, seed_council
from housing.validators import validate_phone, validate_postcode, validate_uprn
from tenancies.models import Tenancy, TenancyEvent, TenancyMember
from tenancies.services import add_months

HOMES = 300
pytestmark = pytest.mark.django_db


@pytest.fixture
def council(db):
    return seed_council(homes=HOMES, seed=2026)


def live(queryset=None):
    return (queryset or Tenancy.objects).filter(end_date__isnull=True)


def test_the_council_has_the_homes_asked_for_and_a_few_non_dwellings(council):
    homes = Property.objects.filter(kind=Property.Kind.DWELLING)
    assert homes.count() == HOMES == council["homes"]
    assert not homes.filter(property_type="").exists()
    kinds = dict(Property.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds[Property.Kind.GARAGE] > 0
    assert kinds[Property.Kind.COMMUNAL] == Block.objects.count() > 0
    non_dwellings = Property.objects.count() - HOMES
    assert non_dwellings == council["non_dwellings"]
    assert 0.01 <= non_dwellings / Property.objects.count() <= 0.05
    types = set(homes.values_list("property_type", flat=True))
    assert {Property.PropertyType.HOUSE, Property.PropertyType.FLAT} <= types


def test_estates_blocks_and_patches(council):
    assert {"north", "south", "central"} <= set(Patch.objects.values_list("code", flat=True))
    assert Estate.objects.count() == council["estates"] >= 2
    assert not Estate.objects.filter(properties__isnull=True).exists()
    for block in Block.objects.all():
        assert 3 <= block.storeys <= 8
        flats = block.properties.filter(kind=Property.Kind.DWELLING)
        assert flats.exists()
        assert not flats.exclude(estate=block.estate_id).exists()
        assert max(flats.values_list("floor_level", flat=True)) < block.storeys
    # A home's patch is its estate's.
    assert not Property.objects.exclude(patch=F("estate__patch")).exists()


def test_about_92_percent_of_homes_are_let_a_few_void_and_some_sold(council):
    homes = Property.objects.filter(kind=Property.Kind.DWELLING)
    tenures = dict(homes.values_list("tenure").annotate(n=Count("id")))
    assert 0.88 <= tenures[Property.Tenure.RENTED] / HOMES <= 0.96
    assert 0 < tenures.get(Property.Tenure.VOID, 0) / HOMES <= 0.06
    sold = tenures.get(Property.Tenure.LEASEHOLD, 0) + tenures.get(Property.Tenure.SOLD, 0)
    assert 0.01 <= sold / HOMES <= 0.10
    flats = [Property.PropertyType.FLAT, Property.PropertyType.MAISONETTE]
    assert not homes.filter(tenure=Property.Tenure.LEASEHOLD).exclude(
        property_type__in=flats).exists()
    assert not homes.filter(tenure=Property.Tenure.SOLD, property_type__in=flats).exists()
    assert not Property.objects.exclude(kind=Property.Kind.DWELLING).exclude(
        tenure=Property.Tenure.VOID).exists()


def test_every_let_home_has_exactly_one_live_tenancy_and_no_other_home_has_one(council):
    rented = set(Property.objects.filter(tenure=Property.Tenure.RENTED)
                 .values_list("id", flat=True))
    live_homes = list(live().values_list("property_id", flat=True))
    assert len(live_homes) == len(set(live_homes)) == council["live_tenancies"]
    assert set(live_homes) == rented
    for tenure in (Property.Tenure.VOID, Property.Tenure.LEASEHOLD, Property.Tenure.SOLD):
        assert not live().filter(property__tenure=tenure).exists()
    assert not Tenancy.objects.exclude(property__kind=Property.Kind.DWELLING).exists()


def test_tenancies_never_overlap_on_a_home(council):
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM tenancies_tenancy a JOIN tenancies_tenancy b
              ON a.property_id = b.property_id AND a.id < b.id
             AND daterange(a.start_date, a.end_date, '[]') && daterange(b.start_date,
                                                                         b.end_date, '[]')""")
        assert cursor.fetchone()[0] == 0


def test_joint_tenancies_households_and_history(council):
    tenants = Tenancy.objects.annotate(
        tenants=Count("members", filter=Q(members__role=TenancyMember.Role.TENANT)))
    assert not tenants.filter(tenants=0).exists()
    assert not tenants.filter(tenants__gt=2).exists()
    joint = tenants.filter(tenants=2).count() / Tenancy.objects.count()
    assert 0.1 <= joint <= 0.3
    household = TenancyMember.objects.filter(role=TenancyMember.Role.HOUSEHOLD)
    assert household.exclude(relationship="").count() == household.count() > 0
    ended = Tenancy.objects.filter(end_date__isnull=False)
    assert ended.count() == council["ended_tenancies"] > 0
    assert not ended.filter(end_reason="").exists()
    assert ended.filter(end_reason=Tenancy.EndReason.RIGHT_TO_BUY).exists()
    # Every member of an ended tenancy left when it ended; no one in a live one has left.
    assert not TenancyMember.objects.filter(tenancy__end_date__isnull=False).exclude(
        end_date=F("tenancy__end_date")).exists()
    assert not TenancyMember.objects.filter(tenancy__end_date__isnull=True,
                                            end_date__isnull=False).exists()
    # An earlier tenancy of a let home ended before today's tenancy began.
    for tenancy in live().filter(property__tenancies__end_date__isnull=False).distinct()[:50]:
        earlier = tenancy.property.tenancies.exclude(pk=tenancy.pk)
        assert max(earlier.values_list("end_date", flat=True)) < tenancy.start_date


def test_tenancy_types_and_dates(council):
    year_ago = add_months(TODAY, -12)
    earliest = date(TODAY.year - 30, TODAY.month, TODAY.day)
    assert not Tenancy.objects.filter(Q(start_date__gt=TODAY) | Q(start_date__lt=earliest)
                                      | Q(end_date__gt=TODAY)).exists()
    for tenancy in live():
        if tenancy.start_date > year_ago:
            assert tenancy.tenancy_type == Tenancy.TenancyType.INTRODUCTORY
            assert tenancy.introductory_end_date == (
                add_months(tenancy.start_date, 12) - timedelta(days=1))
        else:
            assert tenancy.tenancy_type in (Tenancy.TenancyType.SECURE,
                                            Tenancy.TenancyType.FLEXIBLE)
        if tenancy.tenancy_type == Tenancy.TenancyType.FLEXIBLE:
            assert tenancy.fixed_term_end_date >= TODAY
    starts = live().values_list("start_date", flat=True)
    assert min(starts) < date(TODAY.year - 15, 1, 1)  # spread over the years
    references = list(Tenancy.objects.order_by("start_date", "id")
                      .values_list("reference", flat=True))
    assert all(re.fullmatch(r"T\d{7}", reference) for reference in references)
    assert references == sorted(references)  # issued as the tenancies began


def test_every_tenancy_has_its_sign_up_and_every_ended_one_its_end_event(council):
    events = TenancyEvent.objects
    assert events.filter(kind=TenancyEvent.Kind.SIGN_UP).count() == Tenancy.objects.count()
    assert not Tenancy.objects.exclude(events__kind=TenancyEvent.Kind.SIGN_UP).exists()
    ended = Tenancy.objects.filter(end_date__isnull=False)
    assert events.filter(kind=TenancyEvent.Kind.END).count() == ended.count()
    for tenancy in ended[:20]:
        end = tenancy.events.get(kind=TenancyEvent.Kind.END)
        assert end.effective_date == tenancy.end_date
        assert end.details == {"reason": tenancy.end_reason}
    sign_up = events.filter(kind=TenancyEvent.Kind.SIGN_UP).select_related(
        "tenancy__property").first()
    assert sign_up.effective_date == sign_up.tenancy.start_date
    assert str(sign_up.tenancy.property) in sign_up.summary
    assert sign_up.recorded_by is None and sign_up.recorded_at is not None
    assert events.count() == council["events"]


def test_uprns_postcodes_and_phones_are_valid(council):
    uprns = list(Property.objects.values_list("uprn", flat=True))
    assert len(uprns) == len(set(uprns))
    for uprn in uprns:
        validate_uprn(uprn)
        assert len(uprn) == 12
    for postcode in set(Property.objects.values_list("postcode", flat=True)):
        validate_postcode(postcode)
    people = Person.objects.all()
    assert people.count() == council["people"]
    phones = [phone for pair in people.values_list("mobile_phone", "home_phone")
              for phone in pair if phone]
    assert phones
    for phone in phones:
        validate_phone(phone)
    assert people.exclude(email="").filter(email__endswith="@example.com").count() == (
        people.exclude(email="").count())


def test_sample_rows_pass_full_model_validation(council):
    for model in (Property, Person, Tenancy, TenancyMember, TenancyEvent):
        for row in model.objects.order_by("id")[:20]:
            row.full_clean()


def test_the_words_need_no_escaping_in_copy_text_format():
    words = [value for name, value in vars(seed_module).items() if name.isupper()
             and isinstance(value, list) for value in value]
    words = [word if isinstance(word, str) else " ".join(map(str, word)) for word in words]
    assert len(words) > 500
    assert not [word for word in words if re.search(r"[\t\n\r\\]", word)]


def first_rows(seed: int) -> tuple[list, list]:
    """The first 20 addresses and names that `seed` gives, in a savepoint rolled back after."""
    with transaction.atomic():
        seed_council(homes=HOMES, seed=seed)
        addresses = list(Property.objects.order_by("uprn").values_list(
            "address_line_1", "address_line_2", "postcode")[:20])
        names = list(Person.objects.order_by("id").values_list(
            "first_name", "last_name", "date_of_birth")[:20])
        transaction.set_rollback(True)
    return addresses, names


def test_the_same_seed_builds_the_same_council_and_another_seed_another(db):
    first = first_rows(2026)
    assert not Property.objects.exists()
    assert first_rows(2026) == first
    other = first_rows(7)
    assert other[0] != first[0] and other[1] != first[1]


def test_seeding_again_adds_nothing(council):
    before = {model: model.objects.count() for model in (Property, Person, Tenancy, Estate)}
    assert seed_council(homes=HOMES, seed=99)["homes"] == 0
    assert before == {model: model.objects.count() for model in before}


def schema() -> list:
    tables = [model._meta.db_table for model in BIG]
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = ANY(%s::regclass[])
            UNION ALL
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
             WHERE indrelid = ANY(%s::regclass[])
             ORDER BY 1, 2""", [tables, tables])
        return cursor.fetchall()


def test_the_seed_puts_back_every_index_and_constraint(db):
    before = schema()
    assert any("EXCLUDE USING gist" in definition for _, definition in before)
    seed_council(homes=50, seed=1)
    assert schema() == before


def test_seed_demo_loads_users_and_council_once():
    out = io.StringIO()
    call_command("seed_demo", homes=HOMES, seed=2026, stdout=out)
    assert User.objects.filter(email="officer@demo.example").exists()
    assert Property.objects.filter(kind=Property.Kind.DWELLING).count() == HOMES
    assert Property.objects.filter(patch__code="north").exists()
    assert "officer@demo.example" in out.getvalue()
    # The demo tenants are the lead tenants of live tenancies in the demo officer's patch.
    for email in ("tenant@demo.example", "tenant2@demo.example"):
        tenant = User.objects.select_related("person").get(email=email)
        live = Tenancy.objects.filter(members__person=tenant.person, members__role="tenant",
                                      end_date__isnull=True, property__patch__code="north")
        assert live.count() == 1
        assert f"{email} is the tenant {tenant.person.full_name}" in out.getvalue()
    counts = (User.objects.count(), Property.objects.count(), Tenancy.objects.count())
    out = io.StringIO()
    call_command("seed_demo", homes=HOMES, seed=5, stdout=out)
    assert "already loaded" in out.getvalue()
    assert "officer@demo.example" in out.getvalue()
    assert (User.objects.count(), Property.objects.count(), Tenancy.objects.count()) == counts


def test_seed_demo_gives_every_home_a_rent_and_every_tenancy_an_account():
    from rents.models import Charge, RentAccount

    call_command("seed_demo", homes=HOMES, seed=2026, stdout=io.StringIO())
    dwellings = Property.objects.filter(kind=Property.Kind.DWELLING)
    assert Charge.objects.filter(charge_type__code="rent").count() == dwellings.count()
    assert RentAccount.objects.count() == Tenancy.objects.count()
