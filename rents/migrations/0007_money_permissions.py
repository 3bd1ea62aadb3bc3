from django.db import migrations


def grant(apps, schema_editor):
    from housing.roles import MONEY_PERMISSIONS, sync_role_permissions

    sync_role_permissions(apps, MONEY_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("rents", "0006_rent_setting_payment_files_write_offs"),
                    ("tenancies", "0005_letters")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
