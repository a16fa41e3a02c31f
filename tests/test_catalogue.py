"""Pre-sale answers from the catalogue: products, stock, places, delivery, stores."""

import pytest

from bot.brand import catalogue
from bot.brand.brand_file import load_brand
from bot.brand.places import country_of, find_place
from bot.nlu.orders import find_order_number, normalise_order_number
from bot.nlu.text import fold


@pytest.fixture(scope="module")
def brand():
    return load_brand("demo")


@pytest.mark.parametrize(
    ("written", "product_id"),
    [
        ("sweat", "sweat_brume"),
        ("Coton ouaté", "sweat_brume"),
        ("coton ouate", "sweat_brume"),
        ("tuque", "bonnet_flocon"),
        ("espadrilles", "baskets_lumiere"),
        ("parca", "parka_boreale"),  # typo
        ("écharpe douce", "echarpe_douce"),
        ("jean_gaston", "jean_gaston"),
    ],
)
def test_match_product_aliases_and_typos(brand, written, product_id):
    assert catalogue.match_product(brand, written).id == product_id


def test_match_product_rejects_unknown(brand):
    assert catalogue.match_product(brand, "trottinette") is None
    assert catalogue.match_product(brand, "") is None


def test_products_found_in_free_text(brand):
    found = catalogue.find_products_in_text(brand, "jveux la tuque pis le foulard svp")
    assert [p.id for p in found] == ["bonnet_flocon", "echarpe_douce"]
    typo = catalogue.find_products_in_text(brand, "des chausures blanches")
    assert [p.id for p in typo] == ["baskets_lumiere"]
    assert catalogue.find_products_in_text(brand, "bonne soirée, il reste du stock ?") == []


def test_colours_and_sizes(brand):
    sweat = brand.product("sweat_brume")
    assert catalogue.match_colours(sweat, "bleu") == ["bleu marine"]
    assert catalogue.match_size(sweat, "taille m") == "M"
    assert catalogue.find_size_in_text(sweat, "dispo en XL ?") == "XL"
    assert catalogue.find_size_in_text(sweat, "il m'en faut un") is None  # "m" in lower case
    assert catalogue.find_colours_in_text(sweat, "le vert sapin svp") == ["vert sapin"]


def test_availability(brand):
    sweat = brand.product("sweat_brume")
    out = catalogue.availability(sweat, "bleu marine", "M")
    assert not out.in_stock
    assert out.sizes_in_stock == ("S", "L", "XL", "XXL")
    assert "gris chiné" in out.colours_in_stock
    low = catalogue.availability(sweat, "gris chiné", "XL")
    assert low.in_stock and low.low and low.units == 3


def test_format_money():
    assert catalogue.format_money(59) == "59\u00a0€"
    assert catalogue.format_money(4.9) == "4,90\u00a0€"


@pytest.mark.parametrize(
    ("place", "code"),
    [
        ("Montréal", "CA"),
        ("montreal", "CA"),
        ("GENEVE", "CH"),
        ("Liège", "BE"),
        ("La Réunion", "RE"),
    ],
)
def test_places(place, code):
    assert country_of(place) == code


def test_place_in_free_text_ignores_ambiguous_words():
    assert find_place("vous livrez à trois-rivières ?") == ("Trois-Rivières", "CA")
    assert find_place("c'est nice comme sweat") is None
    assert find_place("tokyo") is None


def test_delivery_zone(brand):
    place = catalogue.resolve_place(None, "vous livrez en guadeloupe ?")
    assert catalogue.delivery_zone(brand, place).zone == "DOM-TOM"
    assert catalogue.delivery_zone(brand, catalogue.Place("Berlin", "DE")) is None


def test_find_store(brand):
    exact, _ = catalogue.find_store(brand, catalogue.Place("Lyon", "FR"))
    assert exact.city == "Lyon"
    exact, nearby = catalogue.find_store(brand, catalogue.Place("Lausanne", "CH"))
    assert exact is None and [s.city for s in nearby] == ["Genève"]


def test_size_questions_and_suggestions(brand):
    assert catalogue.is_size_question("je fais 1m75, je prends quoi ?")
    assert not catalogue.is_size_question("une idée de cadeau ?")
    warm = catalogue.suggest_products(brand, "un truc chaud pour l'hiver")
    assert warm and all("chaud" in p.tags for p in warm)


def test_order_numbers():
    assert normalise_order_number("mb 204815") == "MB-204815"
    assert find_order_number("c la commande #204815 svp") == "#204815"
    assert find_order_number("204815") is None
    assert find_order_number("204815", allow_bare=True) == "MB-204815"
    assert find_order_number("appelez le 06 12 34 56 78", allow_bare=True) is None


def test_fold():
    assert fold("  Écharpe   Douce ! ") == "echarpe douce"


def test_colours_match_whatever_their_agreement():
    from bot.brand.brand_file import load_brand
    from bot.brand.catalogue import find_colours_in_text, match_colours

    brand = load_brand("demo")
    parka, baskets, jean = (
        brand.product(p) for p in ("parka_boreale", "baskets_lumiere", "jean_gaston")
    )
    assert match_colours(parka, "noire") == ["noir"]
    assert match_colours(baskets, "blanches") == ["blanc"]
    assert match_colours(baskets, "beiges") == ["beige"]
    assert match_colours(jean, "délavée") == ["délavé"]
    assert find_colours_in_text(baskets, "vous avez les baskets blanches en 38 ?") == ["blanc"]
    assert match_colours(parka, "rouge") == []
