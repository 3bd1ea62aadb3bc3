"""The Awaab's Law screens: hazard cases, their clocks and timelines, and the overdue list."""

urlpatterns: list = []
