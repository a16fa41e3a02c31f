"""Session start: say who is speaking, remember the brand, keep useful slots."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import brand_for, say

# Slots worth keeping when a session expires: who the brand is and what we know of the customer.
CARRIED_SLOTS = (
    "brand",
    "brand_name",
    "product",
    "size",
    "colour",
    "budget",
    "city",
    "order_number",
    "email",
    "phone",
)


class ActionSessionStart(Action):
    """Starts a session; its first answer says that this is the brand's automated assistant."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        events: list[EventType] = [SessionStarted()]
        for slot in CARRIED_SLOTS:
            value = tracker.get_slot(slot)
            if value is not None:
                events.append(SlotSet(slot, value))
        events += [SlotSet("brand", brand.slug), SlotSet("brand_name", brand.name)]
        if tracker.is_paused():
            # A person is handling this conversation: a new session must not give it back to
            # the bot (SessionStarted resets the pause), and the bot stays silent.
            events.append(ConversationPaused())
            return events + [ActionExecuted("action_listen")]
        # Every new session opens with the disclosure: a customer back next week may not remember.
        say(dispatcher, brand, "utter_disclosure")
        events.append(ActionExecuted("action_listen"))
        return events
