from django.db import migrations


def grant(apps, schema_editor):
    from housing.roles import REPAIRS_PERMISSIONS, sync_role_permissions

    sync_role_permissions(apps, REPAIRS_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("repairs", "0002_repairs_defaults")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
