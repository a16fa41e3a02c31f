"""Decide the category first, then the intent within it.

The business acts on categories (``bot/nlu/categories.py``): purchase, support, human, smalltalk,
other. A message like "le sweat était pas à 55 avant ?" spreads its probability over ask_price,
ask_promo and product_advice; each alone may lose to one support intent, although together they
say "purchase" clearly. Summing the intent probabilities per category and taking the best
category is the decision that maximises category accuracy; the intent is then the most likely one
inside that category.

The intent's ``confidence`` becomes the probability of its category, so ``FallbackClassifier``
after this component asks to rephrase when the bot cannot even tell the category. The ranking
keeps each intent's own probability, winner first. Messages already marked ``nlu_fallback``
(by the unknown-words guard) are left alone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.categories import category_of


def decide(ranking: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """(intent with its category's probability, re-ordered ranking), or None if no ranking."""
    if not ranking:
        return None
    mass: dict[str, float] = defaultdict(float)
    for entry in ranking:
        mass[category_of(entry["name"])] += float(entry["confidence"])
    category = max(mass, key=lambda c: (mass[c], c == category_of(ranking[0]["name"])))
    best = max(
        (e for e in ranking if category_of(e["name"]) == category),
        key=lambda e: float(e["confidence"]),
    )
    rest = [e for e in ranking if e is not best]
    return {"name": best["name"], "confidence": min(1.0, mass[category])}, [dict(best), *rest]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CategoryDecision(GraphComponent):
    """Re-decides the intent: best category by total probability, then best intent in it."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CategoryDecision:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") == DEFAULT_NLU_FALLBACK_INTENT_NAME:
                continue
            decided = decide(message.get(INTENT_RANKING_KEY) or [])
            if decided is None:
                continue
            message.set(INTENT, decided[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, decided[1], add_to_output=True)
        return messages
