"""An income officer opens the arrears worklist, reads why a case is there, opens it, accepts
its Letter 1 recommendation, downloads the letter as a PDF from the case diary and sees it on
the timeline; every page checked with axe-core."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import follow, login, submit, visit
from tests.rents.test_casework import let_home, make_policy, pdf_text, recommend

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_accept_a_letter_1_and_download_it(page, live_server, income_officer, north, password,
                                           settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    stages = make_policy()
    account = let_home(north, address="9 Polsloe Road", names=(("Ada", "Quick"),))
    reason = ("Owes £412.50 = 4.1 weeks' rent (£100.00 a week); no letter in the last 3 "
              "months; Letter 1 is the next step.")
    recommend(account, stages["letter-1"], as_of=timezone.localdate(),
              created_at=datetime.now(UTC), reason=reason)
    reference = account.tenancy.reference

    login(page, live_server, income_officer, password)
    visit(page, live_server, "/rents/")
    follow(page, page.get_by_role("link", name="Arrears worklist"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Arrears worklist")
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text(reason)
    expect(row).to_contain_text("Ada Quick")
    expect(row).to_contain_text("£412.50")

    follow(page, row.get_by_role("link", name=reference))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Arrears case {reference}")
    expect(page.locator("#recommendation + .govuk-inset-text")).to_contain_text(reason)
    submit(page, page.get_by_role("button", name="Accept and produce Letter 1"))

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Letter 1 produced")
    timeline = page.locator(".moj-timeline")
    expect(timeline.locator(".moj-timeline__title").first).to_have_text("Letter 1 produced")
    expect(timeline.locator(".moj-timeline__byline").first).to_have_text(
        f"by {income_officer.display_name}")
    link = timeline.get_by_role("link", name="Letter 1: Your rent account is £412.50 behind "
                                              "(PDF)")
    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    saved = tmp_path / "letter.pdf"
    download.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "Dear Ada Quick," in text
    assert "is £412.50 behind. That is 4.1 weeks' rent at £100.00 a week." in text
    expect(page.get_by_role("button", name="Accept and produce Letter 1")).to_have_count(0)


def test_produce_ticked_letters_and_pause_a_case(page, live_server, income_officer, north,
                                                 password, settings, tmp_path):
    """Ticks two letters on the worklist (a background job, run at once here), downloads the
    merged print file; then pauses a case, first forgetting the crisis treatment's end."""
    settings.MEDIA_ROOT = tmp_path / "media"
    stages = make_policy()
    now = datetime.now(UTC)
    first = let_home(north, address="1 Alpha Road", names=(("Ann", "Ash"),))
    second = let_home(north, address="2 Beta Road", names=(("Ben", "Birch"),))
    visit_case = let_home(north, address="3 Gamma Road", names=(("Cat", "Cole"),))
    for account, stage in [(first, "letter-1"), (second, "letter-2"), (visit_case, "visit")]:
        recommend(account, stages[stage], as_of=timezone.localdate(), created_at=now)

    login(page, live_server, income_officer, password)
    visit(page, live_server, "/rents/arrears/?sort=oldest")
    expect(page.get_by_role("checkbox")).to_have_count(2)  # letters only, not the visit
    page.get_by_role("checkbox", name=f"Produce Letter 1 for {first.tenancy.reference}").check()
    page.get_by_role("checkbox", name=f"Produce Letter 2 for {second.tenancy.reference}").check()
    submit(page, page.get_by_role("button", name="Produce the ticked letters"))
    expect(page.get_by_role("heading", name="Arrears letters produced")).to_be_visible()
    expect(page.locator("main")).to_contain_text("2 arrears letters produced.")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download the letters as one file to print").click()
    saved = tmp_path / "print.pdf"
    downloading.value.save_as(saved)
    text = pdf_text(saved.read_bytes())
    assert "Ann Ash" in text and "Ben Birch" in text and "Cat Cole" not in text

    visit(page, live_server, f"/rents/arrears/accounts/{visit_case.pk}/")
    follow(page, page.get_by_role("link", name="Pause recovery"))
    page.get_by_role("radio", name="Breathing Space (mental health crisis)").check()
    page.get_by_label("Reason").fill("Crisis team referral")
    submit(page, page.get_by_role("button", name="Pause recovery"))
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter the date the mental health crisis treatment ends")
    expect(page.get_by_label("Reason")).to_have_value("Crisis team referral")
    treatment_end = timezone.localdate() + timedelta(days=20)
    page.get_by_label("Date the crisis treatment ends").fill(treatment_end.isoformat())
    submit(page, page.get_by_role("button", name="Pause recovery"))
    ends = treatment_end + timedelta(days=30)
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        f"Recovery is paused until {ends:%-d %B %Y}")
    expect(page.get_by_role("button", name="Accept: Home visit")).to_have_count(0)
