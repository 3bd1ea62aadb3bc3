from django.urls import path

from housing import register_views

app_name = "people"

urlpatterns = [
    path("<int:pk>/", register_views.person_detail, name="detail"),
]
