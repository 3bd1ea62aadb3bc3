from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tenancies", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS tenancy_reference_seq START 1000",
            "DROP SEQUENCE IF EXISTS tenancy_reference_seq",
        )
    ]
