"""Handing the conversation to a person, and what to do when the NLU keeps failing.

``action_escalate`` is the single place where a handoff starts; the Slack escalation will plug in
here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import brand_for, latest_intent, say, user_text
from actions.funnel import channel_of, customer_of, latest_message_key, ledger, write
from bot.categories import category_of
from bot.handoff import (
    EscalationReason,
    plan_handoff,
    reason_for_intent,
    should_offer_human,
)
from bot.ledger import EventKind, FunnelEvent

logger = logging.getLogger(__name__)


class ActionEscalate(Action):
    """Tell the customer a person takes over, with the delay or when the team is back."""

    def name(self) -> str:
        return "action_escalate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        reason = reason_for_intent(latest_intent(tracker))
        if reason is EscalationReason.COMPLAINT:
            say(dispatcher, brand, "utter_complaint_sorry")
        plan = plan_handoff(brand, reason, datetime.now(timezone.utc))
        if plan.team_available:
            say(dispatcher, brand, "utter_handoff", delay=brand.human_response_delay)
        else:
            say(dispatcher, brand, "utter_handoff_closed", reopens=plan.reopens)
        # No Slack escalation yet: make the request impossible to miss in the logs.
        logger.warning(
            "HANDOFF brand=%s conversation=%s reason=%s",
            brand.slug,
            tracker.sender_id,
            reason.value,
        )
        intent = latest_intent(tracker)
        message_id = latest_message_key(tracker)
        event = FunnelEvent(
            key=f"escalated:{customer_of(tracker)}:{message_id}",
            kind=EventKind.ESCALATED,
            brand=brand.slug,
            at=datetime.now(timezone.utc),
            channel=channel_of(tracker),
            customer=customer_of(tracker),
            category=category_of(intent).value,
            intent=intent,
            product=tracker.get_slot("product"),
            details={"reason": reason.value},
        )
        await write(lambda: ledger().record_safely(event), f"escalation {event.key}")
        return [SlotSet("pending_question", None), SlotSet("requested", None)]


class ActionLowConfidence(Action):
    """The NLU is unsure: ask to rephrase, and after two misses in a row offer a person."""

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
        if should_offer_human(intents):
            say(dispatcher, brand, "utter_offer_human")
            return [SlotSet("pending_question", "offer_human")]
        say(dispatcher, brand, "utter_ask_rephrase")
        return [SlotSet("pending_question", None)]
