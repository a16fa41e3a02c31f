"""Our NLU components: category-first decision, entity masking, sentences, the classifier."""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import coo_matrix

from components.category_decision import CategoryDecision, decide
from components.intent_classifier import (
    ScaledLogisticRegressionClassifier,
    TokenFeatures,
    scaled_row,
    span_row,
)
from components.nlu_masking import KINDS, MASK_KEY, EntityMasker
from components.nlu_sentences import is_request, sentence_spans

ROOT = Path(__file__).resolve().parents[1]


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


# Scaling -------------------------------------------------------------------------------------

NO_ENTITY = [0.0] * len(KINDS)


def test_scaling_makes_long_and_short_messages_the_same_length():
    short = scaled_row(coo_matrix([[1.0, 0, 1]]), np.array([[3.0, 4.0]]), [], 1.0, 1.0)
    long_ = scaled_row(coo_matrix([[9.0, 0, 9]] * 3), np.array([[30.0, 40.0]] * 3), [], 1.0, 1.0)
    short, long_ = short.toarray()[0], long_.toarray()[0]
    # Same direction whatever the counts: sparse block unit length, dense block unit length.
    np.testing.assert_allclose(short[:3], long_[:3])
    np.testing.assert_allclose(np.linalg.norm(short[:3]), 1.0)
    np.testing.assert_allclose(short[3:-2], NO_ENTITY)
    np.testing.assert_allclose(short[-2:], [0.6, 0.8])
    weighted = scaled_row(coo_matrix([[1.0, 0, 1]]), np.array([[3.0, 4.0]]), [], 2.0, 1.0)
    np.testing.assert_allclose(weighted.toarray()[0][-2:], [1.2, 1.6])


def test_scaling_keeps_empty_message_at_zero():
    row = scaled_row(coo_matrix([[0.0, 0, 0]]), np.array([[0.0, 0.0]]), [], 1.0, 1.0)
    assert not row.toarray().any()


def test_an_entity_weighs_like_a_word_in_the_counts_and_has_no_vector():
    features = TokenFeatures(
        counts=coo_matrix(np.eye(3)).tocsr(),
        vectors=np.array([[1.0, 0.0], [50.0, 50.0], [1.0, 0.0]]),
        entities=(None, "order_number", None),
        wordy=(True, True, True),
    )
    row = span_row(features, 0, 3, dense_weight=1.0, entity_weight=1.0).toarray()[0]
    counts, flags, vector = row[:3], row[3 : 3 + len(KINDS)], row[3 + len(KINDS) :]
    assert counts[1] == 0  # the order number's own counts are left out...
    # ...it is a flag, worth about a word (a word's count is log-dampened: log(1 + 1)).
    assert flags[KINDS.index("order_number")] == pytest.approx(counts[0] / np.log(2))
    np.testing.assert_allclose(vector, [1.0, 0.0])  # and its vector is not averaged in
    without = span_row(features, 0, 3, 1.0, 1.0, entities=set()).toarray()[0]
    assert not without[3 : 3 + len(KINDS)].any()


# Masking -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def training_data() -> TrainingData:
    return load_data(str(ROOT / "data" / "nlu"))


@pytest.fixture(scope="module")
def masker(training_data, tmp_path_factory) -> EntityMasker:
    storage = LocalModelStorage(tmp_path_factory.mktemp("masker"))
    component = EntityMasker({}, storage, Resource("masker"))
    component.train(training_data)
    return component


def tokenized(text: str) -> Message:
    message = Message(data={"text": text})
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    return message


def masked(masker: EntityMasker, text: str) -> list[tuple[str, str | None]]:
    message = tokenized(text)
    masker.process([message])
    return [(t.text, t.get(MASK_KEY)) for t in message.get(TOKENS_NAMES["text"])]


@pytest.mark.parametrize("number", ["MB-552210", "MB552210", "mb 552210", "#552210", "552210"])
def test_order_numbers_in_any_form_read_the_same(masker, number):
    assert [t for t, _ in masked(masker, f"ma commande {number} est perdue") if t] == [
        "ma",
        "commande",
        "__ordernumber__",
        "est",
        "perdue",
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("lea.martin@gmail.com", "email"),
        ("06 12 34 56 78", "phone"),
        ("+41 79 123 45 67", "phone"),
        ("59 €", "price"),
        ("22,50 CHF", "price"),
    ],
)
def test_emails_phones_and_prices_become_one_placeholder(masker, text, kind):
    tokens = masked(masker, f"voici {text} merci")
    assert [t for t, _ in tokens if t] == ["voici", f"__{kind}__", "merci"]
    assert {k for _, k in tokens[1:-1]} == {kind}


def test_places_are_marked_but_keep_their_text(masker):
    assert masked(masker, "livraison à Liège ou Bruxelles") == [
        ("livraison", None),
        ("à", None),
        ("Liège", "city"),
        ("ou", None),
        ("Bruxelles", "city"),
    ]


def test_words_the_data_tags_as_another_entity_are_not_places(masker):
    # "bordeaux" is a city in the lookup, and a colour in the training data.
    assert masked(masker, "deux bonnets bordeaux") == [
        ("deux", None),
        ("bonnets", None),
        ("bordeaux", None),
    ]


def test_sizes_quantities_and_postcodes_are_words(masker):
    assert {k for _, k in masked(masker, "2 jeans en 42 livrés au 69003")} == {None}


def test_masker_keeps_its_patterns_with_the_model(masker, tmp_path):
    loaded = EntityMasker.load({}, masker._model_storage, Resource("masker"), None)
    assert loaded.learnt == masker.learnt
    assert masked(loaded, "MB-552210") == [("__ordernumber__", "order_number")]


# Sentences -----------------------------------------------------------------------------------


def test_sentences_end_at_punctuation_and_line_breaks():
    text = "Bonjour. J'ai vu la parka!\nElle est dispo en M ? Merci"
    tokens = [
        Token(w, text.index(w, start))
        for w, start in [
            ("Bonjour", 0),
            (".", 0),
            ("J'ai", 0),
            ("vu", 0),
            ("la", 0),
            ("parka", 0),
            ("!", 0),
            ("Elle", 0),
            ("est", 0),
            ("dispo", 0),
            ("en", 0),
            ("M", 20),
            ("?", 0),
            ("Merci", 0),
        ]
    ]
    assert sentence_spans(tokens, text) == [(0, 2), (2, 7), (7, 13), (13, 14)]


@pytest.mark.parametrize(
    ("sentence", "asks"),
    [
        ("Vous livrez à Bruxelles ?", True),
        ("Je voudrais donc acheter ces baskets en 42.", True),
        ("Pouvez-vous vérifier où est mon colis.", True),
        ("s'il vous plaît rappelez-moi", True),
        ("Elle adore votre marque et porte votre sweat tous les jours.", False),
        ("L'an dernier je lui avais offert un livre.", False),
    ],
)
def test_requests_are_questions_and_wishes(sentence, asks):
    assert is_request(sentence) is asks


# Classifier ----------------------------------------------------------------------------------

VOCABULARY = ["suivi", "colis", "prix", "parka", "merci", "__ordernumber__"]


def featurized(text: str, intent: str | None = None) -> Message:
    """A message as the pipeline leaves it: tokens, masked order numbers, one-hot counts and
    a 2-d word vector per token."""
    message = tokenized(text)
    if intent:
        message.set("intent", intent)
    tokens = message.get(TOKENS_NAMES["text"])
    counts = np.zeros((len(tokens), len(VOCABULARY)))
    vectors = np.zeros((len(tokens), 2))
    for i, token in enumerate(tokens):
        if token.text.startswith("MB"):
            token.text = "__ordernumber__"
            token.set(MASK_KEY, "order_number")
        if token.text in VOCABULARY:
            counts[i, VOCABULARY.index(token.text)] = 1
        vectors[i] = [1.0, 0.0] if token.text in ("suivi", "colis") else [0.0, 1.0]
    message.add_features(Features(coo_matrix(counts), "sequence", "text", "words"))
    message.add_features(Features(vectors, "sequence", "text", "spacy"))
    return message


@pytest.fixture(scope="module")
def classifier(tmp_path_factory) -> ScaledLogisticRegressionClassifier:
    examples = [
        *(featurized(t, "order_status") for t in ["suivi colis", "suivi", "colis suivi suivi"]),
        *(featurized(t, "ask_price") for t in ["prix parka", "prix", "parka prix prix"]),
        featurized("suivi colis MB-552210 merci merci", "order_status"),
        featurized("MB-552210", "inform"),
        *(featurized(t, "inform") for t in ["merci", "merci merci"]),
    ]
    storage = LocalModelStorage(tmp_path_factory.mktemp("classifier"))
    component = ScaledLogisticRegressionClassifier(
        {**ScaledLogisticRegressionClassifier.get_default_config(), "C": 10.0},
        "classifier",
        storage,
        Resource("classifier"),
    )
    component.train(TrainingData(examples))
    return component


def test_examples_are_trained_with_and_without_entities_at_half_weight(classifier):
    examples = [
        featurized("suivi colis MB-552210 merci merci", "order_status"),  # 5 words: + copy
        featurized("prix parka", "ask_price"),  # too short for a copy
        featurized("MB-552210", "inform"),  # only an entity: by rule, not trained
        featurized("merci", "inform"),
    ]
    rows, labels, weights = classifier._training_rows(TrainingData(examples))
    assert labels == ["order_status", "order_status", "ask_price", "inform"]
    # Balanced: each intent weighs 1 in total, the copy and its example one half each.
    np.testing.assert_allclose(weights, [0.5, 0.5, 1.0, 1.0])
    flags = rows[:, -2 - len(KINDS) : -2].toarray()
    assert flags[0].any() and not flags[1].any()


def test_a_message_made_only_of_entities_is_inform(classifier):
    message = featurized("MB-552210")
    classifier.process([message])
    assert message.get("intent") == {"name": "inform", "confidence": 1.0}


def test_the_classifier_reads_words_not_order_numbers(classifier):
    plain, numbered = featurized("suivi colis"), featurized("suivi MB-552210 colis")
    classifier.process([plain, numbered])
    assert plain.get("intent")["name"] == numbered.get("intent")["name"] == "order_status"


def test_a_long_message_is_read_for_its_requests(classifier):
    # Four sentences of thanks around one request: the thanks outweigh it as a bag of words.
    story = "merci " * 8 + "\n"
    text = f"{story * 2}combien prix parka\n{story * 2}"
    message = featurized(text)
    tokens = message.get(TOKENS_NAMES["text"])
    assert len(sentence_spans(tokens, text)) >= 3 and len(text) >= 200
    whole = classifier.clf.predict_proba(classifier._row(classifier._features(message)))[0]
    assert classifier.clf.classes_[whole.argmax()] == "inform"
    classifier.process([message])
    assert message.get("intent")["name"] == "ask_price"


def test_features_of_another_model_are_refused(classifier):
    message = featurized("suivi colis")
    message.features = [f for f in message.features if f.origin != "spacy"]
    message.add_features(Features(np.zeros((2, 3)), "sequence", "text", "spacy"))
    with pytest.raises(ValueError, match="retrain"):
        classifier.process([message])
