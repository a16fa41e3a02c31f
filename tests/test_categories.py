"""The category contract: every intent the bot knows has exactly one category."""

from pathlib import Path

import yaml

from bot.nlu.categories import INTENT_CATEGORIES, Category, category_of, intents_in

DOMAIN = yaml.safe_load((Path(__file__).parents[1] / "domain.yml").read_text(encoding="utf-8"))


def test_every_domain_intent_has_a_category():
    missing = [i for i in DOMAIN["intents"] if i not in INTENT_CATEGORIES]
    assert missing == []


def test_no_category_for_an_intent_the_domain_lacks():
    extra = set(INTENT_CATEGORIES) - set(DOMAIN["intents"]) - {"nlu_fallback"}
    assert extra == set()


def test_categories_as_the_product_defines_them():
    assert intents_in(Category.PURCHASE) == {
        "purchase_intent", "ask_price", "ask_availability", "ask_delivery",
        "ask_payment", "ask_promo", "ask_store", "product_advice",
    }  # fmt: skip
    assert "complaint" in intents_in(Category.SUPPORT)
    assert intents_in(Category.HUMAN) == {"request_human"}
    assert category_of("bot_challenge") is Category.SMALLTALK


def test_unknown_and_missing_intents_are_other():
    assert category_of(None) is Category.OTHER
    assert category_of("nlu_fallback") is Category.OTHER
    assert category_of("something_new") is Category.OTHER
