"""Purchase intent: find the product, check the variant, make the offer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import brand_for, current_product, say
from actions.presale import ask_which_product, requested_variant, utter_stock
from bot.brand import Brand, Product
from bot.catalogue import format_money


def offer_product(
    dispatcher: CollectingDispatcher, tracker: Tracker, brand: Brand, product: Product
) -> list[EventType]:
    """Check the variant the customer wants, then offer the product if it can be sold."""
    colour, size, valid = requested_variant(dispatcher, tracker, brand, product)
    if not valid:
        in_stock = False  # the customer was just told which colours or sizes exist
    elif colour or size:
        in_stock = utter_stock(dispatcher, brand, product, colour, size)
    else:
        in_stock = product.units() > 0
        if not in_stock:
            utter_stock(dispatcher, brand, product, None, None)
    events: list[EventType] = [
        SlotSet("product", product.id),
        SlotSet("requested", None),
    ]
    if not in_stock:
        return events + [SlotSet("pending_question", None)]
    say(
        dispatcher,
        brand,
        "utter_product_offer",
        product_name=product.name,
        price=format_money(product.price, brand.currency),
        description=product.description,
    )
    say(dispatcher, brand, "utter_ask_buy")
    return events + [SlotSet("pending_question", "buy_product")]


class ActionPurchaseIntent(Action):
    """The customer wants to buy: identify the product, then offer it."""

    def name(self) -> str:
        return "action_purchase_intent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        product = current_product(tracker, brand)
        if product is None:
            return ask_which_product(dispatcher, brand) + [SlotSet("pending_question", None)]
        return offer_product(dispatcher, tracker, brand, product)
