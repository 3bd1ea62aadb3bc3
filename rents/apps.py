from django.apps import AppConfig


class RentsConfig(AppConfig):
    name = "rents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each module registers its background job kinds (housing.jobs) when imported.
        from rents import arrears, casework, jobs, payment_files, reports, setting  # noqa: F401
