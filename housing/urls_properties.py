from django.urls import path

from housing.views import module_home

app_name = "properties"

urlpatterns = [
    path("", module_home, {"title": "Properties", "perm": "housing.use_properties",
                           "summary": "Estates, blocks and homes."}, name="index"),
]
