"""The tenant portal and the contractor portal. UserKindMiddleware already keeps each kind of
user to its own portal; every view here scopes to request.user, never to an id in the URL."""

from django.shortcuts import render


def tenant_home(request):
    return render(request, "portal/home.html", {})
