from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Staff accounts are made by administrators; tenants claim theirs through the
        # portal's own identity check (tenancy reference, date of birth and postcode).
        return False

    def get_login_redirect_url(self, request) -> str:
        return reverse("home")
