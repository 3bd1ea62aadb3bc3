"""Annual rent setting: proposing a review (a background job works out every home's line),
approving it (a different person: the service and the database refuse the maker), the new
charges from the first Monday of April and the rent run that then posts them, rejecting,
rent-change letters, and who may open each screen."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.html import escape
from freezegun import freeze_time
from pypdf import PdfReader

from housing.models import BackgroundJob
from rents.models import (
    Charge,
    ChargeType,
    FormulaRent,
    RentPolicy,
    RentReview,
    RentReviewLine,
    RentWeek,
    RentYear,
    Transaction,
)
from rents.services import post_rent_run
from rents.setting import (
    approve_rent_review,
    produce_rent_change_letters,
    propose_rent_review,
    reject_rent_review,
    review_figures,
    start_rent_change_letters,
    with_weekly_rents_52,
    year_dates,
)
from tenancies import services as tenancy_services
from tenancies.models import Letter
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db

AT = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)  # February: the new rents are for April
LATER = datetime(2027, 2, 8, 10, 0, tzinfo=UTC)
APRIL_2026 = date(2026, 4, 6)  # the first Monday of 2026/27
SUNDAY = date(2027, 4, 4)  # the day before 2027/28's first Monday
MONDAY = date(2027, 4, 5)  # 1 April 2027 is a Thursday


@pytest.fixture(autouse=True)
def _february_2027():
    with freeze_time("2027-02-01 10:00:00"):
        yield


def _rent(home, pence, *, start=APRIL_2026, code="rent"):
    return Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code=code),
                                 weekly_pence=pence, start_date=start)


def _rent_free(label, mondays):
    assert RentWeek.objects.filter(rent_year__label=label, start_date__in=mondays).update(
        rent_free=True) == len(mondays)


def _formula(home, pence, label="2026/27"):
    FormulaRent.objects.create(property=home, rent_year=RentYear.objects.get(label=label),
                               weekly_pence=pence)


@pytest.fixture
def year():
    """2027/28 with its policy: CPI 3.0% + 1%, £1 convergence, flag changes over £5."""
    year = RentYear.objects.get(label="2027/28")
    RentPolicy.objects.create(rent_year=year, cpi_percent=Decimal("3.00"),
                              limit_margin_percent=Decimal("1.00"), convergence_pence=100,
                              outlier_change_pence=500)
    return year


@pytest.fixture
def homes(north, south):
    """Five homes, one for each case, and a leasehold flat that pays no rent."""
    below = PropertyFactory(estate__patch=north, address_line_1="1 Below Road")
    _rent(below, 9432)
    _rent(below, 1250, code="heating")
    _formula(below, 10480)
    above = PropertyFactory(estate__patch=north, address_line_1="2 Above Road")
    _rent(above, 12000)
    _formula(above, 11000)
    no_formula = PropertyFactory(estate__patch=south, address_line_1="3 Plain Road")
    _rent(no_formula, 10000)
    capped = PropertyFactory(estate__patch=south, address_line_1="4 Cap Road")
    _rent(capped, 10000)
    _formula(capped, 10048)
    no_rent = PropertyFactory(estate__patch=north, address_line_1="5 Empty Road")
    PropertyFactory(estate__patch=north, address_line_1="6 Sold Flat", tenure="leasehold")
    return {"below": below, "above": above, "no_formula": no_formula, "capped": capped,
            "no_rent": no_rent}


@pytest.fixture
def tenancy(homes):
    person = PersonFactory(first_name="Ada", last_name="Quinn")
    return tenancy_services.sign_up(property_id=homes["below"].pk, tenancy_type="secure",
                                    start_date=date(2020, 6, 1), tenant_ids=[person.pk],
                                    by=None, at=AT)


def _propose(year, by, capture, at=AT) -> RentReview:
    with capture(execute=True):
        review = propose_rent_review(rent_year_id=year.pk, by=by, at=at)
    review.refresh_from_db()
    return review


@pytest.fixture
def proposed(year, homes, income_officer, django_capture_on_commit_callbacks):
    return _propose(year, income_officer, django_capture_on_commit_callbacks)


# --- Proposing -----------------------------------------------------------------------------

def test_the_proposal_works_out_every_home_and_lists_the_exceptions(proposed, homes):
    assert proposed.status == RentReview.Status.PROPOSED
    lines = {line.property_id: line for line in proposed.lines.all()}
    got = {name: (lines[home.pk].old_pence, lines[home.pk].new_pence,
                  lines[home.pk].old_formula_pence, lines[home.pk].new_formula_pence,
                  lines[home.pk].rule, lines[home.pk].is_flagged())
           for name, home in homes.items() if home.pk in lines}
    assert got == {
        # 9432 x 1.04 = 9809.28 -> 9809; formula 10480 x 1.04 = 10899.2 -> 10899; +£1 uplift
        "below": (9432, 9909, 10480, 10899, "convergence", True),
        # 12000 x 1.04 = 12480; formula 11440: already above formula
        "above": (12000, 12480, 11000, 11440, "above_formula", False),
        # no formula rent: the limit, no uplift
        "no_formula": (10000, 10400, None, None, "limit", False),
        # limit 10400; formula 10048 x 1.04 = 10449.92 -> 10450: uplift cut to 50p
        "capped": (10000, 10450, 10048, 10450, "formula_cap", True),
    }
    job = BackgroundJob.objects.get(pk=proposed.job_id)
    assert job.status == BackgroundJob.Status.SUCCEEDED
    assert job.result_data["homes"] == 4 and job.result_data["flagged"] == 2
    assert job.result_data["exception_count"] == 1  # the leasehold flat is not a rented home
    assert job.result_data["exceptions"] == [{
        "property_id": homes["no_rent"].pk, "address": "5 Empty Road, EX2 4AB",
        "reason": "No net rent charge on 4 April 2027"}]
    # Nothing changes until it is approved.
    assert Charge.objects.filter(start_date=MONDAY).count() == 0


def test_a_home_whose_new_rent_is_already_keyed_is_an_exception(year, homes,
                                                                 income_officer,
                                                                 django_capture_on_commit_callbacks):
    Charge.objects.filter(property=homes["above"], charge_type__code="rent").update(
        end_date=SUNDAY)
    _rent(homes["above"], 13000, start=MONDAY)
    review = _propose(year, income_officer, django_capture_on_commit_callbacks)
    assert not review.lines.filter(property=homes["above"]).exists()
    reasons = {item["address"]: item["reason"]
               for item in review.job.result_data["exceptions"]}
    assert reasons["2 Above Road, EX2 4AB"] == "A new net rent is already set from 5 April 2027"


def test_a_year_without_a_policy_is_refused(homes, income_officer):
    with pytest.raises(ValidationError, match="no rent policy for 2028/29"):
        propose_rent_review(rent_year_id=RentYear.objects.get(label="2028/29").pk,
                            by=income_officer, at=AT)
    assert not RentReview.objects.exists()


def test_a_second_proposal_is_refused_while_one_waits(proposed, year, team_leader):
    with pytest.raises(ValidationError, match="already waiting"):
        propose_rent_review(rent_year_id=year.pk, by=team_leader, at=LATER)
    assert RentReview.objects.count() == 1


def test_a_proposal_is_refused_once_the_year_is_approved(proposed, year, team_leader,
                                                         income_officer):
    approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    with pytest.raises(ValidationError, match="was approved on 8 February 2027"):
        propose_rent_review(rent_year_id=year.pk, by=income_officer, at=LATER)


def test_a_year_that_has_begun_cannot_be_reviewed(year, homes, income_officer):
    with pytest.raises(ValidationError, match="began on Monday 5 April 2027"):
        propose_rent_review(rent_year_id=year.pk, by=income_officer,
                            at=datetime(2027, 4, 5, 9, tzinfo=UTC))


# --- The 52-week basis: rent-free weeks and 53-week years ----------------------------------

CHRISTMAS_2026 = [date(2026, 12, 21), date(2026, 12, 28)]
FOUR_IN_2027 = [date(2027, 12, 20), date(2027, 12, 27), date(2028, 3, 20), date(2028, 3, 27)]


def test_a_review_across_a_change_in_rent_free_weeks(year, homes, tenancy, income_officer,
                                                     team_leader, client_for,
                                                     django_capture_on_commit_callbacks):
    # The council had 2 rent-free weeks in 2026/27 (50 of 52 charged) and has 4 in 2027/28
    # (48 charged). Each old charge is a weekly rent of charge x 50/52; CPI + 1% is 1.04, and
    # 1.04 x 50/52 = 1 exactly, so each limit rent (52-week basis) is the old charge itself;
    # the new charge is the new rent x 52/48.
    _rent_free("2026/27", CHRISTMAS_2026)
    _rent_free("2027/28", FOUR_IN_2027)
    review = _propose(year, income_officer, django_capture_on_commit_callbacks)
    lines = {line.property_id: line for line in review.lines.all()}
    got = {name: (lines[home.pk].new_pence, lines[home.pk].new_formula_pence,
                  lines[home.pk].rule, lines[home.pk].is_flagged())
           for name, home in homes.items() if home.pk in lines}
    assert got == {
        # limit 9432; formula 10480 x 1.04 = 10899; 9432 + 100 = 9532 is below it:
        # 9532 x 52/48 = 10326.33 -> 10326 (the uplift is above the limit: flagged)
        "below": (10326, 10899, "convergence", True),
        # limit 12000, above formula 11440: 12000 x 52/48 = 13000
        "above": (13000, 11440, "above_formula", False),
        # 10000 x 52/48 = 10833.33 -> 10833 (the charge rises 8.3%, the rent 4%)
        "no_formula": (10833, None, "limit", False),
        # limit 10000, formula 10048 x 1.04 = 10449.92 -> 10450: the full £1 uplift, 10100,
        # so 10100 x 52/48 = 10941.67 -> 10942. (Comparing the charge 10400 with formula rent
        # would have capped it at 10450.)
        "capped": (10942, 10450, "convergence", True),
    }
    # The rent rolls: charges 41,432 -> 45,101 a week (+8.86%); on the 52-week basis
    # 41432 x 50/52 = 39838.46 -> 39838 and 45101 x 48/52 = 41631.69 -> 41632 (+4.50%).
    figures = review_figures(review)
    assert (figures.old_total_pence, figures.new_total_pence, figures.change_percent) == (
        41432, 45101, "8.86%")
    assert (figures.old_weekly_52_pence, figures.new_weekly_52_pence,
            figures.weekly_52_change_percent) == (39838, 41632, "4.50%")
    # Each home's rents on the 52-week basis, for the preview: 9432 x 50/52 = 9069.23 and
    # 10326 x 48/52 = 9531.69.
    shown = {line.property_id: (line.old_weekly_52_pence, line.new_weekly_52_pence)
             for line in with_weekly_rents_52(review.lines.all(), year_dates(year))}
    assert shown[homes["below"].pk] == (9069, 9532)
    assert shown[homes["capped"].pk] == (9615, 10100)  # 10942 x 48/52 = 10100.31

    page = client_for(team_leader).get(f"/rents/setting/reviews/{review.pk}/").content.decode()
    for text in ["2027/28 (the new rents): 52 rent weeks, 4 of them rent-free, so rent is "
                 "charged in 48", "2026/27 (the old rents): 52 rent weeks, 2 of them rent-free, "
                 "so rent is charged in 50", "How charges and weekly rents differ",
                 "Weekly net rent over 52 weeks, all homes", "£398.38", "£416.32", "4.50%",
                 "Formula rent, old (52 weeks)", "£103.26", "£108.99",
                 # under each home's charges, its weekly rents on the 52-week basis
                 "£90.69 over 52 weeks", "£95.32 over 52 weeks"]:
        assert escape(text) in page, text

    approve_rent_review(review_id=review.pk, by=team_leader, at=LATER)
    new = dict(Charge.objects.filter(charge_type__code="rent", start_date=MONDAY)
               .values_list("property_id", "weekly_pence"))
    assert new == {homes["below"].pk: 10326, homes["above"].pk: 13000,
                   homes["no_formula"].pk: 10833, homes["capped"].pk: 10942}
    # The year's formula rents are weekly rents over 52 weeks, never charges.
    formula = dict(FormulaRent.objects.filter(rent_year=year).values_list(
        "property_id", "weekly_pence"))
    assert formula == {homes["below"].pk: 10899, homes["above"].pk: 11440,
                       homes["capped"].pk: 10450}
    # The rent run charges the new charge in the first week and nothing in a rent-free week.
    post_rent_run(week=RentWeek.objects.get(start_date=MONDAY), by=None, at=LATER)
    post_rent_run(week=RentWeek.objects.get(start_date=FOUR_IN_2027[0]), by=None, at=LATER)
    posted = list(Transaction.objects.filter(account__tenancy=tenancy, charge_type__code="rent")
                  .values_list("rent_week__start_date", "amount_pence"))
    assert posted == [(MONDAY, 10326)]


def test_a_proposal_needs_the_rent_weeks_of_the_year_before(year, homes, income_officer):
    RentWeek.objects.filter(rent_year__label="2026/27").delete()
    with pytest.raises(ValidationError, match=r"The 2026/27 rent year \(the year before "
                                              r"2027/28\) has no rent weeks"):
        propose_rent_review(rent_year_id=year.pk, by=income_officer, at=AT)
    assert not RentReview.objects.exists()


def test_the_first_rent_year_cannot_be_reviewed(homes, income_officer):
    first = RentYear.objects.order_by("start_date").first()
    RentPolicy.objects.create(rent_year=first, cpi_percent=Decimal("3.00"))
    with pytest.raises(ValidationError, match=f"There is no rent year before {first}"):
        propose_rent_review(rent_year_id=first.pk, by=income_officer, at=AT)


def test_a_year_of_nothing_but_rent_free_weeks_is_refused(year, homes, income_officer):
    RentWeek.objects.filter(rent_year=year).update(rent_free=True)
    with pytest.raises(ValidationError, match="Every rent week of 2027/28 is rent-free"):
        propose_rent_review(rent_year_id=year.pk, by=income_officer, at=AT)


def test_a_change_to_the_rent_weeks_after_the_proposal_stops_the_approval(proposed,
                                                                          team_leader):
    _rent_free("2027/28", [date(2027, 12, 20), date(2027, 12, 27)])
    with pytest.raises(ValidationError) as refused:
        approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    assert refused.value.messages == [
        "The rent weeks have changed since this review was proposed: it was worked out with "
        "52 weeks, 52 charged, then 52 weeks, 52 charged; 2026/27 and 2027/28 now have 52 "
        "weeks, 52 charged, then 52 weeks, 50 charged. Reject this review and propose it "
        "again."]
    assert not Charge.objects.filter(start_date=MONDAY).exists()
    proposed.refresh_from_db()
    assert proposed.status == RentReview.Status.PROPOSED


# --- Maker and checker ---------------------------------------------------------------------

def test_the_maker_cannot_approve_their_own_review(proposed, income_officer):
    with pytest.raises(ValidationError) as refused:
        approve_rent_review(review_id=proposed.pk, by=income_officer, at=LATER)
    assert refused.value.messages == [
        "You proposed this review; a different person must approve it."]
    proposed.refresh_from_db()
    assert proposed.status == RentReview.Status.PROPOSED
    assert not Charge.objects.filter(start_date=MONDAY).exists()


def test_the_database_refuses_self_approval_too(proposed):
    with pytest.raises(IntegrityError, match="review_not_decided_by_its_maker"), \
            transaction.atomic():
        RentReview.objects.filter(pk=proposed.pk).update(
            status=RentReview.Status.APPROVED, decided_by=proposed.proposed_by, decided_at=LATER)


def test_approval_changes_net_rent_from_the_first_monday_of_april(proposed, homes, tenancy,
                                                                  team_leader):
    approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER,
                        note="Checked the flagged homes.")
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decided_by, proposed.decision_note) == (
        RentReview.Status.APPROVED, team_leader, "Checked the flagged homes.")
    rents = {(c.property_id, c.start_date): (c.weekly_pence, c.end_date)
             for c in Charge.objects.filter(charge_type__code="rent")}
    below = homes["below"].pk
    assert rents[(below, APRIL_2026)] == (9432, SUNDAY)
    assert rents[(below, MONDAY)] == (9909, None)
    assert rents[(homes["capped"].pk, MONDAY)] == (10450, None)
    assert Charge.objects.filter(charge_type__code="rent", start_date=MONDAY).count() == 4
    # Service charges are not changed by the review.
    heating = Charge.objects.get(property_id=below, charge_type__code="heating")
    assert (heating.weekly_pence, heating.start_date, heating.end_date) == (1250, APRIL_2026,
                                                                            None)
    # The year's formula rents are recorded.
    formula = dict(FormulaRent.objects.filter(rent_year__label="2027/28").values_list(
        "property_id", "weekly_pence"))
    assert formula == {below: 10899, homes["above"].pk: 11440, homes["capped"].pk: 10450}
    # Each charge keeps its history: who ended it and who made the new one.
    old = Charge.objects.get(property_id=below, charge_type__code="rent", start_date=APRIL_2026)
    ended = old.history.order_by("-history_id").first()
    assert (ended.history_type, ended.end_date, ended.history_user) == ("~", SUNDAY, team_leader)
    new = Charge.objects.get(property_id=below, charge_type__code="rent", start_date=MONDAY)
    assert new.history.get().history_user == team_leader

    # The rent run posts the old rent in the last week of 2026/27 and the new one from April.
    last_week = RentWeek.objects.get(start_date=date(2027, 3, 29))
    first_week = RentWeek.objects.get(start_date=MONDAY)
    post_rent_run(week=last_week, by=None, at=LATER)
    post_rent_run(week=first_week, by=None, at=LATER)
    posted = dict(Transaction.objects.filter(
        account__tenancy=tenancy, charge_type__code="rent").values_list(
        "rent_week__start_date", "amount_pence"))
    assert posted == {date(2027, 3, 29): 9432, MONDAY: 9909}
    assert Transaction.objects.get(account__tenancy=tenancy, rent_week=first_week,
                                   charge_type__code="heating").amount_pence == 1250


def test_a_review_is_approved_once(proposed, team_leader, administrator):
    approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    with pytest.raises(ValidationError, match="approved, so it cannot be approved"):
        approve_rent_review(review_id=proposed.pk, by=administrator, at=LATER)
    assert Charge.objects.filter(start_date=MONDAY).count() == 4


def test_a_rent_changed_after_the_proposal_stops_the_approval(proposed, homes, team_leader):
    Charge.objects.filter(property=homes["above"], charge_type__code="rent").update(
        weekly_pence=12100)
    with pytest.raises(ValidationError, match=r"net rent of 1 home has changed .*2 Above Road"):
        approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    assert not Charge.objects.filter(start_date=MONDAY).exists()
    assert not FormulaRent.objects.filter(rent_year__label="2027/28").exists()


def test_approval_is_refused_once_the_new_year_has_been_run(proposed, tenancy, team_leader):
    post_rent_run(week=RentWeek.objects.get(start_date=MONDAY), by=None, at=LATER)
    with pytest.raises(ValidationError, match="already been run"):
        approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)


def test_rejecting_needs_a_reason_and_a_different_person(proposed, year, income_officer,
                                                         team_leader,
                                                         django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError, match="a different person must reject it"):
        reject_rent_review(review_id=proposed.pk, by=income_officer, at=LATER, note="Oops")
    with pytest.raises(ValidationError, match="Give the reason"):
        reject_rent_review(review_id=proposed.pk, by=team_leader, at=LATER, note="  ")
    reject_rent_review(review_id=proposed.pk, by=team_leader, at=LATER,
                       note="CPI was keyed wrongly.")
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decision_note) == (RentReview.Status.REJECTED,
                                                         "CPI was keyed wrongly.")
    with pytest.raises(ValidationError, match="cannot be approved"):
        approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    # Another review of the year may now be proposed.
    again = _propose(year, income_officer, django_capture_on_commit_callbacks, at=LATER)
    assert again.status == RentReview.Status.PROPOSED


# --- Rent-change letters -------------------------------------------------------------------

def _pdf_text(letter) -> str:
    with letter.file.open("rb") as handle:
        # Words only: the PDF's own line breaks fall anywhere.
        return " ".join(" ".join(page.extract_text() for page in PdfReader(handle).pages)
                        .split())


def test_letters_one_per_live_tenancy_and_a_rerun_makes_no_more(year, homes, tenancy,
                                                                team_leader, income_officer,
                                                                django_capture_on_commit_callbacks):
    # 2027/28 has 2 rent-free weeks; 2026/27 had none.
    _rent_free("2027/28", [date(2027, 12, 20), date(2027, 12, 27)])
    proposed = _propose(year, income_officer, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="once the review is approved"):
        start_rent_change_letters(review_id=proposed.pk, by=income_officer, at=LATER)
    approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    result = produce_rent_change_letters(review_id=proposed.pk, by=income_officer, at=LATER)
    assert (result.made, result.already, result.tenancies) == (1, 0, 1)
    letter = Letter.objects.get()
    assert (letter.tenancy, letter.kind, letter.key) == (
        tenancy, Letter.Kind.RENT_CHANGE, f"rent-review-{proposed.pk}")
    text = _pdf_text(letter)
    # 9432 over 52 of 52 weeks; x 1.04 = 9809.28, + the £1 uplift = 9909.28 a week over 52
    # weeks, charged in 50: 9909.28 x 52/50 = 10305.65 -> £103.06 (heating £12.50 as it was).
    # The year: 50 x £103.06 = £5,153.00 (52 x £94.32 = £4,904.64 in 2026/27); with heating
    # 52 x £106.82 = £5,554.64 and 50 x £115.56 = £5,778.00.
    for expected in ["Ada Quinn", "1 Below Road", tenancy.reference, "5 April 2027",
                     "£94.32", "£103.06", "Heating", "£12.50", "£106.82", "£115.56",
                     "Your net rent for 2027/28 is £5,153.00", "(£4,904.64 in 2026/27)",
                     "£5,554.64", "£5,778.00", "charged in the 50 weeks of the year that are "
                     "not rent-free", "Rent was charged in 52 weeks of 2026/27 and is charged "
                     "in 50 weeks of 2027/28, so the same yearly rent now means a higher weekly "
                     "charge", "52 rent weeks", "2 of them are rent-free", "50 weeks",
                     "September before (3%) plus 1%",
                     "Housing Benefit", "Universal Credit"]:
        assert expected in text, expected
    assert "53 rent weeks" not in text

    again = produce_rent_change_letters(review_id=proposed.pk, by=income_officer, at=LATER)
    assert (again.made, again.already) == (0, 1)
    assert Letter.objects.count() == 1


def test_the_letters_job_moves_its_progress_bar(proposed, tenancy, team_leader,
                                                income_officer,
                                                django_capture_on_commit_callbacks):
    approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    with django_capture_on_commit_callbacks(execute=True):
        job = start_rent_change_letters(review_id=proposed.pk, by=income_officer, at=LATER)
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED
    assert (job.progress_done, job.progress_total) == (1, 1)
    assert job.result_summary == "1 rent-change letter made."
    assert Letter.objects.get().job_id == job.pk


def test_letters_are_not_started_twice_while_a_job_is_waiting(proposed, tenancy, team_leader,
                                                            income_officer):
    approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    first = start_rent_change_letters(review_id=proposed.pk, by=income_officer, at=LATER)
    with pytest.raises(ValidationError, match="already being produced"):
        start_rent_change_letters(review_id=proposed.pk, by=team_leader, at=LATER)
    BackgroundJob.objects.filter(pk=first.pk).update(status=BackgroundJob.Status.SUCCEEDED)
    assert start_rent_change_letters(review_id=proposed.pk, by=team_leader, at=LATER).pk != \
        first.pk


# --- Screens: who may open each ------------------------------------------------------------

def _paths(review):
    return {
        "index": "/rents/setting/",
        "propose": "/rents/setting/propose/",
        "detail": f"/rents/setting/reviews/{review.pk}/",
        "csv": f"/rents/setting/reviews/{review.pk}/homes.csv",
        "reject": f"/rents/setting/reviews/{review.pk}/reject/",
    }


@pytest.mark.parametrize("persona", ["income_officer", "team_leader", "administrator"])
def test_the_rent_setting_pages_open_for_money_roles(client_for, request, persona, proposed):
    client = client_for(request.getfixturevalue(persona))
    paths = _paths(proposed)
    for name in ("index", "propose", "detail", "csv"):
        assert client.get(paths[name]).status_code == 200, name


@pytest.mark.parametrize("persona", ["officer", "customer_access", "council_tax", "no_access"])
def test_other_roles_cannot_open_rent_setting(client_for, request, persona, proposed):
    client = client_for(request.getfixturevalue(persona))
    paths = _paths(proposed)
    assert client.get(paths["index"]).status_code == 403
    assert client.get(paths["propose"]).status_code == 403
    assert client.post(paths["propose"], {"rent_year": proposed.rent_year_id}).status_code == 403
    assert client.get(paths["detail"]).status_code == 404
    assert client.get(paths["csv"]).status_code == 404
    assert client.get(paths["reject"]).status_code == 403
    assert client.post(f"/rents/setting/reviews/{proposed.pk}/approve/").status_code == 403
    assert client.post(f"/rents/setting/reviews/{proposed.pk}/letters/").status_code == 403
    assert RentReview.objects.get().status == RentReview.Status.PROPOSED


def test_tenants_and_anonymous_visitors_are_refused(client_for, tenant, proposed):
    paths = [*_paths(proposed).values(), f"/rents/setting/reviews/{proposed.pk}/approve/",
             f"/rents/setting/reviews/{proposed.pk}/letters/"]
    for path in paths:
        assert client_for(tenant).get(path).status_code == 403, path
        assert client_for(None).get(path)["Location"].startswith("/accounts/login/"), path
    assert client_for(tenant).post(paths[-2]).status_code == 403
    assert RentReview.objects.get().status == RentReview.Status.PROPOSED


def test_an_income_officer_proposes_from_the_page(client_for, income_officer, year, homes,
                                                  django_capture_on_commit_callbacks):
    client = client_for(income_officer)
    assert 'href="/rents/setting/"' in client.get("/rents/").content.decode()
    index = client.get("/rents/setting/").content.decode()
    assert "Propose the rent review for 2027/28" in index
    assert "3.0%" in index and "£1.00 a week" in index  # the policy: % and £ apart
    form = client.get(f"/rents/setting/propose/?year={year.pk}").content.decode()
    assert "2027/28 (CPI 3.0% + 1.0%, convergence uplift £1.00 a week)" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/rents/setting/propose/", {"rent_year": year.pk})
    review = RentReview.objects.get()
    assert response["Location"] == f"/jobs/{review.job_id}/"
    job_page = client.get(response["Location"]).content.decode()
    assert "Preview ready" in job_page and f"/rents/setting/reviews/{review.pk}/" in job_page


def test_proposing_without_choosing_a_year_shows_the_error(client_for, income_officer, year):
    response = client_for(income_officer).post("/rents/setting/propose/", {})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "Select the rent year to review." in page
    assert not RentReview.objects.exists()


def test_a_year_with_a_review_waiting_is_not_offered(client_for, team_leader, proposed):
    response = client_for(team_leader).post("/rents/setting/propose/",
                                            {"rent_year": proposed.rent_year_id})
    page = response.content.decode()
    # A year with a review waiting is not offered (and the service refuses it anyway).
    assert response.status_code == 200 and "There is a problem" in page
    assert "Select one of the rent years listed." in page
    assert RentReview.objects.count() == 1


def test_the_review_page_shows_the_preview_and_the_flagged_filter(client_for, team_leader,
                                                                  proposed,
                                                                  django_assert_max_num_queries):
    client = client_for(team_leader)
    with django_assert_max_num_queries(15):
        page = client.get(f"/rents/setting/reviews/{proposed.pk}/").content.decode()
    for text in ["Waiting for approval", "CPI (previous September)", "3.0%",
                 "CPI + 1.0% = 4.0%", "£1.00 a week for homes below formula rent",
                 "£5.00 a week", "1 Below Road", "£94.32", "£99.09", "+£4.77",
                 "CPI + 1% and convergence uplift", "Above the limit", "5 Empty Road",
                 "No net rent charge on 4 April 2027", "Service charges",
                 "Approve the new rents", "Reject the review"]:
        assert escape(text) in page, text
    assert "2 Above Road" in page
    flagged = client.get(f"/rents/setting/reviews/{proposed.pk}/?flagged=on").content.decode()
    assert "1 Below Road" in flagged and "4 Cap Road" in flagged
    assert "2 Above Road" not in flagged and "3 Plain Road" not in flagged


def test_the_csv_lists_every_home_in_pounds(client_for, income_officer, proposed, homes):
    response = client_for(income_officer).get(f"/rents/setting/reviews/{proposed.pk}/homes.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 4
    below = next(row for row in rows if row["Address"] == "1 Below Road")
    assert (below["Old weekly charge (£)"], below["New weekly charge (£)"], below["Change (£)"],
            below["New formula rent, 52-week basis (£)"], below["Above the limit"]) == (
        "94.32", "99.09", "4.77", "108.99", "yes")


def test_the_maker_sees_that_someone_else_must_approve_and_is_refused(
        client_for, team_leader, year, homes, django_capture_on_commit_callbacks):
    review = _propose(year, team_leader, django_capture_on_commit_callbacks)
    client = client_for(team_leader)
    page = client.get(f"/rents/setting/reviews/{review.pk}/").content.decode()
    assert escape("You proposed this review; a different person must approve it.") in page
    assert "Approve the new rents" not in page
    response = client.post(f"/rents/setting/reviews/{review.pk}/approve/", {"note": "Mine"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert escape("You proposed this review; a different person must approve it.") in page
    review.refresh_from_db()
    assert review.status == RentReview.Status.PROPOSED
    assert not Charge.objects.filter(start_date=MONDAY).exists()


def test_a_team_leader_approves_from_the_page(client_for, team_leader, proposed):
    client = client_for(team_leader)
    response = client.post(f"/rents/setting/reviews/{proposed.pk}/approve/",
                           {"note": "Flagged homes checked."})
    assert response["Location"] == f"/rents/setting/reviews/{proposed.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Rent review for 2027/28 approved" in page and "Approved by" in page
    assert "Produce rent-change letters" in page
    assert Charge.objects.filter(start_date=MONDAY).count() == 4


def test_an_income_officer_cannot_approve(client_for, income_officer, administrator,
                                          year, homes, django_capture_on_commit_callbacks):
    review = _propose(year, administrator, django_capture_on_commit_callbacks)
    client = client_for(income_officer)
    assert "Approve the new rents" not in client.get(
        f"/rents/setting/reviews/{review.pk}/").content.decode()
    assert client.post(f"/rents/setting/reviews/{review.pk}/approve/").status_code == 403
    review.refresh_from_db()
    assert review.status == RentReview.Status.PROPOSED


def test_rejecting_from_the_page_needs_a_reason(client_for, team_leader, proposed):
    client = client_for(team_leader)
    path = f"/rents/setting/reviews/{proposed.pk}/reject/"
    response = client.post(path, {"note": ""})
    assert "Give the reason for rejecting the review." in response.content.decode()
    response = client.post(path, {"note": "Wrong CPI"})
    assert response["Location"] == f"/rents/setting/reviews/{proposed.pk}/"
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decision_note) == ("rejected", "Wrong CPI")


def test_letters_start_from_the_page_and_download_from_the_tenancy(
        client_for, income_officer, team_leader, council_tax, proposed, tenancy,
        django_capture_on_commit_callbacks):
    approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    client = client_for(income_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/rents/setting/reviews/{proposed.pk}/letters/")
    job = BackgroundJob.objects.get(kind="rent_change_letters")
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert "Rent-change letters made" in client.get(response["Location"]).content.decode()
    letter = Letter.objects.get()
    page = client.get(f"/tenancies/{tenancy.pk}/").content.decode()
    path = f"/tenancies/{tenancy.pk}/letters/{letter.pk}/"
    assert path in page and "Your rent from 5 April 2027" in page
    download = client.get(path)
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # Council Tax may see the tenancy but not its letters; a letter of another tenancy is 404.
    assert client_for(council_tax).get(path).status_code == 404
    tenancy_page = client_for(council_tax).get(f"/tenancies/{tenancy.pk}/").content.decode()
    assert 'id="letters"' not in tenancy_page and path not in tenancy_page
    assert client.get(f"/tenancies/{tenancy.pk + 1}/letters/{letter.pk}/").status_code == 404


def test_a_letter_is_404_off_the_officers_patch_and_refused_to_tenants(
        client_for, income_officer, tenant, team_leader, proposed, homes, south,
        django_capture_on_commit_callbacks):
    home = homes["no_formula"]  # on the South patch; the income officer works North
    tenancy = tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                                       start_date=date(2020, 6, 1),
                                       tenant_ids=[PersonFactory().pk], by=None, at=AT)
    approve_rent_review(review_id=proposed.pk, by=team_leader, at=LATER)
    produce_rent_change_letters(review_id=proposed.pk, by=team_leader, at=LATER)
    letter = Letter.objects.get(tenancy=tenancy)
    path = f"/tenancies/{tenancy.pk}/letters/{letter.pk}/"
    assert client_for(team_leader).get(path).status_code == 200
    assert client_for(income_officer).get(path).status_code == 404
    assert client_for(tenant).get(path).status_code == 403
    assert client_for(None).get(path)["Location"].startswith("/accounts/login/")


def test_a_rerun_of_the_preview_writes_nothing_twice(proposed):
    # A rerun of the preview (a lost worker) writes nothing twice.
    from rents.setting import prepare_review_lines

    before = RentReviewLine.objects.count()
    prepare_review_lines(review_id=proposed.pk)
    assert RentReviewLine.objects.count() == before


def test_while_the_preview_is_prepared_the_page_says_so(client_for, team_leader, year, homes,
                                                        income_officer,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the job has not run yet
        review = propose_rent_review(rent_year_id=year.pk, by=income_officer, at=AT)
    page = client_for(team_leader).get(f"/rents/setting/reviews/{review.pk}/").content.decode()
    assert "The preview is being prepared" in page and "Preparing the preview" in page
    assert f"/jobs/{review.job_id}/" in page  # a team leader sees every job
    assert "What it changes" not in page and "Approve the new rents" not in page
    assert "Reject this review" in page  # a stuck preview can be rejected
    officer_page = client_for(income_officer).get(
        f"/rents/setting/reviews/{review.pk}/").content.decode()
    assert f"/jobs/{review.job_id}/" in officer_page  # the maker sees their own job


def test_a_year_of_no_change_approves_without_new_charges(homes, income_officer, team_leader,
                                                          django_capture_on_commit_callbacks):
    # CPI -1% + 1% = a factor of exactly 1: every rent stays as it is (formula rents too).
    year = RentYear.objects.get(label="2027/28")
    RentPolicy.objects.create(rent_year=year, cpi_percent=Decimal("-1.00"),
                              limit_margin_percent=Decimal("1.00"), convergence_pence=0)
    review = _propose(year, income_officer, django_capture_on_commit_callbacks)
    assert set(review.lines.values_list("rule", flat=True)) == {"limit", "above_formula"}
    assert not review.lines.exclude(new_pence=models.F("old_pence")).exists()
    approve_rent_review(review_id=review.pk, by=team_leader, at=LATER)
    assert not Charge.objects.filter(start_date=MONDAY).exists()
    assert Charge.objects.filter(end_date__isnull=False).count() == 0
    assert FormulaRent.objects.filter(rent_year=year).count() == 3


def test_a_review_with_no_homes_can_be_approved(year, income_officer, team_leader,
                                                django_capture_on_commit_callbacks):
    review = _propose(year, income_officer, django_capture_on_commit_callbacks)
    assert review.lines.count() == 0
    approve_rent_review(review_id=review.pk, by=team_leader, at=LATER)
    review.refresh_from_db()
    assert review.status == RentReview.Status.APPROVED


def test_the_demo_policies_and_formula_rents(homes):
    from rents.demo import seed_rent_setting

    # Three homes already have one and "5 Empty Road" has no rent: one is added.
    assert seed_rent_setting()["formula_rents"] == 1
    policies = {policy.rent_year.label: (policy.cpi_percent, policy.convergence_pence)
                for policy in RentPolicy.objects.select_related("rent_year")}
    assert policies == {"2025/26": (Decimal("1.70"), 0), "2026/27": (Decimal("3.80"), 0),
                        "2027/28": (Decimal("3.00"), 100), "2028/29": (Decimal("3.00"), 200)}
    home = homes["no_formula"]
    formula = FormulaRent.objects.get(property=home, rent_year__label="2026/27").weekly_pence
    # 96% to 108% of the rent by the home's id
    assert formula == round(10000 * (96 + home.pk % 13) / 100)
    assert seed_rent_setting()["formula_rents"] == 0  # a rerun adds nothing
    assert RentPolicy.objects.count() == 4
