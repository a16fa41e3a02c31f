"""What the bot says from custom actions: texts by key, from brands/copy/<lang>.yml.

A brand may override any key in the ``copy:`` section of its file, which is how one deployment
speaks with several brand voices. Placeholders use ``{name}``; ``{brand_name}`` is always set.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

COPY_DIR = PROJECT_ROOT / "brands" / "copy"


class CopyError(KeyError):
    """A text key is missing, or a placeholder has no value."""


@dataclass(frozen=True)
class Message:
    """One rendered message: text and optional quick-reply buttons."""

    key: str
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


@lru_cache(maxsize=8)
def default_copy(language: str = "fr", copy_dir: Path = COPY_DIR) -> Mapping[str, list[Any]]:
    """All default texts of ``language``, by key."""
    data = yaml.safe_load((copy_dir / f"{language}.yml").read_text(encoding="utf-8"))
    return {str(k): v if isinstance(v, list) else [v] for k, v in data.items()}


def variants_for(key: str, overrides: Mapping[str, Any] | None = None) -> list[Any]:
    """Variants of ``key``: the brand's own if it has them, else the default ones."""
    if overrides and key in overrides:
        value = overrides[key]
        return value if isinstance(value, list) else [value]
    try:
        return default_copy()[key]
    except KeyError as exc:
        raise CopyError(f"no text for {key!r} in {COPY_DIR}") from exc


def render(
    key: str,
    params: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    rng: random.Random | None = None,
) -> Message:
    """Pick a variant of ``key`` and fill its placeholders from ``params``."""
    variant = (rng or random).choice(variants_for(key, overrides))
    text = variant["text"] if isinstance(variant, dict) else str(variant)
    buttons = list(variant.get("buttons", [])) if isinstance(variant, dict) else []
    try:
        return Message(key=key, text=text.format(**params), buttons=buttons)
    except (KeyError, IndexError) as exc:
        raise CopyError(f"text {key!r} needs a value for {exc}") from exc
