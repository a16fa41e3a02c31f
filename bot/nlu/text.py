"""Text normalisation shared by catalogue look-ups and place matching."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)

# Put by the channels before customer text that starts with "/" (connectors/customer_text.py).
WORD_JOINER = "\u2060"


def fold(text: str) -> str:
    """Lower-case ``text``, strip accents and collapse punctuation and spaces to single spaces.

    >>> fold("  Écharpe   Douce ! ")
    'echarpe douce'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", without_accents).replace("_", " ").strip()


def contains_phrase(haystack_folded: str, needle_folded: str) -> bool:
    """Whether ``needle_folded`` occurs in ``haystack_folded`` as whole words (both pre-folded)."""
    if not needle_folded:
        return False
    return f" {needle_folded} " in f" {haystack_folded} "
