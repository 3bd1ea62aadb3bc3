"""Signing in with allauth: email and password, MFA for administrators, rate limits, idle
sessions and closed sign-up."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_staff_sign_in_with_email_and_password(client, officer, password):
    response = client.post("/accounts/login/", {"login": officer.email, "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == officer


def test_a_wrong_password_is_refused_without_saying_which_field(client, officer):
    response = client.post("/accounts/login/", {"login": officer.email, "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "not correct" in response.content.decode()


def test_failed_logins_are_rate_limited(client, officer, password):
    for _ in range(5):
        client.post("/accounts/login/", {"login": officer.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"login": officer.email, "password": password})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
    assert "Too many" in response.content.decode() or response.status_code == 429


def test_administrator_needs_a_code_after_the_password(client, administrator, password):
    response = client.post("/accounts/login/",
                           {"login": administrator.email, "password": password})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "_auth_user_id" not in client.session
    code = _code(administrator.totp_secret)
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(administrator.pk)


def test_administrator_without_mfa_must_set_it_up_first(client, administrator, password):
    Authenticator.objects.filter(user=administrator).delete()
    client.post("/accounts/login/", {"login": administrator.email, "password": password})
    response = client.get("/jobs/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200


def test_other_staff_are_offered_mfa_but_not_forced(client, officer, password):
    client.post("/accounts/login/", {"login": officer.email, "password": password})
    assert client.get("/jobs/").status_code == 200
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200


def test_sign_up_is_closed(client):
    response = client.get("/accounts/signup/")
    assert "You cannot create an account here" in response.content.decode()
    client.post("/accounts/signup/", {"email": "new@example.test", "password1": "x" * 20,
                                      "password2": "x" * 20})
    from housing.models import User

    assert not User.objects.filter(email="new@example.test").exists()


def test_sessions_expire_after_the_idle_time(client, officer, password):
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    start = timezone.now()
    with freeze_time(start):
        client.post("/accounts/login/", {"login": officer.email, "password": password})
    with freeze_time(start + idle - timedelta(minutes=1)):
        assert client.get("/jobs/").status_code == 200  # activity extends the session
    with freeze_time(start + 2 * idle - timedelta(minutes=2)):
        assert client.get("/jobs/").status_code == 200
    with freeze_time(start + 3 * idle):
        response = client.get("/jobs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_reset_sends_an_email(client, officer, mailoutbox):
    client.post("/accounts/password/reset/", {"email": officer.email})
    assert len(mailoutbox) == 1
    assert officer.email in mailoutbox[0].to
