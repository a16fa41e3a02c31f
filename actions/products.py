"""Which product: the question, its quick replies, and a chosen variant as it reads."""

from __future__ import annotations

from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import say
from bot.brand.brand_file import Brand, Product
from bot.dialogue.turn import Turn

# Messenger shows up to 13 quick replies: enough for a whole small catalogue.
MAX_PRODUCT_BUTTONS = 13
MAX_SUGGESTIONS = 5
BULLET = "• "


def product_buttons(brand: Brand, products: list[Product] | None = None) -> list[dict[str, str]]:
    """Quick replies, one per product, that start a purchase of that product."""
    chosen = brand.catalogue if products is None else products
    return [
        {"title": p.name, "payload": f'/purchase_intent{{"product": "{p.id}"}}'}
        for p in list(chosen)[:MAX_PRODUCT_BUTTONS]
    ]


def ask_which_product(dispatcher: CollectingDispatcher, brand: Brand) -> list[EventType]:
    """Ask which product the customer means, with every product as a quick reply."""
    say(dispatcher, brand, "utter_ask_which_product", buttons=product_buttons(brand))
    return [SlotSet("requested", "product")]


def variant_text(turn: Turn, product: Product) -> str:
    """ " en noir, taille M", " en taille 42", "": the colour and size chosen, as they read
    after the product's name (« en noir » needs no agreement with « la parka »)."""
    return variant_words(product, turn.memory.colour, turn.memory.size)


def variant_words(product: Product, colour: str | None, size: str | None) -> str:
    """The words for a colour and size of ``product`` (those it does not come in are left out)."""
    colour = colour if colour in product.colours else None
    size = size if size in product.sizes and size != "taille unique" else None
    if colour and size:
        return f" en {colour}, taille {size}"
    if colour:
        return f" en {colour}"
    return f" en taille {size}" if size else ""
