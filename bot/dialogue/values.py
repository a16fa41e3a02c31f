"""What one message states: product, size, colour, place, quantity, order number, budget.

The NLU's entities are hints; every value is checked against the brand's catalogue and the list
of places, so a lone "l" (« l echarpe ») is not a size and "Bordeaux" is a colour only for a
product that comes in bordeaux. What is left once values, yes/no words and filler are removed is
the message's *residue*: an empty residue means a bare answer (« la parka noire », « du 42 »,
« et à Genève ? »).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.brand import catalogue, places
from bot.brand.brand_file import Brand, Product
from bot.nlu import cues
from bot.nlu.budget import find_budget, words_to_number
from bot.nlu.contact import find_email, find_phone, parse_quantity
from bot.nlu.orders import find_order_number
from bot.nlu.text import contains_phrase, fold

_GENERIC_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "2XL", "3XL")
_SIZE_LEAD = ("en", "taille", "du", "un", "une", "le", "la", "size", "pointure", "en taille")
_NEGATION = re.compile(r"\bpas (?:le |la |les |l |du |de la |des |un |une )?$")
_NUMBER = re.compile(r"^\d{1,3}$")
_NUMBER_WORDS = frozenset(
    [
        "un",
        "une",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "six",
        "sept",
        "huit",
        "neuf",
        "dix",
        "douze",
        "quinze",
        "vingt",
    ]
)
_BUDGET_WORDS = frozenset(
    [
        "budget",
        "moins",
        "max",
        "maximum",
        "plus",
        "jusqu",
        "environ",
        "alentours",
        "dessous",
        "sous",
        "peu",
        "pres",
        "euro",
        "euros",
        "balles",
        "chf",
        "franc",
        "francs",
        "dollar",
        "dollars",
        "piasse",
        "piasses",
        "cad",
        "e",
        "eur",
    ]
)


@dataclass(frozen=True)
class Values:
    """What a message states, checked against the brand. ``products`` are product ids."""

    products: tuple[str, ...] = ()
    negated_products: tuple[str, ...] = ()
    colour: str | None = None
    size: str | None = None
    place: str | None = None
    country: str | None = None
    quantity: int | None = None
    order_number: str | None = None
    budget: float | None = None
    residue: tuple[str, ...] = ()
    # Colours the NLU heard that the product does not come in (« la parka en rose »).
    unknown_colours: tuple[str, ...] = ()
    # The product is taken with the one discussed, not instead (« un bonnet avec ? »).
    adds: bool = False

    @property
    def product(self) -> str | None:
        """The product the message is about: the first one named that is not ruled out."""
        return self.products[0] if self.products else None

    @property
    def is_bare(self) -> bool:
        """Nothing but values, yes/no words and filler (« la parka noire », « go », « du 42 »)."""
        return not self.residue

    @property
    def states_something(self) -> bool:
        return any(
            (
                self.products,
                self.colour,
                self.size,
                self.place,
                self.quantity,
                self.order_number,
                self.budget,
            )
        )

    def has(self, kind: str) -> bool:
        """Whether the message gives a value for ``kind`` (a slot name or "product")."""
        return bool(
            {
                "product": self.products,
                "size": self.size,
                "colour": self.colour,
                "city": self.place,
                "quantity": self.quantity,
                "order_number": self.order_number,
                "budget": self.budget,
            }.get(kind)
        )


def _entity_values(entities: Iterable[Mapping[str, Any]], name: str) -> list[str]:
    return [str(e.get("value")) for e in entities if e.get("entity") == name and e.get("value")]


def _products(brand: Brand, text: str, entities: list[Mapping[str, Any]]) -> list[Product]:
    found: list[Product] = []
    for value in _entity_values(entities, "product"):
        product = catalogue.match_product(brand, value)
        if product and product not in found:
            found.append(product)
    for product in catalogue.find_products_in_text(brand, text):
        if product not in found:
            found.append(product)
    return _in_text_order(found, text)


def _in_text_order(products: list[Product], text: str) -> list[Product]:
    folded = fold(text)

    def position(product: Product) -> int:
        names = (fold(n) for n in (product.name, *product.aliases))
        spots = [f" {folded} ".find(f" {n} ") for n in names]
        spots = [s for s in spots if s >= 0]
        return min(spots) if spots else len(folded)

    return sorted(products, key=position)


def _negated(product: Product, text: str) -> bool:
    """« pas la parka » / « non pas le sweat »: the customer rules this product out."""
    folded = f" {fold(text)} "
    for name in (fold(n) for n in (product.name, *product.aliases)):
        at = folded.find(f" {name} ")
        if at >= 0 and _NEGATION.search(folded[: at + 1].strip() + " "):
            return True
    return False


def find_size(text: str, sizes: Iterable[str]) -> str | None:
    """A size among ``sizes`` written in ``text``. One-letter sizes count in capitals, or after
    « en », « taille », « du »…, or alone, never as an elided article (« l echarpe »)."""
    words = re.findall(r"[\w']+", text)
    folded_sizes = {fold(s): s for s in sizes}
    for i, word in enumerate(words):
        size = folded_sizes.get(fold(word))
        if size is None or "'" in word:
            continue
        if len(size) > 1:
            return size
        before = fold(words[i - 1]) if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if after and after[0].isalpha() and fold(after) not in cues.FILLER and not word.isupper():
            continue  # « l echarpe », « m envoyer »
        if word.isupper() or before in _SIZE_LEAD or len(words) == 1:
            return size
    if "taille unique" in sizes and contains_phrase(fold(text), "taille unique"):
        return "taille unique"
    return None


def _colours_of(brand: Brand, product: Product | None) -> list[str]:
    if product is not None:
        return list(product.colours)
    seen: list[str] = []
    for item in brand.catalogue:
        seen += [c for c in item.colours if c not in seen]
    return seen


def _colour(brand: Brand, product: Product | None, text: str, entities: list) -> str | None:
    for value in _entity_values(entities, "colour"):
        if product is not None:
            matched = catalogue.match_colours(product, value)
            if matched:
                return matched[0]
    folded = catalogue.colour_form(text)
    options = sorted(_colours_of(brand, product), key=len, reverse=True)
    for colour in options:
        if contains_phrase(folded, catalogue.colour_form(colour)):
            return colour
    first_words = {catalogue.colour_form(c).split()[0]: c for c in options}
    for word, colour in first_words.items():
        if contains_phrase(folded, word):
            return colour
    return None


def read_values(
    brand: Brand,
    text: str,
    entities: list[Mapping[str, Any]] | None = None,
    product_in_context: str | None = None,
    asked: str | None = None,
) -> Values:
    """What ``text`` states, in the context of ``product_in_context`` (the product discussed).

    ``asked`` is what the bot just asked for ("order_number", "quantity"…): a bare six-digit
    number is then an order number, a bare "2" a quantity.
    """
    entities = list(entities or [])
    named = _products(brand, text, entities)
    negated = [p for p in named if _negated(p, text)]
    products = [p for p in named if p not in negated]
    product = products[0] if products else brand.product(product_in_context or "")
    if product is not None and product in negated:
        product = None
    sizes = product.sizes if product else _GENERIC_SIZES + tuple(str(n) for n in range(34, 49))
    size = find_size(text, sizes)
    colour = _colour(brand, product, text, entities)
    unknown_colours = tuple(
        v
        for v in _entity_values(entities, "colour")
        if product is not None and not catalogue.match_colours(product, v)
    )
    place_name, country = _place(text, entities)
    if colour and place_name and fold(colour) == fold(place_name):
        place_name = country = None  # "bordeaux" is the bonnet's colour here
    order_number = find_order_number(text, allow_bare=asked == "order_number")
    quantity = _quantity(text, entities, asked)
    budget = find_budget(text)
    residue = _residue(
        text, named, colour, size, place_name, order_number, quantity, budget is not None
    )
    return Values(
        products=tuple(p.id for p in products),
        negated_products=tuple(p.id for p in negated),
        colour=colour,
        size=size,
        place=place_name,
        country=country,
        quantity=quantity,
        order_number=order_number,
        budget=budget,
        residue=residue,
        unknown_colours=unknown_colours,
        adds=cues.adds_to_basket(text),
    )


def _place(text: str, entities: list[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    for value in _entity_values(entities, "city"):
        resolved = catalogue.resolve_place(value, "")
        if resolved:
            return places.canonical(resolved.name), resolved.country
    # Several places: the last one written is where the customer wants it ("je suis à Namur
    # chez des amis… vous livrez à Bruxelles ?").
    found = places.find_places(text)
    return found[-1] if found else (None, None)


def _quantity(text: str, entities: list[Mapping[str, Any]], asked: str | None) -> int | None:
    for value in _entity_values(entities, "quantity"):
        quantity = parse_quantity(value)
        if quantity:
            return quantity
    folded = fold(text)
    if asked == "quantity" or len(folded.split()) == 1:
        word = folded.split()[0] if folded.split() else ""
        if _NUMBER.match(word) or word in _NUMBER_WORDS:
            return parse_quantity(word)
    return None


def _residue(
    text: str,
    products: list[Product],
    colour: str | None,
    size: str | None,
    place: str | None,
    order_number: str | None,
    quantity: int | None,
    has_budget: bool,
) -> tuple[str, ...]:
    """Words of ``text`` that are neither values, nor yes/no, nor filler."""
    folded = fold(text)
    if find_email(text) or find_phone(text):
        return ("<contact>",)
    if order_number:
        folded = re.sub(r"\b(mb ?\d{6}|\d{5,8})\b", " ", folded)
    phrases = [fold(n) for p in products for n in (p.name, *p.aliases)]
    if colour:
        phrases.append(fold(colour))
    if place:
        phrases.append(fold(place))
    for phrase in sorted(set(phrases), key=len, reverse=True):
        if phrase:
            folded = f" {folded} ".replace(f" {phrase} ", " ").strip()
    colour_words = set(catalogue.colour_form(colour).split()) if colour else set()
    yes_no = cues.yes_no_words(text)
    left = []
    for word in folded.split():
        if word in cues.FILLER or word in yes_no or word in colour_words:
            continue
        if catalogue.colour_form(word) in colour_words:
            continue
        if size and word == fold(size):
            continue
        if quantity and (word.isdigit() or word in _NUMBER_WORDS):
            continue
        if has_budget and (word in _BUDGET_WORDS or word.isdigit()):
            continue
        if has_budget and words_to_number(word) is not None:
            continue
        left.append(word)
    return tuple(left)
