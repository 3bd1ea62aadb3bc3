"""Screens for payment arrangements."""

urlpatterns: list = []
