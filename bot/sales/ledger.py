"""The conversion ledger: append-only funnel events, offers, and sales counted once.

Every fact is a row in ``funnel_events`` with a *natural key* (``FunnelEvent.key``): the same fact
always gets the same key, so a retried webhook, a replayed action or a re-imported CSV line
inserts nothing the second time. Offers (the ``ref`` in a checkout link) live in ``offers``.

SQLite by default (``var/ledger.sqlite3``, WAL mode); any SQLAlchemy URL, PostgreSQL included,
through ``LEDGER_URL``. The schema is versioned (``schema_version`` table, ``MIGRATIONS``).

The ledger must never break a conversation: ``record_safely`` and ``create_offer_safely`` write,
and when the database is down or slow they append the row to a spool file under ``var/`` and log
an error (:mod:`bot.sales.spool`); the next successful write replays the spool (idempotently,
thanks to the keys).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.sales.spool import Spool
from bot.storage import Migration, SchemaOnce, database_url, make_engine, version_table

LEDGER_URL = "LEDGER_URL"


class EventKind(str, Enum):
    """What happened. Reports count these."""

    CONVERSATION_STARTED = "conversation_started"
    MESSAGE_TRIAGED = "message_triaged"
    PURCHASE_INTENT = "purchase_intent"
    SUPPORT_REQUEST = "support_request"
    FIRST_RESPONSE = "first_response"
    OFFER_MADE = "offer_made"
    LEAD_CAPTURED = "lead_captured"
    CONVERSION = "conversion"
    ESCALATED = "escalated"
    HANDOFF_CLAIMED = "handoff_claimed"
    HANDOFF_RESOLVED = "handoff_resolved"


class LedgerError(RuntimeError):
    """The ledger cannot be used (bad URL, database down...)."""


class LedgerUnavailable(LedgerError):
    """The database did not answer; the write was not made."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class FunnelEvent:
    """One fact of the funnel. ``key`` identifies the fact: same fact, same key."""

    key: str
    kind: EventKind
    brand: str
    at: datetime
    channel: str | None = None
    customer: str | None = None  # pseudonym (bot.keys.pseudonym), never a raw sender id
    category: str | None = None
    intent: str | None = None
    product: str | None = None
    amount_cents: int | None = None
    currency: str | None = None
    attribution: str | None = None  # "bot", or "human:<who>"
    ref: str | None = None
    order_id: str | None = None
    outside_window: bool = False
    seconds: float | None = None  # a duration: first response, time to claim, to resolve
    details: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["at"] = _utc(self.at).replace(tzinfo=None)
        data["details"] = json.dumps(self.details, ensure_ascii=False) if self.details else None
        return data

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["at"] = _utc(self.at).isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FunnelEvent:
        return cls(
            **{**data, "kind": EventKind(data["kind"]), "at": datetime.fromisoformat(data["at"])}
        )


@dataclass(frozen=True)
class Offer:
    """A checkout reference given to one customer for one product."""

    ref: str
    brand: str
    channel: str | None
    customer: str | None
    product: str
    amount_cents: int | None
    currency: str | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": _utc(self.created_at).isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Offer:
        return cls(**{**data, "created_at": datetime.fromisoformat(data["created_at"])})


def new_ref() -> str:
    """An unguessable, URL-safe checkout reference: 192 random bits."""
    return secrets.token_urlsafe(24)


# --- schema --------------------------------------------------------------------------------

METADATA = sa.MetaData()


SCHEMA_VERSION = version_table("schema_version", METADATA)

EVENTS = sa.Table(
    "funnel_events",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("brand", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("channel", sa.String(32)),
    sa.Column("customer", sa.String(64)),
    sa.Column("category", sa.String(16)),
    sa.Column("intent", sa.String(64)),
    sa.Column("product", sa.String(64)),
    sa.Column("amount_cents", sa.BigInteger),
    sa.Column("currency", sa.String(3)),
    sa.Column("attribution", sa.String(128)),
    sa.Column("ref", sa.String(64)),
    sa.Column("order_id", sa.String(128)),
    sa.Column("outside_window", sa.Boolean, nullable=False, default=False),
    sa.Column("seconds", sa.Float),
    sa.Column("details", sa.Text),
    sa.Index("ix_funnel_events_brand_kind_at", "brand", "kind", "at"),
)

OFFERS = sa.Table(
    "offers",
    METADATA,
    sa.Column("ref", sa.String(64), primary_key=True),
    sa.Column("brand", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(32)),
    sa.Column("customer", sa.String(64)),
    sa.Column("product", sa.String(64), nullable=False),
    sa.Column("amount_cents", sa.BigInteger),
    sa.Column("currency", sa.String(3)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


def _v1_create_tables(connection: Connection) -> None:
    # Version 1 creates the tables exactly as defined above. A later change adds a migration
    # with explicit DDL (and updates the tables above), never edits this one.
    METADATA.create_all(connection, tables=[EVENTS, OFFERS])


MIGRATIONS: tuple[Migration, ...] = ((1, "funnel events and offers", _v1_create_tables),)
LATEST_VERSION = MIGRATIONS[-1][0]


def default_url(var_dir: Path) -> str:
    return database_url(LEDGER_URL, var_dir, "ledger.sqlite3")


# --- the ledger ----------------------------------------------------------------------------


class ConversionStatus(str, Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    UNKNOWN_REF = "unknown_ref"


@dataclass(frozen=True)
class ConversionResult:
    status: ConversionStatus
    event: FunnelEvent | None = None


class Ledger:
    """Writes and reads the funnel. Thread-safe; one instance per process is enough."""

    def __init__(self, url: str, spool_dir: Path, timeout_s: float = 2.0) -> None:
        self.url = url
        self.engine = make_engine(url, timeout_s)
        self.spool_dir = spool_dir
        self.spool = Spool(spool_dir)
        self._schema = SchemaOnce(self.engine, MIGRATIONS, SCHEMA_VERSION, LedgerUnavailable)

    @classmethod
    def from_env(cls, var_dir: Path) -> Ledger:
        return cls(default_url(var_dir), spool_dir=var_dir / "ledger-spool")

    def ensure_schema(self) -> None:
        self._schema.ensure()

    # writes

    def record(self, event: FunnelEvent) -> bool:
        """Insert ``event``; False if its key is already there. Raises LedgerUnavailable."""
        self.ensure_schema()
        try:
            with self.engine.begin() as connection:
                connection.execute(EVENTS.insert().values(**event.row()))
            return True
        except IntegrityError:
            return False
        except SQLAlchemyError as error:
            raise LedgerUnavailable(f"could not record {event.key}: {error}") from error

    def create_offer(self, offer: Offer, event: FunnelEvent) -> None:
        """Store an offer and its ``offer_made`` event together (idempotent on ``ref``)."""
        self.ensure_schema()
        try:
            with self.engine.begin() as connection:
                exists = connection.execute(
                    sa.select(OFFERS.c.ref).where(OFFERS.c.ref == offer.ref)
                ).first()
                if exists:
                    return
                row = asdict(offer)
                row["created_at"] = _utc(offer.created_at).replace(tzinfo=None)
                connection.execute(OFFERS.insert().values(**row))
                connection.execute(EVENTS.insert().values(**event.row()))
        except IntegrityError:
            return
        except SQLAlchemyError as error:
            raise LedgerUnavailable(f"could not store offer {offer.ref}: {error}") from error

    def record_safely(self, event: FunnelEvent) -> str:
        """Record, or spool if the database is unavailable: "recorded", "duplicate", "spooled"."""
        self.flush_spool()
        try:
            return "recorded" if self.record(event) else "duplicate"
        except LedgerUnavailable as error:
            self.spool.append({"type": "event", "event": event.to_json()}, error)
            return "spooled"

    def create_offer_safely(self, offer: Offer, event: FunnelEvent) -> str:
        """Store an offer, or spool it: the link was given, so the ref must not be lost."""
        self.flush_spool()
        try:
            self.create_offer(offer, event)
            return "recorded"
        except LedgerUnavailable as error:
            self.spool.append(
                {"type": "offer", "offer": offer.to_json(), "event": event.to_json()}, error
            )
            return "spooled"

    def record_conversion(
        self,
        ref: str,
        order_id: str,
        amount_cents: int,
        currency: str,
        ordered_at: datetime,
        window_days: Callable[[str], int],
        attribution: str = "bot",
        source: str = "webhook",
    ) -> ConversionResult:
        """Count a sale confirmed by the shop, once per (brand, order id).

        ``window_days(brand)`` is the brand's attribution window: a sale later than that after
        the offer is recorded, flagged ``outside_window``, and not billed.
        """
        offer = self.offer(ref)
        if offer is None:
            return ConversionResult(ConversionStatus.UNKNOWN_REF)
        window = timedelta(days=window_days(offer.brand))
        outside = _utc(ordered_at) - _utc(offer.created_at) > window
        event = FunnelEvent(
            key=f"conversion:{offer.brand}:{order_id}",
            kind=EventKind.CONVERSION,
            brand=offer.brand,
            at=ordered_at,
            channel=offer.channel,
            customer=offer.customer,
            product=offer.product,
            amount_cents=amount_cents,
            currency=currency,
            attribution=attribution,
            ref=ref,
            order_id=order_id,
            outside_window=outside,
            details={"source": source},
        )
        recorded = self.record(event)
        return ConversionResult(
            ConversionStatus.RECORDED if recorded else ConversionStatus.DUPLICATE, event
        )

    # reads

    def offer(self, ref: str) -> Offer | None:
        self.ensure_schema()
        try:
            with self.engine.connect() as connection:
                row = connection.execute(sa.select(OFFERS).where(OFFERS.c.ref == ref)).first()
        except SQLAlchemyError as error:
            raise LedgerUnavailable(f"could not read offer: {error}") from error
        if row is None:
            return None
        data = dict(row._mapping)
        data["created_at"] = _utc(data["created_at"])
        return Offer(**data)

    def has_event(self, key: str) -> bool:
        self.ensure_schema()
        with self.engine.connect() as connection:
            found = connection.execute(sa.select(EVENTS.c.id).where(EVENTS.c.key == key)).first()
        return found is not None

    # spool

    def _write_spooled(self, entry: dict[str, Any]) -> bool:
        try:
            if entry["type"] == "offer":
                self.create_offer(
                    Offer.from_json(entry["offer"]), FunnelEvent.from_json(entry["event"])
                )
            else:
                self.record(FunnelEvent.from_json(entry["event"]))
        except LedgerUnavailable:
            return False
        return True

    def pending(self) -> int:
        """Spooled writes waiting for the database."""
        return self.spool.pending()

    def flush_spool(self) -> int:
        """Replay spooled writes; returns how many went in. Safe with several processes."""
        return self.spool.replay(self._write_spooled)
