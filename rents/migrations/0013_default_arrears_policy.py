"""The default arrears policy: the typical escalation from DOMAIN.md (Hackney's published rules),
in force from the 2024/25 rent year, with the letters it sends. Administrators change it in the
admin, or add a policy with a later effective date; this migration only ships the first one.

The letters' figures ({{ owed }}, {{ weekly_rent }}...) are listed in rents/arrears.py.
"""

from datetime import date

from django.db import migrations

POLICY_NAME = "Standard arrears policy"
EFFECTIVE_FROM = date(2024, 4, 1)

LETTERS = [
    ("arrears-letter-1", "Arrears letter 1", "Your rent account is behind", """\
Dear {{ tenant_names }}

Your rent account for {{ address }} is behind. On {{ today }} you owed {{ owed }}.

Your rent is {{ weekly_rent }} a week. Please pay what you owe as soon as you can, or contact us \
within 7 days to agree how you will pay it.

You can pay online, by phone, by Direct Debit, or at a Post Office or PayPoint with your rent \
payment card. Quote your payment reference {{ payment_reference }}.

If you are finding it hard to pay, please tell us: we can help. Tell us if your income has \
changed, or if you have claimed Housing Benefit or Universal Credit. Citizens Advice and \
StepChange give free, independent debt advice.

If you have paid in the last few days, thank you, and please ignore this letter."""),
    ("arrears-letter-2", "Arrears letter 2", "Your rent arrears: please contact us now", """\
Dear {{ tenant_names }}

We wrote to you about the rent you owe for {{ address }}. You have not cleared it: on {{ today }} \
you owed {{ owed }}, which is {{ weeks_owed }} weeks' rent.

Please pay what you owe, or contact us within 7 days to agree an arrangement to pay it off on top \
of your rent of {{ weekly_rent }} a week.

If you do not pay or contact us, we may serve a Notice of Seeking Possession. That is the first \
legal step towards asking the court to end your tenancy.

Quote your payment reference {{ payment_reference }} when you pay. If you are finding it hard to \
pay, contact us: we can help you claim the benefits you are entitled to and put you in touch \
with free debt advice."""),
    ("arrears-nosp-cover", "Notice of Seeking Possession: cover letter",
     "Notice of Seeking Possession: your rent arrears", """\
Dear {{ tenant_names }}

With this letter is a Notice of Seeking Possession for {{ address }}. We are serving it because \
you owe {{ owed }} in rent, which is {{ weeks_owed }} weeks' rent, and you have not paid it or \
agreed with us how you will pay it.

The notice does not mean that you must leave your home. It means that we can apply to the court \
for a possession order from the date given in the notice, at any time in the next 12 months.

You can stop this by paying what you owe, or by agreeing an arrangement with us and keeping to \
it. Please contact us as soon as you can, and quote your payment reference \
{{ payment_reference }}.

Get advice now. Citizens Advice, Shelter or a solicitor can help you, and you may be entitled to \
legal aid."""),
    ("arrears-court-warning", "Court warning letter",
     "We intend to apply to the court for possession of your home", """\
Dear {{ tenant_names }}

We have served a Notice of Seeking Possession on you for {{ address }}. On {{ today }} you still \
owed {{ owed }} in rent, which is {{ weeks_owed }} weeks' rent.

If you do not pay what you owe, or contact us and agree an arrangement to pay it, within 14 days \
of this letter, we will apply to the county court for a possession order. If the court makes an \
order you could lose your home, and you may have to pay the court costs as well.

Your rent is {{ weekly_rent }} a week. Quote your payment reference {{ payment_reference }} when \
you pay.

Please contact us now. Citizens Advice and Shelter give free advice."""),
]

# (order, code, name, action, min owed, max owed (exclusive), min weeks owed, after stage code,
#  min days after, max days after, not repeated within days, letter template code)
STAGES = [
    (1, "reminder", "Reminder", "reminder_text", 500, 1000, None, None, None, None, 28, None),
    (2, "letter-1", "Letter 1", "letter", 1000, None, None, None, None, None, 91,
     "arrears-letter-1"),
    (3, "letter-2", "Letter 2", "letter", 1000, None, None, "letter-1", 14, 91, 91,
     "arrears-letter-2"),
    (4, "nosp", "NOSP", "nosp", 1, None, "4.00", "letter-2", 7, 91, 365, "arrears-nosp-cover"),
    (5, "court-warning", "Court warning letter", "court_warning", 1, None, "4.00", "nosp", 28,
     365, 91, "arrears-court-warning"),
    # Still 4 weeks' rent owed: a council does not go to court for what is nearly paid.
    (6, "court-application", "Apply for a court date", "court_application", 1, None, "4.00",
     "court-warning", 14, 91, 365, None),
]

NOTES = ("The typical escalation (Hackney's published rules): a text reminder at £5 to £10 "
         "owed; Letter 1 at £10 with none in 3 months; Letter 2 two weeks to 3 months after "
         "Letter 1; a Notice of Seeking Possession at 4 weeks' rent owed, a week to 3 months "
         "after Letter 2 (a NOSP lasts 12 months); a court warning letter at least 28 days after "
         "the NOSP; then applying for a court date at least 2 weeks after the warning.")


def _record_history(apps, model_name: str, objects) -> None:
    """A "created" history row for each object, so the admin's history of the shipped
    policy and letters starts with what this migration made (saves here send no signals)."""
    from django.utils import timezone

    model = apps.get_model("rents", model_name)
    historical = apps.get_model("rents", f"Historical{model_name}")
    now = timezone.now()
    historical.objects.bulk_create([
        historical(**{field.attname: getattr(obj, field.attname)
                      for field in model._meta.concrete_fields},
                   history_date=now, history_type="+",
                   history_change_reason="The default arrears policy (migration)")
        for obj in objects])


def create(apps, schema_editor):
    from decimal import Decimal

    LetterTemplate = apps.get_model("rents", "LetterTemplate")
    ArrearsPolicy = apps.get_model("rents", "ArrearsPolicy")
    ArrearsStage = apps.get_model("rents", "ArrearsStage")
    if ArrearsPolicy.objects.filter(effective_from=EFFECTIVE_FROM).exists():
        return
    letters = {}
    for code, name, subject, body in LETTERS:
        letters[code], _ = LetterTemplate.objects.get_or_create(
            code=code, defaults={"name": name, "subject": subject, "body": body})
    policy = ArrearsPolicy.objects.create(name=POLICY_NAME, effective_from=EFFECTIVE_FROM,
                                          notes=NOTES, arrangement_max_weeks=104,
                                          breach_tolerance_pence=500)
    stages = {}
    for (order, code, name, action, min_owed, max_owed, weeks, after, min_days, max_days,
         not_within, letter) in STAGES:
        stages[code] = ArrearsStage.objects.create(
            policy=policy, order=order, code=code, name=name, action=action,
            min_owed_pence=min_owed, max_owed_pence=max_owed,
            min_weeks_owed=Decimal(weeks) if weeks else None,
            after_stage=stages[after] if after else None, min_days_after=min_days,
            max_days_after=max_days, not_repeated_within_days=not_within,
            letter_template=letters[letter] if letter else None)
    _record_history(apps, "LetterTemplate", letters.values())
    _record_history(apps, "ArrearsPolicy", [policy])
    _record_history(apps, "ArrearsStage", stages.values())


def delete(apps, schema_editor):
    LetterTemplate = apps.get_model("rents", "LetterTemplate")
    ArrearsPolicy = apps.get_model("rents", "ArrearsPolicy")
    ArrearsStage = apps.get_model("rents", "ArrearsStage")
    policy = ArrearsPolicy.objects.filter(effective_from=EFFECTIVE_FROM, name=POLICY_NAME).first()
    if policy is not None:
        for name in ("ArrearsStage", "ArrearsPolicy", "LetterTemplate"):
            apps.get_model("rents", f"Historical{name}").objects.filter(
                history_change_reason="The default arrears policy (migration)").delete()
        # Later stages point at earlier ones (PROTECT): delete from the last.
        for stage in ArrearsStage.objects.filter(policy=policy).order_by("-order"):
            stage.delete()
        policy.delete()
    LetterTemplate.objects.filter(code__in=[code for code, _, _, _ in LETTERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("rents", "0012_arrears_permissions")]

    operations = [migrations.RunPython(create, delete)]
