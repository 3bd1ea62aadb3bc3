"""Signing in with a browser: email and password, and an administrator setting up two-factor
authentication and then signing in with a code."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    follow,
    form_with,
    login,
    path_of,
    sign_out,
    submit,
    submit_button,
    totp_code,
    visit,
    wrong_code,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _main_menu(page):
    return page.get_by_role("navigation", name="Main menu")


def test_officer_signs_in_with_email_and_password(page, live_server, officer, password):
    login(page, live_server, officer, password)

    assert path_of(page) == "/"
    expect(page.locator("header")).to_contain_text(officer.get_full_name())
    expect(page.get_by_role("heading", level=1)).to_contain_text(officer.first_name)
    links = _main_menu(page).get_by_role("link")
    expect(links).to_have_text(["Properties", "Tenancies", "Reports"])
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def test_a_wrong_password_shows_an_error_and_signs_nobody_in(page, live_server, officer):
    visit(page, live_server, "/accounts/login/")
    form = form_with(page, "password")
    form.locator('[name="login"]').fill(officer.email)
    form.locator('[name="password"]').fill("not-the-password")
    submit(page, submit_button(form))

    assert path_of(page).startswith("/accounts/login/")
    expect(page.get_by_text(re.compile(r"not correct", re.I)).first).to_be_visible()
    # GOV.UK pattern: the error summary says "There is a problem" and the title says Error:
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
    # No session: the home page sends us back to sign in.
    visit(page, live_server, "/")
    assert path_of(page).startswith("/accounts/login/")


def test_administrator_without_mfa_is_sent_to_set_it_up_when_signing_in(
        page, live_server, administrator, password):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=administrator).delete()
    login(page, live_server, administrator, password)

    assert path_of(page) == "/accounts/2fa/totp/activate/"


def test_administrator_sets_up_mfa_then_signs_in_with_a_code(
        page, live_server, administrator, password):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=administrator).delete()
    login(page, live_server, administrator, password)

    # Until MFA is set up, any page of the service sends the administrator to set it up.
    visit(page, live_server, "/jobs/")
    assert path_of(page) == "/accounts/2fa/totp/activate/"

    # Someone who cannot scan the QR code opens "I cannot scan the QR code" for the secret.
    page.get_by_text("I cannot scan the QR code").click()
    text = page.locator("main").inner_text()
    found = re.search(r"\b([A-Z2-7]{32})\b", text.replace(" ", ""))
    assert found, f"No TOTP secret on the set-up page:\n{text}"
    secret = found.group(1)

    form = form_with(page, "code")
    form.locator('[name="code"]').fill(totp_code(secret))
    submit(page, submit_button(form))
    assert Authenticator.objects.filter(
        user=administrator, type=Authenticator.Type.TOTP).exists()

    # Then the recovery codes; from there the service's name in the header leads home.
    assert path_of(page) == "/accounts/2fa/recovery-codes/"
    expect(page.locator("#recovery_codes li")).to_have_count(10)
    follow(page, page.locator("header").get_by_role("link", name=re.compile("Housing")))
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    sign_out(page)
    assert path_of(page).startswith("/accounts/login/")

    # Signing in again: after the password the service asks for a code.
    login(page, live_server, administrator, password)
    assert path_of(page) == "/accounts/2fa/authenticate/"
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)

    code = totp_code(secret)
    form = form_with(page, "code")
    form.locator('[name="code"]').fill(wrong_code(code))
    submit(page, submit_button(form))
    assert path_of(page) == "/accounts/2fa/authenticate/"
    expect(page.get_by_text(re.compile(r"incorrect|not correct|not valid", re.I)).first) \
        .to_be_visible()

    form = form_with(page, "code")
    form.locator('[name="code"]').fill(totp_code(secret))
    submit(page, submit_button(form))
    assert path_of(page) == "/"
    expect(page.locator("header")).to_contain_text(administrator.get_full_name())
    expect(page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Admin")) \
        .to_be_visible()
