from django.urls import path

from housing import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_start, name="start"),
    path("<int:pk>/import/", import_views.import_checked, name="import-checked"),
]
