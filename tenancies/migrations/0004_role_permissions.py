"""Give the starting roles their permissions on the register, people and tenancies."""

from django.db import migrations


def grant(apps, schema_editor):
    from housing.roles import REGISTER_PERMISSIONS, sync_role_permissions

    sync_role_permissions(apps, REGISTER_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancies", "0003_tenancy_permissions"),
        ("housing", "0003_adaptation_attributedefinition_estate_block_and_more"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
