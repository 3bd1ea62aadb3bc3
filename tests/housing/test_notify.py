"""housing.notify: email through Django's mail, text messages through the configured backend,
and the GOV.UK Notify backend's request, checked against a small HTTP server started here."""

import json
import smtplib
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer

from housing import notify

# Fixed, so that parallel test workers collect the same parametrised test ids.
SERVICE_ID = str(uuid.UUID(int=0x5E2F5666D4784436A980CA99CA558DEF))
SECRET = str(uuid.UUID(int=0xD107E29AFD284426BD7E64BC3DD6C211))
API_KEY = f"housing_test-{SERVICE_ID}-{SECRET}"  # Notify's key: name, service id, secret
TEMPLATE_ID = str(uuid.UUID(int=0xF2A57F934AA74436A980EF12836FE2B5))


class BrokenEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"ada@example.test": (550, b"No such user")})


def test_a_text_is_kept_in_the_outbox_in_tests():
    assert notify.send_text(to=" 07700 900123 ", body="Hello\n") == ""
    assert notify.outbox == [notify.TextMessage(to="07700 900123", body="Hello")]


@pytest.mark.parametrize(("to", "body"), [("", "Hello"), ("07700 900123", "  ")])
def test_a_text_needs_a_number_and_words(to, body):
    with pytest.raises(notify.SendError, match="A text message needs a number and some words"):
        notify.send_text(to=to, body=body)
    assert notify.outbox == []


def test_the_console_backend_prints_the_text(settings, capsys):
    settings.TEXT_MESSAGE_BACKEND = "housing.notify.ConsoleTextBackend"
    notify.send_text(to="07700 900123", body="Your rent account is £7.00 behind.")
    assert "Text message to 07700 900123:\nYour rent account is £7.00 behind." in (
        capsys.readouterr().out)
    assert notify.outbox == []


def test_the_disabled_backend_refuses(settings):
    settings.TEXT_MESSAGE_BACKEND = "housing.notify.DisabledTextBackend"
    with pytest.raises(notify.SendError, match="Text messages are not set up on this system"):
        notify.send_text(to="07700 900123", body="Hello")


def test_an_email_goes_through_django_mail(settings):
    settings.DEFAULT_FROM_EMAIL = "rents@council.example"
    notify.send_email(to="ada@example.test", subject="Your rent", body="You owe £7.00.")
    [sent] = mail.outbox
    assert (sent.to, sent.from_email, sent.subject, sent.body) == (
        ["ada@example.test"], "rents@council.example", "Your rent", "You owe £7.00.")


def test_an_email_the_server_refuses_is_a_send_error(settings):
    settings.EMAIL_BACKEND = "tests.housing.test_notify.BrokenEmailBackend"
    with pytest.raises(notify.SendError, match="The email server did not take it"):
        notify.send_email(to="ada@example.test", subject="Your rent", body="You owe £7.00.")


# --- GOV.UK Notify ----------------------------------------------------------------------------


class FakeNotify:
    """A local HTTP server that answers as Notify does, keeping each request it was sent."""

    def __init__(self, status: int = 201, answer: dict | None = None):
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "json": json.loads(self.rfile.read(length))})
                data = json.dumps(answer if answer is not None else {
                    "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
                    "content": {"body": "...", "from_number": "COUNCIL"}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def notify_settings(settings, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # never through a proxy to the local server
    settings.TEXT_MESSAGE_BACKEND = "housing.notify.NotifyTextBackend"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_SMS_TEMPLATE_ID = TEMPLATE_ID
    return settings


def test_notify_is_sent_the_number_the_template_and_the_body(notify_settings):
    with FakeNotify() as server:
        notify_settings.NOTIFY_BASE_URL = server.url
        reference = notify.send_text(to="07700 900123", body="Ada Quick: you owe £7.00.")
    assert reference == "740e5834-3a29-46b4-9a6f-16142fde533a"
    [request] = server.requests
    assert request["path"] == "/v2/notifications/sms"
    assert request["json"] == {"phone_number": "07700 900123", "template_id": TEMPLATE_ID,
                               "personalisation": {"body": "Ada Quick: you owe £7.00."}}
    assert request["headers"]["Content-type"] == "application/json"
    # Signed with the key's secret, issued by its service: what Notify checks.
    scheme, token = request["headers"]["Authorization"].split(" ")
    assert scheme == "Bearer" and decode_jwt_token(token, SECRET)
    assert get_token_issuer(token) == SERVICE_ID
    assert notify.outbox == []


def test_notify_refusing_is_a_send_error_with_its_reason(notify_settings):
    refusal = {"status_code": 400, "errors": [
        {"error": "BadRequestError", "message": "Can't send to this recipient using a "
                                                "team-only API key"}]}
    with FakeNotify(status=400, answer=refusal) as server:
        notify_settings.NOTIFY_BASE_URL = server.url
        with pytest.raises(notify.SendError) as refused:
            notify.send_text(to="07700 900123", body="Hello")
    assert str(refused.value) == ("GOV.UK Notify did not send it (400: Can't send to this "
                                  "recipient using a team-only API key).")


def test_notify_out_of_reach_is_a_send_error(notify_settings):
    with FakeNotify() as server:
        url = server.url
    notify_settings.NOTIFY_BASE_URL = url  # the server has gone: nothing listens there
    with pytest.raises(notify.SendError, match=r"GOV.UK Notify did not send it \(503"):
        notify.send_text(to="07700 900123", body="Hello")


@pytest.mark.parametrize(("key", "template", "reason"), [
    ("", TEMPLATE_ID, "GOV.UK Notify is not set up"),
    (API_KEY, "", "GOV.UK Notify is not set up"),
    ("not-a-key", TEMPLATE_ID, "NOTIFY_API_KEY is not a GOV.UK Notify API key"),
])
def test_notify_without_its_settings_refuses(notify_settings, key, template, reason):
    notify_settings.NOTIFY_API_KEY = key
    notify_settings.NOTIFY_SMS_TEMPLATE_ID = template
    with pytest.raises(notify.SendError, match=reason):
        notify.send_text(to="07700 900123", body="Hello")
