"""What the handoff stores: the ``escalations`` and ``slack_outbox`` tables, and their rows.

The tables live in the channel state's database (``STATE_URL``) with their own version table
(``handoff_version``). :mod:`bot.handoff.escalations` reads and writes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from bot.storage import Migration, version_table

METADATA = sa.MetaData()
VERSIONS = version_table("handoff_version", METADATA)

ESCALATIONS = sa.Table(
    "escalations",
    METADATA,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("brand", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(32)),
    sa.Column("customer", sa.String(64)),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("slack_channel", sa.String(32)),
    sa.Column("usergroup", sa.String(32)),
    sa.Column("card", sa.Text, nullable=False),  # JSON of bot.handoff.slack_blocks.EscalationCard
    sa.Column("status", sa.String(16), nullable=False),  # open, claimed, resolved
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("thread_ts", sa.String(32)),
    sa.Column("posted_at", sa.DateTime),
    sa.Column("post_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("post_next_at", sa.DateTime),
    sa.Column("post_uncertain", sa.Boolean, nullable=False, default=False),
    sa.Column("post_error", sa.String(255)),
    sa.Column("lease_until", sa.DateTime),
    sa.Column("claimed_at", sa.DateTime),
    sa.Column("claimed_by", sa.String(32)),
    sa.Column("first_reply_at", sa.DateTime),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("resolved_by", sa.String(32)),
    sa.Column("remind_at", sa.DateTime),
    sa.Column("reminded_at", sa.DateTime),
    sa.Index("ix_escalations_thread", "slack_channel", "thread_ts", unique=True),
    sa.Index("ix_escalations_conversation", "conversation_id", "status"),
)

OUTBOX = sa.Table(
    "slack_outbox",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("escalation_id", sa.String(40), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("error", sa.String(255)),
    sa.Column("lease_until", sa.DateTime),
)


def _v1_create_tables(connection: sa.engine.Connection) -> None:
    METADATA.create_all(connection, tables=[ESCALATIONS, OUTBOX])


MIGRATIONS: tuple[Migration, ...] = ((1, "escalations and the Slack outbox", _v1_create_tables),)


@dataclass(frozen=True)
class NewEscalation:
    """What an action knows when it hands a conversation over."""

    id: str
    conversation_id: str
    brand: str
    channel: str | None
    customer: str | None
    reason: str
    slack_channel: str | None
    usergroup: str | None
    card: dict[str, Any]
    remind_at: datetime | None


@dataclass(frozen=True)
class Escalation(NewEscalation):
    """One row of ``escalations``, times in UTC."""

    status: str
    created_at: datetime
    thread_ts: str | None = None
    post_attempts: int = 0
    post_uncertain: bool = False
    claimed_at: datetime | None = None
    claimed_by: str | None = None
    first_reply_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    reminded_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Escalation:
        data = dict(row._mapping)
        fields = {name for name in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in fields}
        values["card"] = json.loads(data["card"])
        for key, value in list(values.items()):
            if isinstance(value, datetime):
                values[key] = value.replace(tzinfo=timezone.utc)
        return cls(**values)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    escalation_id: str
    text: str
    attempts: int
