from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "housing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Background job runners register themselves when their module is imported; the web
        # process and the Celery worker both need them (housing.jobs.registry).
        from housing import imports  # noqa: F401
