"""A guard for messages the classifier has no words for.

Logistic regression and DIET are confident on input they have never seen anything like: a message
made only of unknown words ("xkcd wololo") has no word features and a zero spaCy vector, so it lands
on whichever intent owns other feature-less examples. This component learns the vocabulary of the
training data and turns such messages into ``nlu_fallback``, so the bot asks to rephrase.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.text import fold

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.json"


def _words(message: Message) -> list[str]:
    """Folded tokens of a message made only of letters.

    Numbers, order numbers, e-mails and phones are left out: they are never in the vocabulary,
    and the regex extractors already understand them.
    """
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return [fold(t.text) for t in tokens if t.text.isalpha()]


# A letter repeated three times or more: "coucouuu", "merciiii", "nonnn".
_STRETCHED = re.compile(r"(\w)\1{2,}")


def spellings(word: str) -> set[str]:
    """The word and, if letters are stretched, its forms with each run cut to one or two letters.

    "merciii" -> {"merciii", "merci", "mercii"}; "coucouuu" -> {..., "coucou"}. The vocabulary
    never has the stretched form, but it has one of these.
    """
    if not _STRETCHED.search(word):
        return {word}
    return {word, _STRETCHED.sub(r"\1", word), _STRETCHED.sub(r"\1\1", word)}


# Short words are too easy to confuse to be matched with a typo: only words of at least 5 letters
# in the vocabulary (and 4 in the message) count. "qsdf" is not a typo of anything.
MIN_FUZZY_LENGTH = 5


def deletions(word: str) -> set[str]:
    """The word with one letter removed, each way: "salut" -> {"alut", "slut", ...}."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class UnknownWordsGuard(GraphComponent):
    """Marks messages none of whose words occur in the training data as ``nlu_fallback``."""

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: set[str] | None = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary or set()
        self._index_typos()

    def _index_typos(self) -> None:
        # Symmetric-delete index: two words one typo apart (a letter added, dropped or
        # replaced) share a one-deletion form, or one is a deletion of the other.
        self._deleted: set[str] = set()
        for word in self.vocabulary:
            if len(word) >= MIN_FUZZY_LENGTH:
                self._deleted |= deletions(word)

    def _near(self, word: str) -> bool:
        """True if ``word`` is one typo away from a known word of at least 5 letters."""
        if len(word) < MIN_FUZZY_LENGTH - 1:
            return False
        forms = deletions(word)
        return (
            word in self._deleted
            or not forms.isdisjoint(self.vocabulary)
            or not forms.isdisjoint(self._deleted)
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsGuard:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsGuard:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("UnknownWordsGuard has no vocabulary; it will let everything through")
            words = []
        return cls(config, model_storage, resource, set(words))

    def train(self, training_data: TrainingData) -> Resource:
        for example in training_data.training_examples:
            self.vocabulary.update(_words(example))
        self._index_typos()
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(self.vocabulary), ensure_ascii=False),
                encoding="utf-8",
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def knows_some(self, words: list[str]) -> bool:
        """True if there is nothing to judge, or one word is known: as written, with stretched
        letters cut, or one typo away from a known word."""
        if not words:
            return True
        for word in words:
            forms = spellings(word)
            if not forms.isdisjoint(self.vocabulary) or any(self._near(f) for f in forms):
                return True
        return False

    def process(self, messages: list[Message]) -> list[Message]:
        if not self.vocabulary:
            return messages
        for message in messages:
            if self.knows_some(_words(message)):
                continue
            fallback = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
            message.data[INTENT] = fallback
            message.data.setdefault(INTENT_RANKING_KEY, [])
            message.data[INTENT_RANKING_KEY].insert(0, dict(fallback))
        return messages
