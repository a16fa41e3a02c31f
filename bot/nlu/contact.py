"""Contact details and quantities typed by customers: validated, normalised, or refused.

Phones: French, Belgian, Swiss and Canadian numbers, national or international format, with
spaces, dots, dashes or brackets. E-mails: a pragmatic check (one @, a dotted domain), not RFC 5322.
"""

from __future__ import annotations

import re

from bot.nlu.text import fold

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}"
)
_PHONE_CANDIDATE = re.compile(r"\+?\(?\d[\d\s().-]{7,20}\d")

# country code → (national trunk prefix, digits after the country code)
_COUNTRIES = {"33": ("0", 9), "32": ("0", (8, 9)), "41": ("0", 9), "1": ("", 10)}

_NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "vingt": 20,
    "une dizaine": 10, "une douzaine": 12, "une vingtaine": 20,
}  # fmt: skip
MAX_QUANTITY = 999


def find_email(text: str) -> str | None:
    """The first e-mail address in ``text``, lower-cased; None if there is none."""
    match = _EMAIL.search(text or "")
    return match.group(0).lower() if match else None


def _digits_ok(country: str, digits: str) -> bool:
    expected = _COUNTRIES[country][1]
    lengths = expected if isinstance(expected, tuple) else (expected,)
    return len(digits) in lengths


def normalise_phone(raw: str) -> str | None:
    """A French, Belgian, Swiss or Canadian phone without separators, or None.

    International numbers come out in E.164 (+41781234567), national ones as typed (0612345678).
    """
    compact = re.sub(r"[\s().-]", "", raw or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        for country in sorted(_COUNTRIES, key=len, reverse=True):
            if compact[1:].startswith(country):
                rest = compact[1 + len(country) :]
                return f"+{country}{rest}" if rest.isdigit() and _digits_ok(country, rest) else None
        return None
    if not compact.isdigit():
        return None
    if compact.startswith("0") and len(compact) in (9, 10):
        # National format (France and Switzerland 0X XX XX XX XX, Belgium 0XX XX XX XX or
        # 04XX XX XX XX): valid, but the country is unknown, so it is kept as typed.
        return compact
    if len(compact) == 10 and compact[0] in "23456789":
        return "+1" + compact  # North American 514 555 1234
    return None


def find_phone(text: str) -> str | None:
    """The first plausible phone number in ``text``, normalised; None if there is none."""
    for match in _PHONE_CANDIDATE.finditer(text or ""):
        phone = normalise_phone(match.group(0))
        if phone:
            return phone
    return None


def find_contact(text: str) -> str | None:
    """An e-mail or a phone number from ``text`` (the e-mail first), normalised."""
    return find_email(text) or find_phone(text)


def parse_quantity(value: object) -> int | None:
    """1 to 999 from "3", 3, "trois", "une dizaine"; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        raw = str(value or "")
        text = fold(raw)
        digits = re.search(r"(?<![\d-])\d{1,4}\b", raw)
        if digits:
            number = int(digits.group(0))
        else:
            words = sorted(_NUMBER_WORDS, key=len, reverse=True)
            found = next((w for w in words if re.search(rf"\b{w}\b", text)), None)
            if found is None:
                return None
            number = _NUMBER_WORDS[found]
    return number if 1 <= number <= MAX_QUANTITY else None


def clean_name(text: str) -> str | None:
    """A person's name as typed (2-80 characters, mostly letters); None if it is not one."""
    name = " ".join((text or "").split())
    letters = sum(c.isalpha() for c in name)
    if not 2 <= len(name) <= 80 or letters < max(2, len(name) * 0.6):
        return None
    if "@" in name or re.search(r"\d{3,}", name) or re.search(r"https?://|www\.", name, re.I):
        return None
    return name
