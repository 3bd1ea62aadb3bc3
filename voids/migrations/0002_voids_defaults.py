"""What a council starts voids with, all editable in the admin: the roles' voids permissions,
a Lettings and Voids Officer's spend limit on void works (£3,000; above it a Team Leader
approves), the void works priorities (standard voids in 10 working days, major works voids in
30), a general void works trade with two sample SOR codes, the inspection checklist, and the
sequence that numbers voids.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

PRIORITIES = [  # code, name, order, working days, void type
    ("void_standard", "Void works (standard)", 10, 10, "standard"),
    ("void_major", "Void works (major)", 11, 30, "major"),
]

SOR = [  # code, description, unit, pence
    ("VO100", "Void clearance: remove rubbish and belongings, clean throughout", "each", 22000),
    ("VO110", "Void security: fit and later remove steel door and window screens", "each", 18500),
]

CHECKLIST = [  # label, SOR code, quantity
    ("Clear rubbish and clean throughout", "VO100", "1"),
    ("Change the entrance door locks", "CA310", "1"),
    ("Test the electrics and make safe", "EL220", "1"),
    ("Renew smoke and heat alarms", "EL230", "2"),
    ("Check the heating and hot water", "HT800", "1"),
    ("Renew tap washers and cartridges", "PL100", "2"),
    ("Renew kitchen unit doors", "CA320", "4"),
    ("Replaster damaged walls (m²)", "PS500", "10"),
    ("Redecorate walls and ceilings (m²)", "DC600", "40"),
    ("Mould wash and treat (m²)", "DM950", "5"),
    ("Secure the empty home with screens", "VO110", "1"),
]


def create(apps, schema_editor):
    from housing.roles import VOIDS_PERMISSIONS, sync_role_permissions

    sync_role_permissions(apps, VOIDS_PERMISSIONS)
    Priority = apps.get_model("repairs", "Priority")
    Trade = apps.get_model("repairs", "Trade")
    SorCode = apps.get_model("repairs", "SorCode")
    SpendLimit = apps.get_model("repairs", "SpendLimit")
    ChecklistItem = apps.get_model("voids", "ChecklistItem")
    Group = apps.get_model("auth", "Group")
    for code, name, order, days, void_type in PRIORITIES:
        Priority.objects.get_or_create(code=code, defaults={
            "name": name, "order": order, "target_working_days": days, "void_type": void_type})
    trade, _ = Trade.objects.get_or_create(code="voids",
                                           defaults={"name": "Void works (general)"})
    for code, description, unit, pence in SOR:
        SorCode.objects.get_or_create(code=code, start_date=date(2024, 4, 1), defaults={
            "trade": trade, "description": description, "unit": unit,
            "unit_price_pence": pence})
    for order, (label, code, quantity) in enumerate(CHECKLIST, start=1):
        ChecklistItem.objects.get_or_create(label=label, defaults={
            "sor_code": code, "default_quantity": Decimal(quantity), "order": order})
    group = Group.objects.filter(name="Lettings and Voids Officer").first()
    if group is not None and not SpendLimit.objects.filter(group=group).exists():
        SpendLimit.objects.create(group=group, limit_pence=300_000)
    schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS voids_void_ref")


def remove(apps, schema_editor):
    schema_editor.execute("DROP SEQUENCE IF EXISTS voids_void_ref")


class Migration(migrations.Migration):
    dependencies = [("voids", "0001_voids_schema"), ("repairs", "0005_priority_void_type")]

    operations = [migrations.RunPython(create, remove)]
