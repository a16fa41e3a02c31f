"""The durable inbox: a delivery the platform was told we received is kept until it is handled.

A channel stores each delivery here **before** it answers the platform's webhook
(:meth:`Inbox.store`); a redelivery finds its row and is not stored twice. Workers then take
rows (:meth:`Inbox.claim`), each conversation's strictly in arrival order, and mark them done
only once their turn is saved. A taken row is leased to its worker, which renews the lease while
it works; a worker that dies stops renewing, and the row is taken again when the lease ends (by
another worker, or by the same server restarted). A row whose handling keeps failing is retried
with backoff, then given up and logged.

Stored is what acknowledged means: a stored row is handled at least once, and its worker makes a
second run harmless (:mod:`connectors.delivery_worker`). Tables: :data:`bot.channels.state.INBOX`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.channels.state import DELIVERY_TTL, INBOX, ChannelState, StateUnavailable
from bot.storage import backoff, naive_utc

logger = logging.getLogger(__name__)

T = TypeVar("T")

LEASE = timedelta(seconds=15)  # renewed every poll (2 s) while its worker lives
MAX_ATTEMPTS = 5
PURGE_EVERY_S = 600.0
SCAN_LIMIT = 5000  # unfinished rows looked at per scan for work to take

PENDING, PROCESSING, DONE, FAILED = "pending", "processing", "done", "failed"
UNFINISHED = (PENDING, PROCESSING)


@dataclass(frozen=True)
class NewDelivery:
    """A delivery as a channel read it, to be stored."""

    channel: str
    delivery_id: str  # the platform's id: same delivery, same id
    conversation_id: str  # deliveries of one conversation are handled in arrival order
    payload: dict[str, Any]


@dataclass(frozen=True)
class Stored:
    """A row of the inbox, to be taken."""

    id: int
    conversation_id: str
    channel: str
    delivery_id: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.delivery_id)


@dataclass(frozen=True)
class Delivery:
    """A row a worker has taken."""

    id: int
    channel: str
    delivery_id: str
    conversation_id: str
    payload: dict[str, Any]
    attempts: int  # this one included
    sent: int  # bot messages already sent for it by earlier attempts
    received_at: datetime

    @property
    def retaken(self) -> bool:
        """Whether an earlier attempt started on it (and may have got far)."""
        return self.attempts > 1


def _takeable(now: datetime) -> Any:
    waiting = (INBOX.c.status == PENDING) & (
        INBOX.c.not_before.is_(None) | (INBOX.c.not_before <= now)
    )
    abandoned = (INBOX.c.status == PROCESSING) & (INBOX.c.lease_until < now)
    return waiting | abandoned


class Inbox:
    """The inbox of every channel, in the channels' state database. Thread-safe."""

    def __init__(self, state: ChannelState) -> None:
        self.state = state
        self.engine = state.engine
        self._last_purge = 0.0

    def _run(self, what: str, work: Callable[[Connection], T]) -> T:
        self.state.ensure_schema()
        try:
            with self.engine.begin() as connection:
                return work(connection)
        except SQLAlchemyError as error:
            raise StateUnavailable(f"inbox: could not {what}: {error}") from error

    # --- at the door --------------------------------------------------------------------------

    def store(self, deliveries: Sequence[NewDelivery], now: datetime | None = None) -> list[Stored]:
        """Store the deliveries not stored yet, all or none; the rows created, in order.

        Raises:
            StateUnavailable: Nothing was stored; the platform must not get its 200.
        """
        if not deliveries:
            return []
        moment = naive_utc(now)

        def work(connection: Connection) -> list[Stored]:
            known: set[tuple[str, str]] = set()
            for channel in {d.channel for d in deliveries}:
                ids = [d.delivery_id[:255] for d in deliveries if d.channel == channel]
                known.update(
                    (channel, row.delivery_id)
                    for row in connection.execute(
                        sa.select(INBOX.c.delivery_id).where(
                            (INBOX.c.channel == channel) & INBOX.c.delivery_id.in_(ids)
                        )
                    )
                )
            created = []
            for delivery in deliveries:
                key = (delivery.channel, delivery.delivery_id[:255])
                if key in known:
                    continue
                known.add(key)
                result = connection.execute(
                    INBOX.insert().values(
                        channel=delivery.channel,
                        delivery_id=key[1],
                        conversation_id=delivery.conversation_id[:255],
                        payload=json.dumps(delivery.payload, ensure_ascii=False),
                        received_at=moment,
                        status=PENDING,
                        attempts=0,
                        sent=0,
                    )
                )
                created.append(
                    Stored(result.inserted_primary_key[0], delivery.conversation_id, *key)
                )
            return created

        try:
            return self._run("store deliveries", work)
        except StateUnavailable as error:
            if not isinstance(error.__cause__, IntegrityError):
                raise
            # The same delivery, redelivered to another worker, was stored at the same moment.
            return self._run("store deliveries", work)

    # --- taking work ------------------------------------------------------------------------

    def claim(self, row_id: int, owner: str, now: datetime | None = None) -> Delivery | None:
        """Take row ``row_id`` for ``owner``; None if it is done, someone else's, or waiting
        behind an unfinished earlier delivery of its conversation. A row that has failed
        ``MAX_ATTEMPTS`` times is given up (status ``failed``, logged) instead."""
        moment = naive_utc(now)

        def work(connection: Connection) -> Delivery | None:
            conversation = connection.execute(
                sa.select(INBOX.c.conversation_id).where(INBOX.c.id == row_id)
            ).scalar()
            if conversation is None:
                return None
            earlier = INBOX.alias("earlier")
            blocked = sa.exists().where(
                (earlier.c.conversation_id == conversation)
                & (earlier.c.id < row_id)
                & earlier.c.status.in_(UNFINISHED)
            )
            taken = connection.execute(
                INBOX.update()
                .where((INBOX.c.id == row_id) & _takeable(moment) & ~blocked)
                .values(
                    status=PROCESSING,
                    owner=owner[:80],
                    lease_until=moment + LEASE,
                    attempts=INBOX.c.attempts + 1,
                )
            ).rowcount
            if not taken:
                return None
            row = connection.execute(sa.select(INBOX).where(INBOX.c.id == row_id)).one()
            if row.attempts > MAX_ATTEMPTS:
                connection.execute(
                    INBOX.update()
                    .where(INBOX.c.id == row_id)
                    .values(status=FAILED, owner=None, lease_until=None, finished_at=moment)
                )
                logger.error(
                    "INBOX GAVE UP on %s delivery %s after %s attempts (last error: %s)",
                    row.channel,
                    row.delivery_id,
                    MAX_ATTEMPTS,
                    row.error,
                )
                return None
            return Delivery(
                id=row.id,
                channel=row.channel,
                delivery_id=row.delivery_id,
                conversation_id=row.conversation_id,
                payload=json.loads(row.payload),
                attempts=row.attempts,
                sent=row.sent,
                received_at=row.received_at.replace(tzinfo=timezone.utc),
            )

        return self._run("claim a delivery", work)

    def renew(self, row_ids: Sequence[int], owner: str, now: datetime | None = None) -> int:
        """Extend ``owner``'s leases on the rows it is still working on; how many it still has."""
        if not row_ids:
            return 0
        moment = naive_utc(now)
        return self._run(
            "renew leases",
            lambda c: (
                c.execute(
                    INBOX.update()
                    .where(
                        INBOX.c.id.in_(list(row_ids))
                        & (INBOX.c.owner == owner[:80])
                        & (INBOX.c.status == PROCESSING)
                    )
                    .values(lease_until=moment + LEASE)
                ).rowcount
            ),
        )

    def runnable(self, channel: str, now: datetime | None = None, limit: int = 100) -> list[Stored]:
        """``channel``'s rows that can be taken now, at most one per conversation (its earliest
        unfinished)."""
        moment = naive_utc(now)

        def work(connection: Connection) -> list[Stored]:
            rows = connection.execute(
                sa.select(
                    INBOX.c.id,
                    INBOX.c.conversation_id,
                    INBOX.c.delivery_id,
                    _takeable(moment).label("takeable"),
                )
                .where((INBOX.c.channel == channel) & INBOX.c.status.in_(UNFINISHED))
                .order_by(INBOX.c.id)
                .limit(SCAN_LIMIT)
            ).fetchall()
            seen: set[str] = set()
            found = []
            for row in rows:
                if row.conversation_id in seen:
                    continue
                seen.add(row.conversation_id)
                if row.takeable:
                    found.append(Stored(row.id, row.conversation_id, channel, row.delivery_id))
                    if len(found) >= limit:
                        break
            return found

        return self._run("find work", work)

    # --- while and after working ------------------------------------------------------------

    def note_sent(self, row_id: int, count: int) -> None:
        """``count`` bot messages of this delivery's turn have been sent."""
        self._run(
            "note a sent message",
            lambda c: c.execute(
                INBOX.update()
                .where((INBOX.c.id == row_id) & (INBOX.c.sent < count))
                .values(sent=count)
            ),
        )

    def done(self, row_id: int, now: datetime | None = None) -> None:
        """The delivery is handled: its payload (customer text) is not kept any longer."""
        moment = naive_utc(now)
        self._run(
            "mark a delivery done",
            lambda c: c.execute(
                INBOX.update()
                .where(INBOX.c.id == row_id)
                .values(
                    status=DONE,
                    payload="",
                    owner=None,
                    lease_until=None,
                    error=None,
                    finished_at=moment,
                )
            ),
        )
        self._purge_now_and_then(moment)

    def retry_later(self, row_id: int, attempts: int, error: str) -> None:
        """Attempt ``attempts`` failed: the row waits :func:`backoff` before it can be taken."""
        self._run(
            "reschedule a delivery",
            lambda c: c.execute(
                INBOX.update()
                .where(INBOX.c.id == row_id)
                .values(
                    status=PENDING,
                    owner=None,
                    lease_until=None,
                    not_before=naive_utc() + backoff(attempts),
                    error=error[:255],
                )
            ),
        )

    def counts(self) -> dict[str, int]:
        """Rows per status (logs, tests, benchmarks)."""
        rows = self._run(
            "count deliveries",
            lambda c: c.execute(
                sa.select(INBOX.c.status, sa.func.count()).group_by(INBOX.c.status)
            ).fetchall(),
        )
        return {status: count for status, count in rows}

    def _purge_now_and_then(self, now: datetime) -> None:
        if time.monotonic() - self._last_purge < PURGE_EVERY_S:
            return
        self._last_purge = time.monotonic()
        try:
            gone = self._run(
                "forget old deliveries",
                lambda c: (
                    c.execute(
                        INBOX.delete().where(
                            INBOX.c.status.in_((DONE, FAILED))
                            & (INBOX.c.finished_at < now - DELIVERY_TTL)
                        )
                    ).rowcount
                ),
            )
            if gone:
                logger.info("inbox: forgot %s deliveries finished over %s ago", gone, DELIVERY_TTL)
        except StateUnavailable:
            logger.exception("could not forget old deliveries (will try again later)")
