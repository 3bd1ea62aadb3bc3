"""Test settings: the project's settings with DJANGO_ENV=test (eager Celery, memory broker,
fast hashing) plus a small app of models that exercise the access mechanism."""

import os

os.environ["DJANGO_ENV"] = "test"

from housing.settings import *  # noqa: E402,F403
from housing.settings import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
MEDIA_ROOT = BASE_DIR / ".data" / "test-media"  # noqa: F405
