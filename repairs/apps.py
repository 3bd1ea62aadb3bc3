from django.apps import AppConfig


class RepairsConfig(AppConfig):
    name = "repairs"

    def ready(self) -> None:
        # Each module registers its background job kinds (housing.jobs) when imported: the
        # worker must know them before the first job arrives.
        from repairs import reports  # noqa: F401
