"""What the channels remember, shared by all workers: deliveries seen, last customer messages.

* ``deliveries_seen``: the id of each platform delivery (a Messenger ``mid``, a Telegram
  ``update_id``) we accepted. Platforms redeliver when they think we missed one; a redelivery
  finds its id here and is dropped. Rows expire after ``DELIVERY_TTL``.
* ``customer_contacts``: when a customer last wrote, per channel. Messenger only lets a page
  write within 24 hours of it (7 days for a human agent), so every send is checked against it.

SQLite by default (``var/state.sqlite3``), any SQLAlchemy URL through ``STATE_URL`` (PostgreSQL
when several workers run). Customers are keyed by pseudonym (:func:`bot.keys.pseudonym`).
When the database does not answer, the channel processes the message anyway (a rare duplicate
reply is better than a lost message) and logs it loudly.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.storage import Migration, SchemaOnce, database_url, make_engine, version_table

logger = logging.getLogger(__name__)

STATE_URL = "STATE_URL"
DELIVERY_TTL = timedelta(days=3)
PURGE_EVERY_S = 600.0

METADATA = sa.MetaData()
VERSIONS = version_table("channel_state_version", METADATA)

DELIVERIES_SEEN = sa.Table(
    "deliveries_seen",
    METADATA,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("delivery_id", sa.String(255), primary_key=True),
    sa.Column("seen_at", sa.DateTime, nullable=False, index=True),
)

CUSTOMER_CONTACTS = sa.Table(
    "customer_contacts",
    METADATA,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("customer", sa.String(64), primary_key=True),
    sa.Column("last_message_at", sa.DateTime, nullable=False),
)


def _v1_create_tables(connection: sa.engine.Connection) -> None:
    METADATA.create_all(connection, tables=[DELIVERIES_SEEN, CUSTOMER_CONTACTS])


MIGRATIONS: tuple[Migration, ...] = ((1, "deliveries seen, customer contacts", _v1_create_tables),)


class StateUnavailable(RuntimeError):
    """The state database did not answer."""


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def default_url(var_dir: Path) -> str:
    return database_url(STATE_URL, var_dir, "state.sqlite3")


class ChannelState:
    """Deliveries seen and last customer messages. Thread-safe; one per process."""

    def __init__(self, url: str, timeout_s: float = 2.0) -> None:
        self.engine = make_engine(url, timeout_s)
        self._schema = SchemaOnce(self.engine, MIGRATIONS, VERSIONS, StateUnavailable)
        self._last_purge = 0.0

    @classmethod
    def from_env(cls, var_dir: Path) -> ChannelState:
        return cls(default_url(var_dir))

    def ensure_schema(self) -> None:
        """Create or migrate the tables (servers call it at start, off the request path)."""
        self._schema.ensure()

    def first_delivery(self, channel: str, delivery_id: str, now: datetime | None = None) -> bool:
        """Remember ``delivery_id``; True the first time, False for a redelivery.

        Raises ``StateUnavailable`` if the database did not answer.
        """
        self.ensure_schema()
        seen_at = _naive_utc(now or datetime.now(timezone.utc))
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    DELIVERIES_SEEN.insert().values(
                        channel=channel, delivery_id=delivery_id[:255], seen_at=seen_at
                    )
                )
        except IntegrityError:
            return False
        except SQLAlchemyError as error:
            raise StateUnavailable(f"could not check delivery {delivery_id}: {error}") from error
        self._purge_now_and_then(seen_at)
        return True

    def _purge_now_and_then(self, now: datetime) -> None:
        if time.monotonic() - self._last_purge < PURGE_EVERY_S:
            return
        self._last_purge = time.monotonic()
        try:
            with self.engine.begin() as connection:
                gone = connection.execute(
                    DELIVERIES_SEEN.delete().where(DELIVERIES_SEEN.c.seen_at < now - DELIVERY_TTL)
                ).rowcount
            if gone:
                logger.info("forgot %s delivery ids older than %s", gone, DELIVERY_TTL)
        except SQLAlchemyError:
            logger.exception("could not purge old delivery ids (will try again later)")

    def note_customer_message(self, channel: str, customer: str, at: datetime) -> None:
        """Record that ``customer`` wrote at ``at`` (kept if later than what we knew)."""
        self.ensure_schema()
        moment = _naive_utc(at)
        table = CUSTOMER_CONTACTS
        match = (table.c.channel == channel) & (table.c.customer == customer)
        try:
            with self.engine.begin() as connection:
                updated = connection.execute(
                    table.update()
                    .where(match & (table.c.last_message_at < moment))
                    .values(last_message_at=moment)
                ).rowcount
                if not updated:
                    exists = connection.execute(sa.select(table.c.customer).where(match)).first()
                    if exists is None:
                        connection.execute(
                            table.insert().values(
                                channel=channel, customer=customer, last_message_at=moment
                            )
                        )
        except IntegrityError:
            # Another worker inserted the row between our read and write: update it.
            self.note_customer_message(channel, customer, at)
        except SQLAlchemyError as error:
            raise StateUnavailable(f"could not note a customer message: {error}") from error

    def last_customer_message(self, channel: str, customer: str) -> datetime | None:
        """When ``customer`` last wrote on ``channel`` (UTC), or None if never."""
        self.ensure_schema()
        table = CUSTOMER_CONTACTS
        try:
            with self.engine.connect() as connection:
                found = connection.execute(
                    sa.select(table.c.last_message_at).where(
                        (table.c.channel == channel) & (table.c.customer == customer)
                    )
                ).scalar()
        except SQLAlchemyError as error:
            raise StateUnavailable(f"could not read a customer's last message: {error}") from error
        return found.replace(tzinfo=timezone.utc) if found else None
