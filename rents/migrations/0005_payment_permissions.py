"""Taking payments: Customer Access (front desk), Income Officers, Team Leaders and
administrators record a payment on an account."""

from django.db import migrations

GRANTS = {
    "Customer Access": ["rents.add_transaction"],
    "Income Officer": ["rents.add_transaction"],
    "Team Leader": ["rents.add_transaction"],
    "System Administrator": ["rents.add_transaction"],
}


def grant(apps, schema_editor):
    from housing.roles import sync_role_permissions

    sync_role_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("rents", "0004_role_permissions")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
