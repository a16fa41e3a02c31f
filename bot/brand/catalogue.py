"""Questions customers ask before buying, answered from the brand file.

Everything here returns plain data; actions turn it into the brand's responses.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.brand import places
from bot.brand.brand_file import Brand, DeliveryZone, Product, Store
from bot.nlu.text import contains_phrase, fold

LOW_STOCK = 3
# Typos in a value the NLU already tagged as a product ("parca").
_FUZZY_CUTOFF = 0.75
# Typos in free text: long words only, so "bonne" never becomes "bonnet" nor "reste" "veste".
_FREE_TEXT_MIN_LEN = 6
_FREE_TEXT_CUTOFF = 0.85
_GIFT_WORDS = ("cadeau", "offrir", "noel", "anniversaire", "fete des")
_WARM_WORDS = (
    "chaud",
    "froid",
    "hiver",
    "neige",
    "degre",
    "moins 20",
    "-20",
    "-25",
    "grand froid",
)


def format_money(amount: float, currency: str = "EUR") -> str:
    """French formatting: ``59 €``, ``4,90 €``, ``24,90 CAD``."""
    symbol = {"EUR": "€", "CHF": "CHF", "CAD": "$ CA"}.get(currency, currency)
    text = f"{amount:.0f}" if float(amount).is_integer() else f"{amount:.2f}".replace(".", ",")
    return f"{text}\u00a0{symbol}"


def _names(product: Product) -> list[str]:
    return [fold(n) for n in (product.id, product.name, *product.aliases)]


def match_product(brand: Brand, value: str | None) -> Product | None:
    """The product a customer means by ``value`` (an id, name or alias, with typos), or None."""
    if not value:
        return None
    wanted = fold(value)
    if not wanted:
        return None
    for product in brand.catalogue:
        if wanted in _names(product):
            return product
    for product in brand.catalogue:
        if any(contains_phrase(wanted, name) for name in _names(product)):
            return product
    by_name = {name: p for p in brand.catalogue for name in _names(p)}
    close = difflib.get_close_matches(wanted, list(by_name), n=1, cutoff=_FUZZY_CUTOFF)
    return by_name[close[0]] if close else None


def find_products_in_text(brand: Brand, text: str) -> list[Product]:
    """Products named anywhere in free text, in catalogue order (exact names, then typos)."""
    folded = fold(text)
    found = [p for p in brand.catalogue if any(contains_phrase(folded, n) for n in _names(p))]
    if found:
        return found
    words = [w for w in folded.split() if len(w) >= _FREE_TEXT_MIN_LEN]
    by_name = {
        name: p
        for p in brand.catalogue
        for name in _names(p)
        if " " not in name and len(name) >= _FREE_TEXT_MIN_LEN
    }
    for word in words:
        close = difflib.get_close_matches(word, list(by_name), n=1, cutoff=_FREE_TEXT_CUTOFF)
        if close and by_name[close[0]] not in found:
            found.append(by_name[close[0]])
    return found


def _stem_word(word: str) -> str:
    """A colour word without its plural or feminine ending: "noires" → "noir", "blanche" →
    "blanc", "délavée" → "delave". Applied to both sides of a comparison, so it only has to be
    consistent, not linguistically perfect."""
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    if word.endswith("che"):
        return word[:-3] + "c"
    if word.endswith("ette"):
        return word[:-2]
    if word.endswith("ee"):
        return word[:-1]
    if len(word) > 3 and word.endswith("e") and word[-2] in "rstdl":
        return word[:-1]
    return word


def colour_form(text: str) -> str:
    """Folded text with each word stemmed by :func:`_stem_word`."""
    return " ".join(_stem_word(w) for w in fold(text).split())


def match_colours(product: Product, value: str | None) -> list[str]:
    """Colours of ``product`` that ``value`` designates ("bleu" → ["bleu marine"], "noire" →
    ["noir"])."""
    if not value:
        return []
    wanted = colour_form(value)
    exact = [c for c in product.colours if colour_form(c) == wanted]
    if exact:
        return exact
    return [
        c
        for c in product.colours
        if contains_phrase(colour_form(c), wanted) or contains_phrase(wanted, colour_form(c))
    ]


def match_size(product: Product, value: str | None) -> str | None:
    """The size of ``product`` that ``value`` designates ("taille m" → "M"), or None."""
    if not value:
        return None
    wanted = fold(value).removeprefix("taille ").removeprefix("du ").strip()
    return next((s for s in product.sizes if fold(s) == wanted), None)


@dataclass(frozen=True)
class Availability:
    """Stock for a product, narrowed by the colour and size the customer asked about."""

    product: Product
    colour: str | None
    size: str | None
    units: int
    sizes_in_stock: tuple[str, ...]
    colours_in_stock: tuple[str, ...]

    @property
    def in_stock(self) -> bool:
        return self.units > 0

    @property
    def low(self) -> bool:
        return 0 < self.units <= LOW_STOCK


def availability(product: Product, colour: str | None, size: str | None) -> Availability:
    """Stock of ``product`` for the given colour and size (either may be None)."""
    units = product.units(colour, size)
    sizes = tuple(s for s in product.sizes if product.units(colour, s) > 0)
    colours = tuple(c for c in product.colours if product.units(c, size) > 0)
    return Availability(product, colour, size, units, sizes, colours)


def stock_overview(product: Product) -> list[str]:
    """One line per colour listing the sizes in stock, e.g. ``"gris chiné : S, M, L"``."""
    lines = []
    for colour in product.colours:
        sizes = [s for s in product.sizes if product.units(colour, s) > 0]
        lines.append(f"{colour} : {', '.join(sizes) if sizes else '—'}")
    return lines


@dataclass(frozen=True)
class Place:
    """A place a customer named, resolved to a country code."""

    name: str
    country: str


def resolve_place(entity_value: str | None, text: str) -> Place | None:
    """The customer's place, from the NLU's ``city`` entity or else from the raw text."""
    if entity_value:
        code = places.country_of(entity_value)
        if code:
            return Place(entity_value, code)
    found = places.find_place(text)
    return Place(*found) if found else None


def delivery_zone(brand: Brand, place: Place) -> DeliveryZone | None:
    """The brand's delivery zone for ``place``, or None if it does not ship there."""
    return brand.zone_for_country(place.country)


def find_store(brand: Brand, place: Place | None) -> tuple[Store | None, tuple[Store, ...]]:
    """(store in that very city, stores in the same country) for ``place``."""
    if place is None:
        return None, ()
    here = fold(place.name)
    exact = next((s for s in brand.stores if fold(s.city) == here), None)
    same_country = tuple(
        s for s in brand.stores if s is not exact and places.country_of(s.city) == place.country
    )
    return exact, same_country


def is_gift_request(text: str) -> bool:
    """Whether the customer looks for a gift (« un cadeau pour mon frère », « à offrir »)."""
    folded = fold(text)
    return any(w in folded for w in _GIFT_WORDS)


def suggest_products(brand: Brand, text: str, limit: int = 5) -> list[Product]:
    """Products to propose for an advice request: warm things, gifts, else best stocked first."""
    folded = fold(text)
    wanted_tags = []
    if any(w in folded for w in _WARM_WORDS):
        wanted_tags.append("chaud")
    if any(w in folded for w in _GIFT_WORDS):
        wanted_tags.append("cadeau")
    candidates = [
        p for p in brand.catalogue if p.units() > 0 and all(t in p.tags for t in wanted_tags)
    ]
    if not candidates:
        candidates = [p for p in brand.catalogue if p.units() > 0]
    return sorted(candidates, key=lambda p: -p.units())[:limit]


_SIZE_WORDS = (
    "taille",
    "tailler",
    "taillent",
    "size",
    "pointure",
    "mesure",
    "kg",
    "kilo",
    "cm",
    "1m",
    "grand",
    "petit",
    "serre",
    "ample",
    "large",
    "longueur",
    "chausse",
)


def is_size_question(text: str) -> bool:
    """Whether an advice request is about fit or size ("je fais 1m80, quelle taille ?")."""
    folded = fold(text)
    return any(contains_phrase(folded, w) or w in folded.split() for w in _SIZE_WORDS) or any(
        w.startswith("1m") for w in folded.split()
    )


def find_size_in_text(product: Product, text: str) -> str | None:
    """A size of ``product`` written in free text. One-letter sizes count only in capitals."""
    words = text.replace(",", " ").replace("?", " ").replace("!", " ").split()
    for word in words:
        for size in product.sizes:
            if len(size) == 1 and word == size:
                return size
            if len(size) > 1 and fold(word) == fold(size):
                return size
    folded = fold(text)
    if "taille unique" in product.sizes and contains_phrase(folded, "taille unique"):
        return "taille unique"
    return None


def find_colours_in_text(product: Product, text: str) -> list[str]:
    """Colours of ``product`` named in free text, full names first ("bleu marine" before "bleu")."""
    folded = colour_form(text)
    full = [c for c in product.colours if contains_phrase(folded, colour_form(c))]
    if full:
        return full
    first_words = {colour_form(c).split()[0]: c for c in product.colours}
    return [colour for word, colour in first_words.items() if contains_phrase(folded, word)]
