"""housing.money: the one place pence become pounds and back."""

from decimal import Decimal

import pytest

from housing.money import format_pence, pence_to_pounds, pounds_to_pence


@pytest.mark.parametrize(("pence", "pounds"), [
    (0, "0.00"), (5, "0.05"), (100, "1.00"), (9432, "94.32"), (-477, "-4.77"),
    (123456789, "1234567.89")])
def test_pence_to_pounds_is_exact_with_two_places(pence, pounds):
    assert pence_to_pounds(pence) == Decimal(pounds)
    assert str(pence_to_pounds(pence)) == pounds
    assert pounds_to_pence(str(pence_to_pounds(pence))) == pence


@pytest.mark.parametrize(("pence", "shown"), [(0, "£0.00"), (123456, "£1,234.56"),
                                              (-1250, "\u2212£12.50")])
def test_format_pence(pence, shown):
    assert format_pence(pence) == shown
