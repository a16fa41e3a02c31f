"""Where a customer is: place names (cities, regions, countries) to ISO country codes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot.nlu.text import contains_phrase, fold

PLACES_FILE = Path(__file__).with_name("places.yml")


_AMBIGUOUS_KEY = "ambiguous_in_text"


@lru_cache(maxsize=1)
def _places() -> tuple[tuple[tuple[str, str, str], ...], frozenset[str]]:
    """((folded name, display name, code) longest first, folded names unsafe in free text)."""
    raw = yaml.safe_load(PLACES_FILE.read_text(encoding="utf-8"))
    ambiguous = frozenset(fold(name) for name in raw.pop(_AMBIGUOUS_KEY, []))
    entries = [(fold(name), name, code) for code, names in raw.items() for name in names]
    return tuple(sorted(entries, key=lambda e: len(e[0]), reverse=True)), ambiguous


def _place_index() -> tuple[tuple[str, str, str], ...]:
    return _places()[0]


def country_of(place: str) -> str | None:
    """ISO code of a place name written by a customer (``"montreal"`` → ``"CA"``), else None."""
    folded = fold(place)
    for name, _display, code in _place_index():
        if name == folded:
            return code
    return None


def find_place(text: str) -> tuple[str, str] | None:
    """First known place mentioned in free text, as ``(display name, code)``, else None."""
    folded = fold(text)
    index, ambiguous = _places()
    for name, display, code in index:
        if name not in ambiguous and contains_phrase(folded, name):
            return display, code
    return None
