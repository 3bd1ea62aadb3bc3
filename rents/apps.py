from django.apps import AppConfig


class RentsConfig(AppConfig):
    name = "rents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rents import jobs  # noqa: F401 - registers the rent run job
