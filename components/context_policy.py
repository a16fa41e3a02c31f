"""Reads the customer's message in the context of the conversation, before the rules do.

Rasa's NLU sees one message; the rules map its intent to an action. After the bot asked
"Quel article vous intéresse ?", « l'écharpe rouge » is an answer, whatever intent the classifier
gives it (it said damaged item). This policy asks :func:`bot.dialogue.turn.read_turn` how the
latest message reads given the bot's pending question, the last topic and what the customer said
before; when that differs from the NLU's intent, it predicts the action for the intent in context,
with a priority above the rules, and records the reading in the ``understood_as`` slot for the
actions. Otherwise it abstains and the rules, memoization and TED decide as usual.

The reasoning is in ``bot/dialogue`` (plain Python, tested on its own); this module is the glue.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.reading import DID_NOT_HELP, SEND_LINK
from bot.dialogue.turn import read_turn

logger = logging.getLogger(__name__)

UNDERSTOOD_AS = "understood_as"
# The action each intent read in context leads to (the same as the rules in data/rules/).
ACTION_FOR_INTENT = {
    "purchase_intent": "action_purchase_intent",
    "ask_price": "action_answer_price",
    "ask_availability": "action_answer_availability",
    "ask_delivery": "action_answer_delivery",
    "ask_payment": "action_answer_payment",
    "ask_promo": "action_answer_promo",
    "ask_store": "action_answer_store",
    "product_advice": "action_product_advice",
    "inform": "action_handle_inform",
    "affirm": "action_handle_yes_no",
    "deny": "action_handle_yes_no",
    "nlu_fallback": "action_low_confidence",
    DID_NOT_HELP: "action_did_not_help",
    SEND_LINK: "action_send_link",
}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class ContextPolicy(Policy):
    """Predicts the action for the message's meaning in context, or abstains."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Above RulePolicy (6): a reading in context overrides a rule keyed on the NLU intent.
        return {"priority": 7}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        abstain = self._prediction(self._default_predictions(domain))
        if tracker.active_loop_name or tracker.is_paused():
            return abstain
        message, since = _latest_user_turn(tracker)
        if message is None:
            return abstain
        if since:
            # After the action it chose, this policy ends the turn (the rules cannot: the intent
            # in the tracker is the NLU's, not the one the message was read as).
            if len(since) == 1 and "ContextPolicy" in (since[0].policy or ""):
                return self._predict(domain, ACTION_LISTEN_NAME, [])
            return abstain
        reset = [SlotSet(UNDERSTOOD_AS, None)] if tracker.get_slot(UNDERSTOOD_AS) else []
        text = message.text or ""
        if text.startswith("/"):
            return self._prediction(self._default_predictions(domain), events=reset)
        turn = read_turn(
            tracker.current_slot_values(),
            text,
            list(message.entities or []),
            (message.intent or {}).get("name"),
            message.metadata,
        )
        reading = turn.reading
        if reading is None or reading.intent == turn.nlu_intent:
            return self._prediction(self._default_predictions(domain), events=reset)
        action = ACTION_FOR_INTENT.get(reading.intent)
        if reading.intent == "affirm" and turn.context.pending == "offer_human":
            action = "action_escalate"
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(self._default_predictions(domain), events=reset)
        logger.debug("Read in context as %s (%s): %s", reading.intent, reading.why, action)
        return self._predict(domain, action, reset, [SlotSet(UNDERSTOOD_AS, reading.intent)])

    def _predict(
        self,
        domain: Domain,
        action: str,
        events: list[SlotSet],
        optional_events: list[SlotSet] | None = None,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, events=events, optional_events=optional_events)

    @classmethod
    def load(cls, *args: Any, **kwargs: Any) -> ContextPolicy:  # pragma: no cover - not trained
        return cls.create(*args, **kwargs)

    def persist(self) -> None:
        """Nothing to store: the policy has no learned state."""


def _latest_user_turn(
    tracker: DialogueStateTracker,
) -> tuple[UserUttered | None, list[ActionExecuted]]:
    """The latest user message and the actions run since."""
    since: list[ActionExecuted] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return event, list(reversed(since))
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            since.append(event)
    return None, []
