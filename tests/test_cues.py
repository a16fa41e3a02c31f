"""Conversational cues (bot/nlu/cues.py) and budgets (bot/nlu/budget.py)."""

from __future__ import annotations

import pytest

from bot.nlu import cues
from bot.nlu.budget import find_budget, words_to_number


@pytest.mark.parametrize(
    "text",
    ["oui", "ok go", "oui svp", "👍", "ok parfait", "go", "vas-y", "ouais", "let's go",
     "c'est bon", "dac", "ça marche", "allez hop", "c'est parti !", "tiguidou"],
)  # fmt: skip
def test_yes_in_its_usual_forms(text):
    assert cues.says_yes(text)
    assert not cues.says_no(text)


@pytest.mark.parametrize(
    "text", ["non merci", "pas maintenant", "nan", "👎", "laisse tomber", "je vais réfléchir"]
)
def test_no_in_its_usual_forms(text):
    assert cues.says_no(text)
    assert not cues.says_yes(text)


@pytest.mark.parametrize("text", ["c'est urgent svp", "svp", "bonjour", "ma commande"])
def test_neither_yes_nor_no(text):
    assert not cues.says_yes(text) and not cues.says_no(text)


def test_follow_ups_and_corrections():
    assert cues.is_follow_up("et a geneve ?")
    assert cues.is_follow_up("montreal aussi?")
    assert cues.is_follow_up("pis en kaki?")
    assert not cues.is_follow_up("vous livrez à Genève ?")
    assert cues.is_correction("finalement en L")
    assert cues.is_correction("non pas la parka, le sweat")
    assert not cues.is_correction("la parka en L")


def test_several_questions_are_all_found_in_order():
    text = "combien coûte la parka et vous livrez en Belgique ? on peut payer en 3 fois ?"
    assert cues.topics_in(text) == ["ask_price", "ask_delivery", "ask_payment"]
    assert cues.topics_in("et si la pointure ne va pas, je peux l'échanger ?") == ["ask_returns"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("je peux payer en 3 fois ?", True), ("paiement en plusieurs fois possible", True),
     ("3x sans frais ?", True), ("je peux payer par paypal ?", False)],
)  # fmt: skip
def test_instalments(text, expected):
    assert cues.asks_instalments(text) is expected


def test_price_with_the_code():
    assert cues.asks_price_with_code("donc elle me revient a combien avec le code ?")
    assert not cues.asks_price_with_code("vous avez un code promo ?")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("je voudrais le jean délavé en 40", True), ("je le prends en écru", True),
     ("la parka boréale m'intéresse", True), ("je voudrais savoir si vous livrez", False),
     ("je prends quelle taille pour la parka ?", False),
     ("le cabas est à combien ?", False)],
)  # fmt: skip
def test_wanting_to_buy(text, expected):
    assert cues.wants_to_buy(text) is expected


def test_did_not_help():
    assert cues.did_not_help("ça ne m'aide pas du tout")
    assert cues.did_not_help("c'est pas ma question")
    assert not cues.did_not_help("ça m'aide beaucoup merci")


@pytest.mark.parametrize(
    ("words", "number"),
    [("septante-cinq", 75), ("soixante-quinze", 75), ("quatre-vingt-dix-neuf", 99),
     ("nonante", 90), ("huitante", 80), ("cent vingt", 120), ("deux cents", 200),
     ("vingt et un", 21), ("parka", None)],
)  # fmt: skip
def test_french_number_words_of_every_region(words, number):
    assert words_to_number(words) == number


@pytest.mark.parametrize(
    ("text", "budget"),
    [("moins de 80 €", 80.0), ("budget septante-cinq euros", 75.0), ("max 100$", 100.0),
     ("j'ai un budget de 50 balles", 50.0), ("septante-cinq euros", 75.0),
     ("autour de cent vingt francs", 120.0), ("ça coute 59 euros ?", None),
     ("un cadeau pour ma mère", None),
     ("je vous envoie une photo", None), ("moins de 60e", 60.0), ("j'ai payé 59 euros", None)],
)  # fmt: skip
def test_budgets(text, budget):
    assert find_budget(text) == budget


@pytest.mark.parametrize(
    ("text", "expected"),
    [("combien pour l'envoyer a sherbrooke", False),
     ("faut payer la douane à la réception ?", False),
     ("le paiement a été refusé", True), ("ma carte a été débitée deux fois", True),
     ("mon colis n'est pas arrivé", True), ("je veux annuler", True)],
)  # fmt: skip
def test_what_speaks_of_an_order(text, expected):
    assert cues.mentions_an_order(text) is expected
