"""The conversion ledger: append-only funnel events, offers, and sales counted once.

Every fact is a row in ``funnel_events`` with a *natural key* (``FunnelEvent.key``): the same fact
always gets the same key, so a retried webhook, a replayed action or a re-imported CSV line
inserts nothing the second time. Offers (the ``ref`` in a checkout link) live in ``offers``.

SQLite by default (``var/ledger.sqlite3``, WAL mode); any SQLAlchemy URL, PostgreSQL included,
through ``LEDGER_URL``. The schema is versioned (``schema_version`` table, ``MIGRATIONS``).

The ledger must never break a conversation: ``record_safely`` and ``create_offer_safely`` write,
and when the database is down or slow they append the row to a spool file under ``var/`` and log
an error; the next successful write replays the spool (idempotently, thanks to the keys).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)

LEDGER_URL = "LEDGER_URL"
MAX_AMOUNT_CENTS = 10**11  # one billion in any currency: above that, the payload is wrong


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
    """The ledger cannot be used (schema newer than this code, bad URL...)."""


class LedgerUnavailable(LedgerError):
    """The database did not answer; the write was not made."""


class AmountError(ValueError):
    """An amount or currency that cannot be money."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


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


def version_table(name: str, metadata: sa.MetaData) -> sa.Table:
    """A table recording which migrations a schema has had (one per store)."""
    return sa.Table(
        name,
        metadata,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("applied_at", sa.DateTime, nullable=False),
    )


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


Migration = tuple[int, str, Callable[[Connection], None]]
MIGRATIONS: tuple[Migration, ...] = ((1, "funnel events and offers", _v1_create_tables),)
LATEST_VERSION = MIGRATIONS[-1][0]


def schema_version(engine: Engine, versions: sa.Table | None = None) -> int:
    """The version the database is at (0 if it has never been migrated)."""
    versions = SCHEMA_VERSION if versions is None else versions
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(versions.name):
            return 0
        return connection.execute(sa.select(sa.func.max(versions.c.version))).scalar() or 0


def migrate(
    engine: Engine,
    migrations: Iterable[Migration] = MIGRATIONS,
    versions: sa.Table | None = None,
) -> int:
    """Apply every migration the database lacks, each in its own transaction; new version.

    ``versions`` is the store's version table (the ledger's ``schema_version`` by default).
    """
    versions = SCHEMA_VERSION if versions is None else versions
    migrations = tuple(migrations)
    latest = migrations[-1][0] if migrations else 0
    with engine.begin() as connection:
        versions.create(connection, checkfirst=True)
    current = schema_version(engine, versions)
    if current > latest:
        raise LedgerError(
            f"the {versions.name} of this database is at version {current}, newer than this "
            f"code ({latest}): upgrade Causette"
        )
    for version, description, apply in migrations:
        if version <= current:
            continue
        with engine.begin() as connection:
            apply(connection)
            connection.execute(
                versions.insert().values(
                    version=version,
                    description=description,
                    applied_at=utcnow().replace(tzinfo=None),
                )
            )
        logger.info("%s: migrated to version %s (%s)", versions.name, version, description)
        current = version
    return current


class SchemaOnce:
    """Brings a store's tables up to date once per process, on first use (thread-safe)."""

    def __init__(
        self,
        engine: Engine,
        migrations: Iterable[Migration],
        versions: sa.Table,
        unavailable: type[Exception],
    ) -> None:
        self.engine = engine
        self.migrations = tuple(migrations)
        self.versions = versions
        self.unavailable = unavailable
        self._ready = False
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Migrate if not done yet; raises ``unavailable`` if the database does not answer."""
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                try:
                    migrate(self.engine, self.migrations, self.versions)
                except SQLAlchemyError as error:
                    message = f"{self.versions.name}: database unavailable: {error}"
                    raise self.unavailable(message) from error
                self._ready = True


def make_engine(url: str, timeout_s: float = 2.0) -> Engine:
    """An engine for ``url`` with bounded waits; SQLite files get WAL mode."""
    parsed = sa.engine.make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = timeout_s
        # A pooled connection may be used by another thread than the one that opened it (one
        # at a time: the pool hands it out).
        connect_args["check_same_thread"] = False
    elif parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, int(timeout_s))
        connect_args["options"] = f"-c statement_timeout={int(timeout_s * 1000)}"
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        # SQLAlchemy 1.4 opens a new SQLite connection per use by default (NullPool); reusing
        # them makes a write about five times faster (docs/benchmarks.md).
        options = {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 5}
    engine = sa.create_engine(url, future=True, connect_args=connect_args, **options)
    if parsed.get_backend_name() == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def default_url(var_dir: Path) -> str:
    return os.environ.get(LEDGER_URL, "").strip() or f"sqlite:///{var_dir / 'ledger.sqlite3'}"


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
        self._schema = SchemaOnce(self.engine, MIGRATIONS, SCHEMA_VERSION, LedgerUnavailable)
        self._lock = threading.Lock()

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
            self._spool({"type": "event", "event": event.to_json()}, error)
            return "spooled"

    def create_offer_safely(self, offer: Offer, event: FunnelEvent) -> str:
        """Store an offer, or spool it: the link was given, so the ref must not be lost."""
        self.flush_spool()
        try:
            self.create_offer(offer, event)
            return "recorded"
        except LedgerUnavailable as error:
            self._spool(
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

    def _spool(self, entry: dict[str, Any], error: Exception) -> None:
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        path = self.spool_dir / f"spool-{os.getpid()}.jsonl"
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock, open(path, "a", encoding="utf-8") as spool:
            spool.write(line)
            spool.flush()
            os.fsync(spool.fileno())
        logger.error(
            "LEDGER UNAVAILABLE, write spooled to %s and replayed when the database is back: %s",
            path,
            error,
        )

    def pending(self) -> int:
        """Spooled writes waiting for the database."""
        if not self.spool_dir.is_dir():
            return 0
        return sum(
            1
            for path in self.spool_dir.glob("spool-*.jsonl")
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        )

    def flush_spool(self) -> int:
        """Replay spooled writes; returns how many went in. Safe with several processes."""
        if not self.spool_dir.is_dir():
            return 0
        replayed = 0
        for path in sorted(self.spool_dir.glob("spool-*.jsonl")):
            claimed = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.replaying")
            try:
                path.rename(claimed)  # atomic: one process replays a given file
            except OSError:
                continue
            lines = [line for line in claimed.read_text(encoding="utf-8").splitlines() if line]
            for index, line in enumerate(lines):
                entry = json.loads(line)
                try:
                    if entry["type"] == "offer":
                        self.create_offer(
                            Offer.from_json(entry["offer"]), FunnelEvent.from_json(entry["event"])
                        )
                    else:
                        self.record(FunnelEvent.from_json(entry["event"]))
                except LedgerUnavailable:
                    rest = "".join(f"{item}\n" for item in lines[index:])
                    with self._lock, open(path, "a", encoding="utf-8") as spool:
                        spool.write(rest)
                    claimed.unlink()
                    return replayed
                replayed += 1
            claimed.unlink()
        if replayed:
            logger.warning("ledger back: %s spooled writes replayed", replayed)
        return replayed
