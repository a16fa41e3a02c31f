"""The lead form, for brands without an online shop: name, e-mail or phone, quantity, city.

Rasa runs the form (``lead_form`` in domain.yml); these actions ask each question in the brand's
voice, validate the answers (re-asking politely on a bad e-mail or phone), and record the lead.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import brand_for, entity_value, say, user_text
from actions.funnel import channel_of, customer_of, latest_message_key, ledger, write
from bot.brand import catalogue
from bot.nlu.contact import clean_name, find_contact, parse_quantity
from bot.sales.ledger import EventKind, FunnelEvent

LEAD_SLOTS = ("lead_name", "lead_contact", "lead_quantity", "lead_city")


class _Ask(Action):
    """Asks for one slot of the lead form with the brand's text ``utter_ask_<slot>``."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        product = brand.product(tracker.get_slot("product") or "")
        say(
            dispatcher,
            brand,
            f"utter_ask_{self.slot}",
            product_name=product.name if product else "",
        )
        return []


class ActionAskLeadName(_Ask):
    slot = "lead_name"


class ActionAskLeadContact(_Ask):
    slot = "lead_contact"


class ActionAskLeadQuantity(_Ask):
    slot = "lead_quantity"


class ActionAskLeadCity(_Ask):
    slot = "lead_city"


class ValidateLeadForm(FormValidationAction):
    """Checks each answer; a refused answer empties the slot, so the form asks again."""

    def name(self) -> str:
        return "validate_lead_form"

    async def validate_lead_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = clean_name(str(value or ""))
        if name is None:
            say(dispatcher, brand_for(tracker), "utter_lead_name_invalid")
        return {"lead_name": name}

    async def validate_lead_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        contact = find_contact(str(value or ""))
        if contact is None:
            say(dispatcher, brand_for(tracker), "utter_lead_contact_invalid")
        return {"lead_contact": contact}

    async def validate_lead_quantity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        quantity = parse_quantity(entity_value(tracker, "quantity") or value)
        if quantity is None:
            say(dispatcher, brand_for(tracker), "utter_lead_quantity_invalid")
        return {"lead_quantity": quantity}

    async def validate_lead_city(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(entity_value(tracker, "city") or value or "")
        place = catalogue.resolve_place(entity_value(tracker, "city"), user_text(tracker))
        city = place.name if place else " ".join(text.split())[:60]
        if not city or not any(c.isalpha() for c in city):
            say(dispatcher, brand_for(tracker), "utter_lead_city_invalid")
            return {"lead_city": None}
        return {"lead_city": city}


class ActionSubmitLead(Action):
    """Records the lead in the ledger and tells the customer who will call back, and when."""

    def name(self) -> str:
        return "action_submit_lead"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        product = brand.product(tracker.get_slot("product") or "")
        quantity = parse_quantity(tracker.get_slot("lead_quantity")) or 1
        message_id = latest_message_key(tracker)
        customer = customer_of(tracker)
        event = FunnelEvent(
            key=f"lead:{customer}:{message_id}",
            kind=EventKind.LEAD_CAPTURED,
            brand=brand.slug,
            at=datetime.now(timezone.utc),
            channel=channel_of(tracker),
            customer=customer,
            product=product.id if product else None,
            amount_cents=product.price_cents * quantity if product else None,
            currency=brand.currency,
            attribution="bot",
            # Contact details the brand needs to call back: personal data, kept with the lead.
            details={slot: tracker.get_slot(slot) for slot in LEAD_SLOTS},
        )
        await write(lambda: ledger().record_safely(event), f"lead {event.key}")
        say(
            dispatcher,
            brand,
            "utter_lead_thanks",
            name=tracker.get_slot("lead_name") or "",
            delay=brand.human_response_delay,
        )
        return [SlotSet(slot, None) for slot in LEAD_SLOTS]


class ActionLeadCancelled(Action):
    """The customer stopped the lead form: no problem, nothing kept."""

    def name(self) -> str:
        return "action_lead_cancelled"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        say(dispatcher, brand_for(tracker), "utter_lead_cancelled")
        return [SlotSet(slot, None) for slot in LEAD_SLOTS] + [SlotSet("requested_slot", None)]
