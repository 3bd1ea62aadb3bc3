"""Keeps each kind of user in their own part of the service.

Tenants may only use the tenant portal and contractors only the contractor portal; staff may
use neither portal. Administrators must set up MFA before they can do anything else.
This is one rule for every URL, so a new page cannot forget it.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

PUBLIC_PREFIXES = ("/accounts/", "/static/", "/healthz", "/favicon.ico")
PORTAL_PREFIX = "/portal/"
CONTRACTOR_PREFIX = "/contractor/"


class UserKindMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        path = request.path
        if user.is_authenticated and not path.startswith(PUBLIC_PREFIXES):
            if path.startswith(PORTAL_PREFIX):
                allowed = user.is_tenant
            elif path.startswith(CONTRACTOR_PREFIX):
                allowed = user.is_contractor
            else:
                allowed = user.is_council_staff or path == "/"  # home redirects by kind
            if not allowed:
                raise PermissionDenied
            if user.is_system_administrator and not _has_totp(user):
                return redirect("mfa_activate_totp")
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
