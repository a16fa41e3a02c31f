"""Triage: classify customer messages into intents and business categories with a trained model.

The model is loaded in-process (no server). Rasa is imported lazily so that the rest of ``bot``
stays importable, and testable, without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.nlu.categories import Category, category_of

# Rasa's own size limit is far above this; beyond it a message is an export error, not a message.
MAX_MESSAGE_CHARS = 20_000


class NoModelError(RuntimeError):
    """There is no trained model to load."""


@dataclass(frozen=True)
class Triage:
    """How one message was understood."""

    text: str
    intent: str | None
    confidence: float
    category: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def triage_from_parse(text: str, parsed: Mapping[str, Any]) -> Triage:
    """Turn a Rasa parse result into a :class:`Triage` (entities de-duplicated, in order)."""
    intent = (parsed.get("intent") or {}).get("name")
    confidence = float((parsed.get("intent") or {}).get("confidence") or 0.0)
    seen: set[tuple[str, str]] = set()
    entities = []
    for ent in parsed.get("entities") or []:
        key = (str(ent.get("entity")), str(ent.get("value")))
        if key not in seen:
            seen.add(key)
            entities.append({"entity": key[0], "value": ent.get("value")})
    return Triage(
        text=text,
        intent=intent,
        confidence=round(confidence, 4),
        category=category_of(intent).value,
        entities=entities,
    )


def latest_model(models_dir: Path) -> Path | None:
    """The most recent ``.tar.gz`` model in ``models_dir``, or None."""
    if not models_dir.is_dir():
        return None
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


class Triager:
    """A loaded NLU model that classifies messages one at a time."""

    def __init__(self, model_path: Path) -> None:
        if not model_path.is_file():
            raise NoModelError(f"no trained model at {model_path}")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
        # Rasa and TensorFlow print to stdout in places; stdout belongs to our output.
        with contextlib.redirect_stdout(sys.stderr):
            from rasa.core.agent import Agent

            self._agent = Agent.load(str(model_path))
        self.model_path = model_path

    async def classify(self, text: str) -> Triage:
        """Classify one message. Blank messages are ``other`` without asking the model."""
        clean = text.strip()[:MAX_MESSAGE_CHARS]
        if not clean:
            return Triage(text=text, intent=None, confidence=0.0, category=Category.OTHER.value)
        with contextlib.redirect_stdout(sys.stderr):
            parsed = await self._agent.parse_message(clean)
        return triage_from_parse(text, parsed)

    def classify_all(self, texts: Iterable[str]) -> Iterator[Triage]:
        """Classify messages in order, lazily, on a private event loop."""
        loop = asyncio.new_event_loop()
        try:
            for text in texts:
                yield loop.run_until_complete(self.classify(text))
        finally:
            loop.close()


def summarise(results: Iterable[Triage]) -> dict[str, Any]:
    """Counts per category (every category present, zeros included) and the total."""
    counts = Counter(r.category for r in results)
    return {
        "total": sum(counts.values()),
        "categories": {c.value: counts.get(c.value, 0) for c in Category},
    }
