"""Purchase intent: find the product, check the variant, make the offer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import brand_for, current_product, entity_value, say
from actions.funnel import channel_of, customer_of, ledger, write
from actions.handoff import hand_over
from actions.presale import ask_which_product, utter_delivery
from actions.stock import requested_variant, utter_stock
from bot.brand import catalogue
from bot.brand.brand_file import Brand, Product
from bot.brand.catalogue import format_money
from bot.handoff.rules import EscalationReason, is_large_order
from bot.nlu.contact import parse_quantity
from bot.sales.ledger import EventKind, FunnelEvent, Offer, new_ref, utcnow


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
    # Where the customer is, if they said so now or earlier: the delivery cost and lead time.
    place = catalogue.resolve_place(entity_value(tracker, "city") or tracker.get_slot("city"), "")
    if place is not None:
        events += [e for e in utter_delivery(dispatcher, brand, place) if e["name"] != "requested"]
    say(dispatcher, brand, "utter_ask_buy")
    return events + [SlotSet("pending_question", "buy_product")]


async def make_offer(
    dispatcher: CollectingDispatcher, tracker: Tracker, brand: Brand
) -> list[EventType]:
    """The customer said yes: a checkout link with a fresh ``ref``, stored before it is sent."""
    product = current_product(tracker, brand)
    if product is None:
        return ask_which_product(dispatcher, brand)
    if not brand.shop_url:
        # No online shop: the lead form takes the customer's details for the team.
        return [SlotSet("product", product.id), FollowupAction("lead_form")]
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
        product_name=product.name,
        url=brand.checkout_link(product, ref),
    )
    return [SlotSet("product", product.id)]


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
        quantity = parse_quantity(entity_value(tracker, "quantity"))
        if is_large_order(brand, quantity, Decimal(str(product.price))):
            # A bulk or B2B order goes to the sales team.
            events = await hand_over(
                dispatcher, tracker, brand, EscalationReason.LARGE_ORDER, product=product.id
            )
            return [SlotSet("product", product.id)] + events
        return offer_product(dispatcher, tracker, brand, product)
