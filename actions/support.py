"""After-sale requests: acknowledge, quote the brand's policy, ask for the order number."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import brand_for, entity_value, latest_intent, memory_events, say, turn_of
from actions.handoff import hand_over
from bot.handoff.rules import EscalationReason
from bot.nlu.orders import normalise_order_number

logger = logging.getLogger(__name__)

# Support intents whose answer depends on one order, so we ask for its number.
NEEDS_ORDER_NUMBER = frozenset(
    {
        "order_status",
        "delivery_problem",
        "damaged_or_wrong_item",
        "return_refund",
        "cancel_or_modify_order",
        "payment_problem",
    }
)
SUPPORT_INTENTS = NEEDS_ORDER_NUMBER | {"account_problem"}


class ActionSupportRequest(Action):
    """One action for every after-sale intent; the brand file holds each policy."""

    def name(self) -> str:
        return "action_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        intent = latest_intent(tracker)
        if intent not in SUPPORT_INTENTS:
            logger.warning("action_support_request ran for intent %r", intent)
            intent = "order_status"
        say(dispatcher, brand, f"utter_support_ack_{intent}")
        policy = brand.policies.get(intent)
        if policy:
            say(dispatcher, brand, "utter_policy", policy=policy)
        else:
            logger.error("Brand %s has no policy for %s", brand.slug, intent)
        events: list[EventType] = [SlotSet("pending_question", None)]
        turn = turn_of(tracker)
        events += memory_events(turn) + [SlotSet("topic", None)]
        raw = turn.memory.order_number or entity_value(tracker, "order_number")
        if intent in brand.handoff.people_for:
            # The brand wants a person on this kind of case (damaged item, refund...).
            order_number = normalise_order_number(str(raw)) if raw else None
            if order_number:
                events.append(SlotSet("order_number", order_number))
            return events + await hand_over(
                dispatcher, tracker, brand, EscalationReason.SUPPORT_CASE, order_number
            )
        if intent not in NEEDS_ORDER_NUMBER:
            return events + [SlotSet("requested", None)]
        if raw:
            order_number = normalise_order_number(str(raw))
            say(dispatcher, brand, "utter_order_number_noted", order_number=order_number)
            return events + [
                SlotSet("order_number", order_number),
                SlotSet("requested", None),
            ]
        say(dispatcher, brand, "utter_ask_order_number")
        return events + [SlotSet("requested", "order_number")]
