"""The void process screens: who may open and use each URL (a Lettings and Voids Officer does
everything, a Repairs Officer sees voids and inspects them but does not manage them, Council
Tax is sent from the worklist to its own page and refused the rest, a Housing Officer, a
tenant and a contractor are refused, an anonymous visitor is sent to sign in, a void off the
user's patches is not found); the worklist's filters and fixed query count; the void page's
figures; and each form's error summary, keeping what was typed."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from repairs.models import WorkOrder
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory, UserFactory
from tests.voids.conftest import AT, TODAY, end, let_home
from voids import services, works
from voids.models import ChecklistItem, Inspection, Offer, SafetyCheck, Stage, VoidPeriod

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 10:15:00"):  # Wednesday 9 December 2026, as AT
        yield


def urls(void) -> dict[str, str]:
    return {
        "index": reverse("voids:index"),
        "record": reverse("voids:record"),
        "detail": reverse("voids:detail", args=[void.pk]),
        "inspect": reverse("voids:inspect", args=[void.pk]),
        "safety_check": reverse("voids:safety_check", args=[void.pk]),
        "ready": reverse("voids:ready", args=[void.pk]),
        "for_home": reverse("voids:for-home", args=[void.property_id]),
    }


READ = {"index", "detail", "for_home"}
INSPECT = {"inspect"}
MANAGE = {"record", "safety_check", "ready"}
OK = {"for_home": 302}


@pytest.mark.parametrize(("persona", "allowed"), [
    ("lettings_officer", READ | INSPECT | MANAGE),
    ("team_leader", READ | INSPECT | MANAGE),
    ("repairs_officer", READ | INSPECT),
    ("council_tax", set()),
    ("officer", set()),
    ("income_officer", set()),
    ("no_access", set()),
    ("tenant", set()),
    ("contractor", set()),
])
def test_who_may_open_each_page(client_for, request, void, persona, allowed):
    client = client_for(request.getfixturevalue(persona))
    for name, url in urls(void).items():
        response = client.get(url)
        if name in allowed:
            assert response.status_code == OK.get(name, 200), (name, response.status_code)
        elif persona == "council_tax" and name == "index":
            assert response.status_code == 302
            assert response.url == reverse("voids:council_tax")
        else:
            assert response.status_code == 403, (name, response.status_code)


def test_an_anonymous_visitor_is_sent_to_sign_in(client_for, void):
    client = client_for(None)
    for name, url in urls(void).items():
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), name
    response = client.post(urls(void)["ready"], {"ready_on": "2026-12-09"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    void.refresh_from_db()
    assert void.stage == Stage.KEYS_IN


@pytest.fixture
def south_voids_officer(south):
    """Someone who works voids on the South patch only, with no repairs permissions."""
    group = Group.objects.create(name="South voids")
    group.permissions.add(*Permission.objects.filter(
        content_type__app_label="voids",
        codename__in=["view_voidperiod", "manage_void", "inspect_void"]))
    return UserFactory(role="South voids", patches=[south])


def test_a_void_off_the_users_patches_is_not_found(client_for, void, south_voids_officer):
    client = client_for(south_voids_officer)
    for name, url in urls(void).items():
        expected = {"index": 200, "record": 200}.get(name, 404)
        assert client.get(url).status_code == expected, name
    assert client.post(urls(void)["ready"], {"ready_on": "2026-12-09"}).status_code == 404
    page = client.get(urls(void)["index"]).content.decode()
    assert void.reference not in page and "0 open voids" in page


def test_the_forbidden_cannot_post(client_for, void, repairs_officer, council_tax, officer,
                                   tenant, contractor):
    data = {"kind": "gas", "outcome": "satisfactory", "done_on": "2026-12-09",
            "certificate_reference": "CP12"}
    for user in (repairs_officer, council_tax, officer, tenant, contractor):
        client = client_for(user)
        assert client.post(urls(void)["safety_check"], data).status_code == 403
        assert client.post(urls(void)["ready"], {"ready_on": "2026-12-09"}).status_code == 403
        assert client.post(urls(void)["record"], {}).status_code == 403
        if user != repairs_officer:
            assert client.post(urls(void)["inspect"], {}).status_code == 403
    assert not SafetyCheck.objects.exists() and not Inspection.objects.exists()


# --- The worklist -----------------------------------------------------------------------------


def _worklist(client, query: str = "") -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("voids:index") + query)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _many_voids(patch, count: int, *, first: int = 0) -> None:
    for n in range(first, first + count):
        home = PropertyFactory(patch=patch, address_line_1=f"{n + 1} Quay Street")
        services.record_void(property_id=home.pk, start_date=TODAY - timedelta(days=n % 60),
                             reason="other", by=None, at=AT)


def test_the_worklist_reads_a_fixed_number_of_queries(client_for, lettings_officer, north,
                                                      south, void, voids_contractor,
                                                      django_assert_max_num_queries):
    works.record_inspection(
        void_id=void.pk, inspected_on=TODAY, void_type="standard", notes="",
        lines=[(ChecklistItem.objects.get(sor_code="CA310").pk, "1"),
               (ChecklistItem.objects.get(sor_code="EL220").pk, "1")],
        contractor_id=voids_contractor.pk, by=lettings_officer, at=AT)
    _many_voids(north, 5)
    _many_voids(south, 4, first=5)
    client = client_for(lettings_officer)
    few, page = _worklist(client)
    assert "10 open voids" in page
    _many_voids(north, 20, first=9)
    with django_assert_max_num_queries(few):
        many, page = _worklist(client)
    assert many == few
    assert "30 open voids" in page
    assert page.count('href="/voids/') >= 30
    # The inspected void: its stage, type and the two works orders still open.
    row = page[page.index(void.reference):]
    row = row[:row.index("</tr>")]
    assert "Void works" in row and "Standard void" in row
    assert ">2</td>" in row.replace(" ", "")


def test_the_worklist_shows_days_void_and_is_oldest_first(client_for, lettings_officer, void):
    _count, page = _worklist(client_for(lettings_officer))
    row = page[page.index(void.reference):]
    row = row[:row.index("</tr>")]
    assert "4 Orchard Close, EX2 4QR, North" in row
    assert ">10<br>" in row.replace(" ", "") and "from 30 November 2026" in row


@pytest.fixture
def spread(north, south, void):
    """Voids of several stages, types, patches and ages (today is 9 December 2026)."""
    def make(patch, start, name):
        home = PropertyFactory(patch=patch, address_line_1=name)
        return services.record_void(property_id=home.pk, start_date=start, reason="other",
                                    by=None, at=AT)

    new = make(north, date(2026, 12, 5), "5 New Road")        # 5 days: 0-7
    old = make(south, date(2026, 10, 1), "1 Old Road")        # 70 days: 57+
    mid = make(north, date(2026, 11, 1), "2 Mid Road")        # 39 days: 29-56
    VoidPeriod.objects.filter(pk=old.pk).update(stage=Stage.WORKS, void_type="major",
                                                inspected_on=date(2026, 10, 5))
    VoidPeriod.objects.filter(pk=mid.pk).update(stage=Stage.INSPECTION, void_type="standard",
                                                inspected_on=date(2026, 11, 3))
    return {"void": void, "new": new, "old": old, "mid": mid}  # void: 10 days, 8-14


@pytest.mark.parametrize(("query", "shown"), [
    ("", {"void", "new", "old", "mid"}),
    ("?stage=keys_in", {"void", "new"}),
    ("?stage=works", {"old"}),
    ("?void_type=major", {"old"}),
    ("?void_type=none", {"void", "new"}),
    ("?age=0-7", {"new"}),
    ("?age=8-14", {"void"}),
    ("?age=29-56", {"mid"}),
    ("?age=57%2B", {"old"}),
    ("?age=15-28", set()),
    ("?stage=inspection&void_type=standard&age=29-56", {"mid"}),
    ("?stage=nonsense", {"void", "new", "old", "mid"}),
])
def test_the_worklist_filters(client_for, lettings_officer, spread, query, shown):
    _count, page = _worklist(client_for(lettings_officer), query)
    assert {name for name, void in spread.items() if void.reference in page} == shown
    assert f"{len(shown)} open void" in page


def test_the_worklist_filters_by_patch(client_for, lettings_officer, spread, south):
    _count, page = _worklist(client_for(lettings_officer), f"?patch={south.pk}")
    assert spread["old"].reference in page
    assert not any(spread[name].reference in page for name in ("void", "new", "mid"))


def test_a_let_void_leaves_the_worklist(client_for, lettings_officer, void, make_ready):
    make_ready(void)
    VoidPeriod.objects.filter(pk=void.pk).update(stage=Stage.LET, let_date=TODAY)
    _count, page = _worklist(client_for(lettings_officer))
    assert void.reference not in page and "No open voids" in page


def test_the_record_a_void_button_is_for_those_who_manage_voids(client_for, void,
                                                                 lettings_officer,
                                                                 repairs_officer):
    assert "Record a void" in _worklist(client_for(lettings_officer))[1]
    assert "Record a void" not in _worklist(client_for(repairs_officer))[1]


# --- The void page ----------------------------------------------------------------------------


def _detail(client, void) -> str:
    response = client.get(reverse("voids:detail", args=[void.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_void_page_shows_days_void_rent_lost_and_what_is_missing(client_for, void,
                                                                     lettings_officer):
    page = _detail(client_for(lettings_officer), void)
    assert f"Void {void.reference}" in page and "Keys in" in page
    # Monday 30 November to Wednesday 9 December: 10 days. A full week of £100.00 rent and
    # £5.00 cleaning (£105.00) and 3 days of the next (£42.86 and £2.14): £150.00.
    assert '<dd class="govuk-summary-list__value" id="days-void">10 days</dd>' in page
    assert "£150.00" in page[page.index('id="rent-lost"'):][:200]
    assert "The void inspection has not been recorded." in page
    assert "No gas safety check is recorded in this void." in page
    assert f'href="/properties/{void.property_id}/"' in page
    assert f'href="{reverse("voids:inspect", args=[void.pk])}"' in page
    assert f'href="{reverse("voids:safety_check", args=[void.pk])}"' in page
    # Ready to let comes after the inspection.
    assert f'href="{reverse("voids:ready", args=[void.pk])}"' not in page
    assert "ended: keys in" in page  # the stage history


def test_a_repairs_officer_sees_only_the_inspection_action(client_for, void, repairs_officer):
    page = _detail(client_for(repairs_officer), void)
    assert f'href="{reverse("voids:inspect", args=[void.pk])}"' in page
    assert f'href="{reverse("voids:safety_check", args=[void.pk])}"' not in page
    assert f'href="{reverse("voids:ready", args=[void.pk])}"' not in page


def test_the_void_page_lists_the_works_orders_and_links_them_for_repairs_readers(
        client_for, void, repairs_officer, voids_contractor, north, south_voids_officer):
    works.record_inspection(
        void_id=void.pk, inspected_on=TODAY, void_type="major", notes="Fire damage",
        lines=[(ChecklistItem.objects.get(sor_code="PS500").pk, "50")],
        contractor_id=voids_contractor.pk, by=repairs_officer, at=AT)
    order = WorkOrder.objects.get()
    page = _detail(client_for(repairs_officer), void)
    assert f'href="/repairs/orders/{order.pk}/"' in page
    assert "Waiting for approval" in page and "for a Team Leader’s approval" in page
    assert "25 January 2027" in page  # 30 working days for a major works void
    assert "Major works void" in page and "Fire damage" in page
    # Someone who works voids but not repairs sees the order without a link to it.
    south_voids_officer.patches.add(north)
    page = _detail(client_for(south_voids_officer), void)
    assert order.reference in page and f'href="/repairs/orders/{order.pk}/"' not in page


def test_a_let_void_shows_its_relet_days_and_final_rent_loss(client_for, void, lettings_officer,
                                                             make_ready):
    make_ready(void)
    Offer.objects.create(void=void, applicant_name="Ada Quick", offered_on=date(2026, 12, 3),
                         outcome="accepted", outcome_on=date(2026, 12, 4),
                         recorded_by=lettings_officer, recorded_at=AT)
    tenancy_services.sign_up(property_id=void.property_id, tenancy_type="secure",
                             start_date=date(2026, 12, 7), tenant_ids=[PersonFactory().pk],
                             by=lettings_officer, at=AT)
    page = _detail(client_for(lettings_officer), void)
    # Tenancy ended Sunday 29 November, the next started Monday 7 December: 8 days to relet;
    # void 30 November to 6 December, one full week of rent and cleaning lost.
    assert '<dd class="govuk-summary-list__value" id="relet-days">8 calendar days' in page
    assert '<dd class="govuk-summary-list__value" id="days-void">7 days</dd>' in page
    assert "£105.00" in page[page.index('id="rent-lost"'):][:200]
    assert "Before it can be let" not in page
    assert f'href="{reverse("voids:inspect", args=[void.pk])}"' not in page


def test_the_property_page_links_to_the_homes_void(client_for, void, lettings_officer,
                                                   repairs_officer):
    response = client_for(lettings_officer).get(reverse("voids:for-home",
                                                        args=[void.property_id]))
    assert response.url == reverse("voids:detail", args=[void.pk])
    page = client_for(lettings_officer).get(f"/properties/{void.property_id}/").content.decode()
    assert f'href="{reverse("voids:for-home", args=[void.property_id])}">see the void</a>' in page
    # A home shown as void with no void recorded: those who manage voids may record it.
    other = PropertyFactory(patch=void.property.patch, tenure="void", uprn="100040288888")
    response = client_for(lettings_officer).get(reverse("voids:for-home", args=[other.pk]))
    assert response.url == "/voids/record/?uprn=100040288888"
    assert client_for(repairs_officer).get(
        reverse("voids:for-home", args=[other.pk])).status_code == 404


# --- Recording a void -------------------------------------------------------------------------


def test_a_void_is_recorded_by_uprn(client_for, lettings_officer, north):
    home = PropertyFactory(patch=north, uprn="100040299999", address_line_1="9 New Build Way")
    client = client_for(lettings_officer)
    page = client.get(reverse("voids:record") + "?q=New Build").content.decode()
    assert f'href="/voids/record/?uprn={home.uprn}"' in page
    response = client.post(reverse("voids:record"), {
        "uprn": " 1000 4029 9999", "start_date": "2026-12-01", "reason": "new_build"})
    assert response.status_code == 302
    void = VoidPeriod.objects.get(property=home)
    assert response.url == reverse("voids:detail", args=[void.pk])
    assert (void.start_date, void.vacancy_reason, void.opened_by) == (
        date(2026, 12, 1), "new_build", lettings_officer)


def test_recording_a_void_refuses_bad_input_and_keeps_what_was_typed(client_for, void,
                                                                     lettings_officer):
    client = client_for(lettings_officer)
    page = client.get(reverse("voids:record")).content.decode()
    assert 'value="new_build"' in page and 'value="notice"' not in page  # no tenancy reasons
    response = client.post(reverse("voids:record"), {
        "uprn": "999999999999", "start_date": "2027-01-01", "reason": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "No home with UPRN 999999999999 is on your patches" in page
    assert "Select why the home is void." in page
    assert 'value="999999999999"' in page
    # The home already void: the service's refusal, at the top.
    response = client.post(reverse("voids:record"), {
        "uprn": void.property.uprn, "start_date": "2026-12-05", "reason": "other"})
    page = response.content.decode()
    assert "is already void from 30 November 2026 and is still open" in page
    assert VoidPeriod.objects.count() == 1


# --- The inspection ---------------------------------------------------------------------------


def _inspection_data(**changes) -> dict:
    locks = ChecklistItem.objects.get(sor_code="CA310")
    paint = ChecklistItem.objects.get(sor_code="DC600")
    data = {"inspected_on": "2026-12-08", "void_type": "standard", "notes": "Needs paint",
            f"item_{locks.pk}": "on", f"qty_{locks.pk}": "1",
            f"item_{paint.pk}": "on", f"qty_{paint.pk}": "35.5"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_inspection_form_offers_the_checklist_and_preselects_the_only_contractor(
        client_for, void, repairs_officer, voids_contractor):
    page = client_for(repairs_officer).get(urls(void)["inspect"]).content.decode()
    assert page.count('class="govuk-checkboxes__input"') == ChecklistItem.objects.filter(
        active=True).count()
    paint = ChecklistItem.objects.get(sor_code="DC600")
    assert f'name="qty_{paint.pk}" value="40"' in page
    assert f'<option value="{voids_contractor.pk}" selected>Void Works Ltd</option>' in page


def test_a_repairs_officer_records_the_inspection_and_raises_the_works(
        client_for, void, repairs_officer, voids_contractor):
    client = client_for(repairs_officer)
    response = client.post(urls(void)["inspect"],
                           _inspection_data(contractor=str(voids_contractor.pk)))
    assert response.status_code == 302
    assert response.url == urls(void)["detail"]
    void.refresh_from_db()
    assert (void.stage, void.inspected_on, void.void_type) == (Stage.WORKS, date(2026, 12, 8),
                                                               "standard")
    orders = WorkOrder.objects.order_by("trade__name")
    assert [(order.trade.code, order.status) for order in orders] == [
        ("carpentry", "issued"), ("decorating", "issued")]
    assert orders[1].lines.get().quantity == 35.5
    page = client.get(response.url).content.decode()
    assert (f"Inspection recorded. 2 works orders raised: {orders[0].reference} (carpentry), "
            f"{orders[1].reference} (decorating).") in page


def test_the_inspection_form_keeps_what_was_typed_and_names_the_problems(
        client_for, void, repairs_officer, voids_contractor):
    paint = ChecklistItem.objects.get(sor_code="DC600")
    response = client_for(repairs_officer).post(urls(void)["inspect"], _inspection_data(
        inspected_on="2026-12-10", void_type=None, **{f"qty_{paint.pk}": "lots"}))
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "The inspection date must be today or in the past." not in page  # form first
    assert "Select whether it is a standard void or a major works void." in page
    assert ("Enter the quantity for “Redecorate walls and ceilings (m²)” as a number more "
            "than 0") in page
    assert "Select the contractor to do the void works." in page
    assert 'value="lots"' in page and 'value="Needs paint"' not in page  # a textarea
    assert "Needs paint</textarea>" in page
    assert f'href="#id_qty_{paint.pk}"' in page
    assert not Inspection.objects.exists()

    # The service's refusals come back too: a date in the future.
    response = client_for(repairs_officer).post(urls(void)["inspect"], _inspection_data(
        inspected_on="2026-12-10", contractor=str(voids_contractor.pk)))
    assert "The inspection date must be today or in the past." in response.content.decode()
    assert not Inspection.objects.exists() and not WorkOrder.objects.exists()


def test_a_trade_not_covered_is_named_on_the_inspection_form(client_for, void, repairs_officer):
    from repairs.models import Contract, Contractor, Trade

    painters = Contractor.objects.create(code="brush", name="Brush Decorators")
    contract = Contract.objects.create(contractor=painters, reference="C-P-1", name="Painting",
                                       start_date=date(2024, 4, 1))
    contract.trades.add(Trade.objects.get(code="decorating"))
    response = client_for(repairs_officer).post(urls(void)["inspect"], _inspection_data(
        contractor=str(painters.pk)))
    page = response.content.decode()
    assert ("Carpentry (CA310): Brush Decorators’s contracts in force (C-P-1) do not cover "
            "carpentry work.") in page.replace("&#x27;", "'")
    assert not WorkOrder.objects.exists() and not Inspection.objects.exists()


def test_an_offered_void_shows_why_it_cannot_be_inspected(client_for, void, lettings_officer,
                                                          make_ready):
    make_ready(void)
    VoidPeriod.objects.filter(pk=void.pk).update(stage=Stage.OFFERED)
    response = client_for(lettings_officer).post(urls(void)["inspect"], _inspection_data())
    page = response.content.decode()
    assert response.status_code == 200
    assert "The home is offered: an inspection can no longer be recorded." in page
    assert not Inspection.objects.exists()


# --- Safety checks and ready to let -----------------------------------------------------------


def test_safety_checks_are_recorded_and_refused_with_their_reasons(client_for, void,
                                                                   lettings_officer):
    client = client_for(lettings_officer)
    response = client.post(urls(void)["safety_check"], {
        "kind": "electrical", "outcome": "no_supply", "done_on": "2026-11-28",
        "certificate_reference": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "an electrical check must be satisfactory" in page
    assert 'value="2026-11-28"' in page
    response = client.post(urls(void)["safety_check"], {
        "kind": "gas", "outcome": "satisfactory", "done_on": "2026-11-28",
        "certificate_reference": "CP12-1"})
    assert ("The keys came in on 29 November 2026: the date of the check cannot be before "
            "then (28 November 2026).") in response.content.decode()
    assert not SafetyCheck.objects.exists()
    response = client.post(urls(void)["safety_check"], {
        "kind": "gas", "outcome": "satisfactory", "done_on": "2026-12-02",
        "certificate_reference": "CP12-1"})
    assert response.status_code == 302
    check = SafetyCheck.objects.get()
    assert (check.kind, check.done_on, check.certificate_reference, check.by) == (
        "gas", date(2026, 12, 2), "CP12-1", lettings_officer)
    page = _detail(client, void)
    assert "CP12-1" in page and "No gas safety check" not in page


def test_ready_to_let_lists_every_missing_thing_then_marks_the_home_ready(
        client_for, void, lettings_officer):
    client = client_for(lettings_officer)
    page = client.get(urls(void)["ready"]).content.decode()
    assert "The void inspection has not been recorded." in page
    response = client.post(urls(void)["ready"], {"ready_on": "2026-12-09"})
    page = response.content.decode()
    summary = page[page.index("govuk-error-summary"):page.index("</ul>",
                                                               page.index("govuk-error-summary"))]
    for problem in ("4 Orchard Close, EX2 4QR cannot be ready to let yet.",
                    "The void inspection has not been recorded.",
                    "No gas safety check is recorded in this void.",
                    "No electrical safety check (EICR) is recorded in this void."):
        assert problem in summary
    void.refresh_from_db()
    assert void.stage == Stage.KEYS_IN

    works.record_inspection(void_id=void.pk, inspected_on=date(2026, 12, 2),
                            void_type="standard", notes="", lines=[], contractor_id=None,
                            by=lettings_officer, at=AT)
    for kind in ("gas", "electrical"):
        works.record_safety_check(void_id=void.pk, kind=kind, outcome="satisfactory",
                                  done_on=date(2026, 12, 3), certificate_reference="C-1",
                                  by=lettings_officer, at=AT)
    response = client.post(urls(void)["ready"], {"ready_on": "2026-12-08"})
    assert response.status_code == 302
    void.refresh_from_db()
    assert (void.stage, void.ready_on) == (Stage.READY, date(2026, 12, 8))
    page = client.get(urls(void)["ready"]).content.decode()
    assert "The home is already ready to let since 8 December 2026." in page


def test_a_let_home_takes_no_more_safety_checks(client_for, void, lettings_officer):
    VoidPeriod.objects.filter(pk=void.pk).update(stage=Stage.LET, let_date=TODAY)
    response = client_for(lettings_officer).post(urls(void)["safety_check"], {
        "kind": "gas", "outcome": "satisfactory", "done_on": "2026-12-02",
        "certificate_reference": "CP12-1"})
    assert "The home has been let" in response.content.decode()
    assert not SafetyCheck.objects.exists()


def test_a_home_ended_by_another_route_is_on_the_worklist(client_for, north, lettings_officer):
    home = let_home(north, address="7 Brook Lane")
    void = end(home, reason="death")
    page = _worklist(client_for(lettings_officer))[1]
    assert void.reference in page and "7 Brook Lane" in page


# --- The admin --------------------------------------------------------------------------------


def test_administrators_keep_the_checklist_and_see_voids_read_only(client_for, administrator,
                                                                    void):
    client = client_for(administrator)
    for url in ("/admin/voids/checklistitem/", "/admin/voids/checklistitem/add/",
                "/admin/voids/voidperiod/", f"/admin/voids/voidperiod/{void.pk}/change/"):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/admin/voids/voidperiod/{void.pk}/change/").content.decode()
    assert "ended: keys in" in page  # the stage history, inline
    assert 'name="_save"' not in page  # read-only
    item = {"label": "Clear the loft", "default_quantity": "1", "order": "12", "active": "on"}
    page = client.post("/admin/voids/checklistitem/add/",
                       {**item, "sor_code": "zz999"}).content.decode()
    assert "ZZ999 is not in the Schedule of Rates." in page
    assert client.post("/admin/voids/checklistitem/add/",
                       {**item, "sor_code": " vo100 "}).status_code == 302
    assert ChecklistItem.objects.get(label="Clear the loft").sor_code == "VO100"
