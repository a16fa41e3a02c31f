"""What every action needs from the tracker: the brand, the customer's words, the product."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.brand.brand_file import Brand, Product, load_brand
from bot.brand.catalogue import find_products_in_text, match_product
from bot.brand.copy import render
from bot.brand.errors import BrandError
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def brand_for(tracker: Tracker) -> Brand:
    """The brand of this conversation: slot ``brand``, else the ``brand`` the channel put in the
    message metadata (a Facebook page belongs to one brand), else the default brand."""
    started = tracker.get_slot("session_started_metadata") or {}
    latest = tracker.latest_message.get("metadata") or {}
    slug = tracker.get_slot("brand") or started.get("brand") or latest.get("brand")
    if slug:
        try:
            return load_brand(slug)
        except BrandError:
            logger.error("Conversation %s names unknown brand %r", tracker.sender_id, slug)
    return load_brand(get_settings().default_brand)


def user_text(tracker: Tracker) -> str:
    """Text of the latest user message ("" if none)."""
    return str(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    """Intent of the latest user message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


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
    """Products the latest message names: NLU entities first, then names found in the text."""
    found: list[Product] = []
    for value in entity_values(tracker, "product"):
        product = match_product(brand, str(value))
        if product and product not in found:
            found.append(product)
    if not found:
        found = find_products_in_text(brand, user_text(tracker))
    return found


def current_product(tracker: Tracker, brand: Brand) -> Product | None:
    """The product the customer is talking about: named now, or earlier in the conversation."""
    mentioned = products_mentioned(tracker, brand)
    if mentioned:
        return mentioned[0]
    slot = tracker.get_slot("product")
    return brand.product(slot) if slot else None


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
