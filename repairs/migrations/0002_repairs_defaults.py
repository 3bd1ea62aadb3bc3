"""What a council starts repairs with, all editable in the admin: the roles' repairs
permissions and spend limits, the usual priorities (emergency in 24 hours; urgent in 3, routine
in 20 working days; planned), a small sample Schedule of Rates (not the licensed NHF schedule:
a council imports its own), Awaab's Law clocks for damp and mould from 27 October 2025, and
the sequences that number requests, orders and hazard cases.
"""

from datetime import date

from django.db import migrations

PRIORITIES = [  # code, name, order, hours, working days, emergency
    ("emergency", "Emergency", 1, 24, None, True),
    ("urgent", "Urgent", 2, None, 3, False),
    ("routine", "Routine", 3, None, 20, False),
    ("planned", "Planned", 4, None, None, False),
]

TRADES = [("plumbing", "Plumbing"), ("electrical", "Electrical"), ("carpentry", "Carpentry"),
          ("roofing", "Roofing"), ("plastering", "Plastering"), ("decorating", "Decorating"),
          ("glazing", "Glazing"), ("heating", "Gas and heating"), ("drainage", "Drainage"),
          ("damp", "Damp and mould")]

SOR = [  # code, trade, description, unit, pence
    ("PL100", "plumbing", "Renew tap washer or cartridge", "each", 2850),
    ("PL110", "plumbing", "Clear blocked basin, bath or sink waste", "each", 4200),
    ("PL120", "plumbing", "Renew WC cistern syphon or flush valve", "each", 6800),
    ("PL130", "plumbing", "Trace and repair leak on supply pipe", "each", 9500),
    ("EL200", "electrical", "Renew socket outlet, single or double", "each", 4400),
    ("EL210", "electrical", "Renew light switch", "each", 3600),
    ("EL220", "electrical", "Test and make safe circuit after fault", "each", 8500),
    ("EL230", "electrical", "Renew mains smoke or heat alarm", "each", 7200),
    ("CA300", "carpentry", "Ease and adjust internal door", "each", 3900),
    ("CA310", "carpentry", "Renew door lock or cylinder", "each", 6500),
    ("CA320", "carpentry", "Renew kitchen unit door", "each", 8800),
    ("RF400", "roofing", "Replace slipped or broken roof tile", "each", 12500),
    ("RF410", "roofing", "Clear gutter", "m", 450),
    ("PS500", "plastering", "Hack off and replaster wall", "m²", 3800),
    ("DC600", "decorating", "Prepare and paint wall or ceiling", "m²", 950),
    ("GL700", "glazing", "Board up broken window (emergency)", "each", 9000),
    ("GL710", "glazing", "Renew double glazed unit", "m²", 16500),
    ("HT800", "heating", "Attend no heating or hot water: diagnose and repair", "each", 11000),
    ("HT810", "heating", "Renew radiator valve", "each", 6200),
    ("DR900", "drainage", "Clear blocked drain or gully", "each", 11500),
    ("DM950", "damp", "Mould wash and treat affected area", "m²", 1200),
    ("DM960", "damp", "Inspect for damp and mould, with moisture readings and report", "each",
     9500),
    ("DM970", "damp", "Fit humidity-controlled extractor fan", "each", 32000),
    ("GN990", "carpentry", "Labour: general operative", "hour", 3500),
]

SPEND_LIMITS = [("Repairs Officer", 150_000), ("Team Leader", 1_000_000),
                ("System Administrator", 1_000_000)]  # £1,500 and £10,000

SEQUENCES = ["repairs_request_ref", "repairs_order_ref", "repairs_hazard_ref"]


def create(apps, schema_editor):
    from housing.roles import REPAIRS_PERMISSIONS, sync_role_permissions

    sync_role_permissions(apps, REPAIRS_PERMISSIONS)
    Priority = apps.get_model("repairs", "Priority")
    Trade = apps.get_model("repairs", "Trade")
    SorCode = apps.get_model("repairs", "SorCode")
    SpendLimit = apps.get_model("repairs", "SpendLimit")
    HazardRule = apps.get_model("repairs", "HazardRule")
    Group = apps.get_model("auth", "Group")
    for code, name, order, hours, days, emergency in PRIORITIES:
        Priority.objects.get_or_create(code=code, defaults={
            "name": name, "order": order, "target_hours": hours, "target_working_days": days,
            "is_emergency": emergency})
    trades = {code: Trade.objects.get_or_create(code=code, defaults={"name": name})[0]
              for code, name in TRADES}
    for code, trade, description, unit, pence in SOR:
        SorCode.objects.get_or_create(code=code, start_date=date(2024, 4, 1), defaults={
            "trade": trades[trade], "description": description, "unit": unit,
            "unit_price_pence": pence})
    for role, pence in SPEND_LIMITS:
        group = Group.objects.filter(name=role).first()
        if group is not None:
            SpendLimit.objects.get_or_create(group=group, defaults={"limit_pence": pence})
    HazardRule.objects.get_or_create(hazard="damp_mould", effective_from=date(2025, 10, 27))
    for name in SEQUENCES:
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")


def remove(apps, schema_editor):
    for name in SEQUENCES:
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("repairs", "0001_repairs_schema")]

    operations = [migrations.RunPython(create, remove)]
