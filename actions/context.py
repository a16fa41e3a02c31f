"""What every action needs from the tracker: the brand, the customer's words, the product."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.brand.brand_file import Brand, Product
from bot.brand.copy import render
from bot.dialogue.turn import Turn, conversation_brand, read_turn

logger = logging.getLogger(__name__)


def brand_for(tracker: Tracker) -> Brand:
    """The brand of this conversation (see :func:`bot.dialogue.turn.conversation_brand`)."""
    return conversation_brand(tracker.slots, tracker.latest_message.get("metadata"))


def turn_of(tracker: Tracker) -> Turn:
    """The latest message read in its conversation: values, memory, reading in context."""
    latest = tracker.latest_message
    return read_turn(
        tracker.slots,
        str(latest.get("text") or ""),
        list(latest.get("entities") or []),
        (latest.get("intent") or {}).get("name"),
        latest.get("metadata"),
    )


def memory_events(turn: Turn) -> list[EventType]:
    """Slot events that keep what the latest message stated (product, size, city…)."""
    return [SlotSet(slot, value) for slot, value in turn.memory.changes(turn.before).items()]


def user_text(tracker: Tracker) -> str:
    """Text of the latest user message ("" if none)."""
    return str(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    """Intent of the latest user message, as read in context (``understood_as``) if it was."""
    return tracker.get_slot("understood_as") or (tracker.latest_message.get("intent") or {}).get(
        "name"
    )


def entity_values(tracker: Tracker, entity: str) -> list[Any]:
    """Values of ``entity`` in the latest user message, in order, without repeats."""
    values: list[Any] = []
    for ent in tracker.latest_message.get("entities") or []:
        if ent.get("entity") == entity and ent.get("value") not in values:
            values.append(ent.get("value"))
    return values


def entity_value(tracker: Tracker, entity: str) -> Any | None:
    """First value of ``entity`` in the latest user message, or None."""
    values = entity_values(tracker, entity)
    return values[0] if values else None


def products_mentioned(tracker: Tracker, brand: Brand) -> list[Product]:
    """Products the latest message names and does not rule out (« pas la parka, le sweat »)."""
    turn = turn_of(tracker)
    found = [brand.product(p) for p in turn.values.products]
    return [p for p in found if p is not None]


def current_product(tracker: Tracker, brand: Brand) -> Product | None:
    """The product the customer is talking about: named now, or earlier in the conversation."""
    product_id = turn_of(tracker).memory.product
    return brand.product(product_id) if product_id else None


def say(
    dispatcher: CollectingDispatcher,
    brand: Brand,
    key: str,
    buttons: list[dict[str, str]] | None = None,
    **params: Any,
) -> None:
    """Send the text ``key`` in the brand's voice; the key travels in the message as ``copy``."""
    message = render(key, {"brand_name": brand.name, **params}, brand.copy)
    dispatcher.utter_message(
        text=message.text, buttons=message.buttons + list(buttons or []), copy=key
    )
