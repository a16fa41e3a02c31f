"""Money as shops and community managers send it: amounts in integer cents, ISO currencies."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

MAX_AMOUNT_CENTS = 10**11  # one billion in any currency: above that, the payload is wrong


class AmountError(ValueError):
    """An amount or currency that cannot be money."""


def parse_amount(value: Any) -> int:
    """An amount in currency units ("59.90", 59.9, 59) as integer cents; raises AmountError."""
    if isinstance(value, bool) or value is None:
        raise AmountError("amount is missing")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise AmountError(f"amount {value!r} is not a number") from error
    if not amount.is_finite() or amount < 0:
        raise AmountError(f"amount {value!r} must be a positive number")
    if amount > Decimal(MAX_AMOUNT_CENTS) / 100:  # compared, not multiplied: 1e999999 overflows
        raise AmountError(f"amount {value!r} is implausibly large")
    if amount != amount.quantize(Decimal("0.01")):
        raise AmountError(f"amount {value!r} has more than two decimals")
    cents = int(amount * 100)
    if cents > MAX_AMOUNT_CENTS:
        raise AmountError(f"amount {value!r} is implausibly large")
    return cents


def parse_currency(value: Any) -> str:
    """An ISO 4217 code ("EUR", "chf" → "CHF"); raises AmountError."""
    if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
        raise AmountError(f"currency {value!r} is not a three-letter ISO code")
    return value.strip().upper()


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
