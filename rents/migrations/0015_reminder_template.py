"""The default policy's reminder gets its message: a template administrators can edit. For a
reminder (by text or email) the template is the message itself, sent when the recommendation
is accepted (rents.reminders), not a PDF letter; the subject is the email's subject.

Only a reminder stage still without a template is given one, so an administrator's own choice
is kept. Reversing takes it off the stages using it and deletes it.
"""

from django.db import migrations

CODE = "arrears-reminder-text"
NAME = "Arrears reminder (text or email)"
SUBJECT = "Your rent account is behind"
# Under 300 characters with the figures in, so a text is at most two messages long.
BODY = ("{{ tenant_names }}: your rent account {{ payment_reference }} is {{ owed }} behind. "
        "Please pay today, or call the Income Team to agree how you will pay it.")
POLICY_NAME = "Standard arrears policy"
REASON = "The reminder's message (migration)"


def _record_history(apps, model_name: str, objects, kind: str) -> None:
    """A history row for each object, so the admin's history shows what this migration did
    (saves here send no signals)."""
    from django.utils import timezone

    model = apps.get_model("rents", model_name)
    historical = apps.get_model("rents", f"Historical{model_name}")
    now = timezone.now()
    historical.objects.bulk_create([
        historical(**{field.attname: getattr(obj, field.attname)
                      for field in model._meta.concrete_fields},
                   history_date=now, history_type=kind, history_change_reason=REASON)
        for obj in objects])


def create(apps, schema_editor):
    LetterTemplate = apps.get_model("rents", "LetterTemplate")
    ArrearsStage = apps.get_model("rents", "ArrearsStage")
    template, made = LetterTemplate.objects.get_or_create(
        code=CODE, defaults={"name": NAME, "subject": SUBJECT, "body": BODY})
    if made:
        _record_history(apps, "LetterTemplate", [template], "+")
    stages = list(ArrearsStage.objects.filter(policy__name=POLICY_NAME, code="reminder",
                                              letter_template__isnull=True))
    for stage in stages:
        stage.letter_template = template
        stage.save(update_fields=["letter_template"])
    _record_history(apps, "ArrearsStage", stages, "~")


def delete(apps, schema_editor):
    LetterTemplate = apps.get_model("rents", "LetterTemplate")
    ArrearsStage = apps.get_model("rents", "ArrearsStage")
    template = LetterTemplate.objects.filter(code=CODE).first()
    if template is None:
        return
    stages = list(ArrearsStage.objects.filter(letter_template=template))
    for stage in stages:
        stage.letter_template = None
        stage.save(update_fields=["letter_template"])
    _record_history(apps, "ArrearsStage", stages, "~")
    apps.get_model("rents", "HistoricalLetterTemplate").objects.filter(
        history_change_reason=REASON).delete()
    template.delete()


class Migration(migrations.Migration):
    dependencies = [("rents", "0014_arrangement_approval_and_letter_reconciliation")]

    operations = [migrations.RunPython(create, delete)]
