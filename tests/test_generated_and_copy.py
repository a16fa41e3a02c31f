"""Generated NLU data stays in step with the brands; action texts resolve per brand."""

import random
import re
from pathlib import Path

import pytest

from bot.brand.copy import CopyError, default_copy, render
from bot.brand.nlu_sync import CATALOGUE_NLU, render_catalogue_nlu

ACTIONS = Path(__file__).parents[1] / "actions"


def test_catalogue_nlu_is_up_to_date():
    assert CATALOGUE_NLU.read_text(encoding="utf-8") == render_catalogue_nlu(), (
        "run `python -m bot nlu sync` (make train does it)"
    )


def test_every_text_key_used_by_an_action_exists():
    used = set()
    for path in ACTIONS.glob("*.py"):
        used |= set(
            re.findall(r'say\(\s*dispatcher,\s*brand,\s*"(utter_[a-z_]+)"', path.read_text())
        )
    assert used, "the actions send their texts through say()"
    assert used - set(default_copy()) == set()


def test_support_acknowledgements_exist_for_every_support_intent():
    from actions.support import SUPPORT_INTENTS

    assert {f"utter_support_ack_{i}" for i in SUPPORT_INTENTS} <= set(default_copy())


def test_brand_override_and_placeholders():
    message = render("utter_price", {"product_name": "Tuque", "price": "22 €", "brand_name": "X"})
    assert message.text in ("Tuque : 22 €.", "Tuque est à 22 €.")
    override = {"utter_price": ["{product_name} : {price}, tout simplement."]}
    assert render("utter_price", {"product_name": "Tuque", "price": "22 €"}, override).text == (
        "Tuque : 22 €, tout simplement."
    )
    with_buttons = render("utter_ask_buy", {"pronoun": "la"}, rng=random.Random(1))
    assert "la commander" in with_buttons.text
    assert [b["payload"] for b in with_buttons.buttons] == ["/affirm", "/deny"]


def test_missing_key_or_placeholder_is_a_clear_error():
    with pytest.raises(CopyError, match="no text"):
        render("utter_nothing_like_this", {})
    with pytest.raises(CopyError, match="price"):
        render("utter_price", {"product_name": "Tuque"})
