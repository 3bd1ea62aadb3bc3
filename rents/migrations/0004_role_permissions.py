from django.db import migrations


def grant(apps, schema_editor):
    from housing.roles import RENT_PERMISSIONS, sync_role_permissions

    sync_role_permissions(apps, RENT_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("rents", "0003_run_rent_permission"), ("tenancies", "0004_role_permissions")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
