"""Logistic regression on scaled sentence features.

Rasa's ``LogisticRegressionClassifier`` feeds raw counts to the model: a five-sentence message has
ten times the character n-gram counts of a fragment, so long rambling messages are pushed to the
extremes of the decision function and word vectors barely matter next to the counts. This
subclass scales each message before the model sees it:

* sparse counts (words, character n-grams, regex matches) are dampened with ``log1p`` and scaled to
  unit length, so a message weighs the same whatever its length;
* the dense spaCy sentence vector is scaled to unit length and weighted by ``dense_weight``;

and exposes the regularisation strength ``C`` (Rasa fixes it at 1.0) and a higher ``max_iter``.
Everything else (training, persistence with skops, the intent ranking) is Rasa's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack


def _unit(row: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(row))
    return row / norm if norm > 0 else row


def scaled_features(message: Message, dense_weight: float) -> csr_matrix:
    """One row: log-dampened unit-length sparse counts, then the weighted unit dense vector."""
    sparse, dense = message.get_sparse_features(TEXT)[1], message.get_dense_features(TEXT)[1]
    parts = []
    if sparse is not None:
        counts = csr_matrix(sparse.features, dtype=np.float64)
        counts.data = np.log1p(np.abs(counts.data)) * np.sign(counts.data)
        norm = float(np.sqrt(counts.multiply(counts).sum()))
        parts.append(counts / norm if norm > 0 else counts)
    if dense is not None:
        vector = _unit(np.asarray(dense.features, dtype=np.float64).reshape(1, -1))
        parts.append(csr_matrix(vector * dense_weight))
    return hstack(parts).tocsr() if parts else csr_matrix((1, 0))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ScaledLogisticRegressionClassifier(LogisticRegressionClassifier):
    """``LogisticRegressionClassifier`` with per-message feature scaling and a tunable ``C``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 300.0,
            "dense_weight": 1.0,
            "max_iter": 3000,
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))

    def _create_X(self, messages: list[Message]) -> csr_matrix:  # noqa: N802 (Rasa's name)
        weight = float(self.config["dense_weight"])
        return vstack([scaled_features(m, weight) for m in messages]).tocsr()
