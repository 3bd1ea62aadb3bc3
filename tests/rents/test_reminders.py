"""Arrears reminders (rents.reminders): accepting a reminder recommendation sends a text to
each tenant with a mobile number (an email for an email reminder) with today's figures, and the
diary says what went to whom; refused, with nothing sent or recorded, when no tenant can be
reached that way, the tenancy has ended, nothing is owed or recovery is paused; a message that
could not be sent records nothing; a reminder's template is its message, never a PDF letter."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from freezegun import freeze_time

from housing import notify
from rents import casework
from rents.admin import LetterTemplateForm
from rents.models import (
    Action,
    ArrearsStage,
    CaseEvent,
    LetterTemplate,
    Pause,
    Recommendation,
)
from tenancies.models import Letter
from tests.rents.test_casework import AT, TODAY, let_home, make_policy, recommend

pytestmark = pytest.mark.django_db

ADA, BOB = "07700 900123", "07700 900456"


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2026-12-09 10:15:00"):
        yield


@pytest.fixture
def stages(db):
    stages = make_policy()
    stages["email"] = ArrearsStage.objects.create(
        policy=stages["reminder"].policy, order=9, code="email", name="Email reminder",
        action=Action.REMINDER_EMAIL, min_owed_pence=500)
    return stages


def tenants(account, *contacts):
    """Give the account's tenants, in order, their (mobile, email)."""
    people = [m.person for m in casework.tenants_of(account.tenancy, today=TODAY)]
    for person, (mobile, email) in zip(people, contacts, strict=True):
        person.mobile_phone, person.email = mobile, email
        person.save()
    return account


@pytest.fixture
def joint(north):
    """Ada and Bob Quick, joint tenants, owing £7.00 on a rent of £100.00 a week."""
    return let_home(north, owed=700, names=(("Ada", "Quick"), ("Bob", "Quick")))


def accept(recommendation, user):
    return casework.accept_recommendation(recommendation_id=recommendation.pk, by=user, at=AT)


def assert_nothing_recorded(recommendation):
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.OPEN
    assert not CaseEvent.objects.exists() and not Letter.objects.exists()


def refused(recommendation, user) -> str:
    with pytest.raises(ValidationError) as error:
        accept(recommendation, user)
    assert_nothing_recorded(recommendation)
    assert notify.outbox == [] and mail.outbox == []
    [message] = error.value.messages
    return message


# --- Texts ------------------------------------------------------------------------------------


def test_a_text_reminder_goes_to_each_joint_tenant_with_the_figures(joint, stages,
                                                                    income_officer):
    tenants(joint, (ADA, ""), (BOB, "bob@example.test"))
    recommendation = recommend(joint, stages["reminder"], owed=700, weeks="0.07")
    event = accept(recommendation, income_officer)

    body = (f"Ada Quick and Bob Quick: your rent account {joint.payment_reference} is £7.00 "
            f"behind. Please pay today, or call the Income Team to agree how you will pay it.")
    assert notify.outbox == [notify.TextMessage(to=ADA, body=body),
                             notify.TextMessage(to=BOB, body=body)]
    assert mail.outbox == []  # a text reminder sends no email, though Bob has an address

    event.refresh_from_db()
    assert (event.kind, event.stage, event.action, event.letter, event.recommendation) == (
        CaseEvent.Kind.ACTION, stages["reminder"], Action.REMINDER_TEXT, None, recommendation)
    assert (event.happened_on, event.created_by, event.created_at) == (TODAY, income_officer, AT)
    assert event.summary == f"Reminder text sent to {ADA} and {BOB}"
    assert event.detail.splitlines() == [
        f"Sent to Ada Quick: {ADA}.", f"Sent to Bob Quick: {BOB}.", "Message:", body, "",
        f"Recommended because: {recommendation.reason}",
        "Owed on the day: £7.00 = 0.0 weeks' rent (£100.00 a week)."]
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.decided_by) == (
        Recommendation.Status.ACCEPTED, income_officer)
    assert not Letter.objects.exists()


def test_only_tenants_with_a_mobile_are_texted(joint, stages, income_officer):
    tenants(joint, ("", "ada@example.test"), (f"+44 {BOB[1:]}", ""))
    event = accept(recommend(joint, stages["reminder"], owed=700), income_officer)
    assert [text.to for text in notify.outbox] == [f"+44 {BOB[1:]}"]
    assert event.summary == "Reminder text sent to +44 7700 900456"


def test_a_landline_in_the_mobile_field_is_not_texted_and_the_diary_says_so(joint, stages,
                                                                             income_officer):
    tenants(joint, ("01392 265000", ""), (BOB, ""))
    event = accept(recommend(joint, stages["reminder"], owed=700), income_officer)
    assert [text.to for text in notify.outbox] == [BOB]
    assert ("Not texted: Recorded as a mobile but not one: Ada Quick's 01392 265000."
            in event.detail.splitlines())


def test_a_number_two_tenants_share_is_texted_once(joint, stages, income_officer):
    tenants(joint, (ADA, ""), ("+447700900123", ""))
    event = accept(recommend(joint, stages["reminder"], owed=700), income_officer)
    assert [text.to for text in notify.outbox] == [ADA]
    assert event.detail.startswith(f"Sent to Ada Quick and Bob Quick: {ADA}.\n")


def test_the_stages_template_is_the_text_and_makes_no_pdf(joint, stages, income_officer):
    stage = stages["reminder"]
    stage.letter_template = LetterTemplate.objects.create(
        code="test-reminder", name="Test reminder", subject="Rent",
        body="{{ tenant_names }} owe {{ owed }} ({{ weeks_owed }} weeks' rent of "
             "{{ weekly_rent }}) on {{ today }}.")
    stage.save()
    tenants(joint, (ADA, ""), ("", ""))
    accept(recommend(joint, stage, owed=700), income_officer)
    assert notify.outbox == [notify.TextMessage(
        to=ADA, body="Ada Quick and Bob Quick owe £7.00 (0.0 weeks' rent of £100.00) on "
                     "9 December 2026.")]
    assert not Letter.objects.exists()


def test_the_shipped_reminder_is_a_short_text(joint, income_officer):
    """The default policy's reminder (rents migration 0015) has its template: sent as a text
    with the figures, well under 300 characters, and no PDF."""
    stage = ArrearsStage.objects.get(policy__name="Standard arrears policy", code="reminder")
    template = stage.letter_template
    assert template.code == "arrears-reminder-text" and len(template.body) < 300
    assert LetterTemplateForm(data={"code": template.code, "name": template.name,
                                    "subject": template.subject, "body": template.body},
                              instance=template).is_valid()  # only the figures a letter has
    tenants(joint, (ADA, ""), ("", ""))
    event = accept(recommend(joint, stage, owed=700), income_officer)
    [text] = notify.outbox
    assert text.body == (f"Ada Quick and Bob Quick: your rent account {joint.payment_reference}"
                         f" is £7.00 behind. Please pay today, or call the Income Team to agree "
                         f"how you will pay it.")
    assert event.summary == f"Reminder text sent to {ADA}"
    assert not Letter.objects.exists()


# --- Emails -----------------------------------------------------------------------------------


def test_an_email_reminder_goes_to_each_address_with_the_figures(joint, stages, income_officer,
                                                                 settings):
    tenants(joint, (ADA, "ada@example.test"), (BOB, "Bob@Example.test"))
    recommendation = recommend(joint, stages["email"], owed=700)
    event = accept(recommendation, income_officer)

    assert notify.outbox == []
    assert [message.to for message in mail.outbox] == [["ada@example.test"],
                                                       ["Bob@Example.test"]]
    body = (f"Ada Quick and Bob Quick: your rent account {joint.payment_reference} is £7.00 "
            f"behind. Please pay today, or call the Income Team to agree how you will pay it.")
    for message in mail.outbox:
        assert message.subject == "Your rent account is behind"
        assert message.from_email == settings.DEFAULT_FROM_EMAIL
        assert message.body == f"{body}\n\nIncome Team\n{settings.COUNCIL_NAME}"
    assert event.summary == "Reminder email sent to ada@example.test and Bob@Example.test"
    assert event.detail.splitlines()[:4] == [
        "Sent to Ada Quick: ada@example.test.", "Sent to Bob Quick: Bob@Example.test.",
        "Subject: Your rent account is behind", "Message:"]
    assert event.action == Action.REMINDER_EMAIL


def test_an_address_two_tenants_share_gets_one_email(joint, stages, income_officer):
    tenants(joint, ("", "quicks@example.test"), ("", "Quicks@example.test"))
    event = accept(recommend(joint, stages["email"], owed=700), income_officer)
    assert len(mail.outbox) == 1
    assert event.detail.startswith("Sent to Ada Quick and Bob Quick: quicks@example.test.")


def test_an_email_template_with_its_own_sign_off_is_not_signed_twice(joint, stages,
                                                                      income_officer):
    stage = stages["email"]
    stage.letter_template = LetterTemplate.objects.create(
        code="test-email", name="Test email", subject="{{ owed }} owed",
        body="Dear {{ tenant_names }},\n\nYou owe {{ owed }}.\n\nYours sincerely,\nRents")
    stage.save()
    tenants(joint, ("", "ada@example.test"), ("", ""))
    accept(recommend(joint, stage, owed=700), income_officer)
    [message] = mail.outbox
    assert message.subject == "£7.00 owed"
    assert message.body == ("Dear Ada Quick and Bob Quick,\n\nYou owe £7.00.\n\n"
                            "Yours sincerely,\nRents")


# --- Refusals: nothing sent, nothing recorded, the recommendation still open ----------------------


def test_no_mobile_number_is_refused(joint, stages, income_officer):
    tenants(joint, ("", "ada@example.test"), ("", ""))
    assert refused(recommend(joint, stages["reminder"], owed=700), income_officer) == (
        "No tenant on this tenancy has a mobile number recorded: add one on their record, or "
        "override the recommendation.")


def test_only_landlines_are_refused_and_named(joint, stages, income_officer):
    tenants(joint, ("01392 265000", ""), ("01392 265001", ""))
    assert refused(recommend(joint, stages["reminder"], owed=700), income_officer) == (
        "No tenant on this tenancy has a mobile number recorded: add one on their record, or "
        "override the recommendation. Recorded as a mobile but not one: Ada Quick's "
        "01392 265000 and Bob Quick's 01392 265001.")


def test_no_email_address_is_refused(joint, stages, income_officer):
    tenants(joint, (ADA, ""), (BOB, ""))
    assert refused(recommend(joint, stages["email"], owed=700), income_officer) == (
        "No tenant on this tenancy has an email address recorded: add one on their record, or "
        "override the recommendation.")


def test_no_reminder_to_a_tenancy_that_has_ended(north, stages, income_officer):
    account = tenants(let_home(north, owed=700, end=date(2026, 11, 29)), (ADA, ""))
    assert refused(recommend(account, stages["reminder"], owed=700), income_officer) == (
        "The tenancy ended on 29 November 2026; arrears letters go to former tenants through "
        "the former tenant arrears process, not from this worklist. Override the "
        "recommendation, giving that as the reason.")


def test_no_reminder_when_nothing_is_owed_now(north, stages, income_officer):
    account = tenants(let_home(north, owed=0), (ADA, ""))
    assert refused(recommend(account, stages["reminder"], owed=700), income_officer) == (
        "The account owes nothing today (its balance is £0.00), so no reminder is sent. "
        "Override the recommendation instead.")


def test_no_reminder_while_paused(joint, stages, income_officer):
    tenants(joint, (ADA, ""), (BOB, ""))
    Pause.objects.create(account=joint, kind=Pause.Kind.BREATHING_SPACE, start_date=TODAY,
                         end_date=TODAY + timedelta(days=60), reason="Moratorium",
                         created_at=AT)
    assert refused(recommend(joint, stages["reminder"], owed=700), income_officer).startswith(
        "Recovery is paused until 7 February 2027")


# --- Sending fails ----------------------------------------------------------------------------


class FailingTextBackend:
    """Refuses the numbers in `refuse`; gives a reference for the others."""

    refuse: set[str] = set()

    def send(self, message):
        if message.to in self.refuse:
            raise notify.SendError("GOV.UK Notify did not send it (500: Internal server error).")
        notify.outbox.append(message)
        return f"ref-{message.to[-3:]}"


@pytest.fixture
def failing(settings, monkeypatch):
    settings.TEXT_MESSAGE_BACKEND = "tests.rents.test_reminders.FailingTextBackend"
    monkeypatch.setattr(FailingTextBackend, "refuse", set())
    return FailingTextBackend


def test_a_text_that_cannot_be_sent_records_nothing(joint, stages, income_officer, failing):
    failing.refuse = {ADA, BOB}
    tenants(joint, (ADA, ""), (BOB, ""))
    assert refused(recommend(joint, stages["reminder"], owed=700), income_officer) == (
        f"The reminder text to Ada Quick ({ADA}) was not sent: GOV.UK Notify did not send it "
        f"(500: Internal server error). Nothing has been recorded: try again later, or "
        f"override the recommendation.")


def test_an_email_that_cannot_be_sent_records_nothing(joint, stages, income_officer, settings):
    settings.EMAIL_BACKEND = "tests.housing.test_notify.BrokenEmailBackend"
    tenants(joint, ("", "ada@example.test"), ("", ""))
    assert refused(recommend(joint, stages["email"], owed=700), income_officer).startswith(
        "The reminder email to Ada Quick (ada@example.test) was not sent: The email server did "
        "not take it")


def test_one_joint_tenants_text_failing_still_records_the_one_sent(joint, stages,
                                                                    income_officer, failing):
    """Ada was texted: the diary must say so (and a retry must not text her twice), with
    Bob's failure beside it for the officer to follow up."""
    failing.refuse = {BOB}
    tenants(joint, (ADA, ""), (BOB, ""))
    recommendation = recommend(joint, stages["reminder"], owed=700)
    event = accept(recommendation, income_officer)
    assert [text.to for text in notify.outbox] == [ADA]
    assert event.summary == f"Reminder text sent to {ADA}; NOT sent to {BOB}"
    assert event.detail.splitlines()[:2] == [
        f"Sent to Ada Quick: {ADA} (reference ref-123).",
        f"Not sent to Bob Quick: {BOB}. GOV.UK Notify did not send it (500: Internal server "
        f"error)."]
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.ACCEPTED


# --- Bulk letters leave reminders alone ---------------------------------------------------------


def test_a_reminder_with_a_template_is_not_a_bulk_letter(joint, stages, income_officer):
    stage = ArrearsStage.objects.get(policy__name="Standard arrears policy", code="reminder")
    reminder = recommend(joint, stage, owed=700)
    assert not casework.letter_recommendations().filter(pk=reminder.pk).exists()
    with pytest.raises(ValidationError, match="None of the recommendations selected is a "
                                              "letter still waiting"):
        casework.start_arrears_letters(recommendation_ids=[reminder.pk], by=income_officer,
                                       at=AT)
    assert notify.outbox == [] and not Letter.objects.exists()


# --- Through the page -------------------------------------------------------------------------


def _accept_path(recommendation) -> str:
    return f"/rents/arrears/recommendations/{recommendation.pk}/accept/"


@pytest.mark.parametrize("persona", ["income_officer", "team_leader"])
def test_accepting_on_the_case_page_sends_it(client_for, request, persona, joint, stages):
    tenants(joint, (ADA, ""), ("", ""))
    recommendation = recommend(joint, stages["reminder"], owed=700)
    response = client_for(request.getfixturevalue(persona)).post(
        _accept_path(recommendation), follow=True)
    assert response.redirect_chain == [(f"/rents/arrears/accounts/{joint.pk}/", 302)]
    assert [text.to for text in notify.outbox] == [ADA]
    diary = response.content.decode().split('id="diary"')[1]
    assert f"Reminder text sent to {ADA}" in diary


def test_a_refusal_is_shown_on_the_case_page(client_for, income_officer, joint, stages):
    recommendation = recommend(joint, stages["reminder"], owed=700)
    page = client_for(income_officer).post(_accept_path(recommendation),
                                           follow=True).content.decode()
    assert "There is a problem" in page
    assert "No tenant on this tenancy has a mobile number recorded" in page
    assert_nothing_recorded(recommendation)


@pytest.mark.parametrize(("persona", "status"), [
    ("officer", 403), ("customer_access", 403), ("repairs_officer", 403), (None, 302)])
def test_who_may_not_send_a_reminder(client_for, request, persona, status, joint, stages):
    tenants(joint, (ADA, ""), (BOB, ""))
    recommendation = recommend(joint, stages["reminder"], owed=700)
    user = request.getfixturevalue(persona) if persona else None
    response = client_for(user).post(_accept_path(recommendation))
    assert response.status_code == status
    if persona is None:
        assert response.url.startswith("/accounts/login/")
    assert notify.outbox == []
    assert_nothing_recorded(recommendation)


def test_a_reminder_off_the_officers_patches_is_not_found(client_for, income_officer, south,
                                                         stages):
    account = tenants(let_home(south, owed=700), (ADA, ""))
    recommendation = recommend(account, stages["reminder"], owed=700)
    assert client_for(income_officer).post(_accept_path(recommendation)).status_code == 404
    assert notify.outbox == []
    assert_nothing_recorded(recommendation)


# --- The data migration -----------------------------------------------------------------------


def test_the_migration_attaches_the_template_and_reverses(db):
    migration = __import__("rents.migrations.0015_reminder_template", fromlist=["create"])
    stage = ArrearsStage.objects.get(policy__name="Standard arrears policy", code="reminder")
    migration.delete(apps, None)
    stage.refresh_from_db()
    assert stage.letter_template is None
    assert not LetterTemplate.objects.filter(code="arrears-reminder-text").exists()

    migration.create(apps, None)
    migration.create(apps, None)  # again: nothing twice
    stage.refresh_from_db()
    assert stage.letter_template.code == "arrears-reminder-text"
    assert LetterTemplate.objects.filter(code="arrears-reminder-text").count() == 1
    assert stage.history.filter(history_change_reason=migration.REASON).count() == 3

    # An administrator's own choice is kept.
    own = LetterTemplate.objects.create(code="own", name="Own", subject="S", body="B")
    migration.delete(apps, None)
    ArrearsStage.objects.filter(pk=stage.pk).update(letter_template=own)
    migration.create(apps, None)
    stage.refresh_from_db()
    assert stage.letter_template == own
