"""The held-out NLU sets stay held out: never in the training data, valid intents only."""

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.nlu.categories import INTENT_CATEGORIES, Category, category_of
from bot.nlu.text import fold

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = [ROOT / "tests" / "nlu" / "heldout.yml", ROOT / "tests" / "nlu" / "blind.yml"]


def _key(text: str) -> str:
    """Case, accents and spacing ignored; emoji-only messages compared as written."""
    return " ".join(fold(text).split()) or text.strip()


@pytest.fixture(scope="module")
def training_texts() -> set[str]:
    return {_key(e.get("text")) for e in load_data(str(ROOT / "data" / "nlu")).intent_examples}


@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.name)
def test_held_out_set_is_not_in_training_data(path, training_texts):
    examples = load_data(str(path)).intent_examples
    assert len(examples) >= 150
    leaked = [e.get("text") for e in examples if _key(e.get("text")) in training_texts]
    assert leaked == []


@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.name)
def test_held_out_set_covers_every_category_with_known_intents(path):
    intents = {e.get("intent") for e in load_data(str(path)).intent_examples}
    assert intents <= set(INTENT_CATEGORIES)
    assert {category_of(i) for i in intents} == set(Category)
