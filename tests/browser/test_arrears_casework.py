"""Case work on an arrears case in the browser: an income officer agrees a payment arrangement
too long for the policy, which waits until a team leader approves it; and an income officer
takes a case through the NOSP and the court to a suspended possession order, refused once on
the way. Every page is checked with axe-core. Dates are built from today: the pages use it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rents.casework import a_year_after
from rents.models import Arrangement, CaseEvent, CourtCase, PossessionNotice
from tests.browser.helpers import follow, login, sign_out, submit, visit
from tests.rents.test_casework import let_home

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _day(value) -> str:
    return f"{value:%-d %B %Y}"


def _success(page):
    return page.locator(".govuk-notification-banner--success")


def _titles(page) -> list[str]:
    return page.locator(".moj-timeline .moj-timeline__title").all_text_contents()


def test_a_long_arrangement_waits_for_a_team_leaders_approval(page, live_server, income_officer,
                                                              team_leader, north, password):
    account = let_home(north, address="4 Heavitree Road", names=(("Ada", "Quick"),))
    reference = account.tenancy.reference
    today = timezone.localdate()

    login(page, live_server, income_officer, password)
    visit(page, live_server, f"/rents/arrears/accounts/{account.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Arrears case {reference}")
    expect(page.locator(".govuk-summary-list__row").filter(has_text="Owed today")).to_contain_text(
        "£412.50")
    follow(page, page.get_by_role("link", name="Agree a payment arrangement"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Agree a payment arrangement")
    page.get_by_label("Amount on top of the rent").fill("1.00")
    page.get_by_role("radio", name="Every week").check()
    page.get_by_label("How did the tenant agree?").fill("By phone with Ms Quick")
    submit(page, page.get_by_role("button", name="Agree the arrangement"))

    # £412.50 at £1.00 a week: 413 payments, far longer than the policy allows.
    last = today + timedelta(weeks=412)
    expect(_success(page)).to_contain_text(
        f"Arrangement recorded. It clears the debt by {_day(last)}, longer than the policy "
        f"allows, so it waits for a manager's approval.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment arrangement")
    expect(page.get_by_role("button", name="Approve the arrangement")).to_have_count(0)
    # 413 payments: the first seven, a line for those left out, and the last.
    schedule = page.get_by_role("table", name="Expected payments and what was paid")
    expect(schedule.locator("tbody tr")).to_have_count(9)
    expect(schedule).to_contain_text("Payments 8 to 412 are left out here")
    expect(schedule.locator("tbody tr").last).to_contain_text(_day(last))
    follow(page, page.get_by_role("link", name="Back to the case"))
    card = page.locator("#arrangement + .govuk-summary-card")
    expect(card.locator(".govuk-summary-card__title")).to_have_text(
        "£1.00 every week on top of the rent")
    expect(card.locator(".govuk-tag")).to_have_text("Waiting for approval")
    expect(card).to_contain_text("A manager must approve it before it holds back recovery.")
    expect(page.locator(".moj-timeline__title").first).to_have_text(
        "Payment arrangement proposed: waiting for a manager's approval")

    sign_out(page)
    login(page, live_server, team_leader, password)
    visit(page, live_server, "/rents/arrears/")
    follow(page, page.get_by_role("link", name="Payment arrangements"))
    expect(page.get_by_role("link", name="Waiting for approval (1)")).to_have_attribute(
        "aria-current", "page")
    expect(page.get_by_role("heading", level=2, name="Waiting for approval")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("4 Heavitree Road")
    expect(row).to_contain_text("£412.50")
    expect(row).to_contain_text(f"by {income_officer.display_name}")
    follow(page, row.get_by_role("link", name=f"£1.00 every week for case {reference}",
                                 exact=True))
    expect(page.locator("main")).to_contain_text(
        "weeks from its start (to ")  # the policy's limit, which it goes past
    expect(page.locator("main")).to_contain_text(
        "that the policy allows without a manager’s approval.")
    submit(page, page.get_by_role("button", name="Approve the arrangement"))

    expect(_success(page)).to_contain_text("Arrangement approved.")
    status = page.locator(".govuk-summary-list__row").filter(has_text="Status")
    expect(status.locator(".govuk-summary-list__value")).to_have_text("Active")
    expect(page.locator(".govuk-summary-list__row").filter(has_text="Approved")).to_contain_text(
        f"by {team_leader.display_name}")
    expect(page.get_by_role("button", name="Approve the arrangement")).to_have_count(0)
    follow(page, page.get_by_role("link", name="Back to the case"))
    expect(page.locator("#arrangement + .govuk-summary-card .govuk-tag")).to_have_text("Active")
    timeline = page.locator(".moj-timeline")
    expect(timeline.locator(".moj-timeline__title").first).to_have_text(
        "Payment arrangement approved by a manager")
    expect(timeline.locator(".moj-timeline__byline").first).to_have_text(
        f"by {team_leader.display_name}")

    arrangement = Arrangement.objects.get(account=account)
    assert (arrangement.status, arrangement.amount_pence, arrangement.debt_pence) == (
        Arrangement.Status.ACTIVE, 100, 41250)
    assert (arrangement.created_by, arrangement.approved_by) == (income_officer, team_leader)


def test_a_nosp_then_the_court_to_a_suspended_order(page, live_server, income_officer, north,
                                                    password):
    account = let_home(north, address="6 Pinhoe Road", names=(("Bea", "Stone"),))
    today = timezone.localdate()
    served, applied = today - timedelta(days=40), today - timedelta(days=10)
    future_hearing, hearing = today + timedelta(days=14), today - timedelta(days=2)
    too_early = today - timedelta(days=5)

    login(page, live_server, income_officer, password)
    visit(page, live_server, f"/rents/arrears/accounts/{account.pk}/")
    expect(page.locator("main")).to_contain_text(
        "No Notice of Seeking Possession has been served on this tenancy.")
    expect(page.get_by_role("link", name="Record an application to the court")).to_have_count(0)

    follow(page, page.get_by_role("link", name="Record a NOSP served"))
    page.get_by_label("Date served").fill(served.isoformat())
    page.get_by_label("How was it served? (optional)").fill("By hand at the door")
    submit(page, page.get_by_role("button", name="Record the notice"))
    expires = a_year_after(served)
    expect(_success(page)).to_contain_text(
        f"NOSP recorded: served on {_day(served)}, it expires on {_day(expires)}.")
    expect(page.locator(".govuk-summary-list__row").filter(has_text="Served")).to_contain_text(
        _day(served))

    follow(page, page.get_by_role("link", name="Record an application to the court"))
    expect(page.locator("main")).to_contain_text(
        f"The NOSP served on {_day(served)} is in force")
    page.get_by_label("Date of the application").fill(applied.isoformat())
    page.get_by_label("Claim number or note (optional)").fill("Claim K12X3456")
    submit(page, page.get_by_role("button", name="Record the application"))
    expect(_success(page)).to_contain_text(
        f"Application to the court recorded, made on {_day(applied)}.")
    card = page.locator(".govuk-summary-card").filter(
        has_text=f"Court case applied for on {_day(applied)}")
    expect(card).to_contain_text(f"under the NOSP served on {_day(served)}")
    expect(card).to_contain_text("No date yet")
    expect(card.get_by_role("link", name="Record the outcome")).to_have_count(0)

    follow(page, card.get_by_role("link", name="Record the hearing date"))
    page.get_by_label("Date of the hearing").fill(future_hearing.isoformat())
    submit(page, page.get_by_role("button", name="Save the hearing date"))
    expect(_success(page)).to_contain_text(f"Hearing date recorded: {_day(future_hearing)}.")
    # Before the hearing there is no outcome to record: the link is not offered.
    expect(card).to_contain_text(_day(future_hearing))
    expect(card.get_by_role("link", name="Record the outcome")).to_have_count(0)
    expect(card.get_by_role("link", name="Change the hearing date")).to_be_visible()

    follow(page, card.get_by_role("link", name="Change the hearing date"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the hearing date")
    page.get_by_label("Date of the hearing").fill(hearing.isoformat())
    submit(page, page.get_by_role("button", name="Save the hearing date"))
    expect(_success(page)).to_contain_text(f"Hearing date recorded: {_day(hearing)}.")

    follow(page, card.get_by_role("link", name="Record the outcome of the hearing"))
    page.get_by_role("radio", name="Suspended possession order").check()
    page.get_by_label("Date of the outcome").fill(too_early.isoformat())
    page.get_by_label("Terms of the order").fill("Current rent plus £5 a week")
    submit(page, page.get_by_role("button", name="Record the outcome"))
    refusal = (f"The hearing was on {_day(hearing)}: its outcome cannot be recorded before "
               f"then.")
    assert page.title().startswith("Error: Record the outcome of the hearing")
    expect(page.locator(".govuk-error-summary")).to_contain_text(refusal)
    expect(page.locator(".govuk-error-message")).to_contain_text(refusal)
    expect(page.get_by_role("radio", name="Suspended possession order")).to_be_checked()
    expect(page.get_by_label("Date of the outcome")).to_have_value(too_early.isoformat())
    expect(page.get_by_label("Terms of the order")).to_have_value("Current rent plus £5 a week")
    assert not CourtCase.objects.get(account=account).outcome

    page.get_by_label("Date of the outcome").fill(hearing.isoformat())
    submit(page, page.get_by_role("button", name="Record the outcome"))
    expect(_success(page)).to_contain_text("Outcome of the hearing recorded.")
    expect(card).to_contain_text(f"Suspended possession order, {_day(hearing)}")
    expect(card).to_contain_text("Current rent plus £5 a week")
    expect(card.get_by_role("link", name="Record a warrant application")).to_be_visible()

    titles = _titles(page)
    for title in [
            f"Notice of Seeking Possession served: in force until it expires on {_day(expires)}",
            f"Applied to the court for possession, under the NOSP served on {_day(served)}",
            f"Hearing date set: {_day(future_hearing)}",
            f"Hearing moved to {_day(hearing)} (it was {_day(future_hearing)})",
            f"Hearing on {_day(hearing)}: suspended possession order"]:
        assert title in titles, f"{title!r} is not on the timeline: {titles}"

    notice = PossessionNotice.objects.get(account=account)
    assert (notice.served_on, notice.expires_on) == (served, expires)
    court_case = CourtCase.objects.get(account=account)
    assert (court_case.notice, court_case.applied_on, court_case.hearing_date) == (
        notice, applied, hearing)
    assert (court_case.outcome, court_case.outcome_date, court_case.order_terms) == (
        CourtCase.Outcome.SUSPENDED, hearing, "Current rent plus £5 a week")
    assert CaseEvent.objects.filter(account=account, kind=CaseEvent.Kind.LEGAL).count() == 5
