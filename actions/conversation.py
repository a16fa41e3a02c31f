"""Conversation glue: yes / no to the bot's last question, bare pieces of information, and
"that did not help"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import latest_intent, memory_events, say, turn_of
from actions.presale import answer_all, place_of, resume_offer, suggest, utter_delivery
from actions.products import ask_which_product
from actions.purchase import make_offer, offer_product
from bot.dialogue.memory import basket_of


class ActionHandleYesNo(Action):
    """Answers "oui" / "non" according to the question the bot asked last.

    "Oui" to the offer of a person runs ``action_escalate`` (rule "yes to a person").
    """

    def name(self) -> str:
        return "action_handle_yes_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = turn_of(tracker)
        brand = turn.brand
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
    """A bare value (product, size, colour, place, order number, budget): use it for what the bot
    was waiting for, else for the question being discussed."""

    def name(self) -> str:
        return "action_handle_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = turn_of(tracker)
        brand, values = turn.brand, turn.values
        requested = turn.context.requested
        events = memory_events(turn)
        product = brand.product(turn.memory.product) if turn.memory.product else None

        if values.order_number:
            say(dispatcher, brand, "utter_order_number_noted", order_number=values.order_number)
            return events + [SlotSet("requested", None), SlotSet("pending_question", None)]
        if requested == "order_number":
            say(dispatcher, brand, "utter_ask_order_number")
            return events
        if values.place and (requested in (None, "city") or not values.products):
            delivery = utter_delivery(
                dispatcher, brand, place_of(turn), basket_of(brand, turn.memory)
            )
            return (
                events
                + delivery
                + [SlotSet("topic", "ask_delivery")]
                + resume_offer(dispatcher, turn)
            )
        if product is not None and (values.products or values.size or values.colour):
            if turn.context.topic == "ask_availability" and not values.products:
                return (
                    events
                    + answer_all(dispatcher, turn, "ask_availability")
                    + resume_offer(dispatcher, turn)
                )
            # « la parka noire » in answer to "Quel article ?", or out of the blue: the offer.
            return events + offer_product(dispatcher, turn, product)
        if values.budget:
            suggest(dispatcher, turn)
            return events + [SlotSet("pending_question", None), SlotSet("requested", "product")]
        if requested == "product":
            return events + ask_which_product(dispatcher, brand)
        if requested == "city":
            say(dispatcher, brand, "utter_ask_location")
            return events
        say(dispatcher, brand, "utter_inform_noted")
        say(dispatcher, brand, "utter_anything_else")
        return events + [SlotSet("pending_question", None)]


class ActionDidNotHelp(Action):
    """The customer says the last answer did not help: never the same answer again; a person."""

    def name(self) -> str:
        return "action_did_not_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = turn_of(tracker)
        say(dispatcher, turn.brand, "utter_sorry_not_helpful")
        return [SlotSet("pending_question", "offer_human"), SlotSet("requested", None)]
