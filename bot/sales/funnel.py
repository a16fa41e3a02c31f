"""Funnel facts read off a conversation: started, triaged, purchase intent, first response.

The Rasa server calls :func:`funnel_events` each time it saves a conversation, with the events of
the current session (Rasa's serialised events). Only the latest user message and what followed
it are new; keys make repeated calls harmless, so a save that happens twice counts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from bot.nlu.categories import Category, category_of
from bot.sales.ledger import EventKind, FunnelEvent

BOT_ATTRIBUTION = "bot"


def _at(timestamp: float | None) -> datetime:
    return datetime.fromtimestamp(float(timestamp or 0), tz=timezone.utc)


def current_session(events: Sequence[dict[str, Any]]) -> tuple[float, list[dict[str, Any]]]:
    """(start timestamp, events) of the latest session; the whole list if it never restarted."""
    start = 0
    for index, event in enumerate(events):
        if event.get("event") == "session_started":
            start = index
    session = list(events[start:])
    return (float(session[0].get("timestamp") or 0) if session else 0.0), session


def funnel_events(
    customer: str,
    brand: str,
    events: Sequence[dict[str, Any]],
) -> list[FunnelEvent]:
    """Funnel facts for the latest user message of ``events`` (one conversation).

    ``customer`` is the pseudonym of the sender; ``brand`` the brand the conversation is with.
    """
    session_ts, session = current_session(events)
    users = [i for i, e in enumerate(session) if e.get("event") == "user"]
    if not users:
        return []
    last = users[-1]
    user = session[last]
    parse = user.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    category = category_of(intent)
    channel = user.get("input_channel")
    session_key = f"{customer}:{session_ts:.6f}"
    message_key = user.get("message_id") or f"{user.get('timestamp'):.6f}"
    common = {"brand": brand, "channel": channel, "customer": customer}

    found = [
        FunnelEvent(
            key=f"triaged:{customer}:{message_key}",
            kind=EventKind.MESSAGE_TRIAGED,
            at=_at(user.get("timestamp")),
            category=category.value,
            intent=intent,
            **common,
        )
    ]
    if last == users[0]:
        found.append(
            FunnelEvent(
                key=f"started:{session_key}",
                kind=EventKind.CONVERSATION_STARTED,
                at=_at(user.get("timestamp")),
                **common,
            )
        )
        reply = next((e for e in session[last + 1 :] if e.get("event") == "bot"), None)
        if reply is not None:
            found.append(
                FunnelEvent(
                    key=f"first_response:{session_key}",
                    kind=EventKind.FIRST_RESPONSE,
                    at=_at(reply.get("timestamp")),
                    seconds=max(
                        0.0, float(reply.get("timestamp") or 0) - float(user.get("timestamp") or 0)
                    ),
                    attribution=BOT_ATTRIBUTION,
                    **common,
                )
            )
    per_session = {
        Category.PURCHASE: EventKind.PURCHASE_INTENT,
        Category.SUPPORT: EventKind.SUPPORT_REQUEST,
    }
    if category in per_session:
        kind = per_session[category]
        found.append(
            FunnelEvent(
                key=f"{kind.value}:{session_key}",
                kind=kind,
                at=_at(user.get("timestamp")),
                category=category.value,
                intent=intent,
                **common,
            )
        )
    return found
