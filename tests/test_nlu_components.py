"""Our NLU components: category-first decision and per-message feature scaling."""

import numpy as np
import pytest
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix

from components.category_decision import CategoryDecision, decide
from components.intent_classifier import scaled_features


def ranking(**probabilities):
    return [
        {"name": n, "confidence": c}
        for n, c in sorted(probabilities.items(), key=lambda kv: -kv[1])
    ]


def test_category_with_most_probability_wins_over_single_best_intent():
    # One support intent beats each purchase intent, but purchase as a whole is more likely.
    intent, ranked = decide(
        ranking(damaged_or_wrong_item=0.34, ask_price=0.3, ask_promo=0.2, product_advice=0.16)
    )
    assert intent["name"] == "ask_price"
    assert intent["confidence"] == pytest.approx(0.66)
    assert ranked[0] == {"name": "ask_price", "confidence": 0.3}
    assert [e["name"] for e in ranked[1:]] == [
        "damaged_or_wrong_item",
        "ask_promo",
        "product_advice",
    ]


def test_clear_winner_keeps_its_intent():
    intent, ranked = decide(ranking(greet=0.9, ask_price=0.05, complaint=0.05))
    assert intent == {"name": "greet", "confidence": pytest.approx(0.9)}
    assert ranked[0]["name"] == "greet"


def test_empty_ranking_is_left_alone():
    assert decide([]) is None


def test_component_does_not_override_guard_fallback():
    message = Message(
        data={
            "text": "xkcd wololo",
            "intent": {"name": "nlu_fallback", "confidence": 1.0},
            "intent_ranking": ranking(ask_price=0.6, complaint=0.4),
        }
    )
    CategoryDecision().process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_component_sets_decided_intent():
    message = Message(
        data={
            "text": "...",
            "intent": {"name": "complaint", "confidence": 0.4},
            "intent_ranking": ranking(complaint=0.4, ask_price=0.35, purchase_intent=0.25),
        }
    )
    CategoryDecision().process([message])
    assert message.get("intent") == {"name": "ask_price", "confidence": pytest.approx(0.6)}


def _message(counts, vector):
    message = Message(data={"text": "x"})
    sparse = coo_matrix(np.array([counts], dtype=float))
    message.add_features(Features(sparse, "sentence", "text", "cvf"))
    message.add_features(Features(np.array([vector], dtype=float), "sentence", "text", "spacy"))
    return message


def test_scaling_makes_long_and_short_messages_the_same_length():
    short = scaled_features(_message([1, 0, 1], [3.0, 4.0]), dense_weight=1.0).toarray()[0]
    long_ = scaled_features(_message([9, 0, 9], [30.0, 40.0]), dense_weight=1.0).toarray()[0]
    # Same direction whatever the counts: sparse block unit length, dense block unit length.
    np.testing.assert_allclose(short[:3], long_[:3])
    np.testing.assert_allclose(np.linalg.norm(short[:3]), 1.0)
    np.testing.assert_allclose(short[3:], [0.6, 0.8])
    weighted = scaled_features(_message([1, 0, 1], [3.0, 4.0]), dense_weight=2.0).toarray()[0]
    np.testing.assert_allclose(weighted[3:], [1.2, 1.6])


def test_scaling_keeps_empty_message_at_zero():
    row = scaled_features(_message([0, 0, 0], [0.0, 0.0]), dense_weight=1.0).toarray()[0]
    assert not row.any()
