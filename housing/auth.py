import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Staff accounts are made by administrators; tenants claim theirs through the
        # portal's own identity check (tenancy reference, date of birth and postcode).
        return False

    def get_login_redirect_url(self, request) -> str:
        return reverse("home")

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # Someone who signed in moments ago (an administrator sent straight to set up MFA)
        # is not asked for their password again; after the timeout they are.
        request = context.request
        records = get_authentication_records(request, request.user) if request else []
        if records and time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT:
            return False
        return super().is_reauthentication_required(app=app, **kwargs)
