"""Very negative or insulting messages go to a person, whatever else they are about.

"Bande de voleurs, ma commande n'est jamais arrivée" is a delivery problem to the classifier; for
the brand it is an angry customer who needs a person now. This component, placed last, turns a
strongly negative message (:func:`bot.nlu.negativity.is_strongly_negative`) into ``complaint``,
which ``action_escalate`` hands over with the reason ``negative``. Purchase messages are left
alone ("vos prix sont honteux, vous faites des soldes ?" still gets its answer).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.categories import Category, category_of
from bot.nlu.negativity import is_strongly_negative

COMPLAINT = "complaint"
KEEP = {Category.PURCHASE, Category.HUMAN}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NegativityGuard(GraphComponent):
    """Relabels strongly negative, non-purchase messages as ``complaint``."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NegativityGuard:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            if category_of(intent) in KEEP or intent == COMPLAINT:
                continue
            if is_strongly_negative(message.get(TEXT) or ""):
                message.set(INTENT, {"name": COMPLAINT, "confidence": 1.0}, add_to_output=True)
        return messages
