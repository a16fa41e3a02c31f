"""Actions that use the conversation: memory, facts in context, several questions, offers that
survive a question, "that did not help" (tracker fixtures, response names, no French asserted)."""

from __future__ import annotations

from actions.conversation import ActionDidNotHelp, ActionHandleInform
from actions.presale import (
    ActionAnswerAvailability,
    ActionAnswerDelivery,
    ActionAnswerPayment,
    ActionAnswerPrice,
    ActionAnswerPromo,
)
from actions.purchase import ActionPurchaseIntent
from bot.brand.brand_file import load_brand
from tests.conftest import make_tracker, responses, run_action, slot_events

OFFER_PENDING = {"pending_question": "buy_product", "product": "parka_boreale"}


async def test_delivery_is_free_for_a_product_above_the_threshold():
    tracker = make_tracker("livraison à Lyon ?", "ask_delivery", {"city": "Lyon"}, OFFER_PENDING)
    messages, _ = await run_action(ActionAnswerDelivery(), tracker)
    assert "utter_delivery_free_for_product" in responses(messages)
    assert "189" in messages[1]["text"]


async def test_delivery_says_what_is_missing_below_the_threshold():
    tracker = make_tracker("livraison à Lyon ?", "ask_delivery", slots={"product": "sweat_brume"})
    messages, _ = await run_action(ActionAnswerDelivery(), tracker)
    assert responses(messages)[:2] == ["utter_delivery_quote", "utter_delivery_free_missing"]
    assert "1\u00a0€" in messages[1]["text"]  # 60 € − 59 €


async def test_delivery_place_is_written_with_its_preposition_and_accents():
    tracker = make_tracker("et au quebec ?", "ask_delivery")
    messages, _ = await run_action(ActionAnswerDelivery(), tracker)
    assert "au Québec" in messages[0]["text"]
    tracker = make_tracker("vous livrez en suisse ?", "ask_delivery")
    messages, _ = await run_action(ActionAnswerDelivery(), tracker)
    assert "en Suisse" in messages[0]["text"] and "(Suisse)" not in messages[0]["text"]


async def test_instalments_apply_the_brand_minimum_to_the_product():
    baskets = make_tracker(
        "je peux payer en 3 fois ?", "ask_payment", slots={"product": "baskets_lumiere"}
    )
    messages, _ = await run_action(ActionAnswerPayment(), baskets)
    assert responses(messages)[0] == "utter_instalments_below_minimum"
    parka = make_tracker(
        "je peux payer en 3 fois ?", "ask_payment", slots={"product": "parka_boreale"}
    )
    messages, _ = await run_action(ActionAnswerPayment(), parka)
    assert responses(messages)[0] == "utter_instalments_ok"
    nothing = make_tracker("paiement en plusieurs fois ?", "ask_payment")
    messages, _ = await run_action(ActionAnswerPayment(), nothing)
    assert responses(messages) == ["utter_instalments_rule"]


async def test_a_question_during_an_offer_is_answered_then_the_offer_is_put_again():
    tracker = make_tracker("je peux payer en 3 fois ?", "ask_payment", slots=OFFER_PENDING)
    messages, events = await run_action(ActionAnswerPayment(), tracker)
    assert responses(messages) == ["utter_instalments_ok", "utter_ask_buy_again"]
    assert slot_events(events)["pending_question"] == "buy_product"
    # Without an offer pending, nothing is put again.
    tracker = make_tracker(
        "je peux payer en 3 fois ?", "ask_payment", slots={"product": "parka_boreale"}
    )
    messages, events = await run_action(ActionAnswerPayment(), tracker)
    assert "utter_ask_buy_again" not in responses(messages)
    assert slot_events(events)["pending_question"] is None


async def test_several_questions_in_one_message_are_all_answered():
    text = "combien coûte la parka et vous livrez en Belgique ?"
    tracker = make_tracker(text, "ask_delivery", [("product", "parka"), ("city", "Belgique")])
    messages, events = await run_action(ActionAnswerDelivery(), tracker)
    keys = responses(messages)
    assert "utter_delivery_quote" in keys and "utter_price" in keys
    assert slot_events(events)["product"] == "parka_boreale"


async def test_price_after_the_code_is_computed_for_the_product_in_question():
    tracker = make_tracker(
        "donc elle me revient a combien avec le code ?",
        "ask_promo",
        slots={"product": "parka_boreale"},
    )
    messages, _ = await run_action(ActionAnswerPromo(), tracker)
    assert responses(messages) == ["utter_promo_until", "utter_price_with_promo"]
    assert "160,65" in messages[1]["text"]
    # A product outside the winter collection gets its plain price.
    tracker = make_tracker("et le jean avec le code ?", "ask_price", [("product", "jean")])
    messages, _ = await run_action(ActionAnswerPrice(), tracker)
    assert responses(messages)[0] == "utter_price"


async def test_a_gift_with_a_budget_gets_suggestions_within_it():
    tracker = make_tracker(
        "un cadeau pour mon frère, budget septante-cinq euros", "purchase_intent"
    )
    messages, events = await run_action(ActionPurchaseIntent(), tracker)
    assert responses(messages) == ["utter_budget_suggestions"]
    brand = load_brand("demo")
    ids = [b["payload"].split('"')[-2] for b in messages[0]["buttons"]]
    assert ids and all(brand.product(i).price <= 75 for i in ids)
    assert slot_events(events)["budget"] == 75.0


async def test_stock_remembers_size_and_colour_across_follow_ups():
    tracker = make_tracker(
        "pis en kaki?", "ask_availability", slots={"product": "parka_boreale", "size": "XL"}
    )
    messages, events = await run_action(ActionAnswerAvailability(), tracker)
    assert responses(messages) == ["utter_stock_low"]
    assert "kaki" in messages[0]["text"] and "XL" in messages[0]["text"]
    assert slot_events(events)["colour"] == "kaki"


async def test_a_bare_product_after_the_product_question_makes_the_offer():
    tracker = make_tracker(
        "l'écharpe rouge",
        "damaged_or_wrong_item",
        slots={"requested": "product", "understood_as": "inform"},
    )
    messages, events = await run_action(ActionHandleInform(), tracker)
    assert responses(messages)[-2:] == ["utter_product_offer", "utter_ask_buy"]
    assert slot_events(events)["pending_question"] == "buy_product"


async def test_not_a_yes_while_waiting_for_an_order_number_asks_for_it_again():
    tracker = make_tracker("c'est urgent svp", "affirm", slots={"requested": "order_number"})
    messages, _ = await run_action(ActionHandleInform(), tracker)
    assert responses(messages) == ["utter_ask_order_number"]


async def test_did_not_help_apologises_and_offers_a_person():
    tracker = make_tracker("ça m'aide pas", "deny", slots={"topic": "ask_payment"})
    messages, events = await run_action(ActionDidNotHelp(), tracker)
    assert responses(messages) == ["utter_sorry_not_helpful"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny"]
    assert slot_events(events)["pending_question"] == "offer_human"


async def test_a_product_taken_with_another_makes_a_basket_for_delivery_and_instalments():
    slots = {"product": "sweat_brume", "city": "Marseille"}
    tracker = make_tracker("et si je prends un bonnet avec ?", "purchase_intent", slots=slots)
    messages, events = await run_action(ActionPurchaseIntent(), tracker)
    assert "utter_delivery_free_for_product" in responses(messages)  # 59 + 22 = 81 ≥ 60
    assert slot_events(events)["basket"] == ["sweat_brume"]
    basket = {"product": "bonnet_flocon", "basket": ["baskets_lumiere"]}
    tracker = make_tracker("ça passe en 3 fois ?", "ask_payment", slots=basket)
    messages, _ = await run_action(ActionAnswerPayment(), tracker)
    assert responses(messages) == ["utter_instalments_ok"]  # 95 + 22 = 117 ≥ 100
    assert "117" in messages[0]["text"]


async def test_another_product_instead_starts_the_basket_again():
    slots = {"product": "sweat_brume", "basket": ["bonnet_flocon"]}
    tracker = make_tracker("non finalement la parka", "purchase_intent", slots=slots)
    _, events = await run_action(ActionPurchaseIntent(), tracker)
    assert slot_events(events)["basket"] is None
