"""Stub: the voids worklist and void pages come with issue #7 work."""

from django.urls import path

from housing.views import module_home

urlpatterns: list = [
    path("", module_home, {"title": "Voids", "perm": "housing.use_voids",
                           "summary": "Empty homes from keys in to a new tenancy."},
         name="index"),
]
