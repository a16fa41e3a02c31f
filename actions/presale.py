"""Pre-sale answers from the brand file: price, delivery, payment, promo, stores, advice.

Stock, sizes and colours are in :mod:`actions.stock`.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from babel.dates import format_date
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import (
    brand_for,
    current_product,
    entity_value,
    products_mentioned,
    say,
    user_text,
)
from bot.brand import catalogue
from bot.brand.brand_file import Brand, Product
from bot.brand.catalogue import Place, format_money

logger = logging.getLogger(__name__)

MAX_BUTTONS = 5
BULLET = "• "


def product_buttons(brand: Brand, products: list[Product] | None = None) -> list[dict[str, str]]:
    """Up to five quick replies, one per product, that start a purchase of that product."""
    chosen = products or catalogue.suggest_products(brand, "", limit=MAX_BUTTONS)
    return [
        {
            "title": p.name,
            "payload": f'/purchase_intent{{"product": "{p.id}"}}',
        }
        for p in chosen[:MAX_BUTTONS]
    ]


def ask_which_product(dispatcher: CollectingDispatcher, brand: Brand) -> list[EventType]:
    """Ask which product the customer means, with catalogue quick replies."""
    say(dispatcher, brand, "utter_ask_which_product", buttons=product_buttons(brand))
    return [SlotSet("requested", "product")]


def utter_delivery(
    dispatcher: CollectingDispatcher, brand: Brand, place: Place | None
) -> list[EventType]:
    """Delivery cost and lead time for ``place``, or every zone when we don't know where."""
    if place is None:
        lines = [
            f"{BULLET}{z.zone} : {format_money(z.cost, brand.currency)}, {z.lead_time}"
            for z in brand.delivery
        ]
        say(dispatcher, brand, "utter_delivery_overview", lines="\n".join(lines))
        say(dispatcher, brand, "utter_ask_location")
        return [SlotSet("requested", "city")]
    zone = catalogue.delivery_zone(brand, place)
    if zone is None:
        say(
            dispatcher,
            brand,
            "utter_delivery_not_served",
            place=place.name,
            zones=", ".join(z.zone for z in brand.delivery),
        )
        return [SlotSet("city", place.name), SlotSet("requested", None)]
    say(
        dispatcher,
        brand,
        "utter_delivery_quote",
        place=place.name,
        zone=zone.zone,
        cost=format_money(zone.cost, brand.currency),
        lead_time=zone.lead_time,
    )
    if zone.free_above is not None:
        say(
            dispatcher,
            brand,
            "utter_delivery_free_above",
            free_above=format_money(zone.free_above, brand.currency),
        )
    if zone.note:
        say(dispatcher, brand, "utter_delivery_note", note=zone.note)
    return [SlotSet("city", place.name), SlotSet("requested", None)]


def product_slot(product: Product | None) -> list[EventType]:
    """The ``product`` slot set to ``product``, so follow-ups know what we talk about."""
    return [SlotSet("product", product.id)] if product else []


class ActionAnswerPrice(Action):
    """Price of the product(s) asked about, or the whole price list."""

    def name(self) -> str:
        return "action_answer_price"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        products = products_mentioned(tracker, brand)
        if not products:
            product = current_product(tracker, brand)
            products = [product] if product else []
        if not products:
            lines = [
                f"{BULLET}{p.name} : {format_money(p.price, brand.currency)}"
                for p in brand.catalogue
            ]
            say(dispatcher, brand, "utter_price_list", lines="\n".join(lines))
            return [SlotSet("pending_question", None)]
        for product in products[:3]:
            say(
                dispatcher,
                brand,
                "utter_price",
                product_name=product.name,
                price=format_money(product.price, brand.currency),
            )
        return product_slot(products[0]) + [SlotSet("pending_question", None)]


class ActionAnswerDelivery(Action):
    """Delivery cost and lead time for the customer's city or country."""

    def name(self) -> str:
        return "action_answer_delivery"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        place = catalogue.resolve_place(entity_value(tracker, "city"), user_text(tracker))
        if place is None and tracker.get_slot("city"):
            place = catalogue.resolve_place(str(tracker.get_slot("city")), "")
        return utter_delivery(dispatcher, brand, place) + [SlotSet("pending_question", None)]


class ActionAnswerPayment(Action):
    """The brand's payment methods."""

    def name(self) -> str:
        return "action_answer_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        lines = "\n".join(BULLET + m for m in brand.payment_methods)
        say(dispatcher, brand, "utter_payment_methods", lines=lines)
        return [SlotSet("pending_question", None)]


class ActionAnswerPromo(Action):
    """The current promotion, if any."""

    def name(self) -> str:
        return "action_answer_promo"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        promo = brand.promo
        if not promo.active or (promo.until and date.fromisoformat(promo.until) < date.today()):
            say(dispatcher, brand, "utter_no_promo")
        elif promo.until:
            say(
                dispatcher,
                brand,
                "utter_promo_until",
                promo=promo.text,
                until=format_date(date.fromisoformat(promo.until), "d MMMM", locale="fr"),
                conditions=promo.conditions or "",
            )
        else:
            say(
                dispatcher,
                brand,
                "utter_promo",
                promo=promo.text,
                conditions=promo.conditions or "",
            )
        return [SlotSet("pending_question", None)]


class ActionAnswerStore(Action):
    """The shop in the customer's city, the nearest one in their country, or the list."""

    def name(self) -> str:
        return "action_answer_store"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        place = catalogue.resolve_place(entity_value(tracker, "city"), user_text(tracker))
        exact, nearby = catalogue.find_store(brand, place)
        lines = "\n".join(f"{BULLET}{s.city} : {s.address} ({s.hours})" for s in brand.stores)
        if exact:
            say(
                dispatcher,
                brand,
                "utter_store",
                city=exact.city,
                address=exact.address,
                hours=exact.hours,
            )
        elif place and nearby:
            store = nearby[0]
            say(
                dispatcher,
                brand,
                "utter_store_nearby",
                place=place.name,
                city=store.city,
                address=store.address,
                hours=store.hours,
            )
        elif place:
            say(
                dispatcher,
                brand,
                "utter_store_none_nearby",
                place=place.name,
                lines=lines,
            )
        else:
            say(dispatcher, brand, "utter_store_list", lines=lines)
        events: list[EventType] = [SlotSet("pending_question", None)]
        if place:
            events.append(SlotSet("city", place.name))
        return events


class ActionProductAdvice(Action):
    """Help choosing: a product's details, size advice, or suggestions."""

    def name(self) -> str:
        return "action_product_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brand = brand_for(tracker)
        text = user_text(tracker)
        products = products_mentioned(tracker, brand)
        for product in products[:2]:
            say(
                dispatcher,
                brand,
                "utter_advice_product",
                product_name=product.name,
                price=format_money(product.price, brand.currency),
                description=product.description,
                sizes=", ".join(product.sizes),
                colours=", ".join(product.colours),
            )
        if catalogue.is_size_question(text):
            say(dispatcher, brand, "utter_advice_size")
        elif not products:
            suggestions = catalogue.suggest_products(brand, text)
            say(
                dispatcher,
                brand,
                "utter_advice_suggestions",
                buttons=product_buttons(brand, suggestions),
            )
        return product_slot(products[0] if products else None) + [SlotSet("pending_question", None)]
