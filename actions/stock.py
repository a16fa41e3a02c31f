"""Stock of a product: the size and colour asked for, in stock or not, and what else there is.

Used to answer availability questions, and by the purchase flow before it makes an offer.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import brand_for, current_product, entity_value, say, user_text
from actions.presale import BULLET, ask_which_product, product_slot
from bot.brand import catalogue
from bot.brand.brand_file import Brand, Product


def _variant_label(colour: str | None, size: str | None) -> str:
    parts = [p for p in (colour, size) if p]
    return f"({', '.join(parts)})" if parts else ""


def utter_stock(
    dispatcher: CollectingDispatcher,
    brand: Brand,
    product: Product,
    colour: str | None,
    size: str | None,
) -> bool:
    """Tell the stock of a product variant, with alternatives when it is out. True if in stock."""
    if product.units() == 0:
        say(dispatcher, brand, "utter_stock_product_out", product_name=product.name)
        return False
    if colour is None and size is None:
        say(
            dispatcher,
            brand,
            "utter_stock_overview",
            product_name=product.name,
            sizes=", ".join(product.sizes),
            lines="\n".join(BULLET + line for line in catalogue.stock_overview(product)),
        )
        return True
    stock = catalogue.availability(product, colour, size)
    variant = _variant_label(colour, size)
    if stock.low:
        say(
            dispatcher,
            brand,
            "utter_stock_low",
            product_name=product.name,
            variant=variant,
            units=stock.units,
        )
    elif stock.in_stock:
        say(
            dispatcher,
            brand,
            "utter_stock_in",
            product_name=product.name,
            variant=variant,
        )
    else:
        say(
            dispatcher,
            brand,
            "utter_stock_out",
            product_name=product.name,
            variant=variant,
        )
        if colour and stock.sizes_in_stock:
            say(
                dispatcher,
                brand,
                "utter_stock_alternatives_sizes",
                colour=colour,
                sizes=", ".join(stock.sizes_in_stock),
            )
        if size and stock.colours_in_stock:
            say(
                dispatcher,
                brand,
                "utter_stock_alternatives_colours",
                size=size,
                colours=", ".join(stock.colours_in_stock),
            )
    return stock.in_stock


def requested_variant(
    dispatcher: CollectingDispatcher, tracker: Tracker, brand: Brand, product: Product
) -> tuple[str | None, str | None, bool]:
    """(colour, size, valid) the latest message asks for; tells the customer about unknown ones."""
    text = user_text(tracker)
    colour_value = entity_value(tracker, "colour")
    colours = (
        catalogue.match_colours(product, str(colour_value))
        if colour_value
        else catalogue.find_colours_in_text(product, text)
    )
    size_value = entity_value(tracker, "size")
    size = (
        catalogue.match_size(product, str(size_value))
        if size_value
        else catalogue.find_size_in_text(product, text)
    )
    if colour_value and not colours:
        say(
            dispatcher,
            brand,
            "utter_unknown_variant",
            product_name=product.name,
            wanted=str(colour_value),
            options=", ".join(product.colours),
        )
        return None, None, False
    if size_value and size is None:
        say(
            dispatcher,
            brand,
            "utter_unknown_variant",
            product_name=product.name,
            wanted=str(size_value),
            options=", ".join(product.sizes),
        )
        return None, None, False
    return (colours[0] if colours else None), size, True


class ActionAnswerAvailability(Action):
    """Stock, sizes and colours of a product."""

    def name(self) -> str:
        return "action_answer_availability"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        product = current_product(tracker, brand)
        if product is None:
            return ask_which_product(dispatcher, brand) + [SlotSet("pending_question", None)]
        colour, size, valid = requested_variant(dispatcher, tracker, brand, product)
        if valid:
            utter_stock(dispatcher, brand, product, colour, size)
        return product_slot(product) + [SlotSet("pending_question", None)]
