"""A budget stated by a customer: « moins de 80 € », « budget septante-cinq euros », « max 100 $ ».

French number words are read the way France, Belgium, Switzerland and Québec write them
(« soixante-quinze », « septante-cinq », « huitante », « nonante-neuf »).
"""

from __future__ import annotations

import re

from bot.nlu.text import fold

_UNITS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13,
    "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30,
    "quarante": 40, "cinquante": 50, "soixante": 60, "septante": 70, "huitante": 80,
    "octante": 80, "nonante": 90, "cent": 100, "cents": 100, "mille": 1000,
}  # fmt: skip
_NUMBER_WORD = "|".join(sorted(_UNITS, key=len, reverse=True))
_NUMBER = rf"(?:\d+(?:[.,]\d{{1,2}})?|(?:(?:{_NUMBER_WORD}|et)[ -]?)+)"
_CURRENCY = r"(?:€|eur|euro|euros|balles|chf|francs?|\$|\$ ?ca|dollars?|piasses?|cad)"
_DIGITS_E = re.compile(r"(\d)\s?e\b")  # « 50e », « 50 e »: euros
_LIMIT = (
    r"(?:budget(?: de| d environ| max(?:imum)?)?|moins de|max(?:imum)?|pas plus de|jusqu a"
    r"|en dessous de|sous les|autour de|environ|dans les|a peu pres|aux alentours de)"
)
_BUDGET = re.compile(rf"\b{_LIMIT} ?(?P<amount>{_NUMBER}) ?(?P<cur>{_CURRENCY})?(?!\w)")
_AMOUNT_MAX = re.compile(
    rf"(?:^|\s)(?P<amount>{_NUMBER}) ?(?P<cur>{_CURRENCY})? ?(?:max|maximum|au plus|tops)\b"
)
_PRICE = re.compile(r"\b(coute|coutent|prix|tarif|vaut|valent|combien|paye|paie)\b")
_AMOUNT_ONLY = re.compile(rf"(?:^|\s)(?P<amount>{_NUMBER}) ?(?P<cur>{_CURRENCY})(?!\w)")


def words_to_number(text: str) -> int | None:
    """``"septante-cinq"`` → 75, ``"quatre-vingt-dix-neuf"`` → 99, ``"cent vingt"`` → 120."""
    words = [w for w in re.split(r"[ -]+", fold(text)) if w and w != "et"]
    if not words or any(w not in _UNITS for w in words):
        return None
    total, current = 0, 0
    for word in words:
        value = _UNITS[word]
        if value == 1000:
            total += max(current, 1) * 1000
            current = 0
        elif value == 100:
            current = max(current, 1) * 100
        elif value == 20 and current % 100 == 4:  # quatre-vingt(s)
            current = current - 4 + 80
        else:
            current += value
    return total + current


def _amount(raw: str) -> float | None:
    raw = raw.strip(" -")
    if raw and raw[0].isdigit():
        return float(raw.replace(",", "."))
    number = words_to_number(raw)
    return float(number) if number else None


def find_budget(text: str) -> float | None:
    """The most a customer wants to spend, if ``text`` says so; None otherwise.

    « moins de 80 € » and « budget de septante-cinq euros » are budgets; a bare amount with a
    currency counts only when the message is about little else (« septante-cinq euros max »).
    """
    folded = _DIGITS_E.sub(
        r"\1 euros", fold(text.replace("€", " euros ").replace("$", " dollars "))
    )
    match = _BUDGET.search(folded) or _AMOUNT_MAX.search(folded)
    if match is None and len(folded.split()) <= 6 and "?" not in text and not _PRICE.search(folded):
        match = _AMOUNT_ONLY.search(folded)
    if match is None:
        return None
    amount = _amount(match.group("amount"))
    return amount if amount and 0 < amount < 100_000 else None
