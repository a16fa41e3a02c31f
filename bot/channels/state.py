"""What the channels remember, shared by all workers: the inbox, customers' last messages.

* ``inbox``: every platform delivery (a Messenger ``mid``, a Telegram ``update_id``, a Slack
  ``event_id``) stored **before** the platform gets its 200, until its turn is saved
  (:mod:`bot.channels.inbox`). A redelivery finds its row and is not stored again. Rows are
  forgotten ``DELIVERY_TTL`` after they are done.
* ``customer_contacts``: when a customer last wrote, per channel. Messenger only lets a page
  write within 24 hours of it (7 days for a human agent), so every send is checked against it.

SQLite by default (``var/state.sqlite3``), any SQLAlchemy URL through ``STATE_URL`` (PostgreSQL
when several workers run). Customers are keyed by pseudonym (:func:`bot.keys.pseudonym`).
When the database does not answer, a delivery cannot be stored: the platform gets a 503 and
delivers it again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.storage import (
    Migration,
    SchemaOnce,
    database_url,
    make_engine,
    naive_utc,
    version_table,
    writer_for,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

STATE_URL = "STATE_URL"
DELIVERY_TTL = timedelta(days=3)

METADATA = sa.MetaData()
VERSIONS = version_table("channel_state_version", METADATA)

# Version 1's de-duplication table, dropped by version 2 (the inbox de-duplicates); kept here so
# that version 1 stays what it was.
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


INBOX = sa.Table(
    "inbox",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # arrival order
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("delivery_id", sa.String(255), nullable=False),
    sa.Column("conversation_id", sa.String(255), nullable=False),  # in order within one
    sa.Column("payload", sa.Text, nullable=False),  # JSON; emptied once done
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending, processing, done, failed
    sa.Column("owner", sa.String(80)),  # the worker processing it
    sa.Column("lease_until", sa.DateTime),
    sa.Column("not_before", sa.DateTime),  # a failed attempt waits before the next
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("sent", sa.Integer, nullable=False),  # bot messages already sent for it
    sa.Column("error", sa.String(255)),
    sa.Column("finished_at", sa.DateTime),
    sa.UniqueConstraint("channel", "delivery_id", name="uq_inbox_delivery"),
    sa.Index("ix_inbox_conversation", "conversation_id", "id"),
    sa.Index("ix_inbox_status", "status", "id"),
)


def _v1_create_tables(connection: sa.engine.Connection) -> None:
    METADATA.create_all(connection, tables=[DELIVERIES_SEEN, CUSTOMER_CONTACTS])


def _v2_inbox(connection: sa.engine.Connection) -> None:
    # Creates the inbox as defined above; a later change to it adds a migration with explicit DDL.
    INBOX.create(connection)
    DELIVERIES_SEEN.drop(connection)


MIGRATIONS: tuple[Migration, ...] = (
    (1, "deliveries seen, customer contacts", _v1_create_tables),
    (2, "the inbox replaces deliveries seen", _v2_inbox),
)


class StateUnavailable(RuntimeError):
    """The state database did not answer."""


def default_url(var_dir: Path) -> str:
    return database_url(STATE_URL, var_dir, "state.sqlite3")


class ChannelState:
    """The state database of the channels, and customers' last messages. Thread-safe."""

    def __init__(self, url: str, timeout_s: float = 2.0) -> None:
        self.engine = make_engine(url, timeout_s)
        self.writer = writer_for(url)  # this process's writes to it, acknowledgements first
        self._schema = SchemaOnce(self.engine, MIGRATIONS, VERSIONS, StateUnavailable)

    @classmethod
    def from_env(cls, var_dir: Path) -> ChannelState:
        return cls(default_url(var_dir))

    async def write(self, call: Callable[..., T], *args: Any, urgent: bool = False) -> T:
        """Run ``call(*args)``, a write to this database, on its writer thread (:class:`Writer`)."""
        return await self.writer.run(call, *args, urgent=urgent)

    def ensure_schema(self) -> None:
        """Create or migrate the tables (servers call it at start, off the request path)."""
        self._schema.ensure()

    def note_customer_message(self, channel: str, customer: str, at: datetime) -> None:
        """Record that ``customer`` wrote at ``at`` (kept if later than what we knew)."""
        self.ensure_schema()
        moment = naive_utc(at)
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
