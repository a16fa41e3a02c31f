"""Customer text stays text, and long bot texts are cut where a reader expects.

Rasa reads any message that starts with ``/`` as an intent (``/restart``, ``/confirm{"amount":
1}``): on a public channel that would let a customer drive the bot. :func:`as_customer_text`
puts an invisible WORD JOINER (U+2060) in front of such a message. Rasa's check strips only
whitespace, so the message stays text; a person reading the transcript sees what was typed.
"""

from __future__ import annotations

import re

from bot.nlu.text import WORD_JOINER

INTENT_PREFIX = "/"

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def as_customer_text(text: str) -> str:
    """``text`` as Rasa must read it: never as an ``/intent`` command."""
    if text.strip().startswith(INTENT_PREFIX):
        return WORD_JOINER + text
    return text


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at sentence ends when possible,
    else at a space, else anywhere. Parts are stripped; none is empty."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for sentence in _pieces(text, limit):
        candidate = f"{current} {sentence}" if current else sentence
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = sentence
    if current:
        parts.append(current)
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    """Sentences of ``text``; a sentence longer than ``limit`` is cut at spaces (or hard)."""
    pieces: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit + 1)
            cut = cut if cut > 0 else limit
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    return pieces
