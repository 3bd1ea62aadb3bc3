"""The contractor portal: each contractor user sees and acts on their own company's work
orders only (repairs.ContractorMember), never by an id in the URL alone."""

from django.shortcuts import render
from django.urls import path


def contractor_home(request):
    return render(request, "portal/contractor_home.html", {})


urlpatterns = [
    path("", contractor_home, name="home"),
]
