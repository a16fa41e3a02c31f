"""The pay-per-success report on a seeded ledger, checked against figures computed by hand."""

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.brand.brand_file import load_brand
from bot.sales.ledger import EventKind, FunnelEvent, Ledger
from bot.sales.report import as_csv, as_json, as_text, build_report, fee_for, plot

DAY = datetime(2026, 11, 10, 12, 0, tzinfo=timezone.utc)


def ev(key, kind, at=DAY, brand="demo", **extra):
    return FunnelEvent(key=key, kind=kind, brand=brand, at=at, **extra)


@pytest.fixture
def seeded(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", spool_dir=tmp_path / "spool")
    events = [
        # 4 conversations, 3 with purchase intent, 1 support request, 1 escalation
        *(ev(f"started:{i}", EventKind.CONVERSATION_STARTED) for i in range(4)),
        *(ev(f"pi:{i}", EventKind.PURCHASE_INTENT) for i in range(3)),
        ev("sr:0", EventKind.SUPPORT_REQUEST),
        ev("esc:0", EventKind.ESCALATED),
        # first responses 1, 2, 4 and 10 seconds: median 3.0
        *(
            ev(f"fr:{i}", EventKind.FIRST_RESPONSE, seconds=s)
            for i, s in enumerate([1.0, 2.0, 4.0, 10.0])
        ),
        *(ev(f"offer:{i}", EventKind.OFFER_MADE) for i in range(3)),
        ev("lead:0", EventKind.LEAD_CAPTURED),
        # billable: 189.00 + 59.90 = 248.90 EUR
        ev("conv:1", EventKind.CONVERSION, amount_cents=18900, currency="EUR"),
        ev("conv:2", EventKind.CONVERSION, amount_cents=5990, currency="EUR"),
        # recorded but not billed: late, other currency
        ev("conv:3", EventKind.CONVERSION, amount_cents=9999, currency="EUR", outside_window=True),
        ev("conv:4", EventKind.CONVERSION, amount_cents=5000, currency="CAD"),
        # outside the period, or another brand: ignored
        ev(
            "conv:5",
            EventKind.CONVERSION,
            at=DAY + timedelta(days=30),
            amount_cents=100,
            currency="EUR",
        ),
        ev("conv:6", EventKind.CONVERSION, brand="other", amount_cents=100, currency="EUR"),
        ev("started:other", EventKind.CONVERSATION_STARTED, brand="other"),
    ]
    for e in events:
        assert ledger.record(e)
    return ledger


def test_report_matches_hand_computed_figures(seeded):
    brand = load_brand("demo")  # 2.50 per sale + 4 % of revenue
    report = build_report(seeded, brand, date(2026, 11, 1), date(2026, 11, 30))
    assert report.conversations == 4
    assert report.purchase_intents == 3
    assert report.support_requests == 1
    assert report.escalations == 1
    assert report.offers == 3
    assert report.leads == 1
    assert report.conversions == 2
    assert report.conversions_outside_window == 1
    assert report.conversions_other_currency == 1
    assert report.revenue == Decimal("248.90")
    assert report.conversion_rate == pytest.approx(2 / 3, abs=1e-4)
    assert report.median_first_response_s == 3.0
    # 2 × 2.50 + 4 % × 248.90 = 5.00 + 9.956 = 14.956 → 14.96
    assert report.fee == Decimal("14.96")


def test_until_is_inclusive_and_since_excludes_earlier_days(seeded):
    brand = load_brand("demo")
    assert build_report(seeded, brand, until=date(2026, 11, 10)).conversations == 4
    assert build_report(seeded, brand, until=date(2026, 11, 9)).conversations == 0
    assert build_report(seeded, brand, since=date(2026, 11, 11)).conversions == 1  # conv:5


def test_fee_rounds_half_up_to_the_cent():
    brand = load_brand("demo")
    assert fee_for(brand, 0, 0) == Decimal("0.00")
    assert fee_for(brand, 1, 12) == Decimal("2.50")  # 2.50 + 0.0048
    assert fee_for(brand, 1, 13) == Decimal("2.51")  # 2.50 + 0.0052


def test_empty_ledger_report_has_no_rate(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite3'}", spool_dir=tmp_path / "s")
    report = build_report(ledger, load_brand("demo"))
    assert report.conversion_rate is None and report.median_first_response_s is None
    assert report.fee == Decimal("0.00")


def test_formats(seeded, tmp_path):
    report = build_report(seeded, load_brand("demo"), date(2026, 11, 1), date(2026, 11, 30))
    data = json.loads(as_json(report))
    for key in (
        "conversations",
        "purchase_intents",
        "support_requests",
        "escalations",
        "offers",
        "leads",
        "conversions",
        "revenue",
        "currency",
        "conversion_rate",
        "median_first_response_s",
        "fee",
    ):
        assert key in data
    assert data["revenue"] == "248.90" and data["fee"] == "14.96"
    text = as_text(report)
    assert "Ventes confirmées" in text and "248,90 EUR" in text and "14,96 EUR" in text
    header, row = as_csv(report).splitlines()
    assert header.split(",")[:3] == ["brand", "brand_name", "since"]
    assert "248.90" in row
    png = plot(report, tmp_path / "funnel.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_shows_people_sales_and_handoff_times(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", spool_dir=tmp_path / "spool")
    for event in (
        ev("claimed:1", EventKind.HANDOFF_CLAIMED, seconds=120.0, attribution="human:U1"),
        ev("claimed:2", EventKind.HANDOFF_CLAIMED, seconds=360.0, attribution="human:U2"),
        ev("resolved:1", EventKind.HANDOFF_RESOLVED, seconds=1800.0, attribution="human:U1"),
        ev("conv:bot", EventKind.CONVERSION, amount_cents=5900, currency="EUR", attribution="bot"),
        ev(
            "conv:u1",
            EventKind.CONVERSION,
            amount_cents=9500,
            currency="EUR",
            attribution="human:U1",
        ),
    ):
        ledger.record(event)
    report = build_report(ledger, load_brand("demo"))
    assert report.conversions == 2 and report.conversions_by_people == 1
    assert report.median_time_to_human_s == 240.0
    assert report.median_resolution_s == 1800.0
    text = as_text(report)
    assert "4 min" in text and "30 min" in text
