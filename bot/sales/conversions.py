"""Sales confirmed by the shop: validation of one conversion, and the CSV import.

Both the webhook (``connectors/conversions.py``) and ``python -m bot conversions import`` go
through :func:`parse_conversion` and :meth:`bot.sales.ledger.Ledger.record_conversion`, so a sale is
counted once whichever way it arrives, however many times.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.sales.ledger import ConversionResult, ConversionStatus, Ledger
from bot.sales.money import AmountError, parse_amount, parse_currency

_REF = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_ORDER_ID = re.compile(r"^[\w.:/#-]{1,128}$")
CSV_COLUMNS = ("ref", "order_id", "amount", "currency", "ordered_at")


class ConversionError(ValueError):
    """A conversion payload or CSV row that cannot be a sale; the message says why."""


@dataclass(frozen=True)
class Conversion:
    ref: str
    order_id: str
    amount_cents: int
    currency: str
    ordered_at: datetime


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConversionError(f"'{key}' is missing or not a string")
    return value.strip()


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 date or date-time; naive values are UTC."""
    if not isinstance(value, str):
        raise ConversionError("'ordered_at' must be an ISO 8601 date in a string")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ConversionError(f"'ordered_at' {value!r} is not an ISO 8601 date") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_conversion(data: Any, received_at: datetime) -> Conversion:
    """Validate one conversion (webhook body or CSV row); raises ConversionError."""
    if not isinstance(data, Mapping):
        raise ConversionError("the body must be a JSON object")
    ref = _text(data, "ref")
    if not _REF.match(ref):
        raise ConversionError("'ref' is not a Causette reference")
    order_id = _text(data, "order_id")
    if not _ORDER_ID.match(order_id):
        raise ConversionError("'order_id' must be 1-128 letters, digits or . : / # _ -")
    try:
        amount_cents = parse_amount(data.get("amount"))
        currency = parse_currency(data.get("currency"))
    except AmountError as error:
        raise ConversionError(str(error)) from error
    ordered_raw = data.get("ordered_at")
    ordered_at = parse_timestamp(ordered_raw) if ordered_raw else received_at
    return Conversion(ref, order_id, amount_cents, currency, ordered_at)


def record(
    ledger: Ledger, conversion: Conversion, window_days: Callable[[str], int], source: str
) -> ConversionResult:
    """Record a validated conversion, whichever way it arrived (webhook or CSV)."""
    return ledger.record_conversion(
        conversion.ref,
        conversion.order_id,
        conversion.amount_cents,
        conversion.currency,
        conversion.ordered_at,
        window_days=window_days,
        source=source,
    )


@dataclass
class ImportReport:
    """Per-line outcome of a CSV import."""

    recorded: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"line {line}: {message}" for line, message in self.errors]
        out.append(
            f"{self.recorded} recorded, {self.duplicates} already known, "
            f"{len(self.errors)} rejected"
        )
        return out


def import_csv(
    text: str,
    ledger: Ledger,
    window_days: Callable[[str], int],
    now: datetime,
) -> ImportReport:
    """Import a shop's export (columns ``CSV_COLUMNS``); idempotent like the webhook."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, f"missing column(s): {', '.join(missing)}"))
        return report
    for row in reader:
        line = reader.line_num
        try:
            conversion = parse_conversion(row, received_at=now)
            if not row.get("ordered_at"):
                raise ConversionError("'ordered_at' is empty")
            result = record(ledger, conversion, window_days, source="csv")
        except ConversionError as error:
            report.errors.append((line, str(error)))
            continue
        if result.status is ConversionStatus.UNKNOWN_REF:
            report.errors.append((line, f"unknown ref {conversion.ref[:8]}…"))
        elif result.status is ConversionStatus.DUPLICATE:
            report.duplicates += 1
        else:
            report.recorded += 1
    return report


def import_csv_file(path: Path, *args: Any, **kwargs: Any) -> ImportReport:
    return import_csv(path.read_text(encoding="utf-8-sig"), *args, **kwargs)
