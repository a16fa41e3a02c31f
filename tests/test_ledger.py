"""The ledger: versioned schema, facts counted once, nothing lost when the database is down."""

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.sales.ledger import (
    MIGRATIONS,
    SCHEMA_VERSION,
    ConversionStatus,
    EventKind,
    FunnelEvent,
    Ledger,
    Offer,
    new_ref,
)
from bot.sales.money import AmountError, parse_amount, parse_currency
from bot.storage import SchemaTooNew, make_engine, migrate, schema_version

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


def event(key="k1", kind=EventKind.MESSAGE_TRIAGED, **extra):
    return FunnelEvent(key=key, kind=kind, brand="demo", at=T0, **extra)


def offer(ref=None, at=T0):
    return Offer(
        ref=ref or new_ref(),
        brand="demo",
        channel="messenger",
        customer="c_abc",
        product="sweat_brume",
        amount_cents=5900,
        currency="EUR",
        created_at=at,
    )


@pytest.fixture
def ledger(tmp_path):
    return Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", spool_dir=tmp_path / "spool")


def test_migrations_are_versioned_and_run_once(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    assert schema_version(engine, SCHEMA_VERSION) == 0
    assert migrate(engine, MIGRATIONS, SCHEMA_VERSION) == 1
    assert migrate(engine, MIGRATIONS, SCHEMA_VERSION) == 1  # nothing to do the second time
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select version from schema_version")).all()
    assert rows == [(1,)]


def test_a_later_migration_applies_on_top(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    migrate(engine, MIGRATIONS, SCHEMA_VERSION)

    def add_column(connection):
        connection.execute(sa.text("alter table offers add column note varchar(20)"))

    migrations = (*MIGRATIONS, (2, "offer note", add_column))
    assert migrate(engine, migrations, SCHEMA_VERSION) == 2
    assert "note" in {c["name"] for c in sa.inspect(engine).get_columns("offers")}


def test_database_newer_than_code_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    migrate(engine, MIGRATIONS, SCHEMA_VERSION)
    with engine.begin() as connection:
        connection.execute(
            sa.text("insert into schema_version values (99, 'future', '2030-01-01')")
        )
    with pytest.raises(SchemaTooNew, match="newer"):
        migrate(engine, MIGRATIONS, SCHEMA_VERSION)


def test_sqlite_ledger_uses_wal(ledger):
    ledger.ensure_schema()
    with ledger.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_same_fact_twice_is_recorded_once(ledger):
    assert ledger.record(event()) is True
    assert ledger.record(event()) is False
    assert ledger.record_safely(event()) == "duplicate"
    with ledger.engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from funnel_events").scalar() == 1


def test_conversion_counts_once_per_order_and_needs_a_known_ref(ledger):
    o = offer()
    ledger.create_offer(o, event(f"offer:{o.ref}", EventKind.OFFER_MADE, ref=o.ref))
    args = dict(amount_cents=5900, currency="EUR", ordered_at=T0 + timedelta(days=1))
    first = ledger.record_conversion(o.ref, "A-1", window_days=lambda _: 30, **args)
    again = ledger.record_conversion(o.ref, "A-1", window_days=lambda _: 30, **args)
    unknown = ledger.record_conversion(new_ref(), "A-2", window_days=lambda _: 30, **args)
    assert first.status is ConversionStatus.RECORDED
    assert first.event.customer == "c_abc" and first.event.product == "sweat_brume"
    assert again.status is ConversionStatus.DUPLICATE
    assert unknown.status is ConversionStatus.UNKNOWN_REF


def test_late_conversion_is_recorded_but_flagged(ledger):
    o = offer()
    ledger.create_offer(o, event(f"offer:{o.ref}", EventKind.OFFER_MADE, ref=o.ref))
    late = ledger.record_conversion(
        o.ref, "A-9", 1000, "EUR", T0 + timedelta(days=31), window_days=lambda _: 30
    )
    on_time = ledger.record_conversion(
        o.ref, "A-10", 1000, "EUR", T0 + timedelta(days=29), window_days=lambda _: 30
    )
    assert late.status is ConversionStatus.RECORDED and late.event.outside_window
    assert not on_time.event.outside_window


def test_unavailable_database_spools_and_replays_when_back(tmp_path, caplog):
    spool = tmp_path / "spool"
    # Nothing listens on port 9 of loopback: connection refused at once.
    down = Ledger("postgresql://causette:x@127.0.0.1:9/ledger", spool_dir=spool, timeout_s=1)
    o = offer()
    assert down.record_safely(event("triaged:1")) == "spooled"
    assert down.create_offer_safely(o, event(f"offer:{o.ref}", EventKind.OFFER_MADE)) == "spooled"
    assert "LEDGER UNAVAILABLE" in caplog.text
    assert down.pending() == 2

    up = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", spool_dir=spool)
    assert up.record_safely(event("triaged:2")) == "recorded"  # replays the spool first
    assert up.pending() == 0
    assert up.has_event("triaged:1") and up.has_event(f"offer:{o.ref}")
    assert up.offer(o.ref) == o
    assert up.flush_spool() == 0  # nothing left; a replay twice would still count once


@pytest.mark.parametrize(
    ("raw", "cents"), [("59.90", 5990), (59.9, 5990), (59, 5900), ("0", 0), ("1e2", 10000)]
)
def test_amounts_become_cents(raw, cents):
    assert parse_amount(raw) == cents


@pytest.mark.parametrize("raw", ["", "abc", "-1", "1.999", "NaN", "Infinity", None, True, "1e12"])
def test_bad_amounts_are_refused(raw):
    with pytest.raises(AmountError):
        parse_amount(raw)


def test_currency_codes():
    assert parse_currency(" chf ") == "CHF"
    for bad in ("EURO", "€", "", 12, None):
        with pytest.raises(AmountError):
            parse_currency(bad)


def test_refs_are_unguessable_and_url_safe():
    refs = {new_ref() for _ in range(1000)}
    assert len(refs) == 1000
    assert all(len(r) == 32 and r.replace("-", "").replace("_", "").isalnum() for r in refs)
