"""Where a customer is: place names (cities, regions, countries) to ISO country codes, with the
spelling and the preposition the bot writes them with."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.nlu.text import contains_phrase, fold

PLACES_FILE = Path(__file__).with_name("places.yml")


_AMBIGUOUS_KEY = "ambiguous_in_text"
_PREPOSITIONS_KEY = "prepositions"


@dataclass(frozen=True)
class _Places:
    """places.yml, indexed by folded name."""

    index: tuple[tuple[str, str, str], ...]  # (folded, canonical name, code), longest first
    ambiguous: frozenset[str]  # folded names unsafe in free text
    canonical: Mapping[str, str]  # folded → canonical name
    prepositions: Mapping[str, str]  # folded → preposition of a place that is not a city
    first_name: Mapping[str, str]  # code → its first listed name


def _has_diacritics(name: str) -> bool:
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFKD", name))


@lru_cache(maxsize=1)
def _places() -> _Places:
    raw = yaml.safe_load(PLACES_FILE.read_text(encoding="utf-8"))
    ambiguous = frozenset(fold(name) for name in raw.pop(_AMBIGUOUS_KEY, []))
    prepositions_raw: dict[str, str] = raw.pop(_PREPOSITIONS_KEY, None) or {}
    canonical: dict[str, str] = {}
    for names in raw.values():
        for name in names:
            folded = fold(name)
            if folded not in canonical or (
                _has_diacritics(name) and not _has_diacritics(canonical[folded])
            ):
                canonical[folded] = name
    # The NLU lookup table lists every name of places.yml, these keys included
    # (bot/brand/nlu_sync.py): a preposition for an unlisted name would add a place to it.
    listed = {name for names in raw.values() for name in names}
    unlisted = sorted(name for name in prepositions_raw if name not in listed)
    if unlisted:
        raise ValueError(f"{PLACES_FILE.name}: prepositions for unlisted places {unlisted}")
    entries = [(fold(n), canonical[fold(n)], code) for code, names in raw.items() for n in names]
    return _Places(
        index=tuple(sorted(entries, key=lambda e: len(e[0]), reverse=True)),
        ambiguous=ambiguous,
        canonical=canonical,
        prepositions={fold(name): str(prep) for name, prep in prepositions_raw.items()},
        first_name={code: names[0] for code, names in raw.items() if names},
    )


def country_of(place: str) -> str | None:
    """ISO code of a place name written by a customer (``"montreal"`` → ``"CA"``), else None."""
    folded = fold(place)
    for name, _display, code in _places().index:
        if name == folded:
            return code
    return None


def find_place(text: str) -> tuple[str, str] | None:
    """First known place mentioned in free text, as ``(canonical name, code)``, else None."""
    folded = fold(text)
    places = _places()
    for name, display, code in places.index:
        if name not in places.ambiguous and contains_phrase(folded, name):
            return display, code
    return None


def find_places(text: str) -> list[tuple[str, str]]:
    """Every known place in free text, as ``(canonical name, code)``, in the order written.

    A longer name wins over the names inside it ("Saint-Denis de la Réunion" is not "Saint-Denis").
    """
    folded = f" {fold(text)} "
    places = _places()
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str, str]] = []
    for name, display, code in places.index:
        if name in places.ambiguous:
            continue
        start = folded.find(f" {name} ")
        while start >= 0:
            span = (start, start + len(name) + 2)
            if not any(a < span[1] and span[0] < b for a, b in taken):
                taken.append(span)
                found.append((start, display, code))
            start = folded.find(f" {name} ", start + 1)
    return [(display, code) for _, display, code in sorted(found)]


def canonical(name: str) -> str:
    """How the bot spells a place a customer wrote: ``"quebec"`` → ``"Québec"``, ``"LIEGE"`` →
    ``"Liège"``; an unknown place is returned stripped.

    Among the names of places.yml with the same folded form, the one with diacritics wins, else
    the first listed.
    """
    return _places().canonical.get(fold(name), name.strip())


def preposition(name: str) -> str | None:
    """The preposition before a country or region (``"en"``, ``"au"``, ``"dans les"`` …) as
    places.yml lists it; None for a city or an unknown place."""
    return _places().prepositions.get(fold(name))


def country_name(code: str) -> str | None:
    """The first name places.yml lists for ``code`` (``"CH"`` → ``"Suisse"``), else None."""
    return _places().first_name.get(code)
