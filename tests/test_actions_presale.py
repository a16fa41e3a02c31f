"""Pre-sale actions: the right responses, filled from the brand file, and the right slots."""

from actions.presale import (
    ActionAnswerAvailability,
    ActionAnswerDelivery,
    ActionAnswerPayment,
    ActionAnswerPrice,
    ActionAnswerPromo,
    ActionAnswerStore,
    ActionProductAdvice,
)
from actions.purchase import ActionPurchaseIntent
from bot.brand.brand_file import load_brand
from tests.conftest import make_tracker, responses, run_action, slot_events


async def test_price_of_a_named_product():
    tracker = make_tracker("c cb le coton ouaté", "ask_price", {"product": "sweat_brume"})
    messages, events = await run_action(ActionAnswerPrice(), tracker)
    assert responses(messages) == ["utter_price"]
    assert "59\u00a0€" in messages[0]["text"]
    assert slot_events(events)["product"] == "sweat_brume"


async def test_price_uses_the_product_already_discussed():
    tracker = make_tracker("et ça coûte combien ?", "ask_price", slots={"product": "parka_boreale"})
    messages, _ = await run_action(ActionAnswerPrice(), tracker)
    assert "Parka Boréale" in messages[0]["text"]


async def test_price_list_when_no_product_is_known():
    messages, _ = await run_action(ActionAnswerPrice(), make_tracker("vos prix ?", "ask_price"))
    assert responses(messages) == ["utter_price_list"]
    assert messages[0]["text"].count("\n") == 8  # a heading line and eight products


async def test_stock_out_offers_alternatives():
    tracker = make_tracker(
        "le sweat bleu marine en M c dispo ?",
        "ask_availability",
        {"product": "sweat_brume", "colour": "bleu marine", "size": "M"},
    )
    messages, _ = await run_action(ActionAnswerAvailability(), tracker)
    assert responses(messages) == [
        "utter_stock_out",
        "utter_stock_alternatives_sizes",
        "utter_stock_alternatives_colours",
    ]
    assert "S, L, XL, XXL" in messages[1]["text"]


async def test_low_stock_says_how_many_are_left():
    tracker = make_tracker(
        "la parka kaki en XL ?",
        "ask_availability",
        {"product": "parka", "colour": "kaki"},
    )
    messages, _ = await run_action(ActionAnswerAvailability(), tracker)
    assert responses(messages) == ["utter_stock_low"]
    assert "plus que 1 pièce" in messages[0]["text"]


async def test_unknown_colour_lists_the_real_ones():
    tracker = make_tracker(
        "le bonnet en violet ?",
        "ask_availability",
        {"product": "bonnet", "colour": "violet"},
    )
    messages, _ = await run_action(ActionAnswerAvailability(), tracker)
    assert responses(messages) == ["utter_unknown_variant"]
    assert "moutarde, gris, bordeaux" in messages[0]["text"]


async def test_availability_without_product_asks_which_with_buttons():
    messages, events = await run_action(
        ActionAnswerAvailability(), make_tracker("c dispo ?", "ask_availability")
    )
    assert responses(messages) == ["utter_ask_which_product"]
    # Every product is one tap away (Messenger shows up to 13 quick replies).
    assert len(messages[0]["buttons"]) == len(load_brand("demo").catalogue) <= 13
    assert messages[0]["buttons"][0]["payload"].startswith("/purchase_intent{")
    assert slot_events(events)["requested"] == "product"


async def test_delivery_to_a_quebec_city():
    tracker = make_tracker("livraison à Sherbrooke ?", "ask_delivery", {"city": "Sherbrooke"})
    messages, events = await run_action(ActionAnswerDelivery(), tracker)
    assert responses(messages) == ["utter_delivery_quote", "utter_delivery_note"]
    assert "Canada" in messages[0]["text"] and "24,90\u00a0€" in messages[0]["text"]
    assert slot_events(events)["city"] == "Sherbrooke"


async def test_delivery_found_in_text_without_entity():
    tracker = make_tracker("vous livrez en belgique ?", "ask_delivery")
    messages, _ = await run_action(ActionAnswerDelivery(), tracker)
    assert responses(messages) == ["utter_delivery_quote", "utter_delivery_free_above"]


async def test_delivery_not_served():
    tracker = make_tracker("et au Japon ?", "ask_delivery", {"city": "Japon"})
    messages, _ = await run_action(ActionAnswerDelivery(), tracker)
    # Japon is not a known place: we list every zone and ask where.
    assert responses(messages) == ["utter_delivery_overview", "utter_ask_location"]


async def test_delivery_remembers_the_city_of_the_conversation():
    tracker = make_tracker("et les frais de port ?", "ask_delivery", slots={"city": "Genève"})
    messages, _ = await run_action(ActionAnswerDelivery(), tracker)
    assert "Suisse" in messages[0]["text"]


async def test_payment_promo_and_store():
    messages, _ = await run_action(ActionAnswerPayment(), make_tracker("twint ?", "ask_payment"))
    assert responses(messages) == ["utter_payment_methods"] and "Twint" in messages[0]["text"]
    messages, _ = await run_action(ActionAnswerPromo(), make_tracker("code promo ?", "ask_promo"))
    assert responses(messages) in (["utter_promo_until"], ["utter_no_promo"])
    tracker = make_tracker("une boutique à Lausanne ?", "ask_store", {"city": "Lausanne"})
    messages, _ = await run_action(ActionAnswerStore(), tracker)
    assert responses(messages) == ["utter_store_nearby"] and "Genève" in messages[0]["text"]


async def test_advice_on_size():
    tracker = make_tracker("je fais 1m80 quelle taille pour la parka", "product_advice",
                           {"product": "parka"})  # fmt: skip
    messages, _ = await run_action(ActionProductAdvice(), tracker)
    assert responses(messages) == ["utter_advice_product", "utter_advice_size"]


async def test_advice_gift_suggests_products():
    tracker = make_tracker("une idée cadeau pour noel ?", "product_advice")
    messages, _ = await run_action(ActionProductAdvice(), tracker)
    assert responses(messages) == ["utter_advice_suggestions"]
    assert messages[0]["buttons"]


async def test_purchase_offers_an_in_stock_product():
    tracker = make_tracker("je veux la tuque", "purchase_intent", {"product": "tuque"})
    messages, events = await run_action(ActionPurchaseIntent(), tracker)
    assert responses(messages) == ["utter_product_offer", "utter_ask_buy"]
    assert slot_events(events) == {
        "product": "bonnet_flocon",
        "requested": None,
        "topic": "purchase_intent",
        "pending_question": "buy_product",
    }


async def test_purchase_of_an_out_of_stock_variant_does_not_offer():
    tracker = make_tracker(
        "je prends le cabas marine",
        "purchase_intent",
        {"product": "cabas", "colour": "marine"},
    )
    messages, events = await run_action(ActionPurchaseIntent(), tracker)
    assert responses(messages)[0] == "utter_stock_out"
    assert "utter_ask_buy" not in responses(messages)
    assert slot_events(events)["pending_question"] is None


async def test_purchase_without_product_asks_which():
    messages, _ = await run_action(
        ActionPurchaseIntent(), make_tracker("je veux commander", "purchase_intent")
    )
    assert responses(messages) == ["utter_ask_which_product"]


async def test_offer_includes_delivery_to_the_city_the_customer_gave():
    from actions.purchase import ActionPurchaseIntent

    tracker = make_tracker(
        "je veux la parka noire en M, je suis à Genève",
        "purchase_intent",
        entities={"product": "parka_boreale", "colour": "noir", "size": "M", "city": "Genève"},
    )
    messages, events = await run_action(ActionPurchaseIntent(), tracker)
    keys = responses(messages)
    offer, quote = keys.index("utter_product_offer"), keys.index("utter_delivery_quote")
    assert offer < quote < keys.index("utter_ask_buy")
    assert "Suisse" in messages[keys.index("utter_delivery_quote")]["text"]
    assert slot_events(events)["pending_question"] == "buy_product"
