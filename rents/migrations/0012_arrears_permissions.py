from django.db import migrations


def grant(apps, schema_editor):
    from housing.roles import ARREARS_PERMISSIONS, sync_role_permissions

    sync_role_permissions(apps, ARREARS_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("rents", "0011_arrears_recovery"), ("tenancies", "0006_arrears_recovery")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
