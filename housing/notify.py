"""Sending messages to people: the one place that does.

Email goes through Django's mail (EMAIL_BACKEND: SMTP when EMAIL_HOST is set, the console in
development, an in-memory outbox in tests). Text messages go through the backend named by
settings.TEXT_MESSAGE_BACKEND, as Django's email backends are named:

    housing.notify.ConsoleTextBackend   prints each text (development, the demo)
    housing.notify.LocmemTextBackend    keeps them in housing.notify.outbox (tests)
    housing.notify.NotifyTextBackend    GOV.UK Notify: NOTIFY_API_KEY, and an SMS template
                                        (NOTIFY_SMS_TEMPLATE_ID) whose whole text is ((body))
    housing.notify.DisabledTextBackend  refuses (production without a Notify key), so nothing
                                        is ever recorded as sent that was not

Both send_email and send_text either send or raise SendError with the reason in words an
officer can act on; the caller decides what a failure means (rents.reminders records nothing).
"""

import smtplib
import sys
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string


class SendError(Exception):
    """A message could not be sent; str() is the reason."""


@dataclass(frozen=True)
class TextMessage:
    to: str
    body: str


outbox: list[TextMessage] = []  # what LocmemTextBackend "sent"


class ConsoleTextBackend:
    def send(self, message: TextMessage) -> str:
        sys.stdout.write(f"Text message to {message.to}:\n{message.body}\n{'-' * 79}\n")
        sys.stdout.flush()
        return ""


class LocmemTextBackend:
    def send(self, message: TextMessage) -> str:
        outbox.append(message)
        return ""


class DisabledTextBackend:
    def send(self, message: TextMessage) -> str:
        raise SendError("Text messages are not set up on this system (an administrator sets "
                        "NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID).")


class NotifyTextBackend:
    """GOV.UK Notify. The template's text is only ((body)), so the message is ours; Notify
    returns the notification's id, which the caller keeps as the reference."""

    def send(self, message: TextMessage) -> str:
        from notifications_python_client.errors import APIError
        from notifications_python_client.notifications import NotificationsAPIClient

        if not settings.NOTIFY_API_KEY or not settings.NOTIFY_SMS_TEMPLATE_ID:
            raise SendError("GOV.UK Notify is not set up: NOTIFY_API_KEY and "
                            "NOTIFY_SMS_TEMPLATE_ID must both be set.")
        try:
            client = NotificationsAPIClient(settings.NOTIFY_API_KEY,
                                            base_url=settings.NOTIFY_BASE_URL,
                                            timeout=settings.NOTIFY_TIMEOUT_SECONDS)
        except AssertionError:
            raise SendError("NOTIFY_API_KEY is not a GOV.UK Notify API key.") from None
        try:
            response = client.send_sms_notification(
                phone_number=message.to, template_id=settings.NOTIFY_SMS_TEMPLATE_ID,
                personalisation={"body": message.body})
        except APIError as error:
            raise SendError(f"GOV.UK Notify did not send it ({error.status_code}: "
                            f"{_notify_reason(error.message)}).") from None
        return str((response or {}).get("id", ""))


def _notify_reason(message) -> str:
    """Notify's errors come as a list of {"error", "message"} or as a string."""
    if isinstance(message, list):
        return "; ".join(str(item.get("message", item)) if isinstance(item, dict) else str(item)
                         for item in message)
    return str(message)


def send_text(*, to: str, body: str) -> str:
    """Send a text message. Returns the provider's reference ("" when it gives none)."""
    if not to.strip() or not body.strip():
        raise SendError("A text message needs a number and some words.")
    backend = import_string(settings.TEXT_MESSAGE_BACKEND)()
    return backend.send(TextMessage(to=to.strip(), body=body.strip()))


def send_email(*, to: str, subject: str, body: str) -> None:
    """Send a plain-text email from DEFAULT_FROM_EMAIL."""
    try:
        send_mail(subject, body, None, [to], fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        raise SendError(f"The email server did not take it ({error}).") from None
