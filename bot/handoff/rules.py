"""When and how the bot hands a conversation to a person.

The escalation itself is stored by the actions (:mod:`bot.handoff.escalations`) and posted to
the brand's Slack by the server (:mod:`connectors.slack_dispatcher`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.brand.brand_file import Brand

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
LOW_CONFIDENCE_STREAK = 2


class EscalationReason(str, Enum):
    """Why a conversation goes to a person; recorded with every escalation."""

    REQUESTED = "requested"
    COMPLAINT = "complaint"
    LOW_CONFIDENCE = "low_confidence"
    SUPPORT_CASE = "support_case"
    NEGATIVE = "negative"
    LARGE_ORDER = "large_order"


def slack_configured() -> bool:
    """Whether this deployment hands conversations to people in Slack (SLACK_BOT_TOKEN set).

    Without it a handoff is only announced and logged, and the bot keeps answering: pausing a
    conversation nobody will pick up would leave the customer in silence.
    """
    return bool(os.environ.get("SLACK_BOT_TOKEN", "").strip())


def is_large_order(brand: Brand, quantity: int | None, unit_price: Decimal | None) -> bool:
    """A purchase that goes to the sales team: too many units, or too large an amount."""
    config = brand.handoff
    if quantity is None:
        return False
    if config.large_order_quantity is not None and quantity >= config.large_order_quantity:
        return True
    if config.large_order_amount is not None and unit_price is not None:
        return quantity * unit_price >= config.large_order_amount
    return False


def reason_for_intent(intent: str | None) -> EscalationReason:
    """Escalation reason implied by the intent that triggered it."""
    if intent == "complaint":
        return EscalationReason.COMPLAINT
    if intent in ("affirm", FALLBACK_INTENT):
        # "oui" to the bot's offer after it failed to understand.
        return EscalationReason.LOW_CONFIDENCE
    if intent == "request_human":
        return EscalationReason.REQUESTED
    return EscalationReason.SUPPORT_CASE


def low_confidence_streak(user_intents: Sequence[str | None]) -> int:
    """How many of the most recent user messages in a row the NLU was unsure about."""
    streak = 0
    for intent in reversed(user_intents):
        if intent != FALLBACK_INTENT:
            break
        streak += 1
    return streak


def should_hand_over(user_intents: Sequence[str | None]) -> bool:
    """True once the NLU has failed twice in a row: a person takes over."""
    return low_confidence_streak(user_intents) >= LOW_CONFIDENCE_STREAK


def next_opening(brand: Brand, now: datetime) -> datetime | None:
    """When the team is next at work after ``now`` (``now`` itself if open), or None if never."""
    tz = ZoneInfo(brand.timezone)
    local = now.astimezone(tz)
    if brand.is_open(local):
        return local
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        hours = brand.business_hours.get(days[day.weekday()])
        if hours is None:
            continue
        start = datetime.combine(day, hours[0], tzinfo=tz)
        if start > local:
            return start
    return None


@dataclass(frozen=True)
class HandoffPlan:
    """What to tell the customer when a person takes over."""

    reason: EscalationReason
    team_available: bool
    reopens: str | None


def plan_handoff(brand: Brand, reason: EscalationReason, now: datetime) -> HandoffPlan:
    """Decide what the customer hears: a delay if the team works now, else when it is back."""
    opening = next_opening(brand, now)
    available = opening is not None and opening <= now.astimezone(opening.tzinfo)
    reopens = None
    if not available and opening is not None:
        # Locale data, not authored copy: "lundi 30 novembre à 9h00".
        reopens = format_datetime(opening, "EEEE d MMMM 'à' H'h'mm", locale="fr")
    logger.info("Handoff requested (%s); team available: %s", reason.value, available)
    return HandoffPlan(reason=reason, team_available=available, reopens=reopens)
