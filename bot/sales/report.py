"""The pay-per-success report: the funnel of one brand over a period, and the fee it owes.

Everything is computed from ledger rows with SQL aggregates (the report over 100,000 events
takes well under a second on SQLite, ``docs/benchmarks.md``). Money stays in integer cents until
it is displayed; the fee is ``per_conversion × conversions + revenue_share_percent × revenue``,
rounded half up to the cent, over conversions inside the attribution window and in the brand's
currency.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.brand.brand_file import Brand
from bot.sales.ledger import EVENTS, EventKind, Ledger
from bot.sales.money import cents_to_decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Report:
    brand: str
    brand_name: str
    since: str | None
    until: str | None
    conversations: int
    purchase_intents: int
    support_requests: int
    escalations: int
    offers: int
    leads: int
    conversions: int
    conversions_outside_window: int
    conversions_other_currency: int
    revenue: Decimal
    currency: str
    conversion_rate: float | None
    median_first_response_s: float | None
    conversions_by_people: int
    median_time_to_human_s: float | None
    median_resolution_s: float | None
    fee_per_conversion: Decimal
    fee_revenue_share_percent: Decimal
    fee: Decimal

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("revenue", "fee", "fee_per_conversion", "fee_revenue_share_percent"):
            data[key] = str(data[key])
        return data


def _bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC datetimes: from the start of ``since`` to the end of ``until`` (inclusive)."""
    start = datetime.combine(since, time.min) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min) if until else None
    return start, end


def fee_for(brand: Brand, conversions: int, revenue_cents: int) -> Decimal:
    """The brand's fee for ``conversions`` sales worth ``revenue_cents``."""
    billing = brand.billing
    fixed = billing.per_conversion * conversions
    share = cents_to_decimal(revenue_cents) * billing.revenue_share_percent / 100
    return (fixed + share).quantize(CENT, rounding=ROUND_HALF_UP)


def build_report(
    ledger: Ledger, brand: Brand, since: date | None = None, until: date | None = None
) -> Report:
    """The report for ``brand`` between ``since`` and ``until`` (dates, inclusive, UTC)."""
    ledger.ensure_schema()
    start, end = _bounds(since, until)
    where = [EVENTS.c.brand == brand.slug]
    if start:
        where.append(EVENTS.c.at >= start)
    if end:
        where.append(EVENTS.c.at < end)

    billable = sa.and_(
        EVENTS.c.kind == EventKind.CONVERSION.value,
        EVENTS.c.outside_window.is_(False),
        EVENTS.c.currency == brand.currency,
    )
    with ledger.engine.connect() as connection:
        counts = dict(
            connection.execute(
                sa.select(EVENTS.c.kind, sa.func.count()).where(*where).group_by(EVENTS.c.kind)
            ).all()
        )
        billed, revenue_cents = connection.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(EVENTS.c.amount_cents), 0))
            .where(*where)
            .where(billable)
        ).one()
        outside = connection.execute(
            sa.select(sa.func.count())
            .where(*where)
            .where(EVENTS.c.kind == EventKind.CONVERSION.value, EVENTS.c.outside_window.is_(True))
        ).scalar()
        first_responses = (
            connection.execute(
                sa.select(EVENTS.c.seconds)
                .where(*where)
                .where(
                    EVENTS.c.kind == EventKind.FIRST_RESPONSE.value, EVENTS.c.seconds.isnot(None)
                )
            )
            .scalars()
            .all()
        )
        by_people = connection.execute(
            sa.select(sa.func.count())
            .where(*where)
            .where(billable, EVENTS.c.attribution.like("human:%"))
        ).scalar()
        durations = {
            kind: connection.execute(
                sa.select(EVENTS.c.seconds)
                .where(*where)
                .where(EVENTS.c.kind == kind.value, EVENTS.c.seconds.isnot(None))
            )
            .scalars()
            .all()
            for kind in (EventKind.HANDOFF_CLAIMED, EventKind.HANDOFF_RESOLVED)
        }

    conversions_total = counts.get(EventKind.CONVERSION.value, 0)
    purchase_intents = counts.get(EventKind.PURCHASE_INTENT.value, 0)
    return Report(
        brand=brand.slug,
        brand_name=brand.name,
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        conversations=counts.get(EventKind.CONVERSATION_STARTED.value, 0),
        purchase_intents=purchase_intents,
        support_requests=counts.get(EventKind.SUPPORT_REQUEST.value, 0),
        escalations=counts.get(EventKind.ESCALATED.value, 0),
        offers=counts.get(EventKind.OFFER_MADE.value, 0),
        leads=counts.get(EventKind.LEAD_CAPTURED.value, 0),
        conversions=billed,
        conversions_outside_window=outside,
        conversions_other_currency=conversions_total - billed - outside,
        revenue=cents_to_decimal(revenue_cents),
        currency=brand.currency,
        conversion_rate=round(billed / purchase_intents, 4) if purchase_intents else None,
        median_first_response_s=(
            round(statistics.median(first_responses), 3) if first_responses else None
        ),
        conversions_by_people=by_people,
        median_time_to_human_s=_median(durations[EventKind.HANDOFF_CLAIMED]),
        median_resolution_s=_median(durations[EventKind.HANDOFF_RESOLVED]),
        fee_per_conversion=brand.billing.per_conversion,
        fee_revenue_share_percent=brand.billing.revenue_share_percent,
        fee=fee_for(brand, billed, revenue_cents),
    )


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


# --- output --------------------------------------------------------------------------------


def _money(amount: Decimal, currency: str) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", "\u202f")
    return f"{grouped},{cents} {currency}"


def _period(report: Report) -> str:
    if report.since and report.until:
        return f"du {report.since} au {report.until}"
    if report.since:
        return f"depuis le {report.since}"
    if report.until:
        return f"jusqu'au {report.until}"
    return "depuis le début"


FUNNEL_LABELS = (
    ("conversations", "Conversations"),
    ("purchase_intents", "Intentions d'achat"),
    ("offers", "Offres envoyées"),
    ("leads", "Contacts recueillis"),
    ("conversions", "Ventes confirmées"),
)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def as_text(report: Report) -> str:
    """A French table for people."""
    rate = (
        f"{report.conversion_rate * 100:.1f} %".replace(".", ",")
        if report.conversion_rate is not None
        else "—"
    )
    first = (
        f"{report.median_first_response_s:.1f} s".replace(".", ",")
        if report.median_first_response_s is not None
        else "—"
    )
    rows = [
        ("Conversations", str(report.conversations)),
        ("Intentions d'achat", str(report.purchase_intents)),
        ("Demandes de SAV", str(report.support_requests)),
        ("Escalades vers l'équipe", str(report.escalations)),
        ("Offres envoyées", str(report.offers)),
        ("Contacts recueillis", str(report.leads)),
        ("Ventes confirmées", str(report.conversions)),
        ("  hors fenêtre d'attribution", str(report.conversions_outside_window)),
        ("  dans une autre devise", str(report.conversions_other_currency)),
        ("  conclues par l'équipe (Slack)", str(report.conversions_by_people)),
        ("Chiffre d'affaires attribué", _money(report.revenue, report.currency)),
        ("Taux de conversion", rate),
        ("Délai médian de 1re réponse", first),
        ("Délai médian avant prise en charge", _duration(report.median_time_to_human_s)),
        ("Durée médiane d'une prise en charge", _duration(report.median_resolution_s)),
        (
            "Commission",
            f"{_money(report.fee, report.currency)} "
            f"({_money(report.fee_per_conversion, report.currency)} par vente + "
            f"{str(report.fee_revenue_share_percent).replace('.', ',')} % du CA)",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    title = f"Rapport {report.brand_name} — {_period(report)}"
    lines = [title, "=" * len(title)]
    lines += [f"{label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n"


def as_csv(report: Report) -> str:
    data = report.as_json()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(data), lineterminator="\n")
    writer.writeheader()
    writer.writerow(data)
    return out.getvalue()


def plot(report: Report, path: Path) -> Path:
    """The funnel as a French-labelled bar chart (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [label for _, label in FUNNEL_LABELS]
    values = [getattr(report, key) for key, _ in FUNNEL_LABELS]
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=120)
    bars = axes.bar(labels, values, color=["#9db4c0", "#5c6b73", "#6f9fb0", "#c2a878", "#253237"])
    axes.bar_label(bars, labels=[str(v) for v in values], padding=3)
    axes.set_title(f"Entonnoir de conversion — {report.brand_name} ({_period(report)})")
    axes.set_ylabel("Nombre")
    axes.set_ylim(0, max(values + [1]) * 1.15)
    axes.spines[["top", "right"]].set_visible(False)
    rate = (
        f"{report.conversion_rate * 100:.1f} %".replace(".", ",")
        if report.conversion_rate is not None
        else "—"
    )
    axes.text(
        0.99,
        0.97,
        f"CA attribué : {_money(report.revenue, report.currency)}\n"
        f"Taux de conversion : {rate}\nCommission : {_money(report.fee, report.currency)}",
        transform=axes.transAxes,
        ha="right",
        va="top",
        fontsize=9,
    )
    plt.setp(axes.get_xticklabels(), rotation=12, ha="right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
