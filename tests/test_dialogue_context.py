"""Reading a message in its conversation: values, memory and the reading (bot/dialogue)."""

from __future__ import annotations

import pytest

from bot.brand.brand_file import load_brand
from bot.dialogue.memory import Memory, remember
from bot.dialogue.reading import DID_NOT_HELP, SEND_LINK, Context, read_in_context
from bot.dialogue.turn import read_turn
from bot.dialogue.values import read_values


@pytest.fixture(scope="module")
def brand():
    return load_brand("demo")


@pytest.mark.parametrize(
    ("text", "context_product", "asked", "expected"),
    [
        ("la parka noire", None, "product", {"product": "parka_boreale", "colour": "noir"}),
        ("l'écharpe rouge", None, "product", {"product": "echarpe_douce", "colour": "rouge"}),
        ("l echarpe", None, None, {"product": "echarpe_douce", "size": None}),
        ("le sweat gris", None, "product", {"product": "sweat_brume", "colour": "gris chiné"}),
        ("du 42", "baskets_lumiere", None, {"size": "42"}),
        ("M", "sweat_brume", None, {"size": "M"}),
        ("en l ?", "parka_boreale", None, {"size": "L"}),
        ("Liège", None, "city", {"place": "Liège", "country": "BE"}),
        ("et a geneve ?", None, None, {"place": "Genève", "country": "CH"}),
        ("montreal aussi?", None, None, {"place": "Montréal", "country": "CA"}),
        ("2", "bonnet_flocon", "quantity", {"quantity": 2}),
        ("MB-552210", None, "order_number", {"order_number": "MB-552210"}),
        ("552210", None, "order_number", {"order_number": "MB-552210"}),
        ("finalement en L", "sweat_brume", None, {"size": "L", "product": None}),
        ("le bonnet bordeaux", None, None, {"colour": "bordeaux", "place": None}),
        ("septante-cinq euros max", None, None, {"budget": 75.0}),
        ("go", None, None, {}),
        ("👍", None, None, {}),
    ],
)
def test_bare_answers_are_values_and_nothing_else(brand, text, context_product, asked, expected):
    values = read_values(brand, text, [], context_product, asked)
    for field, value in expected.items():
        assert getattr(values, field if field != "product" else "product") == value, field
    assert values.is_bare, values.residue


@pytest.mark.parametrize(
    "text",
    [
        "ma commande MB-552210 n'est pas arrivée",
        "je voudrais savoir si vous livrez à Bordeaux",
        "bonjour",
        "c'est urgent svp",
        "la parka est magnifique mais trop chère",
    ],
)
def test_whole_requests_are_not_bare(brand, text):
    assert not read_values(brand, text, [], "parka_boreale").is_bare


def test_a_ruled_out_product_is_not_the_product(brand):
    values = read_values(brand, "non pas la parka, le sweat", [], "parka_boreale")
    assert values.products == ("sweat_brume",)
    assert values.negated_products == ("parka_boreale",)


def test_an_elided_article_is_not_a_size_even_when_the_nlu_says_so(brand):
    entities = [{"entity": "size", "value": "L"}, {"entity": "product", "value": "echarpe_douce"}]
    assert read_values(brand, "l echarpe", entities).size is None


def test_memory_keeps_a_size_the_new_product_has_and_drops_one_it_has_not(brand):
    memory = Memory(product="sweat_brume", size="M", colour="bleu marine", city="Lyon")
    parka = remember(brand, memory, read_values(brand, "et la parka ?", []))
    assert (parka.product, parka.size, parka.colour, parka.city) == (
        "parka_boreale",
        "M",
        None,
        "Lyon",
    )
    bonnet = remember(brand, parka, read_values(brand, "et le bonnet ?", []))
    assert (bonnet.product, bonnet.size) == ("bonnet_flocon", None)


def test_memory_follows_corrections(brand):
    memory = Memory(product="parka_boreale", size="M")
    corrected = remember(brand, memory, read_values(brand, "non pas la parka, le sweat", []))
    assert corrected.product == "sweat_brume" and corrected.size == "M"
    larger = remember(brand, corrected, read_values(brand, "finalement en L", [], "sweat_brume"))
    assert larger.size == "L"


def test_memory_round_trips_through_slots():
    memory = Memory(product="parka_boreale", budget=75.0, quantity=2, city="Genève")
    assert Memory.from_slots(memory.as_slots()) == memory
    assert Memory.from_slots({"budget": "75", "quantity": 2.0}).quantity == 2


def _reading(brand, nlu_intent, text, context, product=None):
    values = read_values(brand, text, [], product, context.requested)
    return read_in_context(nlu_intent, text, values, context)


@pytest.mark.parametrize(
    ("nlu_intent", "text", "context", "product", "intent"),
    [
        # Answers to the bot's own question, whatever the classifier thought.
        ("damaged_or_wrong_item", "l'écharpe rouge", Context(requested="product"), None, "inform"),
        ("compliment", "la parka noire", Context(requested="product"), None, "inform"),
        ("nlu_fallback", "le sweat gris", Context(requested="product"), None, "inform"),
        ("out_of_scope", "2", Context(requested="quantity"), "bonnet_flocon", "inform"),
        ("inform", "MB-552210", Context(requested="order_number"), None, "inform"),
        # Yes and no to an offer, in their usual forms.
        ("affirm", "go", Context(pending="buy_product"), "parka_boreale", "affirm"),
        ("thank", "ok parfait merci", Context(pending="buy_product"), "parka_boreale", "affirm"),
        ("greet", "👍", Context(pending="buy_product"), "parka_boreale", "affirm"),
        ("affirm", "c'est urgent svp", Context(pending="buy_product"), None, "nlu_fallback"),
        # Follow-ups repeat the last question with the new value.
        ("out_of_scope", "et a geneve ?", Context(topic="ask_delivery"), None, "ask_delivery"),
        ("ask_promo", "montreal aussi?", Context(topic="ask_delivery"), None, "ask_delivery"),
        ("inform", "pis en kaki?", Context(topic="ask_availability"), "parka_boreale",
         "ask_availability"),
        ("product_advice", "et le sweat ?", Context(topic="ask_price"), None, "ask_price"),
        # A change to the offer is the offer again.
        ("nlu_fallback", "finalement en L", Context(pending="buy_product"), "sweat_brume",
         "purchase_intent"),
        ("deny", "non pas la parka, le sweat", Context(pending="buy_product"), "parka_boreale",
         "purchase_intent"),
        ("deny", "ça ne m'aide pas du tout", Context(topic="ask_payment"), None, DID_NOT_HELP),
        # « c'est urgent svp » is not a yes: the bot still waits for the order number.
        ("affirm", "c'est urgent svp", Context(requested="order_number"), None, "inform"),
        # Wanting the product is a purchase, whatever question comes with it.
        ("ask_availability", "je le prends en écru",
         Context(topic="ask_availability", product="cabas_marin"), None, SEND_LINK),
        ("affirm", "👌 go", Context(topic="ask_delivery", product="jean_gaston"), None, SEND_LINK),
        ("support", "c'est bon je les prends, en 42 noir, envoyez moi le lien",
         Context(product="baskets_lumiere"), None, SEND_LINK),
        # Not a support case: a delivery question (no order, no parcel, no problem).
        ("return_refund", "combien pour l'envoyer a sherbrooke", Context(topic="ask_price"), None,
         "ask_delivery"),
        # A budget and no product: ideas within it.
        ("ask_promo", "100 piasses max, vous avez quoi de chaud pour l'hiver ?", Context(), None,
         "product_advice"),
        # A follow-up with a new value repeats the last question even with other words.
        ("product_advice", "et pour des baskets elle est gratuite alors?",
         Context(topic="ask_delivery"), None, "ask_delivery"),
        ("compliment", "la parka boréale m'intéresse", Context(), None, "purchase_intent"),
        ("nlu_fallback", "la parka boréale m'intéresse", Context(), None, "purchase_intent"),
        ("ask_delivery", "je voudrais les baskets en 42, vous livrez à Bruxelles ?", Context(),
         None, "purchase_intent"),
        ("ask_store", "je voudrais le jean délavé en 40", Context(topic="ask_delivery"), None,
         "purchase_intent"),
    ],
)  # fmt: skip
def test_messages_read_in_context(brand, nlu_intent, text, context, product, intent):
    reading = _reading(brand, nlu_intent, text, context, product)
    assert reading is not None and reading.intent == intent, reading


@pytest.mark.parametrize(
    ("nlu_intent", "text", "context"),
    [
        ("greet", "bonjour", Context(pending="buy_product")),
        ("order_status", "ma commande MB-552210 n'est pas arrivée", Context(requested="product")),
        ("ask_payment", "je peux payer en 3 fois ?", Context(pending="buy_product")),
        ("deny", "non merci", Context()),
        ("affirm", "oui", Context()),
        ("ask_delivery", "je voudrais savoir si vous livrez la parka en Suisse", Context()),
        ("order_status", "je voudrais la parka mais ma commande n'arrive pas", Context()),
    ],
)
def test_whole_messages_keep_the_nlu_reading(brand, nlu_intent, text, context):
    assert _reading(brand, nlu_intent, text, context, "parka_boreale") is None


def test_a_turn_reads_the_slots(brand):
    slots = {"requested": "product", "brand": "demo", "size": "M"}
    turn = read_turn(slots, "la parka noire", [], "compliment")
    assert turn.intent == "inform"
    assert turn.memory.product == "parka_boreale" and turn.memory.size == "M"
    assert turn.memory.changes(turn.before) == {"product": "parka_boreale", "colour": "noir"}
