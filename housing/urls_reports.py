from django.urls import path

from housing.views import module_home

app_name = "reports"

urlpatterns = [
    path("", module_home, {"title": "Reports", "perm": "housing.use_reports",
                           "summary": "Performance reports and returns."}, name="index"),
]
