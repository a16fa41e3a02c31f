"""Ledger benchmark: recording funnel events, and the report over a large ledger.

* record: 10,000 funnel events written one by one with ``Ledger.record_safely`` (one transaction
  each, as the servers write them), then the same 10,000 again (all duplicates);
* report: ``build_report`` over a ledger of 100,000 events (bulk-seeded), median of 5 runs.

SQLite by default (a fresh file in a temporary folder); ``--url`` for another database.
The table replaces the ledger section of docs/benchmarks.md.

Usage: .venv/bin/python bench/ledger_bench.py [--url URL] [--plot FILE.png]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchmarks_doc import write_section  # noqa: E402
from bot.brand.brand_file import load_brand
from bot.sales.ledger import EVENTS, EventKind, FunnelEvent, Ledger
from bot.sales.report import as_text, build_report, plot

START = datetime(2026, 10, 1, tzinfo=timezone.utc)

# A plausible mix: most events are triaged messages; a few percent are sales.
MIX = (
    (EventKind.MESSAGE_TRIAGED, 55),
    (EventKind.CONVERSATION_STARTED, 12),
    (EventKind.FIRST_RESPONSE, 12),
    (EventKind.PURCHASE_INTENT, 8),
    (EventKind.SUPPORT_REQUEST, 4),
    (EventKind.OFFER_MADE, 4),
    (EventKind.ESCALATED, 2),
    (EventKind.LEAD_CAPTURED, 1),
    (EventKind.CONVERSION, 2),
)


def synthetic(n: int, seed: int, prefix: str) -> list[FunnelEvent]:
    rng = random.Random(seed)
    kinds = [k for k, w in MIX for _ in range(w)]
    events = []
    for i in range(n):
        kind = rng.choice(kinds)
        extra = {}
        if kind is EventKind.CONVERSION:
            extra = {
                "amount_cents": rng.randrange(2000, 40000),
                "currency": "EUR",
                "outside_window": rng.random() < 0.05,
            }
        elif kind is EventKind.FIRST_RESPONSE:
            extra = {"seconds": rng.uniform(0.3, 4.0)}
        events.append(
            FunnelEvent(
                key=f"{prefix}:{i}",
                kind=kind,
                brand="demo",
                at=START + timedelta(seconds=rng.randrange(60 * 86400)),
                channel=rng.choice(("messenger", "telegram")),
                customer=f"c_{rng.randrange(20000):032x}",
                **extra,
            )
        )
    return events


def bench_record(ledger: Ledger, n: int) -> dict:
    events = synthetic(n, seed=1, prefix="rec")
    start = time.perf_counter()
    for event in events:
        ledger.record_safely(event)
    first = time.perf_counter() - start
    start = time.perf_counter()
    duplicates = sum(ledger.record_safely(e) == "duplicate" for e in events)
    again = time.perf_counter() - start
    assert duplicates == n, "every replayed event must be a duplicate"
    return {"n": n, "record_s": first, "replay_s": again}


def bench_report(ledger: Ledger, total: int, runs: int = 5) -> dict:
    with ledger.engine.begin() as connection:
        count = connection.execute(EVENTS.select().with_only_columns(EVENTS.c.id)).all()
        missing = total - len(count)
        if missing > 0:
            rows = [e.row() for e in synthetic(missing, seed=2, prefix="seed")]
            for i in range(0, len(rows), 5000):
                connection.execute(EVENTS.insert(), rows[i : i + 5000])
    brand = load_brand("demo")
    times = []
    report = None
    for _ in range(runs):
        start = time.perf_counter()
        report = build_report(ledger, brand)
        times.append(time.perf_counter() - start)
    return {"events": total, "report_s": statistics.median(times), "report": report}


def write_doc(url_kind: str, rec: dict, rep: dict) -> str:
    cpu = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    table = "\n".join(
        [
            "| database | operation | events | total s | per event ms |",
            "|---|---|---|---|---|",
            f"| {url_kind} | record (new, one transaction each) | {rec['n']} | "
            f"{rec['record_s']:.2f} | {rec['record_s'] * 1000 / rec['n']:.3f} |",
            f"| {url_kind} | record again (all duplicates) | {rec['n']} | "
            f"{rec['replay_s']:.2f} | {rec['replay_s'] * 1000 / rec['n']:.3f} |",
            f"| {url_kind} | report (median of 5) | {rep['events']} | {rep['report_s']:.3f} | "
            f"{rep['report_s'] * 1000 / rep['events']:.4f} |",
        ]
    )
    write_section(
        "ledger-bench",
        [f"Measured {time.strftime('%Y-%m-%d')} on {cpu} by `make bench-ledger`.", "", table],
        heading="## Ledger",
    )
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--plot", help="also draw the funnel of the 100,000-event ledger")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}"
        ledger = Ledger(url, spool_dir=Path(tmp) / "spool")
        rec = bench_record(ledger, 10_000)
        rep = bench_report(ledger, 100_000)
        if args.plot:
            plot(rep["report"], Path(args.plot))
        print(as_text(rep["report"]), file=sys.stderr)
        print(write_doc(url.split(":", 1)[0], rec, rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
