"""Stock of a product: the size and colour asked for, in stock or not, and what else there is.

Used to answer availability questions, and by the purchase flow before it makes an offer.
"""

from __future__ import annotations

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.context import say
from actions.products import BULLET, ask_which_product
from bot.brand import catalogue
from bot.brand.brand_file import Brand, Product
from bot.dialogue.turn import Turn


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
    dispatcher: CollectingDispatcher, turn: Turn, product: Product
) -> tuple[str | None, str | None, bool]:
    """(colour, size, valid) asked for now or earlier; tells the customer about unknown ones."""
    brand = turn.brand
    colour = turn.memory.colour if turn.memory.colour in product.colours else None
    size = turn.memory.size if turn.memory.size in product.sizes else None
    for value in turn.values.unknown_colours:
        if not turn.values.colour:
            say(
                dispatcher,
                brand,
                "utter_unknown_variant",
                product_name=product.name,
                wanted=value,
                options=", ".join(product.colours),
            )
            return None, None, False
    return colour, size, True


def answer_availability(dispatcher: CollectingDispatcher, turn: Turn) -> list[EventType]:
    """Stock, sizes and colours of the product in question."""
    product = turn.brand.product(turn.memory.product) if turn.memory.product else None
    if product is None:
        return ask_which_product(dispatcher, turn.brand)
    colour, size, valid = requested_variant(dispatcher, turn, product)
    if valid:
        utter_stock(dispatcher, turn.brand, product, colour, size)
    return []
