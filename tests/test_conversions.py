"""Conversion confirmation: the webhook's answers, and the CSV import. Nothing counts twice."""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.sales.conversions import import_csv
from bot.sales.ledger import EventKind, FunnelEvent, Ledger, Offer, new_ref
from connectors.conversions import SIGNATURE_HEADER, TIMESTAMP_HEADER, handle, sign

SECRET = b"shop-secret-0123456789abcdef"
NOW = time.time()


@pytest.fixture
def ledger(tmp_path):
    return Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", spool_dir=tmp_path / "spool")


@pytest.fixture
def ref(ledger):
    ref = new_ref()
    at = datetime.now(timezone.utc) - timedelta(hours=1)
    ledger.create_offer(
        Offer(ref, "demo", "telegram", "c_1", "parka_boreale", 18900, "EUR", at),
        FunnelEvent(f"offer:{ref}", EventKind.OFFER_MADE, "demo", at, ref=ref),
    )
    return ref


def signed(body: dict | bytes, at: float = NOW, secret: bytes = SECRET) -> tuple[dict, bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = str(int(at))
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(secret, ts, raw)}, raw


def conversions(ledger) -> int:
    with ledger.engine.connect() as connection:
        return connection.exec_driver_sql(
            "select count(*) from funnel_events where kind = 'conversion'"
        ).scalar()


def test_recorded_then_duplicate(ledger, ref):
    headers, body = signed({"ref": ref, "order_id": "MB-1", "amount": "189.00", "currency": "EUR"})
    first = handle(ledger, SECRET, headers, body, NOW)
    second = handle(ledger, SECRET, headers, body, NOW)
    assert (first.status, first.body) == (200, {"status": "recorded"})
    assert (second.status, second.body) == (200, {"status": "duplicate"})
    assert conversions(ledger) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: ({**h, SIGNATURE_HEADER: "sha256=" + "0" * 64}, b),  # wrong signature
        lambda h, b: ({TIMESTAMP_HEADER: h[TIMESTAMP_HEADER]}, b),  # no signature
        lambda h, b: ({SIGNATURE_HEADER: h[SIGNATURE_HEADER]}, b),  # no timestamp
        lambda h, b: (h, b.replace(b"189.00", b"1890.00")),  # body changed after signing
        lambda h, b: ({**h, TIMESTAMP_HEADER: str(int(NOW) + 1)}, b),  # timestamp changed
    ],
)
def test_bad_signature_is_401_and_writes_nothing(ledger, ref, tamper):
    headers, body = signed({"ref": ref, "order_id": "MB-2", "amount": "189.00", "currency": "EUR"})
    answer = handle(ledger, SECRET, *tamper(headers, body), NOW)
    assert answer.status == 401
    assert conversions(ledger) == 0


def test_stale_or_future_timestamp_is_401(ledger, ref):
    payload = {"ref": ref, "order_id": "MB-3", "amount": 10, "currency": "EUR"}
    for skew in (-301, 301):
        headers, body = signed(payload, at=NOW + skew)
        assert handle(ledger, SECRET, headers, body, NOW).status == 401
    headers, body = signed(payload, at=NOW - 299)
    assert handle(ledger, SECRET, headers, body, NOW).status == 200


def test_signature_with_another_secret_is_401(ledger, ref):
    headers, body = signed(
        {"ref": ref, "order_id": "MB-4", "amount": 1, "currency": "EUR"}, secret=b"x" * 32
    )
    assert handle(ledger, SECRET, headers, body, NOW).status == 401


def test_unknown_ref_is_404(ledger, ref):
    headers, body = signed({"ref": new_ref(), "order_id": "MB-5", "amount": 1, "currency": "EUR"})
    assert handle(ledger, SECRET, headers, body, NOW).status == 404
    assert conversions(ledger) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"ref": "x"}',
        json.dumps({"order_id": "MB-6", "amount": 1, "currency": "EUR"}).encode(),
        json.dumps({"ref": "REF", "order_id": "", "amount": 1, "currency": "EUR"}).encode(),
        json.dumps({"ref": "REF", "order_id": "MB-6", "amount": "-5", "currency": "EUR"}).encode(),
        json.dumps({"ref": "REF", "order_id": "MB-6", "amount": 5, "currency": "euros"}).encode(),
        json.dumps({"ref": "REF", "order_id": "<script>", "amount": 5, "currency": "EUR"}).encode(),
    ],
)
def test_malformed_body_is_400(ledger, ref, body):
    body = body.replace(b"REF", ref.encode())
    headers, raw = signed(body)
    answer = handle(ledger, SECRET, headers, raw, NOW)
    assert answer.status == 400, answer.body
    assert conversions(ledger) == 0


def test_body_over_64_kb_is_413(ledger, ref):
    payload = {"ref": ref, "order_id": "MB-7", "amount": 1, "currency": "EUR", "pad": "x" * 70000}
    headers, body = signed(payload)
    assert handle(ledger, SECRET, headers, body, NOW).status == 413
    assert conversions(ledger) == 0


def test_conversion_after_the_window_is_recorded_and_flagged(ledger):
    ref = new_ref()
    at = datetime.now(timezone.utc) - timedelta(days=40)
    ledger.create_offer(
        Offer(ref, "demo", "messenger", "c_2", "jean_gaston", 8900, "EUR", at),
        FunnelEvent(f"offer:{ref}", EventKind.OFFER_MADE, "demo", at, ref=ref),
    )
    headers, body = signed({"ref": ref, "order_id": "MB-8", "amount": 89, "currency": "EUR"})
    answer = handle(ledger, SECRET, headers, body, NOW)
    assert answer.body == {"status": "recorded", "outside_attribution_window": True}


def test_csv_import_twice_counts_once_and_reports_bad_lines(ledger, ref):
    csv_text = (
        "ref,order_id,amount,currency,ordered_at\n"
        f"{ref},MB-100,189.00,EUR,2026-11-20T10:00:00Z\n"
        f"{ref},MB-101,59.90,EUR,2026-11-21\n"
        f"{ref},MB-102,abc,EUR,2026-11-21\n"
        f"{new_ref()},MB-103,10,EUR,2026-11-21\n"
        f"{ref},MB-104,10,EUR,\n"
    )
    now = datetime(2026, 11, 26, tzinfo=timezone.utc)
    first = import_csv(csv_text, ledger, window_days=lambda _: 30, now=now)
    second = import_csv(csv_text, ledger, window_days=lambda _: 30, now=now)
    assert (first.recorded, first.duplicates) == (2, 0)
    assert (second.recorded, second.duplicates) == (0, 2)
    assert [line for line, _ in first.errors] == [4, 5, 6]
    assert "not a number" in first.errors[0][1]
    assert "unknown ref" in first.errors[1][1]
    assert "ordered_at" in first.errors[2][1]
    assert conversions(ledger) == 2


def test_csv_without_the_right_columns_is_refused(ledger):
    report = import_csv("order,total\nA,1\n", ledger, window_days=lambda _: 30, now=datetime.now())
    assert report.recorded == 0
    assert "missing column" in report.errors[0][1]
