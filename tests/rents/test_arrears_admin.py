"""The arrears admin: policies with their stages (pounds in, pence kept, conditions that make
sense), letter templates with their history and only the figures a letter is given, and the
arrears records that only the services write."""

from datetime import UTC, date, datetime

import pytest

from rents.admin import ArrearsStageForm, LetterTemplateForm, template_figures
from rents.models import ArrearsPolicy, ArrearsStage, LetterTemplate

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin_client(client_for, administrator):
    return client_for(administrator)


@pytest.fixture
def policy():
    return ArrearsPolicy.objects.get(effective_from=date(2024, 4, 1))


def _management(prefix, total, initial):
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": initial,
            f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000}


def _stage_data(index, stage, **changes):
    """The inline's fields for a saved stage, as the page posts them."""
    values = {
        "id": stage.pk, "policy": stage.policy_id, "order": stage.order, "code": stage.code,
        "name": stage.name, "action": stage.action,
        "min_owed_pounds": f"{stage.min_owed_pence / 100:.2f}",
        "max_owed_pounds": "" if stage.max_owed_pence is None
        else f"{stage.max_owed_pence / 100:.2f}",
        "min_weeks_owed": stage.min_weeks_owed or "",
        "after_stage": stage.after_stage_id or "",
        "min_days_after": stage.min_days_after or "",
        "max_days_after": stage.max_days_after or "",
        "not_repeated_within_days": stage.not_repeated_within_days or "",
        "letter_template": stage.letter_template_id or "",
        **changes,
    }
    return {f"stages-{index}-{name}": value for name, value in values.items()}


def _policy_post(policy, stage_changes=None, **changes):
    stages = list(policy.stages.order_by("order"))
    data = {"name": policy.name, "effective_from": policy.effective_from.isoformat(),
            "notes": policy.notes, "arrangement_max_weeks": policy.arrangement_max_weeks,
            "breach_tolerance_pounds": f"{policy.breach_tolerance_pence / 100:.2f}",
            **_management("stages", len(stages), len(stages)), **changes}
    for index, stage in enumerate(stages):
        data.update(_stage_data(index, stage, **(stage_changes or {}).get(stage.code, {})))
    return data


def test_the_policy_page_shows_pounds_and_its_stages(admin_client, policy):
    page = admin_client.get(f"/admin/rents/arrearspolicy/{policy.pk}/change/").content.decode()
    assert "Breach tolerance, in pounds (£)" in page and 'value="5.00"' in page
    assert "Owes at least, in pounds (£)" in page
    for name in ["Reminder", "Letter 1", "Letter 2", "NOSP", "Court warning letter",
                 "Apply for a court date"]:
        assert name in page
    listing = admin_client.get("/admin/rents/arrearspolicy/").content.decode()
    assert "Standard arrears policy" in listing and "£5.00" in listing


def test_the_admin_changes_a_stage_and_the_tolerance_in_pounds(admin_client, policy):
    response = admin_client.post(
        f"/admin/rents/arrearspolicy/{policy.pk}/change/",
        _policy_post(policy, {"reminder": {"min_owed_pounds": "4.50", "max_owed_pounds": "12"},
                              "nosp": {"min_weeks_owed": "3.5"}},
                     breach_tolerance_pounds="7.25"))
    assert response.status_code == 302, response.content.decode()[:3000]
    policy.refresh_from_db()
    assert policy.breach_tolerance_pence == 725
    reminder = policy.stages.get(code="reminder")
    assert (reminder.min_owed_pence, reminder.max_owed_pence) == (450, 1200)
    assert str(policy.stages.get(code="nosp").min_weeks_owed) == "3.50"
    # The reminder's history: made, given its text (a migration each), then this change.
    assert policy.history.count() == 2 and reminder.history.count() == 3


@pytest.mark.parametrize(("code", "changes", "field", "message"), [
    ("reminder", {"min_owed_pounds": "10.00", "max_owed_pounds": "10.00"}, "max_owed_pounds",
     "This must be more than the amount it owes at least."),
    ("reminder", {"min_owed_pounds": "4.999"}, "min_owed_pounds",
     "Ensure that there are no more than 2 decimal places."),
    ("reminder", {"min_owed_pounds": "0"}, "min_owed_pounds",
     "Ensure this value is greater than or equal to 0.01."),
    ("letter-2", {"min_days_after": "20", "max_days_after": "14"}, "max_days_after",
     "This must be at least the days in 'at least this many days after it'."),
    ("letter-1", {"min_days_after": "14"}, "after_stage",
     "Choose the stage the days are counted from, or leave the days empty."),
    ("letter-1", {"letter_template": ""}, "letter_template",
     "Choose the letter this stage sends."),
])
def test_a_stage_that_makes_no_sense_is_refused(policy, code, changes, field, message):
    stage = policy.stages.get(code=code)
    data = {name.split("-", 2)[2]: value
            for name, value in _stage_data(0, stage, **changes).items()}
    form = ArrearsStageForm(data=data, instance=stage)
    assert not form.is_valid()
    assert message in form.errors[field]


def test_a_stage_follows_an_earlier_stage_of_its_own_policy(policy):
    letter_1 = policy.stages.get(code="letter-1")
    nosp = policy.stages.get(code="nosp")
    data = {name.split("-", 2)[2]: value
            for name, value in _stage_data(0, letter_1, after_stage=nosp.pk,
                                           min_days_after="7").items()}
    form = ArrearsStageForm(data=data, instance=letter_1)
    assert not form.is_valid()
    assert form.errors["after_stage"] == ["A stage follows one that comes before it in the "
                                          "order."]
    other = ArrearsPolicy.objects.create(name="Pilot", effective_from=date(2027, 4, 1))
    elsewhere = ArrearsStage.objects.create(policy=other, order=1, code="letter-1",
                                            name="Letter 1", action="letter",
                                            letter_template=letter_1.letter_template)
    data = {name.split("-", 2)[2]: value
            for name, value in _stage_data(0, nosp, after_stage=elsewhere.pk).items()}
    form = ArrearsStageForm(data=data, instance=nosp)
    assert not form.is_valid()


def test_the_inline_offers_only_the_policys_own_stages(admin_client, policy):
    other = ArrearsPolicy.objects.create(name="Pilot policy", effective_from=date(2027, 4, 1))
    foreign = ArrearsStage.objects.create(policy=other, order=1, code="only", name="Elsewhere",
                                          action="visit")
    page = admin_client.get(f"/admin/rents/arrearspolicy/{policy.pk}/change/").content.decode()
    assert f'<option value="{foreign.pk}">' not in page
    assert f'<option value="{policy.stages.get(code="letter-1").pk}"' in page


def test_a_new_policy_from_a_later_date(admin_client):
    data = {"name": "Policy from April 2027", "effective_from": "2027-04-01", "notes": "",
            "arrangement_max_weeks": 52, "breach_tolerance_pounds": "10",
            **_management("stages", 1, 0),
            "stages-0-order": 1, "stages-0-code": "reminder", "stages-0-name": "Reminder",
            "stages-0-action": "reminder_email", "stages-0-min_owed_pounds": "5",
            "stages-0-max_owed_pounds": "15"}
    response = admin_client.post("/admin/rents/arrearspolicy/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = ArrearsPolicy.objects.get(effective_from=date(2027, 4, 1))
    assert policy.breach_tolerance_pence == 1000
    stage = policy.stages.get()
    assert (stage.min_owed_pence, stage.max_owed_pence, stage.action) == (
        500, 1500, "reminder_email")


def test_a_stage_in_use_cannot_be_deleted(admin_client, policy, north):
    from rents.models import Recommendation
    from tests.rents.test_arrears_run import _let, _post, _run

    account = _let(north)
    _post(account, 700)
    _run()
    assert Recommendation.objects.get().stage.code == "reminder"
    data = _policy_post(policy)
    data["stages-0-DELETE"] = "on"
    response = admin_client.post(f"/admin/rents/arrearspolicy/{policy.pk}/change/", data)
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in \
        response.content.decode()
    assert policy.stages.filter(code="reminder").exists()


# --- Letter templates -----------------------------------------------------------------------

def test_template_figures_finds_the_names_used():
    assert template_figures("Dear {{ tenant_names }}, you owe {{ owed|upper }}. "
                            "{% if weeks_owed %}{{ weeks_owed }} weeks{% endif %}") == {
        "tenant_names", "owed", "weeks_owed"}


@pytest.mark.parametrize(("body", "message"), [
    ("Dear {{ tenant_names }}, you owe {{ owd }}.",
     "These are not figures a letter is given: {{ owd }}."),
    ("You owe {{ owed|shout }}.", "The letter cannot be filled in: Invalid filter: 'shout'"),
    ("{% if owed %}You owe {{ owed }}", "The letter cannot be filled in"),
])
def test_a_letter_that_cannot_be_filled_in_is_refused(body, message):
    form = LetterTemplateForm(data={"code": "test-letter", "name": "Test", "subject": "Test",
                                    "body": body})
    assert not form.is_valid()
    assert message in form.errors["body"][0]


def test_the_default_letters_use_only_known_figures():
    from rents.arrears import LETTER_FIGURES

    letters = LetterTemplate.objects.all()
    assert letters.count() == 5  # four letters and the reminder's text
    for letter in letters:
        assert template_figures(letter.body) <= set(LETTER_FIGURES), letter.code
        assert LetterTemplateForm(data={"code": letter.code, "name": letter.name,
                                        "subject": letter.subject, "body": letter.body},
                                  instance=letter).is_valid()


def test_the_admin_edits_a_letter_and_keeps_its_history(admin_client, administrator):
    letter = LetterTemplate.objects.get(code="arrears-letter-1")
    page = admin_client.get(f"/admin/rents/lettertemplate/{letter.pk}/change/").content.decode()
    assert "<code>{{ weekly_rent }}</code>" in page  # the figures are listed beside the body
    body = letter.body.replace("as soon as you can", "within 14 days")
    response = admin_client.post(f"/admin/rents/lettertemplate/{letter.pk}/change/", {
        "code": "changed", "name": letter.name, "subject": letter.subject, "body": body})
    assert response.status_code == 302, response.content.decode()[:3000]
    letter.refresh_from_db()
    assert "within 14 days" in letter.body
    assert letter.code == "arrears-letter-1"  # read-only once saved
    assert letter.history.count() == 2  # the migration's, then this change, by whom
    assert [(h.history_type, h.history_user) for h in letter.history.all()] == [
        ("~", administrator), ("+", None)]
    history = admin_client.get(f"/admin/rents/lettertemplate/{letter.pk}/history/")
    assert history.status_code == 200


def test_a_misspelt_figure_is_refused_on_the_page(admin_client):
    letter = LetterTemplate.objects.get(code="arrears-letter-2")
    response = admin_client.post(f"/admin/rents/lettertemplate/{letter.pk}/change/", {
        "name": letter.name, "subject": letter.subject, "body": "You owe {{ owed_pence }}."})
    assert response.status_code == 200
    assert "These are not figures a letter is given: {{ owed_pence }}" in \
        response.content.decode()
    letter.refresh_from_db()
    assert "{{ owed_pence }}" not in letter.body


# --- Read-only records ----------------------------------------------------------------------

@pytest.mark.parametrize("model", ["recommendation", "caseevent", "pause", "arrangement",
                                   "possessionnotice", "courtcase"])
def test_arrears_records_are_read_only_in_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/rents/{model}/").status_code == 200
    assert admin_client.get(f"/admin/rents/{model}/add/").status_code == 403


@pytest.mark.parametrize("model", ["arrearspolicy", "lettertemplate"])
def test_arrears_configuration_is_edited_in_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/rents/{model}/").status_code == 200
    assert admin_client.get(f"/admin/rents/{model}/add/").status_code == 200


@pytest.mark.parametrize("persona", ["income_officer", "team_leader", "officer"])
def test_staff_without_admin_access_cannot_reach_it(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    response = client.get("/admin/rents/arrearspolicy/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_tenants_and_anonymous_visitors_cannot_reach_it(client_for, tenant):
    assert client_for(tenant).get("/admin/rents/arrearspolicy/").status_code == 403
    response = client_for(None).get("/admin/rents/lettertemplate/")
    assert response.status_code == 302 and "login" in response["Location"]
