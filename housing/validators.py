"""Validators for the national keys and formats the register holds."""

import re

from django.core.exceptions import ValidationError

UPRN_RE = re.compile(r"^\d{1,12}$")
# The UK postcode format (BS 7666), with the special case GIR 0AA.
POSTCODE_RE = re.compile(
    r"^(GIR 0AA|[A-PR-UWYZ](\d[\dA-HJKPS-UW]?|[A-HK-Y]\d[\dABEHMNPRV-Y]?) \d[ABD-HJLNP-UW-Z]{2})$"
)
# National Insurance number: two prefix letters (not D, F, I, Q, U, V; second not O; some
# pairs never issued), six digits and a suffix A-D.
NINO_RE = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")
PHONE_RE = re.compile(r"^(\+44\s?|0)\d[\d\s]{8,12}$")


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value or "").upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value: str) -> None:
    if not POSTCODE_RE.match(normalise_postcode(value)):
        raise ValidationError("Enter a real UK postcode, like EX1 1AA.", code="invalid_postcode")


def normalise_uprn(value) -> str:
    """UPRNs are numbers: stored without spaces or leading zeros."""
    return re.sub(r"\s+", "", str(value or "")).lstrip("0")


def validate_uprn(value: str) -> None:
    """A UPRN is a number of up to 12 digits."""
    text = str(value or "").strip()
    if not UPRN_RE.match(text) or int(text) == 0:
        raise ValidationError(
            "Enter a UPRN of up to 12 digits, like 100040212345.", code="invalid_uprn"
        )


def normalise_nino(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def validate_nino(value: str) -> None:
    if not NINO_RE.match(normalise_nino(value)):
        raise ValidationError(
            "Enter a National Insurance number in the right format, like AB 12 34 56 C.",
            code="invalid_nino",
        )


def validate_phone(value: str) -> None:
    if not PHONE_RE.match((value or "").strip()):
        raise ValidationError(
            "Enter a UK phone number, like 01392 265000 or 07700 900982.", code="invalid_phone"
        )
