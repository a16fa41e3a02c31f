"""Handing the conversation to a person, and what to do when the NLU keeps failing.

:func:`hand_over` is the single place where a handoff starts; ``action_escalate`` and the
support, low-confidence and purchase actions call it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ConversationPaused,
    ConversationResumed,
    EventType,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher

from actions.context import brand_for, entity_value, latest_intent, say, user_text
from actions.funnel import channel_of, customer_of, latest_message_key, ledger, write
from bot.brand.brand_file import Brand
from bot.handoff.escalation_records import NewEscalation
from bot.handoff.escalations import Escalations, EscalationsUnavailable, escalation_id_for
from bot.handoff.routing import route
from bot.handoff.rules import (
    EscalationReason,
    next_opening,
    plan_handoff,
    reason_for_intent,
    should_hand_over,
    slack_configured,
)
from bot.handoff.slack_blocks import EscalationCard, mirror_text
from bot.nlu.categories import category_of
from bot.nlu.negativity import is_strongly_negative
from bot.nlu.text import WORD_JOINER
from bot.sales.ledger import EventKind, FunnelEvent
from bot.settings import get_settings

logger = logging.getLogger(__name__)


TRANSCRIPT_LENGTH = 10
ATTACHMENT_TEXT = "/send_attachment"


def transcript(tracker: Tracker) -> tuple[tuple[str, str], ...]:
    """The last messages of the conversation, oldest first, as (who, text)."""
    lines: list[tuple[str, str]] = []
    for event in tracker.events:
        text = str(event.get("text") or "").replace(WORD_JOINER, "")
        if event.get("event") == "user" and text:
            lines.append(("client", "[pièce jointe]" if text == ATTACHMENT_TEXT else text))
        elif event.get("event") == "bot" and text:
            who = "conseiller" if (event.get("metadata") or {}).get("from_human") else "bot"
            lines.append((who, text))
    return tuple(lines[-TRANSCRIPT_LENGTH:])


def escalation_reason(tracker: Tracker) -> EscalationReason:
    """Why this conversation goes to a person, from its latest message."""
    if is_strongly_negative(user_text(tracker)):
        return EscalationReason.NEGATIVE
    return reason_for_intent(latest_intent(tracker))


async def hand_over(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    brand: Brand,
    reason: EscalationReason,
    order_number: str | None = None,
    product: str | None = None,
) -> list[EventType]:
    """Tell the customer a person takes over, store the escalation for Slack, pause the bot.

    The single place where a handoff starts (``action_escalate``, a support case, the second
    misunderstanding, a large order). The escalation is stored before anything is sent to
    Slack; the server posts it (:mod:`connectors.slack_dispatcher`). Without Slack configured, or if
    it cannot be stored, the handoff is logged and the bot keeps answering.
    """
    now = datetime.now(timezone.utc)
    if reason is EscalationReason.COMPLAINT or reason is EscalationReason.NEGATIVE:
        say(dispatcher, brand, "utter_complaint_sorry")
    if reason is EscalationReason.LARGE_ORDER:
        say(dispatcher, brand, "utter_handoff_large_order")
    plan = plan_handoff(brand, reason, now)
    if plan.team_available:
        say(dispatcher, brand, "utter_handoff", delay=brand.human_response_delay)
    else:
        say(dispatcher, brand, "utter_handoff_closed", reopens=plan.reopens)

    intent = latest_intent(tracker)
    customer = customer_of(tracker)
    city = tracker.get_slot("city") or entity_value(tracker, "city")
    team = route(brand.handoff, str(city) if city else None, user_text(tracker))
    escalation_id = escalation_id_for(tracker.sender_id, latest_message_key(tracker))
    card = EscalationCard(
        escalation_id=escalation_id,
        brand_name=brand.name,
        customer_label=customer_label(tracker, customer),
        channel=channel_of(tracker) or "",
        reason=reason.value,
        category=category_of(intent).value,
        intent=intent or "",
        order_number=order_number or tracker.get_slot("order_number"),
        product=product_name(brand, product or tracker.get_slot("product")),
        city=str(city) if city else None,
        team_name=team.name,
        transcript=transcript(tracker),
    )
    new = NewEscalation(
        id=escalation_id,
        conversation_id=tracker.sender_id,
        brand=brand.slug,
        channel=channel_of(tracker),
        customer=customer,
        reason=reason.value,
        slack_channel=team.channel,
        usergroup=team.usergroup,
        card=asdict(card),
        remind_at=reminder_due(brand, now),
    )
    stored = False
    if slack_configured() and team.channel:
        try:
            loop = asyncio.get_running_loop()
            active, created = await loop.run_in_executor(None, escalations().open, new)
            if not created:
                # The conversation already has a thread: this message goes there, no new card.
                key = f"mirror:{active.id}:{latest_message_key(tracker)}"
                text = mirror_text(card.customer_label, user_text(tracker))
                await loop.run_in_executor(None, escalations().enqueue, active.id, key, text)
            stored = True
            logger.info(
                "escalation %s stored (new: %s) for team %s", escalation_id, created, team.name
            )
        except EscalationsUnavailable as error:
            logger.error("HANDOFF NOT STORED (%s): the bot keeps answering", error)
    else:
        logger.warning(
            "HANDOFF (no Slack configured) brand=%s conversation=%s reason=%s",
            brand.slug,
            tracker.sender_id,
            reason.value,
        )
    event = FunnelEvent(
        key=f"escalated:{customer}:{latest_message_key(tracker)}",
        kind=EventKind.ESCALATED,
        brand=brand.slug,
        at=now,
        channel=channel_of(tracker),
        customer=customer,
        category=category_of(intent).value,
        intent=intent,
        product=tracker.get_slot("product"),
        details={"reason": reason.value, "escalation": escalation_id, "team": team.name},
    )
    await write(lambda: ledger().record_safely(event), f"escalation {event.key}")
    events: list[EventType] = [SlotSet("pending_question", None), SlotSet("requested", None)]
    return events + [ConversationPaused()] if stored else events


def customer_label(tracker: Tracker, pseudonym: str) -> str:
    """The name the customer shows on their channel (Telegram gives one), with the pseudonym."""
    name = str((tracker.latest_message.get("metadata") or {}).get("display_name") or "").strip()
    return f"{name[:64]} ({pseudonym})" if name else pseudonym


def product_name(brand: Brand, product_id: str | None) -> str | None:
    found = brand.product(product_id) if product_id else None
    return found.name if found else product_id


def reminder_due(brand: Brand, now: datetime) -> datetime | None:
    """When to remind the team if nobody has claimed: the SLA counted from the next opening."""
    opening = next_opening(brand, now)
    if opening is None:
        return None
    return max(opening, now) + timedelta(minutes=brand.handoff.sla_minutes)


@lru_cache(maxsize=1)
def escalations() -> Escalations:
    """This process's escalations store (state lives in the database)."""
    return Escalations.from_env(get_settings().var_dir)


class ActionEscalate(Action):
    """A person takes over: asked for, a complaint, a very negative message, "oui" to the offer."""

    def name(self) -> str:
        return "action_escalate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        return await hand_over(dispatcher, tracker, brand, escalation_reason(tracker))


class ActionHandoffResume(Action):
    """Run by the server when the person is done (Résolu, !bot): the bot is back and says so."""

    def name(self) -> str:
        return "action_handoff_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        say(dispatcher, brand_for(tracker), "utter_handoff_bot_back")
        # Run from outside a turn (Slack's Résolu): end it with a listen, as a turn does, so the
        # customer's next message starts a turn the rules recognise (without it, only TED's
        # guess answered it).
        return [
            ConversationResumed(),
            SlotSet("pending_question", None),
            ActionExecuted("action_listen"),
        ]


class ActionLowConfidence(Action):
    """The NLU is unsure: ask to rephrase, and after two misses in a row hand over to a person."""

    def name(self) -> str:
        return "action_low_confidence"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        if not user_text(tracker).strip():
            say(dispatcher, brand, "utter_empty_message")
            return []
        intents = [
            (e.get("parse_data") or {}).get("intent", {}).get("name")
            for e in tracker.events
            if e.get("event") == "user"
        ]
        if should_hand_over(intents):
            # Two misunderstandings in a row: a person takes over.
            return await hand_over(dispatcher, tracker, brand, EscalationReason.LOW_CONFIDENCE)
        say(dispatcher, brand, "utter_ask_rephrase")
        return [SlotSet("pending_question", None)]
