"""The repairs screens for staff: the repairs home, repair requests and work orders."""

from django.urls import path

from housing.views import module_home

urlpatterns = [
    path("", module_home, {"title": "Repairs", "perm": "housing.use_repairs",
                           "summary": "Repair requests, work orders, contractors and Awaab's Law "
                                      "cases."}, name="index"),
]
