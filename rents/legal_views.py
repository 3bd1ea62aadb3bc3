"""Screens for the NOSP and the court stages of an arrears case."""

urlpatterns: list = []
