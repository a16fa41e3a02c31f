"""The ledger on a real PostgreSQL server (LEDGER_URL=postgresql://…): same guarantees as SQLite."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bot.brand.brand_file import load_brand
from bot.sales.ledger import (
    SCHEMA_VERSION,
    ConversionStatus,
    EventKind,
    FunnelEvent,
    Ledger,
    new_ref,
)
from bot.sales.report import build_report
from bot.storage import schema_version
from tests.pg import postgres_server
from tests.test_ledger import T0, event, offer


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        if url is None:
            pytest.skip("no PostgreSQL server binaries here")
        yield url


@pytest.fixture
def ledger(pg_url, tmp_path):
    led = Ledger(pg_url, spool_dir=tmp_path / "spool")
    led.ensure_schema()
    with led.engine.begin() as connection:  # a clean ledger per test, schema kept
        connection.execute(sa.text("truncate funnel_events, offers"))
    return led


def test_schema_is_migrated(ledger):
    assert schema_version(ledger.engine, SCHEMA_VERSION) == 1


def test_duplicates_and_conversions_count_once(ledger):
    assert ledger.record(event("k1")) is True
    assert ledger.record(event("k1")) is False
    o = offer()
    ledger.create_offer(o, event(f"offer:{o.ref}", EventKind.OFFER_MADE, ref=o.ref))
    window = lambda _: 30  # noqa: E731
    first = ledger.record_conversion(o.ref, "A-1", 5900, "EUR", T0 + timedelta(days=1), window)
    again = ledger.record_conversion(o.ref, "A-1", 5900, "EUR", T0 + timedelta(days=1), window)
    unknown = ledger.record_conversion(new_ref(), "A-2", 5900, "EUR", T0, window)
    assert [r.status for r in (first, again, unknown)] == [
        ConversionStatus.RECORDED,
        ConversionStatus.DUPLICATE,
        ConversionStatus.UNKNOWN_REF,
    ]


def test_spooled_writes_replay_into_postgres(ledger, tmp_path):
    down = Ledger("postgresql://causette@127.0.0.1:9/x", spool_dir=ledger.spool_dir, timeout_s=1)
    assert down.record_safely(event("while-down")) == "spooled"
    assert ledger.record_safely(event("back")) == "recorded"
    assert ledger.has_event("while-down") and ledger.pending() == 0


def test_report_on_postgres(ledger):
    for i, cents in enumerate([18900, 5990]):
        ledger.record(
            FunnelEvent(
                f"c{i}", EventKind.CONVERSION, "demo", T0, amount_cents=cents, currency="EUR"
            )  # fmt: skip
        )
    ledger.record(FunnelEvent("p0", EventKind.PURCHASE_INTENT, "demo", T0))
    report = build_report(ledger, load_brand("demo"), date(2026, 11, 1), date(2026, 11, 30))
    assert (report.conversions, report.revenue, report.fee) == (
        2,
        Decimal("248.90"),
        Decimal("14.96"),
    )
