"""Purchase intent: find the product, check the variant, make the offer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import memory_events, say, turn_of
from actions.funnel import channel_of, customer_of, ledger, write
from actions.handoff import hand_over
from actions.presale import ANSWERS, other_questions, place_of, suggest, utter_delivery
from actions.products import ask_which_product, variant_text, variant_words
from actions.stock import requested_variant, utter_stock
from bot.brand import catalogue, grammar
from bot.brand.brand_file import Brand, Product
from bot.brand.catalogue import format_money
from bot.dialogue.memory import basket_of
from bot.dialogue.turn import Turn
from bot.dialogue.values import find_size
from bot.handoff.rules import EscalationReason, is_large_order
from bot.nlu import cues
from bot.sales.ledger import EventKind, FunnelEvent, Offer, new_ref, utcnow

# The offer already gives the price and the stock (and the delivery, when the place is known).
_ANSWERED_BY_THE_OFFER = frozenset({"ask_price", "ask_availability"})


def offer_product(
    dispatcher: CollectingDispatcher, turn: Turn, product: Product
) -> list[EventType]:
    """Check the variant the customer wants (now or earlier), then offer the product if it can
    be sold, with the delivery to where they are if they said so."""
    brand = turn.brand
    colour, size, valid = requested_variant(dispatcher, turn, product)
    if not valid:
        in_stock = False  # the customer was just told which colours or sizes exist
    elif (colour or size) and (turn.values.colour or turn.values.size or turn.values.products):
        in_stock = utter_stock(dispatcher, brand, product, colour, size)
    elif colour or size:
        # Chosen earlier and already answered: tell it again only if it ran out since.
        in_stock = product.units(colour, size) > 0
        if not in_stock:
            utter_stock(dispatcher, brand, product, colour, size)
    else:
        in_stock = product.units() > 0
        if not in_stock:
            utter_stock(dispatcher, brand, product, None, None)
    events: list[EventType] = [
        SlotSet("product", product.id),
        SlotSet("requested", None),
        SlotSet("topic", "purchase_intent"),
    ]
    if not in_stock:
        # Still answer the rest of the message (« … vous livrez en Belgique ? »).
        place = place_of(turn)
        if place is not None or "ask_delivery" in cues.topics_in(turn.text):
            delivery = utter_delivery(dispatcher, brand, place, basket_of(brand, turn.memory))
            events += [e for e in delivery if e["name"] != "requested"]
        return events + [SlotSet("pending_question", None)]
    say(
        dispatcher,
        brand,
        "utter_product_offer",
        product_name=product.name,
        variant=variant_text(turn, product),
        price=format_money(product.price, brand.currency),
        description=product.description,
    )
    place = place_of(turn)
    if place is not None:
        delivery = utter_delivery(dispatcher, brand, place, basket_of(brand, turn.memory))
        events += [e for e in delivery if e["name"] != "requested"]
    # The other questions of the message (« je peux payer en 3 fois ? », « et l'échanger ? »).
    for topic in other_questions(turn, "purchase_intent"):
        if topic not in _ANSWERED_BY_THE_OFFER and not (topic == "ask_delivery" and place):
            events += ANSWERS[topic](dispatcher, turn)
    say(dispatcher, brand, "utter_ask_buy", pronoun=grammar.pronoun(product))
    return events + [SlotSet("pending_question", "buy_product")]


async def make_offer(
    dispatcher: CollectingDispatcher, tracker: Tracker, brand: Brand
) -> list[EventType]:
    """The customer said yes: a checkout link with a fresh ``ref``, stored before it is sent."""
    turn = turn_of(tracker)
    product = brand.product(turn.memory.product) if turn.memory.product else None
    if product is None:
        return ask_which_product(dispatcher, brand)
    if not brand.shop_url:
        # No online shop: the lead form takes the customer's details for the team.
        return [SlotSet("product", product.id), FollowupAction("lead_form")]
    await send_link(dispatcher, tracker, turn, product, variant_text(turn, product))
    for other in map(brand.product, turn.memory.basket):  # « … et le bonnet avec »
        if other is not None:
            await send_link(dispatcher, tracker, turn, other, "")
    return [SlotSet("product", product.id)]


async def send_link(
    dispatcher: CollectingDispatcher, tracker: Tracker, turn: Turn, product: Product, variant: str
) -> None:
    """One checkout link with a fresh ``ref``, stored in the ledger before it is sent."""
    brand = turn.brand
    ref, now = new_ref(), utcnow()
    offer = Offer(
        ref=ref,
        brand=brand.slug,
        channel=channel_of(tracker),
        customer=customer_of(tracker),
        product=product.id,
        amount_cents=product.price_cents,
        currency=brand.currency,
        created_at=now,
    )
    event = FunnelEvent(
        key=f"offer:{ref}",
        kind=EventKind.OFFER_MADE,
        brand=brand.slug,
        at=now,
        channel=offer.channel,
        customer=offer.customer,
        product=product.id,
        amount_cents=offer.amount_cents,
        currency=brand.currency,
        attribution="bot",
        ref=ref,
    )
    await write(lambda: ledger().create_offer_safely(offer, event), f"offer {ref[:6]}…")
    say(
        dispatcher,
        brand,
        "utter_checkout_link",
        product=grammar.definite(product),
        variant=variant,
        url=brand.checkout_link(product, ref),
    )


class ActionSendLink(Action):
    """The customer decides (« go », « je les prends, en 42 noir, envoyez-moi le lien »): the
    link for each product named, or the one discussed, if its variant is in stock."""

    def name(self) -> str:
        return "action_send_link"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = turn_of(tracker)
        brand = turn.brand
        events = memory_events(turn) + [SlotSet("pending_question", None)]
        main = brand.product(turn.memory.product) if turn.memory.product else None
        if main is None:
            return events + ask_which_product(dispatcher, brand)
        if not brand.shop_url:
            return events + [FollowupAction("lead_form")]
        others = [p for p in map(brand.product, turn.values.products[1:3]) if p]
        for product in [main, *others]:
            if product is main:
                colour, size = turn.memory.colour, turn.memory.size
                variant = variant_text(turn, product)
            else:  # « … et le bonnet moutarde »: its own colour and size, from the text
                colours = catalogue.find_colours_in_text(product, turn.text)
                colour, size = (
                    (colours[0] if colours else None),
                    find_size(turn.text, product.sizes),
                )
                variant = variant_words(product, colour, size)
            colour = colour if colour in product.colours else None
            size = size if size in product.sizes else None
            if product.units(colour, size) == 0:
                utter_stock(dispatcher, brand, product, colour, size)
                continue
            await send_link(dispatcher, tracker, turn, product, variant)
        return events + [SlotSet("topic", "purchase_intent")]


class ActionPurchaseIntent(Action):
    """The customer wants to buy: identify the product, then offer it."""

    def name(self) -> str:
        return "action_purchase_intent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = turn_of(tracker)
        brand = turn.brand
        events = memory_events(turn)
        product = brand.product(turn.memory.product) if turn.memory.product else None
        if product is None:
            if turn.memory.budget or catalogue.is_gift_request(turn.text):
                # « un cadeau pour mon frère, budget septante-cinq euros »: ideas, not a question.
                suggest(dispatcher, turn)
                events.append(SlotSet("requested", "product"))
            else:
                events += ask_which_product(dispatcher, brand)
            return events + [SlotSet("pending_question", None), SlotSet("topic", "purchase_intent")]
        quantity = turn.values.quantity
        if is_large_order(brand, quantity, Decimal(str(product.price))):
            # A bulk or B2B order goes to the sales team.
            handover = await hand_over(
                dispatcher, tracker, brand, EscalationReason.LARGE_ORDER, product=product.id
            )
            return events + [SlotSet("product", product.id)] + handover
        return events + offer_product(dispatcher, turn, product)
