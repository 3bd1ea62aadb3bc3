from django.urls import path

from portal import views

app_name = "contractor"

urlpatterns = [
    path("", views.contractor_home, name="home"),
]
