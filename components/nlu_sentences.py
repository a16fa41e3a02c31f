"""Sentences of a long message, and which of them ask for something.

A customer who writes ten sentences tells a story (who the gift is for, what went wrong last
time) around one or two requests ("je voudrais les baskets en 42", "vous livrez à Bruxelles ?").
Read as one bag of words, the story can outweigh the request: a single "si la taille n'est pas
la bonne" pulls a gift purchase towards a wrong-item complaint. The intent classifier
(:mod:`components.intent_classifier`) reads long messages sentence by sentence, and the
sentences :func:`is_request` finds weigh more than the others.

Sentences are cut on the tokenizer's tokens, so that each sentence's features are the sum of its
tokens' features: after a token made only of ``.``, ``!``, ``?`` or ``…``, and where the text
between two tokens has a line break.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from bot.nlu.text import contains_phrase, fold

_END_OF_SENTENCE = re.compile(r"^[.!?…]+$")

# Folded (bot.nlu.text.fold) phrases that make a sentence a request, whole words only.
REQUEST_MARKERS = (
    # wishes and orders
    "je voudrais", "jvoudrais", "je voudrai", "j aimerais", "j aimerai", "je souhaite",
    "je souhaiterais", "je veux", "jveux", "je cherche", "j ai besoin", "je prends",
    "je prendrais", "je vais prendre", "je desire",
    # asking someone to act
    "pouvez vous", "pourriez vous", "vous pouvez", "vous pourriez", "pouvez m", "pourriez m",
    "tu peux", "peux tu", "merci de", "appelez moi", "rappelez moi", "contactez moi",
    "envoyez moi", "dites moi", "svp", "stp", "s il vous plait", "s il te plait",
    # questions without a question mark
    "est ce que", "est ce qu", "est il possible", "c est possible", "comment", "combien",
    "pourquoi",
)  # fmt: skip


class _Token(Protocol):
    text: str
    start: int
    end: int


def sentence_spans(tokens: Sequence[_Token], text: str) -> list[tuple[int, int]]:
    """Token index ranges ``[start, end)`` of the sentences, in order, none empty."""
    spans: list[tuple[int, int]] = []
    start = 0
    for index, token in enumerate(tokens):
        last = index == len(tokens) - 1
        line_break = not last and "\n" in text[token.end : tokens[index + 1].start]
        if last or line_break or _END_OF_SENTENCE.match(token.text):
            spans.append((start, index + 1))
            start = index + 1
    return spans


def is_request(sentence: str) -> bool:
    """True if the sentence asks a question or for something."""
    if "?" in sentence:
        return True
    folded = fold(sentence)
    return any(contains_phrase(folded, marker) for marker in REQUEST_MARKERS)
