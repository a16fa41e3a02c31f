"""French grammar of product names and places, and the brand-file facts the bot states (gender,
promotion, instalments)."""

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.brand import grammar, places
from bot.brand.brand_file import Instalments, load_brand, parse_brand
from bot.brand.errors import BrandError

DEMO = Path(__file__).parents[1] / "brands" / "demo.yml"


@pytest.fixture(scope="module")
def brand():
    return load_brand("demo")


def demo_data() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("product_id", "with_article", "pronoun"),
    [
        ("parka_boreale", "la Parka Boréale", "la"),
        ("echarpe_douce", "l'Écharpe Douce", "la"),
        ("baskets_lumiere", "les Baskets Lumière", "les"),
        ("sweat_brume", "le Sweat à capuche Brume", "le"),
        ("tshirt_essentiel", "le T-shirt Essentiel", "le"),
        ("jean_gaston", "le Jean droit Gaston", "le"),
        ("cabas_marin", "le Sac cabas Marin", "le"),
        ("bonnet_flocon", "le Bonnet Flocon", "le"),
    ],
)
def test_definite_article_and_pronoun(brand, product_id, with_article, pronoun):
    product = brand.product(product_id)
    assert grammar.definite(product) == with_article
    assert grammar.pronoun(product) == pronoun


@pytest.mark.parametrize(
    ("name", "gender", "plural", "expected"),
    [
        ("Anorak Polaire", "m", False, "l'Anorak Polaire"),
        ("Imperméable Grain", "m", False, "l'Imperméable Grain"),
        ("Huile de soin", "f", False, "l'Huile de soin"),  # mute h
        ("Housse Nuage", "f", False, "la Housse Nuage"),  # aspirated h
        ("Hoodie Brume", "m", False, "le Hoodie Brume"),
        ("Espadrilles Sable", "f", True, "les Espadrilles Sable"),
        ("La Grande Parka", "f", False, "La Grande Parka"),  # already has its article
    ],
)
def test_elision_before_vowels_and_mute_h(brand, name, gender, plural, expected):
    product = replace(brand.product("sweat_brume"), name=name, gender=gender, plural=plural)
    assert grammar.definite(product) == expected


def test_agree_picks_the_form_of_the_product(brand):
    forms = ("disponible", "disponible", "disponibles", "disponibles")
    assert grammar.agree(brand.product("baskets_lumiere"), *forms) == "disponibles"
    forms = ("épuisé", "épuisée", "épuisés", "épuisées")
    assert grammar.agree(brand.product("parka_boreale"), *forms) == "épuisée"
    assert grammar.agree(brand.product("bonnet_flocon"), *forms) == "épuisé"
    assert grammar.agree(brand.product("baskets_lumiere"), *forms) == "épuisées"
    jeans = replace(brand.product("jean_gaston"), plural=True)
    assert grammar.agree(jeans, *forms) == "épuisés"
    assert grammar.pronoun(jeans) == "les"


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("Genève", "CH", "à Genève"),
        ("geneve", "CH", "à Genève"),
        ("Lyon", "FR", "à Lyon"),
        ("montreal", "CA", "à Montréal"),
        ("le havre", "FR", "au Havre"),
        ("Les Abymes", "GP", "aux Abymes"),
        ("La Rochelle", "FR", "à La Rochelle"),
        ("Tokyo", "JP", "à Tokyo"),
        ("France", "FR", "en France"),
        ("Belgique", "BE", "en Belgique"),
        ("Suisse", "CH", "en Suisse"),
        ("Luxembourg", "LU", "au Luxembourg"),
        ("Canada", "CA", "au Canada"),
        ("Quebec", "CA", "au Québec"),
        ("Monaco", "MC", "à Monaco"),
        ("Martinique", "MQ", "en Martinique"),
        ("Guadeloupe", "GP", "en Guadeloupe"),
        ("Guyane", "GF", "en Guyane"),
        ("La Réunion", "RE", "à La Réunion"),
        ("reunion", "RE", "à La Réunion"),
        ("Mayotte", "YT", "à Mayotte"),
        ("Nouvelle-Calédonie", "NC", "en Nouvelle-Calédonie"),
        ("polynesie francaise", "PF", "en Polynésie française"),
        ("DOM-TOM", "DOM", "dans les DOM-TOM"),
        ("dom tom", "DOM", "dans les DOM-TOM"),
        ("outre-mer", "DOM", "en outre-mer"),
        ("Antilles", "DOM", "aux Antilles"),
        ("ile de france", "FR", "en Île-de-France"),
        ("Bretagne", "FR", "en Bretagne"),
        ("Normandie", "FR", "en Normandie"),
        ("Savoie", "FR", "en Savoie"),
        ("Hexagone", "FR", "dans l'Hexagone"),
        ("Wallonie", "BE", "en Wallonie"),
        ("Romandie", "CH", "en Romandie"),
        ("Suisse romande", "CH", "en Suisse romande"),
        ("Ontario", "CA", "en Ontario"),
        ("Gaspésie", "CA", "en Gaspésie"),
        ("Estrie", "CA", "en Estrie"),
        ("", "CH", "en Suisse"),  # no name: the country itself
    ],
)
def test_place_with_its_preposition(name, code, expected):
    assert grammar.at_place(name, code) == expected


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("quebec", "Québec"),
        ("geneve", "Genève"),
        ("montreal", "Montréal"),
        ("LIEGE", "Liège"),
        ("Levis", "Lévis"),
        ("noumea", "Nouméa"),
        ("DOM TOM", "DOM-TOM"),
        ("  Tokyo ", "Tokyo"),
    ],
)
def test_canonical_place_names(written, canonical):
    assert places.canonical(written) == canonical


def test_places_found_in_text_are_spelt_the_canonical_way():
    assert places.find_place("vous livrez a quebec ?") == ("Québec", "CA")
    assert places.find_place("je suis à geneve") == ("Genève", "CH")
    assert places.find_place("dispo en ile de france ?") == ("Île-de-France", "FR")


def test_prepositions_name_only_listed_places():
    """nlu_sync puts every name of places.yml in the NLU lookup table, these keys included."""
    raw = yaml.safe_load(places.PLACES_FILE.read_text(encoding="utf-8"))
    prepositions = raw.pop("prepositions")
    raw.pop("ambiguous_in_text")
    listed = {name for names in raw.values() for name in names}
    assert set(prepositions) <= listed


def test_promo_percent_and_the_products_it_applies_to(brand):
    assert brand.promo.percent == 15
    assert brand.promo.applies_to("parka_boreale") and brand.promo.applies_to("bonnet_flocon")
    assert not brand.promo.applies_to("tshirt_essentiel")
    data = demo_data()
    del data["promo"]["products"], data["promo"]["percent"]
    promo = parse_brand(data).promo
    assert promo.percent is None and promo.applies_to("tshirt_essentiel")
    data["promo"]["active"] = False
    assert not parse_brand(data).promo.applies_to("tshirt_essentiel")


def test_instalments(brand):
    assert brand.instalments == Instalments(count=3, minimum=100.0, methods="carte bancaire")
    data = demo_data()
    del data["instalments"]
    assert parse_brand(data).instalments is None


def test_product_gender_defaults_to_masculine_singular():
    data = demo_data()
    for product in data["catalogue"]:
        product.pop("gender", None)
        product.pop("plural", None)
    parka = parse_brand(data).product("parka_boreale")
    assert (parka.gender, parka.plural) == ("m", False)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["catalogue"][6].update(gender="féminin"), "gender must be 'm' or 'f'"),
        (lambda d: d["catalogue"][6].update(gender="F"), "gender must be 'm' or 'f'"),
        (lambda d: d["catalogue"][3].update(plural="oui"), "plural must be true or false"),
        (lambda d: d.update(instalments={"count": "trois"}), "instalments.count"),
        (lambda d: d.update(instalments={"count": 1}), "instalments.count"),
        (lambda d: d.update(instalments={"count": True}), "instalments.count"),
        (lambda d: d.update(instalments={"minimum": 100}), "instalments needs count"),
        (lambda d: d.update(instalments=["3 fois"]), "instalments needs count"),
        (lambda d: d["instalments"].update(minimum="cent"), "instalments.minimum"),
        (lambda d: d["instalments"].update(minimum=-5), "instalments.minimum"),
        (lambda d: d["instalments"].update(methods=["carte"]), "instalments.methods"),
        (lambda d: d["promo"].update(percent="beaucoup"), "promo.percent"),
        (lambda d: d["promo"].update(percent=150), "promo.percent"),
        (lambda d: d["promo"].update(percent=0), "promo.percent"),
        (lambda d: d["promo"].update(products=["trottinette"]), "promo.products"),
        (lambda d: d["promo"].update(products=[]), "promo.products"),
    ],
)
def test_broken_grammar_and_offer_facts_are_rejected(mutate, message):
    data = demo_data()
    mutate(data)
    with pytest.raises(BrandError, match=message):
        parse_brand(data)
