"""Health check, security headers, PDF documents, the audit trail and settings validation."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.html import escape
from pypdf import PdfReader

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("ok", "ok", "ok")


def test_healthz_is_503_when_the_broker_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    from housing.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = "memory://"
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def test_pages_carry_a_strict_content_security_policy(client_for, officer):
    response = client_for(officer).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_no_page_has_an_inline_script(client_for, officer):
    import re

    page = client_for(officer).get("/").content.decode()
    for tag in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S):
        assert tag.strip() == "", "inline script found"
    assert " style=" not in page


def test_render_pdf_makes_an_a4_pdf_with_page_numbers():
    from housing.documents import render_pdf

    rows = [(f"Item {n}", n * 100) for n in range(120)]
    pdf = render_pdf("documents/sample.html", {"body": "Hello", "rows": rows}, title="Test")
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages >= 2
    first = reader.pages[0]
    assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == (595, 842)
    text = first.extract_text()
    assert "Demo Council" in text  # the council's header
    assert f"Page 1 of {pages}" in text
    assert "Item 119" in reader.pages[-1].extract_text()


def test_changes_to_a_core_record_are_in_its_audit_trail(client_for, team_leader, north):
    from simple_history.utils import update_change_reason  # noqa: F401 - history is on

    north._history_user = team_leader
    north.name = "North and Riverside"
    north.save()
    page = client_for(team_leader).get(f"/patches/{north.pk}/").content.decode()
    assert "North and Riverside" in page
    assert "Changed" in page and "Created" in page
    assert escape(team_leader.display_name) in page
    assert "changed from North to North and Riverside" in page


def test_patch_page_follows_the_officers_patches(client_for, officer, council_tax, north, south,
                                                 tenant):
    assert client_for(officer).get(f"/patches/{north.pk}/").status_code == 200
    assert client_for(officer).get(f"/patches/{south.pk}/").status_code == 404
    assert client_for(council_tax).get(f"/patches/{south.pk}/").status_code == 200
    assert client_for(tenant).get(f"/patches/{north.pk}/").status_code == 403
    assert client_for(None).get(f"/patches/{north.pk}/").status_code == 302


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("0", False), ("Yes", True)])
def test_env_bool_reads_true_and_false(monkeypatch, value, expected):
    from housing.env import env_bool

    monkeypatch.setenv("X_FLAG", value)
    assert env_bool("X_FLAG", default=False) is expected


def test_a_wrong_setting_is_a_clear_error(monkeypatch):
    from housing.env import env_bool, env_int

    monkeypatch.setenv("X_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be true or false"):
        env_bool("X_FLAG", default=False)
    monkeypatch.setenv("X_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_NUMBER must be a whole number"):
        env_int("X_NUMBER", 1)


def test_favicon_points_at_the_council_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/dist/assets/images/favicon.svg"
