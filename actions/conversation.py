"""Conversation glue: "oui" / "non" to the bot's last question, and bare pieces of information."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import (
    brand_for,
    entity_value,
    latest_intent,
    products_mentioned,
    say,
    user_text,
)
from actions.presale import utter_delivery
from actions.purchase import make_offer, offer_product
from bot.brand import catalogue
from bot.nlu.orders import find_order_number, normalise_order_number


class ActionHandleYesNo(Action):
    """Answers "oui" / "non" according to the question the bot asked last.

    "Oui" to the offer of a person is handled by a rule that runs ``action_escalate``.
    """

    def name(self) -> str:
        return "action_handle_yes_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        pending = tracker.get_slot("pending_question")
        agreed = latest_intent(tracker) == "affirm"
        if pending == "buy_product" and agreed:
            return [
                SlotSet("pending_question", None),
                *await make_offer(dispatcher, tracker, brand),
            ]
        if pending == "offer_human" and not agreed:
            say(dispatcher, brand, "utter_rephrase_then")
        elif agreed:
            say(dispatcher, brand, "utter_anything_else")
        else:
            say(dispatcher, brand, "utter_ok_no_problem")
        return [SlotSet("pending_question", None)]


class ActionHandleInform(Action):
    """A bare order number, contact detail or place: use it for what the bot was waiting for."""

    def name(self) -> str:
        return "action_handle_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        text = user_text(tracker)
        requested = tracker.get_slot("requested")
        events: list[EventType] = [SlotSet("pending_question", None)]

        entity_number = entity_value(tracker, "order_number")
        order_number = (
            normalise_order_number(str(entity_number))
            if entity_number
            else find_order_number(text, allow_bare=requested == "order_number")
        )
        if order_number:
            say(dispatcher, brand, "utter_order_number_noted", order_number=order_number)
            return events + [
                SlotSet("order_number", order_number),
                SlotSet("requested", None),
            ]

        place = catalogue.resolve_place(entity_value(tracker, "city"), text)
        if place and requested in (None, "city"):
            return events + utter_delivery(dispatcher, brand, place)

        products = products_mentioned(tracker, brand)
        if products:
            # "le sweat" in answer to "quel article ?" (or out of the blue): make the offer.
            return offer_product(dispatcher, tracker, brand, products[0])

        if requested == "order_number":
            say(dispatcher, brand, "utter_ask_order_number")
            return events
        say(dispatcher, brand, "utter_inform_noted")
        say(dispatcher, brand, "utter_anything_else")
        return events + ([SlotSet("city", place.name)] if place else [])
