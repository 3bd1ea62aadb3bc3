"""Money is integer pence everywhere; calculations use Decimal and round here, once.

Rounding is to the nearest penny with halves rounded up (away from zero for charges), the
convention for rent and service charges. Shown as £1,234.56 by the `money` template filter.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENNY = Decimal("1")


class MoneyError(ValueError):
    pass


def round_pence(amount: Decimal) -> int:
    """Round a Decimal number of pence to whole pence, halves up."""
    return int(Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP))


def pounds_to_pence(text: str) -> int:
    """Parse what a person typed ("£1,234.56", "12.5", "7") into pence. More than two
    decimal places is refused rather than rounded: money is never silently changed."""
    cleaned = str(text).strip().replace("£", "").replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError("Enter an amount in pounds and pence, like 12.50.") from None
    if not amount.is_finite():
        raise MoneyError("Enter an amount in pounds and pence, like 12.50.")
    if amount.as_tuple().exponent < -2:
        raise MoneyError("Enter the amount to the penny: no more than two decimal places.")
    return int(amount * 100)


def pence_to_pounds(pence: int) -> Decimal:
    """Pence as an exact Decimal of pounds with two places (12345 -> 123.45), for CSV files
    and form fields."""
    return Decimal(int(pence)).scaleb(-2)


def format_pence(pence: int) -> str:
    """£1,234.56 (and −£12.50 for a credit)."""
    sign = "\u2212" if pence < 0 else ""  # a true minus sign
    pounds, pennies = divmod(abs(int(pence)), 100)
    return f"{sign}£{pounds:,}.{pennies:02d}"
