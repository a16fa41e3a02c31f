"""French grammar for what the bot writes about a product or a place: definite articles with
elision, object pronouns, agreement, and the preposition before a place ("en Suisse", "au Québec",
"à Genève").

A product's gender and number come from its brand file (``gender: f``, ``plural: true``); the
prepositions of countries and regions from bot/brand/places.yml.
"""

from __future__ import annotations

from bot.brand import places
from bot.brand.brand_file import Product
from bot.nlu.text import fold

# First letters (accents folded) before which "le" and "la" become "l'".
_VOWELS = frozenset("aeiouœæ")
# Words whose h is aspirated: no elision ("le hoodie", "la housse"). Every other h is mute
# ("l'huile", "l'horloge"). Folded, as :func:`fold` writes them.
_ASPIRATED_H = frozenset(
    {
        "hache",
        "hachoir",
        "haie",
        "hall",
        "halle",
        "hamac",
        "hamburger",
        "hamster",
        "hangar",
        "hareng",
        "haricot",
        "harnais",
        "harpe",
        "haut",
        "haute",
        "hauts",
        "herisson",
        "heros",
        "hetre",
        "hibou",
        "hockey",
        "homard",
        "hoodie",
        "hotte",
        "housse",
        "hublot",
        "husky",
        "hutte",
    }
)
# A name that already starts with its article ("La Grande Parka") keeps it.
_ARTICLES = frozenset({"le", "la", "les", "l"})
# "à" + "le"/"les" contract: "au Havre", "aux Abymes".
_CONTRACTIONS = (("le ", "au "), ("les ", "aux "))


def _elides(word: str) -> bool:
    """Whether "le"/"la" before ``word`` becomes "l'" (a vowel or a mute h)."""
    folded = fold(word)
    if not folded:
        return False
    if folded[0] in _VOWELS:
        return True
    return folded[0] == "h" and folded.split()[0] not in _ASPIRATED_H


def definite(product: Product) -> str:
    """The product's name with its definite article: "la Parka Boréale", "l'Écharpe Douce",
    "les Baskets Lumière", "le T-shirt Essentiel"."""
    name = product.name.strip()
    words = fold(name).split()
    if words and words[0] in _ARTICLES:
        return name
    if product.plural:
        return f"les {name}"
    if _elides(name):
        return f"l'{name}"
    return f"{'la' if product.gender == 'f' else 'le'} {name}"


def pronoun(product: Product) -> str:
    """The object pronoun standing for the product: "le", "la" or "les" ("vous aider à la
    commander"). Write it before a verb starting with a consonant: it is not elided."""
    return agree(product, "le", "la", "les", "les")


def agree(product: Product, masc: str, fem: str, masc_plural: str, fem_plural: str) -> str:
    """The form among four that agrees with the product's gender and number."""
    if product.gender == "f":
        return fem_plural if product.plural else fem
    return masc_plural if product.plural else masc


def at_place(name: str, code: str) -> str:
    """The place with its preposition, spelt the canonical way: "à Genève", "au Havre", "en
    Suisse", "au Québec", "dans les DOM-TOM", "à La Réunion".

    Countries and regions take the preposition places.yml lists for them; any other name is a
    city ("à"). A blank ``name`` stands for the country ``code`` itself.
    """
    display = places.canonical(name) if name.strip() else places.country_name(code) or code
    prefix = places.preposition(display) or "à"
    if prefix == "à":
        for article, contracted in _CONTRACTIONS:
            if display.casefold().startswith(article):
                return contracted + display[len(article) :]
    return f"{prefix}{display}" if prefix.endswith("'") else f"{prefix} {display}"
