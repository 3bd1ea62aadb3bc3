# The Celery app is imported here so `.delay()` honours eager mode in tests and finds the
# configured broker everywhere else.
from housing.celery import app as celery_app

__all__ = ["celery_app"]
