"""Escalations to community managers, and the durable Slack outbox, shared by every worker.

An escalation is stored **before** anything is sent to Slack. A dispatcher (in the Rasa server,
:mod:`connectors.slack_dispatcher`) posts it, retries with backoff while Slack is down, and records
the thread's ``ts``: one escalation is one thread. Messages for the thread (the customer's
messages while a person handles the conversation, SLA reminders) go through ``slack_outbox``,
posted in order once the thread exists. Work is leased row by row, so several workers never post
the same thing; a post whose outcome is unknown (a timeout) is looked up in the channel's history
before it is tried again.

Same database as :mod:`bot.channels.state` (``STATE_URL``), own tables and version
(:mod:`bot.handoff.escalation_records`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.channels.state import default_url
from bot.handoff.escalation_records import (
    ESCALATIONS,
    MIGRATIONS,
    OUTBOX,
    VERSIONS,
    Escalation,
    NewEscalation,
    OutboxItem,
)
from bot.storage import SchemaOnce, backoff, make_engine, naive_utc

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # a post times out after 10 s


class EscalationsUnavailable(RuntimeError):
    """The database did not answer."""


def next_try(attempts: int, wait: timedelta | None) -> datetime:
    """When to try again after ``attempts`` failures: the backoff, or longer if asked to wait."""
    return naive_utc() + max(wait or timedelta(0), backoff(attempts))


def escalation_id_for(conversation_id: str, message_key: str) -> str:
    """Same conversation and message, same id: an action replayed opens nothing new."""
    digest = hashlib.sha256(f"{conversation_id}\n{message_key}".encode()).hexdigest()
    return f"esc_{digest[:32]}"


class Escalations:
    """The escalations store. Thread-safe; one per process."""

    def __init__(self, url: str, timeout_s: float = 2.0) -> None:
        self.engine = make_engine(url, timeout_s)
        self._schema = SchemaOnce(self.engine, MIGRATIONS, VERSIONS, EscalationsUnavailable)

    @classmethod
    def from_env(cls, var_dir: Path) -> Escalations:
        return cls(default_url(var_dir))

    def ensure_schema(self) -> None:
        self._schema.ensure()

    def _run(self, what: str, work: Any) -> Any:
        self.ensure_schema()
        try:
            with self.engine.begin() as connection:
                return work(connection)
        except SQLAlchemyError as error:
            raise EscalationsUnavailable(f"could not {what}: {error}") from error

    # --- opening and reading ---------------------------------------------------------------

    def open(self, new: NewEscalation) -> tuple[Escalation, bool]:
        """Store an escalation unless the conversation already has an unresolved one.

        Returns (the conversation's active escalation, whether it was created now).
        """

        def work(connection: sa.engine.Connection) -> tuple[Escalation, bool]:
            active = connection.execute(
                sa.select(ESCALATIONS).where(
                    (ESCALATIONS.c.conversation_id == new.conversation_id)
                    & (ESCALATIONS.c.status != "resolved")
                )
            ).first()
            if active is not None:
                return Escalation.from_row(active), False
            existing = connection.execute(
                sa.select(ESCALATIONS).where(ESCALATIONS.c.id == new.id)
            ).first()
            if existing is not None:
                return Escalation.from_row(existing), False
            now = naive_utc()
            row = {
                **{k: v for k, v in asdict(new).items() if k not in ("card", "remind_at")},
                "card": json.dumps(new.card, ensure_ascii=False),
                "status": "open",
                "created_at": now,
                "post_attempts": 0,
                "post_next_at": now,
                "post_uncertain": False,
                "remind_at": naive_utc(new.remind_at) if new.remind_at else None,
            }
            connection.execute(ESCALATIONS.insert().values(**row))
            created = connection.execute(
                sa.select(ESCALATIONS).where(ESCALATIONS.c.id == new.id)
            ).first()
            return Escalation.from_row(created), True

        try:
            return self._run("open an escalation", work)
        except EscalationsUnavailable as error:
            if isinstance(error.__cause__, IntegrityError):  # another worker, same moment
                found = self.get(new.id)
                if found is not None:
                    return found, False
            raise

    def _one(self, what: str, condition: Any) -> Escalation | None:
        row = self._run(what, lambda c: c.execute(sa.select(ESCALATIONS).where(condition)).first())
        return Escalation.from_row(row) if row is not None else None

    def get(self, escalation_id: str) -> Escalation | None:
        return self._one("read an escalation", ESCALATIONS.c.id == escalation_id)

    def by_thread(self, slack_channel: str, thread_ts: str) -> Escalation | None:
        return self._one(
            "find a thread's escalation",
            (ESCALATIONS.c.slack_channel == slack_channel) & (ESCALATIONS.c.thread_ts == thread_ts),
        )

    def active_for(self, conversation_id: str) -> Escalation | None:
        """The conversation's unresolved escalation, if any."""
        return self._one(
            "find a conversation's escalation",
            (ESCALATIONS.c.conversation_id == conversation_id)
            & (ESCALATIONS.c.status != "resolved"),
        )

    # --- posting the escalation -------------------------------------------------------------

    def lease_unposted(self, now: datetime | None = None, limit: int = 10) -> list[Escalation]:
        """Escalations due for a (re)try of their Slack post, leased to this worker."""
        return self._lease(
            ESCALATIONS, ESCALATIONS.c.thread_ts.is_(None), "post_next_at", now, limit
        )

    def _lease(
        self,
        table: sa.Table,
        condition: Any,
        due_column: str,
        now: datetime | None,
        limit: int,
    ) -> list[Any]:
        moment = naive_utc(now)
        free = table.c.lease_until.is_(None) | (table.c.lease_until < moment)
        due = table.c[due_column] <= moment

        def work(connection: sa.engine.Connection) -> list[Any]:
            candidates = connection.execute(
                sa.select(table)
                .where(condition & due & free)
                .order_by(table.c[due_column])
                .limit(limit)
            ).fetchall()
            leased = []
            for row in candidates:
                taken = connection.execute(
                    table.update()
                    .where((table.c.id == row.id) & free)
                    .values(lease_until=moment + LEASE)
                ).rowcount
                if taken:
                    leased.append(row)
            return leased

        rows = self._run("lease work", work)
        if table is ESCALATIONS:
            return [Escalation.from_row(row) for row in rows]
        return [OutboxItem(r.id, r.key, r.escalation_id, r.text, r.attempts) for r in rows]

    def posting(self, escalation_id: str) -> None:
        """A post is about to be sent: until it is known to have failed, it may have gone
        through (the server may die waiting for Slack), so the next try looks in the channel
        before posting again."""
        self._run(
            "record a post attempt",
            lambda c: c.execute(
                ESCALATIONS.update()
                .where(ESCALATIONS.c.id == escalation_id)
                .values(post_uncertain=True)
            ),
        )

    def posted(self, escalation_id: str, thread_ts: str) -> None:
        self._run(
            "record a thread",
            lambda c: c.execute(
                ESCALATIONS.update()
                .where(ESCALATIONS.c.id == escalation_id)
                .values(
                    thread_ts=thread_ts, posted_at=naive_utc(), lease_until=None, post_error=None
                )
            ),
        )

    def post_failed(
        self, escalation: Escalation, error: str, uncertain: bool, wait: timedelta | None = None
    ) -> None:
        attempts = escalation.post_attempts + 1
        self._run(
            "record a failed post",
            lambda c: c.execute(
                ESCALATIONS.update()
                .where(ESCALATIONS.c.id == escalation.id)
                .values(
                    post_attempts=attempts,
                    post_next_at=next_try(attempts, wait),
                    post_uncertain=escalation.post_uncertain or uncertain,
                    post_error=error[:255],
                    lease_until=None,
                )
            ),
        )

    # --- the thread's outbox ------------------------------------------------------------------

    def enqueue(self, escalation_id: str, key: str, text: str) -> bool:
        """Queue ``text`` for the escalation's thread; False if ``key`` was queued before."""

        def work(connection: sa.engine.Connection) -> bool:
            exists = connection.execute(sa.select(OUTBOX.c.id).where(OUTBOX.c.key == key)).first()
            if exists:
                return False
            now = naive_utc()
            connection.execute(
                OUTBOX.insert().values(
                    key=key[:255],
                    escalation_id=escalation_id,
                    text=text,
                    created_at=now,
                    attempts=0,
                    next_at=now,
                )
            )
            return True

        try:
            return self._run("queue a thread message", work)
        except EscalationsUnavailable as error:
            if isinstance(error.__cause__, IntegrityError):
                return False
            raise

    def lease_outbox(self, now: datetime | None = None, limit: int = 20) -> list[OutboxItem]:
        """Thread messages due, oldest first, whose escalation has its thread."""
        posted = sa.select(ESCALATIONS.c.id).where(ESCALATIONS.c.thread_ts.is_not(None))
        condition = OUTBOX.c.sent_at.is_(None) & OUTBOX.c.escalation_id.in_(posted)
        return self._lease(OUTBOX, condition, "next_at", now, limit)

    def outbox_sent(self, item_id: int) -> None:
        self._run(
            "record a sent thread message",
            lambda c: c.execute(
                OUTBOX.update()
                .where(OUTBOX.c.id == item_id)
                .values(sent_at=naive_utc(), lease_until=None)
            ),
        )

    def outbox_failed(self, item: OutboxItem, error: str, wait: timedelta | None = None) -> None:
        attempts = item.attempts + 1
        self._run(
            "record a failed thread message",
            lambda c: c.execute(
                OUTBOX.update()
                .where(OUTBOX.c.id == item.id)
                .values(
                    attempts=attempts,
                    next_at=next_try(attempts, wait),
                    error=error[:255],
                    lease_until=None,
                )
            ),
        )

    def pending_outbox(self) -> int:
        return self._run(
            "count the outbox",
            lambda c: c.execute(
                sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.sent_at.is_(None))
            ).scalar(),
        )

    # --- reminders, claims, resolution ------------------------------------------------------

    def due_reminders(self, now: datetime | None = None) -> list[Escalation]:
        """Posted, unclaimed escalations past their reminder time, not reminded yet."""
        moment = naive_utc(now)
        rows = self._run(
            "find due reminders",
            lambda c: c.execute(
                sa.select(ESCALATIONS).where(
                    (ESCALATIONS.c.status == "open")
                    & ESCALATIONS.c.thread_ts.is_not(None)
                    & ESCALATIONS.c.remind_at.is_not(None)
                    & (ESCALATIONS.c.remind_at <= moment)
                    & ESCALATIONS.c.reminded_at.is_(None)
                )
            ).fetchall(),
        )
        return [Escalation.from_row(row) for row in rows]

    def remind(self, escalation_id: str, text: str) -> bool:
        """Queue the one reminder of an escalation; False if it was already queued."""
        queued = self.enqueue(escalation_id, f"reminder:{escalation_id}", text)
        self._run(
            "mark a reminder",
            lambda c: c.execute(
                ESCALATIONS.update()
                .where(ESCALATIONS.c.id == escalation_id)
                .values(reminded_at=naive_utc())
            ),
        )
        return queued

    def claim(self, escalation_id: str, user: str) -> Escalation | None:
        """Mark claimed by ``user`` if still open; the escalation after the change (or as is)."""
        self._transition(
            escalation_id, "open", status="claimed", claimed_at=naive_utc(), claimed_by=user
        )
        return self.get(escalation_id)

    def first_reply(self, escalation_id: str) -> bool:
        """Record the first human reply time; True only the first time."""
        changed = self._run(
            "record a first reply",
            lambda c: (
                c.execute(
                    ESCALATIONS.update()
                    .where(
                        (ESCALATIONS.c.id == escalation_id) & ESCALATIONS.c.first_reply_at.is_(None)
                    )
                    .values(first_reply_at=naive_utc())
                ).rowcount
            ),
        )
        return bool(changed)

    def resolve(self, escalation_id: str, user: str) -> bool:
        """Mark resolved by ``user``; True only for the call that resolved it."""
        return self._transition(
            escalation_id,
            ("open", "claimed"),
            status="resolved",
            resolved_at=naive_utc(),
            resolved_by=user,
        )

    def _transition(
        self, escalation_id: str, from_status: str | Sequence[str], **values: Any
    ) -> bool:
        allowed = [from_status] if isinstance(from_status, str) else list(from_status)
        changed = self._run(
            "update an escalation",
            lambda c: (
                c.execute(
                    ESCALATIONS.update()
                    .where((ESCALATIONS.c.id == escalation_id) & ESCALATIONS.c.status.in_(allowed))
                    .values(**values)
                ).rowcount
            ),
        )
        return bool(changed)
