"""Logistic regression on scaled word features, blind to entities, reading long messages too.

Rasa's ``LogisticRegressionClassifier`` feeds raw counts to the model: a five-sentence message has
ten times the character n-gram counts of a fragment, so long rambling messages are pushed to the
extremes of the decision function and word vectors barely matter next to the counts. This
subclass builds each message's row itself, from the featurizers' per-token features:

* word and character n-gram counts are summed over the words, dampened with ``log1p`` and scaled
  to unit length, so a message weighs the same whatever its length;
* spaCy's word vectors are averaged (non-zero vectors, as spaCy's mean pooling), scaled to unit
  length and weighted by ``dense_weight``;
* only the featurizers named in ``featurizers`` are read (aliases in config.yml): the regex and
  lookup features (order numbers, product and city names) are for the entity extractors.

Entities do not decide the intent. The tokens :class:`~components.nlu_masking.EntityMasker`
marked (order numbers, e-mails, phones, prices, places) are neither counted nor averaged; one
column per kind says "the message has one", worth ``entity_weight`` next to the log-dampened
counts (a word seen once is worth log 2). Each training example of ``augmentation_min_words``
words or more is also trained on with an order number, e-mail, phone or place added (the kinds
in ``augmentation_kinds``, in turn), or with its own taken out, each copy weighing one half, so
that they tell nothing about the intent. A message made only of marked entities ("MB-552210",
an e-mail, "Liège") is ``entity_intent`` (inform) without asking the model; such examples are
not trained on, or the model would learn "no words: inform".

A long message (``long_message_sentences`` sentences or more, ``long_message_chars`` characters or
more) is also read sentence by sentence (:mod:`components.nlu_sentences`): its probabilities are
``whole_message_weight`` times those of the whole message plus the rest times a weighted mean of
its sentences' probabilities. Requests (questions, "je voudrais", "pouvez-vous") weigh
``request_weight``, the other sentences ``context_weight``, each times its highest probability
to the power ``clarity_power``: the story around a request no longer outvotes it.

It also exposes the regularisation strength ``C`` (Rasa fixes it at 1.0) and a higher
``max_iter``. The model (scikit-learn's, balanced across intents) and its persistence with skops
are Rasa's.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, hstack, vstack

from components import nlu_masking, nlu_sentences
from components.nlu_fingerprint import modules_fingerprint
from components.nlu_masking import CITY, EMAIL, KINDS, MASK_KEY, ORDER_NUMBER, PHONE
from components.nlu_sentences import is_request, sentence_spans


def _unit(row: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(row))
    return row / norm if norm > 0 else row


@dataclass(frozen=True)
class TokenFeatures:
    """Per-token features of one message: one row per token, and what the masker masked."""

    counts: csr_matrix | None
    vectors: np.ndarray | None
    # The kind of masked entity each token belongs to, or None.
    entities: tuple[str | None, ...]
    # Whether each token has a letter or a digit (not punctuation, not an emoji).
    wordy: tuple[bool, ...]

    @property
    def size(self) -> int:
        return len(self.entities)

    def words(self, start: int = 0, end: int | None = None) -> int:
        """How many tokens in ``[start, end)`` are words, not punctuation or masked entities."""
        pairs = zip(self.wordy[start:end], self.entities[start:end], strict=True)
        return sum(wordy and kind is None for wordy, kind in pairs)

    def kinds(self, start: int = 0, end: int | None = None) -> set[str]:
        """The kinds of masked entities in ``[start, end)``."""
        return {kind for kind in self.entities[start:end] if kind}


def token_features(message: Message, featurizers: list[str] | None = None) -> TokenFeatures:
    """The sparse and dense per-token features of ``message`` from ``featurizers`` (all if
    empty or None)."""
    sparse, _ = message.get_sparse_features(TEXT, featurizers)
    dense, _ = message.get_dense_features(TEXT, featurizers)
    counts = csr_matrix(sparse.features, dtype=np.float64) if sparse is not None else None
    vectors = np.asarray(dense.features, dtype=np.float64) if dense is not None else None
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    entities = tuple(t.get(MASK_KEY) for t in tokens)
    wordy = tuple(any(c.isalnum() for c in t.text) for t in tokens)
    rows = counts.shape[0] if counts is not None else len(vectors) if vectors is not None else 0
    if len(entities) != rows:  # features not made from these tokens: no entities known
        entities, wordy = (None,) * rows, (True,) * rows
    return TokenFeatures(counts, vectors, entities, wordy)


def scaled_row(
    counts: csr_matrix | None,
    vectors: np.ndarray | None,
    entities: Iterable[str],
    dense_weight: float,
    entity_weight: float,
) -> csr_matrix:
    """One row of two blocks.

    * the summed counts, log-dampened, then one column per kind of entity in
      :data:`components.nlu_masking.KINDS` (``entity_weight`` if ``entities`` has it, else 0),
      all scaled to unit length together: an entity weighs about as much as one word, a lot in
      "la commande MB-552210", little in a long message;
    * the mean non-zero vector at unit length, times ``dense_weight``.

    Missing features (None) are zeros.
    """
    present = set(entities)
    flags = csr_matrix([[entity_weight if kind in present else 0.0 for kind in KINDS]])
    sparse = flags
    if counts is not None:
        summed = csr_matrix(counts.sum(axis=0))
        summed.data = np.log1p(np.abs(summed.data)) * np.sign(summed.data)
        sparse = hstack([summed, flags]).tocsr()
    norm = float(np.sqrt(sparse.multiply(sparse).sum()))
    parts = [sparse / norm if norm > 0 else sparse]
    if vectors is not None:
        non_zero = vectors[np.any(vectors != 0, axis=1)] if len(vectors) else vectors
        mean = non_zero.mean(axis=0) if len(non_zero) else np.zeros(vectors.shape[1])
        parts.append(csr_matrix(_unit(mean.reshape(1, -1)) * dense_weight))
    return hstack(parts).tocsr()


def span_row(
    features: TokenFeatures,
    start: int,
    end: int,
    dense_weight: float,
    entity_weight: float,
    entities: Iterable[str] | None = None,
) -> csr_matrix:
    """The :func:`scaled_row` of tokens ``[start, end)``. Masked tokens are not counted nor
    averaged; their kinds fill the entity columns, unless ``entities`` replaces them."""
    words = np.array([kind is None for kind in features.entities[start:end]], dtype=bool)
    counts = features.counts[start:end][words] if features.counts is not None else None
    vectors = features.vectors[start:end][words] if features.vectors is not None else None
    if entities is None:
        entities = features.kinds(start, end)
    return scaled_row(counts, vectors, entities, dense_weight, entity_weight)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ScaledLogisticRegressionClassifier(LogisticRegressionClassifier):
    """``LogisticRegressionClassifier`` with per-message scaling, blind to entities, reading
    long messages sentence by sentence."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 300.0,
            "dense_weight": 1.0,
            "max_iter": 3000,
            # Featurizer aliases to read; empty: all.
            "featurizers": [],
            "entity_weight": 1.0,
            "entity_intent": "inform",
            "entity_augmentation": True,
            "augmentation_kinds": [ORDER_NUMBER, EMAIL, PHONE, CITY],
            "augmentation_min_words": 4,
            "long_message_sentences": 3,
            "long_message_chars": 200,
            "whole_message_weight": 0.2,
            "request_weight": 1.0,
            "context_weight": 0.1,
            "clarity_power": 2.0,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when this module or the sentence and masking helpers change."""
        return modules_fingerprint(sys.modules[__name__], nlu_sentences, nlu_masking)

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))

    def _features(self, message: Message) -> TokenFeatures:
        return token_features(message, list(self.config["featurizers"]) or None)

    def _row(
        self,
        features: TokenFeatures,
        start: int = 0,
        end: int | None = None,
        entities: Iterable[str] | None = None,
    ) -> csr_matrix:
        row = span_row(
            features,
            start,
            features.size if end is None else end,
            float(self.config["dense_weight"]),
            float(self.config["entity_weight"]),
            entities,
        )
        expected = getattr(self.clf, "n_features_in_", row.shape[1])
        if row.shape[1] == expected:
            return row
        if features.counts is None and features.vectors is None:  # nothing was featurized
            return csr_matrix((1, expected))
        raise ValueError(
            f"{row.shape[1]} features for a model trained on {expected}: the featurizers "
            "changed since training; retrain."
        )

    @staticmethod
    def _only_entities(features: TokenFeatures) -> bool:
        return bool(features.kinds()) and not features.words()

    def _create_X(self, messages: list[Message]) -> csr_matrix:  # noqa: N802 (Rasa's name)
        return vstack([self._row(self._features(m)) for m in messages]).tocsr()

    def _augmented(self, features: TokenFeatures, index: int) -> csr_matrix | None:
        """The example with an entity added, or its entities taken out; None if too short."""
        kinds = list(self.config["augmentation_kinds"])
        if not self.config["entity_augmentation"] or not kinds:
            return None
        if features.words() < self.config["augmentation_min_words"]:
            return None
        present = features.kinds()
        if present & set(kinds):
            return self._row(features, entities=present - set(kinds))
        return self._row(features, entities=present | {kinds[index % len(kinds)]})

    def _training_rows(
        self, training_data: TrainingData
    ) -> tuple[csr_matrix, list[str], np.ndarray]:
        """Rows, intents and sample weights: an example and its augmented copy weigh one half
        each, and each intent weighs as much as the others in total ("balanced", counted on
        the examples, not the copies)."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        rows, labels, shares = [], [], []
        for index, example in enumerate(examples):
            features = self._features(example)
            if self._only_entities(features):
                continue  # the entity intent, by rule
            intent = example.get(INTENT)
            augmented = None
            if intent != self.config["entity_intent"]:
                augmented = self._augmented(features, index)
            copies = [self._row(features)] + ([augmented] if augmented is not None else [])
            rows += copies
            labels += [intent] * len(copies)
            shares += [1.0 / len(copies)] * len(copies)
        if not rows:
            return csr_matrix((0, 0)), [], np.zeros(0)
        totals = Counter()
        for label, share in zip(labels, shares, strict=True):
            totals[label] += share
        balance = {label: sum(totals.values()) / (len(totals) * n) for label, n in totals.items()}
        weights = np.array(
            [share * balance[label] for label, share in zip(labels, shares, strict=True)]
        )
        return vstack(rows).tocsr(), labels, weights

    def train(self, training_data: TrainingData) -> Resource:
        rows, labels, weights = self._training_rows(training_data)
        if not labels:
            return self._resource
        self.clf.set_params(class_weight=None)  # in the sample weights
        self.clf.fit(rows, labels, sample_weight=weights)
        self.persist()
        return self._resource

    def _sentence_probabilities(
        self, message: Message, features: TokenFeatures
    ) -> np.ndarray | None:
        """Weighted mean of the sentences' probabilities, or None if the message is short."""
        text = message.get(TEXT) or ""
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if len(text) < self.config["long_message_chars"] or len(tokens) != features.size:
            return None
        spans = sentence_spans(tokens, text)
        if len(spans) < self.config["long_message_sentences"]:
            return None
        rows, weights = [], []
        for start, end in spans:
            if not features.words(start, end):
                continue
            sentence = text[tokens[start].start : tokens[end - 1].end]
            rows.append(self._row(features, start, end))
            weights.append(
                self.config["request_weight"]
                if is_request(sentence)
                else self.config["context_weight"]
            )
        if not rows:
            return None
        probabilities = self.clf.predict_proba(vstack(rows).tocsr())
        # A sentence that says clearly what it is about counts more than a vague one.
        clarity = probabilities.max(axis=1) ** float(self.config["clarity_power"])
        return np.average(probabilities, axis=0, weights=np.asarray(weights) * clarity)

    def _probabilities(self, message: Message, features: TokenFeatures, whole: np.ndarray):
        """The message's final probabilities, from the model's on the whole message."""
        if self._only_entities(features):
            return (self.clf.classes_ == self.config["entity_intent"]).astype(float)
        sentences = self._sentence_probabilities(message, features)
        if sentences is None:
            return whole
        weight = float(self.config["whole_message_weight"])
        return weight * whole + (1.0 - weight) * sentences

    def process(self, messages: list[Message]) -> list[Message]:
        features = [self._features(m) for m in messages]
        whole = self.clf.predict_proba(vstack([self._row(f) for f in features]).tocsr())
        for message, feature, proba in zip(messages, features, whole, strict=True):
            final = self._probabilities(message, feature, proba)
            ranking = sorted(
                (
                    {"name": str(n), "confidence": float(c)}
                    for n, c in zip(self.clf.classes_, final, strict=True)
                ),
                key=lambda e: -e["confidence"],
            )
            intent = ranking[0]
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
