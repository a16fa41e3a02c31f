"""One customer turn read in its conversation: brand, values, memory, and the reading."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.brand.brand_file import Brand, load_brand
from bot.brand.errors import BrandError
from bot.dialogue.memory import Memory, remember
from bot.dialogue.reading import Context, Reading, read_in_context
from bot.dialogue.values import Values, read_values
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def conversation_brand(slots: Mapping[str, Any], metadata: Mapping[str, Any] | None) -> Brand:
    """The brand of a conversation: slot ``brand``, else the ``brand`` the channel put in the
    session's or the message's metadata (a Facebook page belongs to one brand), else the default.
    """
    started = slots.get("session_started_metadata") or {}
    slug = slots.get("brand") or started.get("brand") or (metadata or {}).get("brand")
    if slug:
        try:
            return load_brand(slug)
        except BrandError:
            logger.error("A conversation names unknown brand %r", slug)
    return load_brand(get_settings().default_brand)


@dataclass(frozen=True)
class Turn:
    """A message with what the conversation knew before it and what it knows after it."""

    brand: Brand
    text: str
    nlu_intent: str | None
    context: Context
    values: Values
    before: Memory
    memory: Memory
    reading: Reading | None

    @property
    def intent(self) -> str | None:
        """The intent the message stands for in context."""
        return self.reading.intent if self.reading else self.nlu_intent


def read_turn(
    slots: Mapping[str, Any],
    text: str,
    entities: list[Mapping[str, Any]] | None,
    nlu_intent: str | None,
    metadata: Mapping[str, Any] | None = None,
) -> Turn:
    """Read the latest message against the conversation's slots."""
    brand = conversation_brand(slots, metadata)
    before = Memory.from_slots(slots)
    context = Context(
        requested=slots.get("requested"),
        pending=slots.get("pending_question"),
        topic=slots.get("topic"),
        product=before.product,
    )
    values = read_values(brand, text, entities, before.product, context.requested)
    memory = remember(brand, before, values)
    reading = read_in_context(nlu_intent, text, values, context)
    return Turn(brand, text, nlu_intent, context, values, before, memory, reading)
