"""Order numbers as customers write them ("mb 204815", "#204815", "MB204815")."""

from __future__ import annotations

import re

# Keep in step with the `order_number` regex in data/nlu/entities.yml.
_PREFIXED = re.compile(r"\b[Mm][Bb][\s-]?(\d{6})\b")
_HASHED = re.compile(r"(?<![\w#])#\s?(\d{5,8})\b")
_BARE = re.compile(r"(?<![\d+])(\d{6})(?!\d)")


def normalise_order_number(value: str) -> str:
    """Canonical form ``MB-123456`` for a prefixed number, ``#12345`` for a hashed one."""
    value = value.strip()
    if match := _PREFIXED.search(value):
        return f"MB-{match.group(1)}"
    if match := _HASHED.search(value):
        return f"#{match.group(1)}"
    return value


def find_order_number(text: str, allow_bare: bool = False) -> str | None:
    """An order number in free text; bare six-digit numbers count only when we asked for one."""
    for pattern in (_PREFIXED, _HASHED):
        if match := pattern.search(text):
            return normalise_order_number(match.group(0))
    if allow_bare and (match := _BARE.search(text)):
        return f"MB-{match.group(1)}"
    return None
