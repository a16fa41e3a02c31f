"""Pre-sale answers from the brand file: price, delivery, payment, promo, stores, advice.

Every answer reads the conversation's memory (product, size, colour, place, budget), so that a
follow-up needs no repetition; a message with several questions gets each answered; a question
asked in the middle of an offer is answered, then the offer is put again. Stock, sizes and
colours are in :mod:`actions.stock`.

Why this module is long: one answer function per pre-sale question, next to the code that
combines them (several questions in one message, the offer put again after a question).
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from babel.dates import format_date
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import memory_events, say, turn_of
from actions.products import BULLET, MAX_SUGGESTIONS, product_buttons, variant_text
from actions.stock import answer_availability
from bot.brand import catalogue, grammar
from bot.brand.brand_file import Brand, Product
from bot.brand.catalogue import Place, format_money
from bot.dialogue.memory import Basket, basket_of
from bot.dialogue.turn import Turn
from bot.nlu import cues
from bot.nlu.text import fold

logger = logging.getLogger(__name__)


def place_of(turn: Turn) -> Place | None:
    """Where the customer is, as stated now or earlier."""
    if turn.values.place and turn.values.country:
        return Place(turn.values.place, turn.values.country)
    if turn.memory.city:
        return catalogue.resolve_place(turn.memory.city, "")
    return None


def basket_label(basket: Basket) -> str:
    """« la Parka Boréale », or « votre panier (Sweat à capuche Brume + Bonnet Flocon) »."""
    if len(basket.products) == 1:
        return grammar.definite(basket.products[0])
    return f"votre panier ({' + '.join(p.name for p in basket.products)})"


def utter_delivery(
    dispatcher: CollectingDispatcher,
    brand: Brand,
    place: Place | None,
    basket: Basket | None = None,
) -> list[EventType]:
    """Delivery cost and lead time for ``place`` (free for the basket if it reaches the zone's
    threshold), or every zone and a question when we don't know where."""
    if place is None:
        lines = [
            f"{BULLET}{z.zone} : {format_money(z.cost, brand.currency)}, {z.lead_time}"
            for z in brand.delivery
        ]
        say(dispatcher, brand, "utter_delivery_overview", lines="\n".join(lines))
        say(dispatcher, brand, "utter_ask_location")
        return [SlotSet("requested", "city")]
    where = grammar.at_place(place.name, place.country)
    zone = catalogue.delivery_zone(brand, place)
    if zone is None:
        zones = ", ".join(z.zone for z in brand.delivery)
        say(dispatcher, brand, "utter_delivery_not_served", place=where, zones=zones)
        return [SlotSet("city", place.name), SlotSet("requested", None)]
    same = fold(zone.zone) == fold(place.name)
    say(
        dispatcher,
        brand,
        "utter_delivery_quote",
        place=where,
        zone="" if same else f" ({zone.zone})",
        cost=format_money(zone.cost, brand.currency),
        lead_time=zone.lead_time,
    )
    if zone.free_above is not None:
        threshold = format_money(zone.free_above, brand.currency)
        amount = basket.amount if basket else None
        if basket is not None and amount is not None and amount >= zone.free_above:
            say(
                dispatcher,
                brand,
                "utter_delivery_free_for_product",
                product=basket_label(basket),
                price=format_money(amount, brand.currency),
                free_above=threshold,
            )
        elif basket is not None and amount is not None:
            say(
                dispatcher,
                brand,
                "utter_delivery_free_missing",
                product=basket_label(basket),
                price=format_money(amount, brand.currency),
                free_above=threshold,
                missing=format_money(zone.free_above - amount, brand.currency),
            )
        else:
            say(dispatcher, brand, "utter_delivery_free_above", free_above=threshold)
    if zone.note:
        say(dispatcher, brand, "utter_delivery_note", note=zone.note)
    return [SlotSet("city", place.name), SlotSet("requested", None)]


def _product(turn: Turn) -> Product | None:
    return turn.brand.product(turn.memory.product) if turn.memory.product else None


def answer_price(dispatcher: CollectingDispatcher, turn: Turn) -> list[EventType]:
    """Price of the product(s) in question (after the promo code if asked), or the price list."""
    brand = turn.brand
    products = [p for p in map(brand.product, turn.values.products) if p] or [
        p for p in [_product(turn)] if p
    ]
    if not products:
        lines = [
            f"{BULLET}{p.name} : {format_money(p.price, brand.currency)}" for p in brand.catalogue
        ]
        say(dispatcher, brand, "utter_price_list", lines="\n".join(lines))
        return []
    promo = brand.promo
    with_code = cues.asks_price_with_code(turn.text) or "ask_promo" in cues.topics_in(turn.text)
    for product in products[:3]:
        price = format_money(product.price, brand.currency)
        if with_code and _promo_running(brand) and promo.percent and promo.applies_to(product.id):
            discounted = product.price * (1 - float(promo.percent) / 100)
            say(
                dispatcher,
                brand,
                "utter_price_with_promo",
                product_name=product.name,
                price=price,
                discounted=format_money(round(discounted, 2), brand.currency),
                code=promo.code or "",
                percent=f"{float(promo.percent):g}",
            )
        else:
            say(dispatcher, brand, "utter_price", product_name=product.name, price=price)
    return []


def answer_delivery(dispatcher: CollectingDispatcher, turn: Turn) -> list[EventType]:
    return utter_delivery(
        dispatcher, turn.brand, place_of(turn), basket_of(turn.brand, turn.memory)
    )


def answer_payment(dispatcher: CollectingDispatcher, turn: Turn) -> list[EventType]:
    """Paying in instalments, with the brand's minimum applied to the product; else the list."""
    brand = turn.brand
    plan = brand.instalments
    if plan is None or not cues.asks_instalments(turn.text):
        lines = "\n".join(BULLET + m for m in brand.payment_methods)
        say(dispatcher, brand, "utter_payment_methods", lines=lines)
        return []
    if cues.names_a_payment_method(turn.text):
        # « vous prenez Bancontact ? et en plusieurs fois ? »: the methods too.
        lines = "\n".join(BULLET + m for m in brand.payment_methods)
        say(dispatcher, brand, "utter_payment_methods", lines=lines)
    params = {
        "count": plan.count,
        "minimum": format_money(plan.minimum, brand.currency),
        "methods": f" ({plan.methods})" if plan.methods else "",
    }
    basket = basket_of(brand, turn.memory)
    if basket is None:
        say(dispatcher, brand, "utter_instalments_rule", **params)
        return []
    # « le panier » is masculine singular; one product agrees with its own name.
    product = basket.products[0] if len(basket.products) == 1 else None
    amount = basket.amount
    key = "utter_instalments_ok" if amount >= plan.minimum else "utter_instalments_below_minimum"
    say(
        dispatcher,
        brand,
        key,
        product=basket_label(basket),
        price=format_money(amount, brand.currency),
        alone=grammar.agree(product, "seul", "seule", "seuls", "seules") if product else "seul",
        eligible=(
            grammar.agree(product, "éligible", "éligible", "éligibles", "éligibles")
            if product
            else "éligible"
        ),
        verb="sont" if product and product.plural else "est",
        **params,
    )
    return []


def _promo_running(brand: Brand) -> bool:
    promo = brand.promo
    return bool(promo.active) and not (
        promo.until and date.fromisoformat(promo.until) < date.today()
    )


def answer_promo(dispatcher: CollectingDispatcher, turn: Turn) -> list[EventType]:
    brand = turn.brand
    promo = brand.promo
    if not _promo_running(brand):
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
        say(dispatcher, brand, "utter_promo", promo=promo.text, conditions=promo.conditions or "")
    return []


def answer_store(dispatcher: CollectingDispatcher, turn: Turn) -> list[EventType]:
    """The shop in the customer's city, the nearest one in their country, or the list."""
    brand = turn.brand
    # A place named now, or the one said before for « et à Lyon ? »-style follow-ups.
    place = place_of(turn) if turn.values.place or cues.is_follow_up(turn.text) else None
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
            place=grammar.at_place(place.name, place.country),
            city=store.city,
            address=store.address,
            hours=store.hours,
        )
    elif place:
        say(
            dispatcher,
            brand,
            "utter_store_none_nearby",
            place=grammar.at_place(place.name, place.country),
            lines=lines,
        )
    else:
        say(dispatcher, brand, "utter_store_list", lines=lines)
    return [SlotSet("city", place.name)] if place else []


def answer_advice(dispatcher: CollectingDispatcher, turn: Turn) -> list[EventType]:
    """Help choosing: a product's details, size advice, or suggestions within the budget."""
    brand = turn.brand
    products = [p for p in map(brand.product, turn.values.products) if p]
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
    if catalogue.is_size_question(turn.text):
        say(dispatcher, brand, "utter_advice_size")
    elif not products:
        suggest(dispatcher, turn)
        return [SlotSet("requested", "product")]  # « l'écharpe camel » picks one
    return []


def suggest(dispatcher: CollectingDispatcher, turn: Turn) -> None:
    """Product suggestions for the customer's words, within the budget they gave."""
    brand = turn.brand
    budget = turn.memory.budget
    suggestions = catalogue.suggest_products(brand, turn.text, limit=len(brand.catalogue))
    if budget:
        within = [p for p in suggestions if p.price <= budget]
        within = within or [p for p in brand.catalogue if p.price <= budget and p.units() > 0]
        say(
            dispatcher,
            brand,
            "utter_budget_suggestions",
            budget=format_money(budget, brand.currency),
            buttons=product_buttons(brand, within[:MAX_SUGGESTIONS]),
        )
        return
    say(
        dispatcher,
        brand,
        "utter_advice_suggestions",
        buttons=product_buttons(brand, suggestions[:MAX_SUGGESTIONS]),
    )


def answer_returns(dispatcher: CollectingDispatcher, turn: Turn) -> list[EventType]:
    """Exchanges and returns, asked before buying: the brand's policy, without a support case."""
    policy = turn.brand.policies.get("return_refund")
    if policy:
        say(dispatcher, turn.brand, "utter_exchange_policy", policy=policy)
    return []


Answer = Callable[[CollectingDispatcher, Turn], list[EventType]]
ANSWERS: dict[str, Answer] = {
    "ask_price": answer_price,
    "ask_availability": answer_availability,
    "ask_delivery": answer_delivery,
    "ask_payment": answer_payment,
    "ask_promo": answer_promo,
    "ask_store": answer_store,
    "product_advice": answer_advice,
    "ask_returns": answer_returns,
}
# Questions that make sense as a second question only about a named product.
_NEED_PRODUCT = frozenset({"ask_price", "ask_availability"})


def other_questions(turn: Turn, answered: str) -> list[str]:
    """The other pre-sale questions of a message that asks several (« combien coûte la parka et
    vous livrez en Belgique ? »), in the order the answers are given."""
    topics = [t for t in cues.topics_in(turn.text) if t != answered]
    if answered == "ask_delivery":
        topics = [t for t in topics if t != "ask_store"]
    if answered == "ask_price":
        topics = [t for t in topics if t != "ask_promo"]  # the price is given after the code
    if answered == "ask_promo" and turn.memory.product and cues.asks_price_with_code(turn.text):
        topics = ["ask_price", *[t for t in topics if t != "ask_price"]]  # « avec le code ? »
    return [
        t
        for t in topics
        if t not in _NEED_PRODUCT
        or turn.values.products
        or (t == "ask_price" and answered == "ask_promo")
    ]


def resume_offer(dispatcher: CollectingDispatcher, turn: Turn) -> list[EventType]:
    """After a question asked in the middle of an offer, put the offer again."""
    if turn.context.pending != "buy_product":
        return [SlotSet("pending_question", None)]
    product = _product(turn)
    if product is None:
        return [SlotSet("pending_question", None)]
    say(
        dispatcher,
        turn.brand,
        "utter_ask_buy_again",
        product=grammar.definite(product),
        variant=variant_text(turn, product),
    )
    return [SlotSet("pending_question", "buy_product")]


class PresaleAnswer(Action, abc.ABC):
    """One pre-sale question (its ``topic``), plus the others the same message asks."""

    topic = ""

    @abc.abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = turn_of(tracker)
        events = memory_events(turn) + answer_all(dispatcher, turn, self.topic)
        return events + [SlotSet("topic", self.topic)] + resume_offer(dispatcher, turn)


def answer_all(dispatcher: CollectingDispatcher, turn: Turn, topic: str) -> list[EventType]:
    """Answer ``topic``, then every other question of the message."""
    events: list[EventType] = []
    for each in [topic, *other_questions(turn, topic)]:
        events += ANSWERS[each](dispatcher, turn)
    return events


class ActionAnswerPrice(PresaleAnswer):
    topic = "ask_price"

    def name(self) -> str:
        return "action_answer_price"


class ActionAnswerDelivery(PresaleAnswer):
    topic = "ask_delivery"

    def name(self) -> str:
        return "action_answer_delivery"


class ActionAnswerPayment(PresaleAnswer):
    topic = "ask_payment"

    def name(self) -> str:
        return "action_answer_payment"


class ActionAnswerPromo(PresaleAnswer):
    topic = "ask_promo"

    def name(self) -> str:
        return "action_answer_promo"


class ActionAnswerStore(PresaleAnswer):
    topic = "ask_store"

    def name(self) -> str:
        return "action_answer_store"


class ActionProductAdvice(PresaleAnswer):
    topic = "product_advice"

    def name(self) -> str:
        return "action_product_advice"


class ActionAnswerAvailability(PresaleAnswer):
    topic = "ask_availability"

    def name(self) -> str:
        return "action_answer_availability"
